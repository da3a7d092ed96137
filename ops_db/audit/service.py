"""Audit trail: reading it and proving it was not tampered with.

Records are appended only by the database function ``repairops_audit_append`` (migration 0014), which hashes
each one onto the company's previous hash. Checking the chain reads every record and the chain head in one
snapshot, so writers committing meanwhile never make a whole chain look broken, and recomputes each hash here,
outside the database. Signed checkpoints (:mod:`ops_db.audit.checkpoints`) pin the hash the chain had at a given
record, so a history rewritten with the owner's rights (every hash recomputed) no longer verifies.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import text

from ops_db.audit.checkpoints import Checkpoint
from ops_db.i18n import N_
from ops_db.kit.uow import UnitOfWork

GENESIS_HASH = "0" * 64

# The text a format-2 hash covers, rebuilt from the stored columns with built-in functions only. It must build
# the same text as repairops_audit_append does from the values it inserts (migration 0014 holds that copy).
CANONICAL_SQL = """pg_catalog.jsonb_build_object(
    'id', id, 'tenant_id', tenant_id, 'actor_user_id', actor_user_id, 'actor_label', actor_label,
    'action', action, 'entity', entity, 'entity_id', entity_id, 'before', before, 'after', after,
    'occurred_at', pg_catalog.to_char(occurred_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'))::text"""

_RECORDS = text(
    "SELECT id, tenant_id, actor_user_id, actor_label, action, entity, entity_id, occurred_at, prev_hash, hash,"
    " hash_format, CASE WHEN hash_format = 1 THEN before END AS before,"
    " CASE WHEN hash_format = 1 THEN after END AS after,"
    f" CASE WHEN hash_format = 2 THEN {CANONICAL_SQL} END AS canonical"
    " FROM audit_log WHERE id > :after ORDER BY id LIMIT :n"
)
_HEAD = text(
    "SELECT t.id AS tenant_id, t.slug, h.last_id, h.last_hash, now() AS at"
    " FROM tenants t LEFT JOIN audit_chain_heads h ON h.tenant_id = t.id"
)

BROKEN_LINK = N_("its link to the previous record is broken")
WRONG_HASH = N_("its content does not match its hash")
HEAD_MOVED = N_("the newest records were removed")
CHECKPOINT_DIFFERS = N_("its hash differs from a signed checkpoint, so the history up to it was rewritten")
CHECKPOINT_MISSING = N_("it is in a signed checkpoint but no longer in the chain")


@dataclass(frozen=True)
class ChainReport:
    """The outcome of checking a tenant's audit hash chain."""

    records: int
    ok: bool
    first_bad_id: int | None = None
    problem: str | None = None
    checkpoints: int = 0  # signed checkpoints the chain was found to match
    # When the chain holds: its head as a checkpoint to sign, read in the same snapshot as the records checked.
    head: Checkpoint | None = None


def verify_chain(uow: UnitOfWork, checkpoints: Iterable[Checkpoint] = (), batch: int = 5000) -> ChainReport:
    """Recompute every audit record's hash in order, in one snapshot; report the first record that does not
    match, or the first signed checkpoint (of this company) that the chain no longer matches."""
    pending = {c.last_id: c for c in checkpoints if c.tenant_id == uow.actor.tenant_id}
    # A repeatable-read snapshot: the records and the head are seen as of one instant, however long this takes.
    with replace(uow, snapshot=True) as snap:
        snap.actor.require("audit.verify")
        session = snap.session
        top = session.execute(_HEAD).one()
        prev, count, matched, after_id = GENESIS_HASH, 0, 0, 0
        if pending.pop(0, None) is not None:
            matched += 1  # a checkpoint of an empty chain holds for every chain
        while rows := session.execute(_RECORDS, {"after": after_id, "n": batch}).all():
            for row in rows:
                count += 1
                if row.prev_hash != prev:
                    return ChainReport(count, False, row.id, BROKEN_LINK)
                if _record_hash(prev, row) != row.hash:
                    return ChainReport(count, False, row.id, WRONG_HASH)
                prev = row.hash
                sealed = pending.pop(row.id, None)
                if sealed is not None:
                    if sealed.head_hash != row.hash:
                        return ChainReport(count, False, row.id, CHECKPOINT_DIFFERS)
                    matched += 1
            after_id = rows[-1].id
        if pending:
            return ChainReport(count, False, min(pending), CHECKPOINT_MISSING)
        if top.last_hash is not None and (top.last_hash != prev or (count and top.last_id != after_id)):
            return ChainReport(count, False, None, HEAD_MOVED)
        head = Checkpoint(top.tenant_id, top.slug, after_id, prev, count, top.at.astimezone(UTC))
        return ChainReport(count, True, checkpoints=matched, head=head)


def _record_hash(prev: str, row: Any) -> str:
    """The hash a record should carry after ``prev``, recomputed from its stored fields."""
    if row.hash_format == 2:
        canonical = row.canonical
    else:  # written by the application before migration 0014
        canonical = json.dumps(_legacy_payload(row), sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256((prev + canonical).encode()).hexdigest()


def _legacy_payload(row: Any) -> dict[str, Any]:
    """The fields a format-1 hash covers, as the application canonicalised them."""
    occurred_at: datetime = row.occurred_at
    return {
        "tenant_id": row.tenant_id,
        "actor_user_id": row.actor_user_id,
        "actor_label": row.actor_label,
        "action": row.action,
        "entity": row.entity,
        "entity_id": row.entity_id,
        "before": row.before,
        "after": row.after,
        "occurred_at": occurred_at.astimezone(UTC).isoformat(timespec="microseconds"),
    }
