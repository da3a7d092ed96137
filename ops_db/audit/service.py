"""Audit trail: reading it and proving it was not tampered with."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import text

from ops_db.kit.uow import GENESIS_HASH, UnitOfWork, audit_payload, chain_hash


@dataclass(frozen=True)
class ChainReport:
    """The outcome of checking a tenant's audit hash chain."""

    records: int
    ok: bool
    first_bad_id: int | None = None
    problem: str | None = None


def verify_chain(uow: UnitOfWork, batch: int = 5000) -> ChainReport:
    """Recompute every audit record's hash in order; report the first record that does not match."""
    with uow:
        uow.actor.require("audit.verify")
        session = uow.session
        prev, count, after_id = GENESIS_HASH, 0, 0
        while True:
            rows = session.execute(
                text("SELECT id, tenant_id, actor_user_id, actor_label, action, entity, entity_id, before, after,"
                     " occurred_at, prev_hash, hash FROM audit_log WHERE id > :after ORDER BY id LIMIT :n"),
                {"after": after_id, "n": batch},
            ).all()
            if not rows:
                break
            for row in rows:
                count += 1
                if row.prev_hash != prev:
                    return ChainReport(count, False, row.id, "its link to the previous record is broken")
                record = audit_payload(row.tenant_id, row.actor_user_id, row.actor_label, row.action, row.entity,
                                       row.entity_id, row.before, row.after, row.occurred_at)
                if chain_hash(prev, record) != row.hash:
                    return ChainReport(count, False, row.id, "its content does not match its hash")
                prev = row.hash
            after_id = rows[-1].id
        head = session.execute(text("SELECT last_hash FROM audit_chain_heads")).scalar_one_or_none()
        if head is not None and head != prev:
            return ChainReport(count, False, None, "the newest records were removed")
        return ChainReport(count, True)
