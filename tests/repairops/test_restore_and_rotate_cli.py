"""`repairops db restore` into a brand-new data directory in one command, and `repairops secrets rotate`."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pyotp
import pytest
from sqlalchemy.engine import make_url

from ops_db import embedded
from ops_db.identity.service import authenticate, confirm_totp, enroll_totp, resolve_tenant
from ops_db.kit.db import app_engine
from ops_db.kit.uow import Actor, UnitOfWork
from ops_db.settings import get_settings
from tests.conftest import Shop

KEY = "UmVzdG9yZSB0ZXN0IGtleTogbm90IGEgcmVhbCBrZXkgYXQgYWxs"
NEW_KEY = "Um90YXRlZCB0ZXN0IGtleTogbm90IGEgcmVhbCBrZXkgYXQgYWxs"


def run(data_dir: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    """The CLI in its own process with its own data directory (and no DATABASE_URL unless given)."""
    full = {
        k: v
        for k, v in os.environ.items()
        if k not in ("DATABASE_URL", "REPAIROPS_DATABASE_URL", "REPAIROPS_SECRET_KEY", "REPAIROPS_NEW_SECRET_KEY")
    }
    full.update({"REPAIROPS_DATA_DIR": str(data_dir), "COLUMNS": "200", **env})
    return subprocess.run(
        [sys.executable, "-m", "repairops.cli", *args],
        capture_output=True,
        text=True,
        env=full,
        timeout=300,
        check=False,
    )


@pytest.fixture
def fresh_dir(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A data directory nothing has run in yet; its embedded server is stopped afterwards."""
    path = tmp_path_factory.mktemp("restored") / ".repairops"
    yield path
    embedded.stop((path / "pg").resolve())


@pytest.fixture
def shop_with_second_factors(
    migrated_db: str, monkeypatch: pytest.MonkeyPatch
) -> Iterator[tuple[Shop, list[pyotp.TOTP]]]:
    monkeypatch.setenv("REPAIROPS_SECRET_KEY", KEY)
    get_settings.cache_clear()
    shop = Shop(migrated_db)
    codes = []
    for _ in range(2):  # one to sign in after the restore, one after the rotation (a code is used only once)
        person = shop.person("manager")
        assert isinstance(person, Actor)
        totp = pyotp.parse_uri(enroll_totp(UnitOfWork(shop.engine, person)))
        assert isinstance(totp, pyotp.TOTP)
        confirm_totp(UnitOfWork(shop.engine, person), totp.now())
        codes.append(totp)
    yield shop, codes
    get_settings.cache_clear()


def _restored_url(data_dir: Path) -> str:
    url = run(data_dir, "db", "url").stdout.strip()
    return make_url(url).set(drivername="postgresql+psycopg").render_as_string(hide_password=False)


def _signs_in(url: str, number: int, totp: pyotp.TOTP) -> None:
    """The admin signs in with a password, manager NUMBER with a password and a code from the next time step."""
    engine = app_engine(url)
    tenant = resolve_tenant(engine, "acme")
    assert authenticate(engine, tenant, "admin@acme.example", "admin-pass-1").actor.user_id
    code = totp.at(int(time.time()) + 30)
    assert authenticate(engine, tenant, f"manager{number}@acme.example", "person-pass-1", code).actor.user_id
    engine.dispose()


def test_restore_into_a_new_data_directory_then_sign_in_and_rotate(
    shop_with_second_factors: tuple[Shop, list[pyotp.TOTP]],
    fresh_dir: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    shop, totps = shop_with_second_factors
    dump = tmp_path / "acme.dump"
    made = run(tmp_path / "source", "db", "backup", str(dump), DATABASE_URL=shop.url, REPAIROPS_SECRET_KEY=KEY)
    assert made.returncode == 0, made.stderr

    # A new machine: nothing but the dump. With another key, the restore works and says the secrets won't open.
    other = run(fresh_dir, "db", "restore", str(dump), REPAIROPS_SECRET_KEY=NEW_KEY)
    assert other.returncode == 0, other.stderr
    assert "cannot decrypt the stored second factors" in other.stderr and "Traceback" not in other.stderr
    restored = run(fresh_dir, "db", "restore", str(dump), REPAIROPS_SECRET_KEY=KEY)
    assert restored.returncode == 0, restored.stderr
    assert "Restored from" in restored.stdout and not restored.stderr
    url = _restored_url(fresh_dir)
    _signs_in(url, 1, totps[0])

    refused = run(fresh_dir, "secrets", "rotate", REPAIROPS_SECRET_KEY=KEY)
    assert refused.returncode == 1
    assert "put a new random key in REPAIROPS_NEW_SECRET_KEY" in refused.stderr and "Traceback" not in refused.stderr
    rotated = run(fresh_dir, "secrets", "rotate", REPAIROPS_SECRET_KEY=KEY, REPAIROPS_NEW_SECRET_KEY=NEW_KEY)
    assert rotated.returncode == 0, rotated.stderr
    assert "Re-encrypted 2 second factors, 0 payment keys under the new key." in rotated.stdout
    assert "set REPAIROPS_SECRET_KEY to the value of REPAIROPS_NEW_SECRET_KEY" in rotated.stdout
    assert "everyone signs in again" in rotated.stdout

    monkeypatch.setenv("REPAIROPS_SECRET_KEY", NEW_KEY)
    get_settings.cache_clear()
    _signs_in(url, 2, totps[1])
    started = run(fresh_dir, "db", "migrate", REPAIROPS_SECRET_KEY=KEY)  # the old key no longer fits
    assert started.returncode == 1 and "cannot decrypt the stored second factors" in started.stderr


def test_rotate_with_a_key_file_generates_and_switches_it(fresh_dir: Path) -> None:
    first = run(fresh_dir, "db", "migrate")
    assert first.returncode == 0, first.stderr
    key_file = fresh_dir / "secret.key"
    before = key_file.read_text()
    rotated = run(fresh_dir, "secrets", "rotate")
    assert rotated.returncode == 0, rotated.stderr
    assert f"The new key is in {key_file.resolve()} (mode 0600)" in rotated.stdout.replace("\n", "")
    assert key_file.read_text() != before and oct(key_file.stat().st_mode & 0o777) == "0o600"
    key_file.chmod(0o640)
    loose = run(fresh_dir, "db", "migrate")
    assert loose.returncode == 1 and "can be read or changed by other users" in loose.stderr
