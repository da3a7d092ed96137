"""Nothing happens twice: a write sent again with the same submission key returns the first result.

A form makes a key when it is shown (``dashboards.widgets``); an API client sends one in the ``Idempotency-Key``
header. The service passes it to :func:`once` inside its unit of work, before it changes anything. :func:`once`
claims the key in the ``submissions`` table (migration 0016) in the same transaction as the write itself:

- the first submission inserts the claim, acts, and stores what it made (``result``, a few ids) with the claim;
- a second submission with the same key (a double click, a retry after a dropped connection) finds the claim and
  returns the stored result without acting again. When the two arrive at the same moment, the second one's
  insert waits for the first transaction: after its commit it reads the claim, after its rollback (the write was
  refused) it claims the key itself, so a failed submission can be sent again;
- the same key sent for another action, by someone else, or with different values is refused.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    ForeignKey,
    Index,
    String,
    UniqueConstraint,
    delete,
    func,
    select,
    text,
    update,
)
from sqlalchemy.dialects.postgresql import JSONB, insert
from sqlalchemy.orm import Mapped, mapped_column

from ops_db.kit.base import Base, IdMixin, fk
from ops_db.kit.errors import Conflict, ValidationError
from ops_db.kit.uow import UnitOfWork, _jsonable

Made = TypeVar("Made")
KEY_LIMIT = 128
# Submissions older than this are forgotten (see forget_old): a key is for retries and double clicks, not a log.
KEEP_DAYS = 30


class Submission(IdMixin, Base):
    """A key a write was sent with, the action it was for, a fingerprint of what was asked and the first result."""

    __tablename__ = "submissions"

    tenant_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("tenants.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(String(KEY_LIMIT))
    action: Mapped[str] = mapped_column(String(64))
    fingerprint: Mapped[str] = mapped_column(String(64))
    user_id: Mapped[int | None] = fk("users.id", nullable=True, ondelete="CASCADE", index=False)
    customer_id: Mapped[int | None] = fk("customers.id", nullable=True, ondelete="CASCADE", index=False)
    result: Mapped[dict[str, Any]] = mapped_column(JSONB, server_default=text("'{}'::jsonb"))
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())

    __table_args__ = (
        UniqueConstraint("tenant_id", "key"),
        CheckConstraint("key <> ''", name="key_not_empty"),
        Index("ix_submissions_tenant_id_created_at", "tenant_id", "created_at"),
    )


def submission_key(value: str | None) -> str | None:
    """A submission key as given (surrounding spaces dropped), None when there is none; refuses one that is too
    long to store."""
    if value is None or not value.strip():
        return None
    key = value.strip()
    if len(key) > KEY_LIMIT:
        raise ValidationError("Give an idempotency key of 1 to {limit} characters.", limit=KEY_LIMIT)
    return key


def fingerprint(asked: Mapping[str, Any]) -> str:
    """A stable digest of what a submission asked for (money and dates as text), to tell a repeat from a reuse."""
    canonical = json.dumps(_jsonable(dict(asked)), sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


def once(
    uow: UnitOfWork,
    key: str | None,
    action: str,
    asked: Mapping[str, Any],
    act: Callable[[], Made],
    *,
    remember: Callable[[Made], Mapping[str, Any]],
    recall: Callable[[Mapping[str, Any]], Made],
) -> Made:
    """Run ``act`` once per ``key`` (inside an open unit of work, before anything is written): the first time it
    acts and stores ``remember(result)`` with the key; a repeat returns ``recall(stored)`` instead. Without a key
    it simply acts."""
    key = submission_key(key)
    if key is None:
        return act()
    digest = fingerprint(asked)
    claimed = _claim(uow, key, action, digest)
    if claimed is not None:
        return recall(_earlier(uow, claimed, action, digest))
    made = act()
    uow.flush()
    uow.session.execute(update(Submission).where(Submission.key == key).values(result=_jsonable(dict(remember(made)))))
    return made


def _claim(uow: UnitOfWork, key: str, action: str, digest: str) -> str | None:
    """Insert the claim for ``key``; None when it is ours now, else the key (someone claimed it first)."""
    actor = uow.actor
    inserted = uow.session.execute(
        insert(Submission)
        .values(
            tenant_id=actor.tenant_id,
            key=key,
            action=action,
            fingerprint=digest,
            user_id=actor.user_id,
            customer_id=actor.customer_id,
        )
        .on_conflict_do_nothing(index_elements=["tenant_id", "key"])
        .returning(Submission.id)
    ).scalar_one_or_none()
    return None if inserted is not None else key


def _earlier(uow: UnitOfWork, key: str, action: str, digest: str) -> dict[str, Any]:
    """The stored result of the earlier submission with ``key``, after checking it was the same request."""
    earlier = uow.session.execute(select(Submission).where(Submission.key == key)).scalar_one_or_none()
    if (
        earlier is None  # another customer's key: row-level security hides it
        or earlier.action != action
        or earlier.fingerprint != digest
        or earlier.user_id != uow.actor.user_id
    ):
        raise Conflict("That submission key was already used for something else.")
    return dict(earlier.result)


def forget_old(uow: UnitOfWork, before: datetime) -> int:
    """Forget the company's submissions made before ``before``; returns how many (for a nightly clean-up)."""
    done = uow.session.execute(delete(Submission).where(Submission.created_at < before).returning(Submission.id))
    return len(done.all())
