"""``repairops audit``: checkpoint, verify against checkpoints, and the public key, as real subprocesses."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url

from ops_db import embedded
from ops_db.audit.service import CANONICAL_SQL
from ops_db.kit.db import admin_engine
from tests.conftest import Shop
from tests.repairops.test_cli import run


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    path = tmp_path_factory.mktemp("audit-cli") / ".repairops"
    yield path
    embedded.stop((path / "pg").resolve())


@pytest.fixture(scope="module")
def shop(data_dir: Path) -> Shop:
    migrated = run(data_dir, "db", "migrate")
    assert migrated.returncode == 0, migrated.stderr
    url = make_url(run(data_dir, "db", "url").stdout.strip()).set(drivername="postgresql+psycopg")
    return Shop(url.render_as_string(hide_password=False))


def _ok(data_dir: Path, *args: str) -> str:
    done = run(data_dir, "audit", *args)
    assert done.returncode == 0, done.stderr
    return done.stdout


def _refused(data_dir: Path, *args: str) -> str:
    done = run(data_dir, "audit", *args)
    assert done.returncode == 1 and "Traceback" not in done.stderr, (done.stdout, done.stderr)
    return " ".join(done.stderr.split())


def test_checkpoint_then_verify_with_the_installations_key_or_only_its_public_half(
    data_dir: Path, shop: Shop, tmp_path: Path
) -> None:
    written = _ok(data_dir, "checkpoint", "--tenant", "acme")
    assert "Checkpoint of acme written to" in written
    (checkpoint,) = (data_dir / "audit-checkpoints").glob("acme-*.json")
    assert (data_dir / "audit-signing-key.pem").stat().st_mode & 0o777 == 0o600
    assert "matching 1 signed checkpoints" in _ok(data_dir, "verify", "--tenant", "acme")

    # Somewhere else, with only the public key and a copy of the files.
    _ok(data_dir, "public-key", "--out", str(tmp_path / "audit.pub"))
    assert (tmp_path / "audit.pub").read_text().startswith("-----BEGIN PUBLIC KEY-----")
    elsewhere = tmp_path / "copies"
    elsewhere.mkdir()
    shutil.copy(checkpoint, elsewhere)
    verified = _ok(
        data_dir,
        "verify",
        "--tenant",
        "acme",
        "--checkpoints",
        str(elsewhere),
        "--public-key",
        str(tmp_path / "audit.pub"),
    )
    assert "Audit chain intact" in verified and "matching 1 signed checkpoints" in verified

    document = json.loads(checkpoint.read_text())
    document["checkpoint"]["head_hash"] = "0" * 64
    (elsewhere / checkpoint.name).write_text(json.dumps(document))
    assert "was changed after it was signed" in _refused(
        data_dir,
        "verify",
        "--tenant",
        "acme",
        "--checkpoints",
        str(elsewhere),
        "--public-key",
        str(tmp_path / "audit.pub"),
    )


def test_a_history_rewritten_by_the_owner_fails_verify_and_gets_no_new_checkpoint(data_dir: Path, shop: Shop) -> None:
    _ok(data_dir, "checkpoint", "--tenant", "acme")
    with admin_engine(shop.url).begin() as conn:
        conn.execute(text("ALTER TABLE audit_log DISABLE TRIGGER USER"))
        conn.execute(text("UPDATE audit_log SET actor_label = 'Mallory' WHERE id = (SELECT min(id) FROM audit_log)"))
        conn.execute(
            text(f"""
            DO $$ DECLARE r record; prev text := repeat('0', 64); BEGIN
                FOR r IN SELECT id, {CANONICAL_SQL} AS canonical FROM audit_log ORDER BY id LOOP
                    UPDATE audit_log SET prev_hash = prev,
                           hash = encode(sha256(convert_to(prev || r.canonical, 'UTF8')), 'hex')
                     WHERE id = r.id RETURNING hash INTO prev;
                END LOOP;
                UPDATE audit_chain_heads SET last_hash = prev;
            END $$""")
        )
        conn.execute(text("ALTER TABLE audit_log ENABLE TRIGGER USER"))
    empty = data_dir / "no-checkpoints"
    empty.mkdir()
    assert "Audit chain intact" in _ok(data_dir, "verify", "--tenant", "acme", "--checkpoints", str(empty))
    assert "differs from a signed checkpoint" in _refused(data_dir, "verify", "--tenant", "acme")
    assert "no checkpoint was written" in _refused(data_dir, "checkpoint", "--tenant", "acme")
