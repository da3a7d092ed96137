"""Nothing happens twice: a write sent again with the same submission key returns the first result.

A form makes a key when it is shown (``dashboards.widgets``); an API client sends one in the ``Idempotency-Key``
header. The key is claimed in the ``submissions`` table (migration 0016) in the same transaction as the write:

- the first submission claims the key, acts, and stores what it wrote (``result``) with the claim;
- a second submission with the same key (a double click, a retry after a dropped connection) finds the claim and
  gets the stored result without acting again. When the two arrive at the same moment, the second one's claim
  waits for the first transaction: after its commit it finds the claim, after its rollback (the write was
  refused) it claims the key itself, so a failed submission can be sent again;
- the same key sent for another action, by someone else, or with different values is refused.

No service needs to know: the caller opens a :func:`submitting` block (a form's action, an API request with an
``Idempotency-Key``) and every unit of work opened inside takes part (``UnitOfWork`` calls the hooks below). The
first one to write claims the key in its own transaction, just before its first write (:func:`_claim_pending`), and
stores what it wrote at commit; a unit of work that opens after the key was claimed raises :class:`AlreadyDone`
before it reads anything (:func:`_check_pending`); one that raced the first waits at its claim for the first to end,
then raises :class:`AlreadyDone`; one refused meanwhile (its order already moved by the twin) reports
:class:`AlreadyDone` rather than the refusal (:func:`refuse_as_repeat`). Payments and refunds keep their own
idempotency keys as well (the payment provider needs them).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    ForeignKey,
    Index,
    String,
    UniqueConstraint,
    event,
    func,
    select,
    text,
    type_coerce,
    update,
)
from sqlalchemy.dialects.postgresql import JSONB, insert
from sqlalchemy.orm import Mapped, mapped_column

from ops_db.i18n import N_
from ops_db.kit.base import Base, IdMixin, fk
from ops_db.kit.errors import Conflict, RepairOpsError, ValidationError
from ops_db.kit.uow import UnitOfWork, _jsonable

KEY_LIMIT = 128


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


class AlreadyDone(RepairOpsError):
    """A submission sent again after its first sending was carried out: nothing was done this time.

    ``result`` is what the first one stored (the records it wrote, and for the API the first response)."""

    def __init__(self, result: Mapping[str, Any] | None = None) -> None:
        super().__init__(N_("That was already done; it was not done a second time."))
        self.result: dict[str, Any] = dict(result or {})


@dataclass
class Pending:
    """The submission key of the form action or API request being carried out, until a unit of work claims it."""

    key: str
    action: str
    fingerprint: str = ""
    claimed_by: int | None = None  # the company whose unit of work claimed it


_PENDING: ContextVar[Pending | None] = ContextVar("repairops_pending_submission", default=None)


@contextmanager
def submitting(key: str | None, action: str, fingerprint: str = "") -> Iterator[Pending | None]:
    """Carry out one submission: the units of work opened inside share ``key`` (the first to commit claims it).
    Without a key (an API call that sent none) nothing is claimed."""
    key = submission_key(key)
    pending = Pending(key, action[:64], fingerprint) if key is not None else None
    token = _PENDING.set(pending)
    try:
        yield pending
    finally:
        _PENDING.reset(token)


def pending() -> Pending | None:
    """The submission being carried out in this context and not claimed yet, if any."""
    current = _PENDING.get()
    return current if current is not None and current.claimed_by is None else None


def _check_pending(uow: UnitOfWork) -> None:
    """Raise :class:`AlreadyDone` when the pending submission's key was already claimed by a true twin."""
    current = pending()
    if current is None:
        return
    earlier = uow.session.execute(select(Submission).where(Submission.key == current.key)).scalar_one_or_none()
    # Only a true repeat stops here: a unit of work of someone else (the sign-in check of an API request runs as the
    # system) reads on, and a reuse of the key for something else is refused when it would write.
    if earlier is not None and isinstance(repeat := _repeat_of(uow, earlier, current), AlreadyDone):
        raise repeat


def open_submission(uow: UnitOfWork) -> None:
    """As a unit of work opens inside a submission: stop a repeat before it reads anything, and claim the key just
    before the first write reaches the database (a twin's claim is waited for there, before any other lock)."""
    if pending() is None:
        return
    _check_pending(uow)
    event.listen(uow.session, "before_flush", lambda _session, _context, _objects: _claim_pending(uow))


def _claim_pending(uow: UnitOfWork) -> None:
    """Claim the pending submission's key in this transaction (once); raise :class:`AlreadyDone` (the caller rolls
    back) when a twin committed it first, or :class:`KeyReused` when the key was used for something else."""
    current = pending()
    if current is None or uow.claimed_submission:
        return
    actor = uow.actor
    inserted = (
        uow.session.connection()
        .execute(
            insert(Submission)
            .values(
                tenant_id=actor.tenant_id,
                key=current.key,
                action=current.action,
                fingerprint=current.fingerprint,
                user_id=actor.user_id,
                customer_id=actor.customer_id,
            )
            .on_conflict_do_nothing(index_elements=["tenant_id", "key"])
            .returning(Submission.id)
        )
        .scalar_one_or_none()
    )
    if inserted is None:
        earlier = uow.session.execute(select(Submission).where(Submission.key == current.key)).scalar_one_or_none()
        raise _repeat_of(uow, earlier, current)
    uow.claimed_submission = True


def close_submission(uow: UnitOfWork, wrote: list[dict[str, Any]]) -> None:
    """At commit: claim the key if no write flushed yet (statements that bypass the session's flush), and store
    what this transaction wrote (the audit's records) as the submission's result."""
    if pending() is None:
        return
    _claim_pending(uow)
    uow.session.execute(update(Submission).where(Submission.key == _pending_key()).values(result={"wrote": wrote}))


def _pending_key() -> str:
    """The key of the submission being carried out."""
    current = pending()
    assert current is not None, "no submission is being carried out"
    return current.key


def refuse_as_repeat(uow: UnitOfWork, refusal: BaseException) -> None:
    """After a unit of work inside a submission failed: when a twin of the submission committed meanwhile (the
    refusal was only that the work is done, such as an order already moved), raise :class:`AlreadyDone` instead."""
    if pending() is None or isinstance(refusal, AlreadyDone | KeyReused):
        return
    fresh = UnitOfWork(uow.engine, uow.actor)
    try:
        with fresh:  # opening it checks for the twin (_check_pending) and raises AlreadyDone if there is one
            pass
    except AlreadyDone as done:
        raise done from refusal


def claimed(uow: UnitOfWork) -> None:
    """Note that the pending submission is claimed (its unit of work committed): later units of work in the same
    submission act freely."""
    current = _PENDING.get()
    if current is not None and current.claimed_by is None:
        current.claimed_by = uow.actor.tenant_id


class KeyReused(Conflict):
    """The submission key was already used for another action, by someone else, or with other values."""

    def __init__(self) -> None:
        super().__init__(N_("That submission key was already used for something else."))


def _repeat_of(uow: UnitOfWork, earlier: Submission | None, current: Pending) -> RepairOpsError:
    """:class:`AlreadyDone` for a true repeat; :class:`KeyReused` when the key was used for something else."""
    if (
        earlier is None
        or earlier.action != current.action
        or earlier.fingerprint != current.fingerprint
        or earlier.user_id != uow.actor.user_id
    ):
        return KeyReused()
    return AlreadyDone(earlier.result)


def remember_response(uow: UnitOfWork, key: str, response: Mapping[str, Any]) -> None:
    """Store the first response to an API request with ``key``, so a repeat gets the same answer."""
    with uow:
        uow.session.execute(
            update(Submission)
            .where(Submission.key == key)
            .values(result=Submission.result.op("||")(type_coerce({"response": _jsonable(dict(response))}, JSONB)))
        )
        uow.commit()
