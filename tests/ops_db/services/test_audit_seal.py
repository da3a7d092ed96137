"""The audit chain: checked in one snapshot while people write, sealed against the application role, and pinned
by signed checkpoints kept outside the database (issue 17, section 7)."""

from __future__ import annotations

import hashlib
import json
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import psycopg
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from psycopg import errors
from sqlalchemy import text

from ops_db.audit import checkpoints as seals
from ops_db.audit.service import (
    CANONICAL_SQL,
    CHECKPOINT_DIFFERS,
    CHECKPOINT_MISSING,
    GENESIS_HASH,
    verify_chain,
)
from ops_db.customers.schemas import CustomerIn
from ops_db.kit.db import admin_engine
from ops_db.kit.errors import ValidationError
from ops_db.kit.uow import Actor, UnitOfWork
from ops_db.orders import service as orders
from tests.conftest import Shop, conninfo

WRITERS = 4
WRITES_EACH = 6


def _uow(shop: Shop, actor: Actor | None = None) -> UnitOfWork:
    uow = shop.uow(actor)
    assert isinstance(uow, UnitOfWork)
    return uow


def _intake(shop: Shop, person: Actor, n: int) -> None:
    orders.register_intake(
        _uow(shop, person),
        orders.IntakeIn(
            customer=CustomerIn(name=f"Walk-in {n}", phone=f"+1555{n:07d}"), problem_description="No sound"
        ),
    )


def _checkpoint(shop: Shop, key: Ed25519PrivateKey, folder: Path) -> seals.Checkpoint:
    report = verify_chain(_uow(shop))
    assert report.ok and report.head is not None, report
    seals.write_checkpoint(report.head, key, folder)
    return report.head


def _refusal(error: BaseException) -> BaseException:
    """The database's own error under the service's sentence."""
    cause = error.__cause__ or error
    return getattr(cause, "orig", None) or cause


def _as_app(shop: Shop, statement: str) -> None:
    """Run one statement on the application's own engine, inside the company's row-level-security context."""
    with _uow(shop) as uow:
        uow.session.execute(text(statement))
        uow.commit()


def _owner_rewrites(shop: Shop, change: str) -> None:
    """Someone with the database owner's rights changes history, then recomputes every hash and the head."""
    with admin_engine(shop.url).begin() as conn:
        conn.execute(text("ALTER TABLE audit_log DISABLE TRIGGER USER"))
        conn.execute(text(change))
        conn.execute(
            text(f"""
            DO $$ DECLARE r record; prev text := repeat('0', 64); BEGIN
                FOR r IN SELECT id, {CANONICAL_SQL} AS canonical FROM audit_log ORDER BY id LOOP
                    UPDATE audit_log SET prev_hash = prev,
                           hash = encode(sha256(convert_to(prev || r.canonical, 'UTF8')), 'hex')
                     WHERE id = r.id RETURNING hash INTO prev;
                END LOOP;
                UPDATE audit_chain_heads SET last_hash = prev, last_id = (SELECT max(id) FROM audit_log);
            END $$""")
        )
        conn.execute(text("ALTER TABLE audit_log ENABLE TRIGGER USER"))


# ---- one snapshot ----------------------------------------------------------------------------------------------


def test_verify_never_false_alarms_while_people_write(shop: Shop) -> None:
    """Writers commit through the services while the chain is checked again and again (one record per statement,
    so each check spans many statements): every check sees a whole chain."""
    people = [shop.person("front_desk") for _ in range(WRITERS)]
    verifying, writers_done = threading.Event(), threading.Event()
    reports = []

    def write(index: int) -> None:
        verifying.wait()  # writes start once the checks run, so they overlap whatever the machine's speed
        for n in range(WRITES_EACH):
            _intake(shop, people[index], index * 100 + n)

    def check_until_writers_finish() -> None:
        while True:
            finished = writers_done.is_set()
            reports.append(verify_chain(_uow(shop), batch=1))
            verifying.set()  # after the first check: it sees the chain before any write, the last one after all
            if finished:
                return

    with ThreadPoolExecutor(WRITERS + 1) as pool:
        checker = pool.submit(check_until_writers_finish)
        for future in [pool.submit(write, i) for i in range(WRITERS)]:
            future.result()
        writers_done.set()
        checker.result()

    assert [r for r in reports if not r.ok] == []
    assert len(reports) >= 2
    assert reports[-1].records >= WRITERS * WRITES_EACH * 2  # every intake audits the customer and the order
    assert len({r.records for r in reports}) >= 2  # the checks saw the chain grow under them


# ---- the application role cannot rewrite the chain ------------------------------------------------------------


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE audit_log SET actor_label = 'Mallory'",
        "DELETE FROM audit_log",
        "INSERT INTO audit_log (tenant_id, actor_label, action, entity, occurred_at, prev_hash, hash)"
        " SELECT tenant_id, 'Mallory', 'create', 'x', now(), last_hash, repeat('a', 64) FROM audit_chain_heads",
        "TRUNCATE audit_log",
        "UPDATE audit_chain_heads SET last_hash = repeat('a', 64), last_id = 1",
        "DELETE FROM audit_chain_heads",
        "INSERT INTO audit_chain_heads (tenant_id, last_id, last_hash) VALUES (999999, 0, repeat('0', 64))",
    ],
)
def test_the_application_role_cannot_write_audit_rows_or_move_the_head(shop: Shop, statement: str) -> None:
    _intake(shop, shop.system(), 1)
    with pytest.raises(Exception) as refused:
        _as_app(shop, "SELECT set_config('repairops.purge', 'on', true)")  # the maintenance switch changes nothing
        _as_app(shop, statement)
    assert isinstance(_refusal(refused.value), errors.InsufficientPrivilege), refused.value
    assert verify_chain(_uow(shop)).ok


def test_the_append_function_is_the_owners_hashes_itself_and_cannot_be_replaced(shop: Shop) -> None:
    with psycopg.connect(conninfo(shop.url)) as conn:
        definer, config, owner = conn.execute(
            "SELECT p.prosecdef, p.proconfig, pg_get_userbyid(p.proowner) FROM pg_proc p"
            " WHERE p.proname = 'repairops_audit_append'"
        ).fetchone() or (None, None, None)
    assert definer and config == ["search_path=pg_catalog, public, pg_temp"] and owner != "repairops_app"
    # The application passes what happened, never a hash or a head; the database chains it onto the head.
    with _uow(shop) as uow:
        before: str = uow.session.execute(text("SELECT last_hash FROM audit_chain_heads")).scalar_one()
        uow.session.execute(
            text("SELECT repairops_audit_append(NULL, 'script', CAST(:e AS jsonb))"),
            {"e": json.dumps([{"action": "create", "entity": "thing", "entity_id": 7}])},
        )
        uow.commit()
    with _uow(shop) as uow:
        row = uow.session.execute(
            text("SELECT id, actor_label, prev_hash, hash, hash_format FROM audit_log ORDER BY id DESC LIMIT 1")
        ).one()
        head = uow.session.execute(text("SELECT last_id, last_hash FROM audit_chain_heads")).one()
    assert (row.actor_label, row.prev_hash, row.hash_format) == ("script", before, 2)
    assert tuple(head) == (row.id, row.hash)
    with pytest.raises(Exception) as refused:
        _as_app(
            shop,
            "CREATE OR REPLACE FUNCTION repairops_audit_append(bigint, text, jsonb) RETURNS void"
            " LANGUAGE sql AS 'SELECT NULL'",
        )
    assert isinstance(_refusal(refused.value), errors.InsufficientPrivilege), refused.value
    assert verify_chain(_uow(shop)).ok


def test_tricky_contents_hash_the_same_in_the_database_and_in_the_verifier(shop: Shop) -> None:
    tricky: dict[str, Any] = {
        'quote"back\\slash': "line\nbreak\ttab\u0001bell",
        "ünïcødé ✓ 中文": ["", None, True, False, 0, -12],
        "nested": {"b": {"a": []}, "aa": {}, "long": 2**62},
        "money": "9999999999.99",
        "e": "1e400",
    }
    earlier = verify_chain(_uow(shop)).records
    with _uow(shop) as uow:
        uow.audit("update", "thing", None, before=tricky, after={"z": 1, "y": None})
        uow.audit("delete", "thing", 2**40, before=None, after=None)
        uow.commit()
    report = verify_chain(_uow(shop))
    assert report.ok and report.records == earlier + 2, report


def test_records_hashed_by_the_application_before_the_seal_still_verify(shop: Shop) -> None:
    """Format 1: rows written by the older code (the application hashed them) stay valid; new ones chain on."""
    occurred = datetime(2026, 11, 30, 9, 15, 0, 123456, tzinfo=UTC)
    with admin_engine(shop.url).begin() as conn:
        # Start the company's history over, as it was before the seal.
        conn.execute(text("SET LOCAL repairops.purge = on"))
        conn.execute(text("DELETE FROM audit_log"))
        conn.execute(text("DELETE FROM audit_chain_heads"))
        prev, last_id = GENESIS_HASH, 0
        for n in range(3):
            record = {
                "tenant_id": shop.tenant_id,
                "actor_user_id": None,
                "actor_label": "system",
                "action": "create",
                "entity": "thing",
                "entity_id": n,
                "before": None,
                "after": {"n": n, "name": "Zoë"},
                "occurred_at": occurred.isoformat(timespec="microseconds"),
            }
            canonical = json.dumps(record, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
            digest = hashlib.sha256((prev + canonical).encode()).hexdigest()
            last_id = conn.execute(
                text(
                    "INSERT INTO audit_log (tenant_id, actor_label, action, entity, entity_id, after, occurred_at,"
                    " prev_hash, hash) VALUES (:t, 'system', 'create', 'thing', :n, CAST(:a AS jsonb), :o, :p, :h)"
                    " RETURNING id"
                ),
                {"t": shop.tenant_id, "n": n, "a": json.dumps(record["after"]), "o": occurred, "p": prev, "h": digest},
            ).scalar_one()
            prev = digest
        conn.execute(
            text("INSERT INTO audit_chain_heads VALUES (:t, :i, :h)"), {"t": shop.tenant_id, "i": last_id, "h": prev}
        )
    _intake(shop, shop.system(), 1)
    report = verify_chain(_uow(shop))
    assert report.ok and report.records >= 5, report


# ---- signed checkpoints ----------------------------------------------------------------------------------------


def test_a_history_rewritten_with_owner_rights_passes_the_chain_but_not_the_checkpoint(
    shop: Shop, tmp_path: Path
) -> None:
    key, folder = seals.signing_key(tmp_path / "key.pem"), tmp_path / "checkpoints"
    _intake(shop, shop.system(), 1)
    sealed = _checkpoint(shop, key, folder)
    _intake(shop, shop.system(), 2)
    trusted = seals.trusted_checkpoints(folder, _public_key_file(key, tmp_path))
    assert verify_chain(_uow(shop), trusted).checkpoints == 1

    _owner_rewrites(
        shop,
        "UPDATE audit_log SET after = jsonb_set(after, '{name}', '\"Mallory\"')"
        " WHERE id = (SELECT min(id) FROM audit_log WHERE entity = 'customers')",
    )

    assert verify_chain(_uow(shop)).ok  # every hash was recomputed: the chain alone cannot tell
    caught = verify_chain(_uow(shop), trusted)
    assert (caught.ok, caught.first_bad_id, caught.problem) == (False, sealed.last_id, CHECKPOINT_DIFFERS)
    # Nor does a new checkpoint bless the rewritten history.
    assert verify_chain(_uow(shop), trusted).head is None


def test_records_removed_after_a_checkpoint_by_the_owner_are_missed(shop: Shop, tmp_path: Path) -> None:
    key, folder = seals.signing_key(tmp_path / "key.pem"), tmp_path / "checkpoints"
    _intake(shop, shop.system(), 1)
    sealed = _checkpoint(shop, key, folder)
    _owner_rewrites(shop, f"DELETE FROM audit_log WHERE id >= {sealed.last_id}")
    assert verify_chain(_uow(shop)).ok
    caught = verify_chain(_uow(shop), seals.trusted_checkpoints(folder, _public_key_file(key, tmp_path)))
    assert (caught.ok, caught.first_bad_id, caught.problem) == (False, sealed.last_id, CHECKPOINT_MISSING)


def _public_key_file(key: Ed25519PrivateKey, folder: Path) -> Path:
    path = folder / "audit.pub"
    path.write_text(seals.public_key_pem(key.public_key()))
    return path


def _edit(path: Path, change: Callable[[dict[str, Any]], None]) -> None:
    document = json.loads(path.read_text())
    change(document)
    path.write_text(json.dumps(document))


@pytest.mark.parametrize(
    ("change", "sentence"),
    [
        (lambda d: d["checkpoint"].update(head_hash="a" * 64), "was changed after it was signed"),
        (lambda d: d["checkpoint"].update(last_id=d["checkpoint"]["last_id"] - 1), "was changed after it was signed"),
        (lambda d: d.update(signature=d["signature"][::-1]), "is not a readable audit checkpoint|was changed"),
        (lambda d: d.pop("signature"), "is not a readable audit checkpoint"),
    ],
)
def test_a_tampered_checkpoint_file_is_refused(
    shop: Shop, tmp_path: Path, change: Callable[[dict[str, Any]], None], sentence: str
) -> None:
    key, folder = seals.signing_key(tmp_path / "key.pem"), tmp_path / "checkpoints"
    _intake(shop, shop.system(), 1)
    _checkpoint(shop, key, folder)
    (written,) = folder.glob("*.json")
    _edit(written, change)
    with pytest.raises(ValidationError, match=sentence):
        seals.trusted_checkpoints(folder, _public_key_file(key, tmp_path))


def test_a_checkpoint_signed_by_another_key_is_refused(shop: Shop, tmp_path: Path) -> None:
    _intake(shop, shop.system(), 1)
    _checkpoint(shop, Ed25519PrivateKey.generate(), tmp_path / "checkpoints")
    ours = seals.signing_key(tmp_path / "key.pem")
    with pytest.raises(ValidationError, match="was not signed with this audit key"):
        seals.trusted_checkpoints(tmp_path / "checkpoints", _public_key_file(ours, tmp_path))


def test_the_signing_key_is_made_once_and_kept_private(tmp_path: Path) -> None:
    path = tmp_path / "data" / seals.KEY_FILE
    first = seals.signing_key(path)
    assert path.stat().st_mode & 0o777 == 0o600
    assert seals.key_id(seals.signing_key(path).public_key()) == seals.key_id(first.public_key())


def test_a_checkpoint_of_another_company_is_not_applied_here(shop: Shop, tmp_path: Path) -> None:
    key, folder = seals.signing_key(tmp_path / "key.pem"), tmp_path / "checkpoints"
    _intake(shop, shop.system(), 1)
    seal = _checkpoint(shop, key, folder)
    other = seals.Checkpoint(seal.tenant_id + 1, "other", seal.last_id + 50, "b" * 64, 1, seal.taken_at)
    seals.write_checkpoint(other, key, folder)
    report = verify_chain(_uow(shop), seals.trusted_checkpoints(folder, _public_key_file(key, tmp_path)))
    assert report.ok and report.checkpoints == 1, report


def test_only_auditors_and_the_system_check_the_chain(shop: Shop) -> None:
    from ops_db.kit.errors import PermissionDenied

    clerk = shop.person("front_desk")
    assert isinstance(clerk, Actor)
    with pytest.raises(PermissionDenied):
        verify_chain(UnitOfWork(shop.engine, clerk))
