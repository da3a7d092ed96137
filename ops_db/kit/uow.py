"""The acting user and the unit of work every service runs in.

A service receives a :class:`UnitOfWork` already bound to an :class:`Actor`. It opens it
(``with uow:``), checks the actor's permission, loads rows, changes them, records audit entries
and notifications through the same unit of work, and calls ``uow.commit()``. Leaving the block
without committing rolls everything back, so a failed call leaves nothing half-written.
Database errors (an exclusion or CHECK constraint, a row-level-security refusal, a serialisation
failure) are translated into the typed errors of :mod:`ops_db.kit.errors` on the way out.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal
from enum import Enum
from types import TracebackType
from typing import Any, Self, TypeVar

from sqlalchemy import Engine, event, text
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from sqlalchemy.orm import Session

from ops_db.i18n import N_
from ops_db.kit.errors import (
    Conflict,
    DatabaseUnavailable,
    NotFound,
    PermissionDenied,
    RepairOpsError,
    ValidationError,
    Verbatim,
    not_found,
)
from ops_db.kit.events import DomainEvent, handlers_of
from ops_db.kit.permissions import PERMISSIONS, PUBLIC_PERMISSIONS

NO_TECHNICIAN = 0  # ids start at 1: no technician's jobs
Row = TypeVar("Row")


@dataclass(frozen=True)
class Actor:
    """Who is acting: a staff user, a customer login, the public portal, or the system itself."""

    tenant_id: int
    user_id: int | None
    label: str
    permissions: frozenset[str]
    roles: frozenset[str] = frozenset()
    customer_id: int | None = None
    technician_id: int | None = None
    locale: str | None = None  # the person's own language (None: the company's)
    # Signed in with the right password at a company that requires a second factor this person has not set up
    # yet: no permissions until they have (see identity.authenticate).
    second_factor_pending: bool = False
    # The sign-in session this person acts in (``auth_sessions.id``); None for the system, the portal and actors
    # built without signing in. Sign-out ends it; the web app re-checks it on every rerun.
    session_id: str | None = None

    @classmethod
    def system(cls, tenant_id: int, label: str = "system") -> Actor:
        """The system itself (schedules, pipelines, the demo): every permission, no user."""
        return cls(tenant_id, None, label, frozenset(PERMISSIONS), frozenset({"system"}))

    @classmethod
    def public(cls, tenant_id: int) -> Actor:
        """An anonymous visitor of the customer portal."""
        return cls(tenant_id, None, "public portal", PUBLIC_PERMISSIONS, frozenset({"public"}))

    @property
    def is_customer(self) -> bool:
        """Whether this is a customer login (row-level security narrows it to the customer's rows)."""
        return self.customer_id is not None

    @property
    def is_technician_only(self) -> bool:
        """A login whose only role is technician sees only the orders and customers of its own jobs (none while
        it is not linked to a technician record)."""
        return "technician" in self.roles and self.roles <= {"technician"}

    @property
    def own_technician(self) -> int:
        """The technician whose jobs a technician-only login sees; :data:`NO_TECHNICIAN` when it is not linked
        to one (so a filter on it matches nothing, where ``None`` would match every unassigned order)."""
        return self.technician_id if self.technician_id is not None else NO_TECHNICIAN

    def can(self, permission: str) -> bool:
        """Whether the actor holds ``permission``."""
        return permission in self.permissions

    def require(self, permission: str) -> None:
        """Raise :class:`PermissionDenied` unless the actor holds ``permission``."""
        if permission not in self.permissions:
            area, _, action = permission.partition(".")
            # The permission's own words (orders, edit lines) stay as they are: they name a code, not a thing.
            raise PermissionDenied(
                "You are not allowed to {action} {area}.",
                action=Verbatim(action.replace("_", " ")),
                area=Verbatim(area),
            )


@dataclass
class _AuditEntry:
    action: str
    entity: str
    entity_id: int | None
    before: dict[str, Any] | None
    after: dict[str, Any] | None


@dataclass
class UnitOfWork:
    """One database transaction for one service call, scoped to the actor's tenant (and customer)."""

    engine: Engine
    actor: Actor
    # Read only, in one snapshot (REPEATABLE READ): every statement sees the database as the first one did, so a
    # long read such as the whole audit chain and its head is never torn by writers committing meanwhile.
    snapshot: bool = False
    _session: Session | None = field(default=None, init=False, repr=False)
    _audit: list[_AuditEntry] = field(default_factory=list, init=False, repr=False)
    _committed: bool = field(default=False, init=False, repr=False)
    # Whether this transaction holds the claim of the submission being carried out (ops_db.kit.idempotency).
    claimed_submission: bool = field(default=False, init=False, repr=False)

    @property
    def session(self) -> Session:
        """The open session; only valid inside ``with uow:``."""
        if self._session is None:
            raise RuntimeError("the unit of work is not open; use `with uow:`")
        return self._session

    def __enter__(self) -> Self:
        if self._session is not None:
            raise RuntimeError("the unit of work is already open")
        import ops_db.models  # noqa: F401  (every mapper must be known before the first query; import is cached)

        self._session = Session(self.engine, expire_on_commit=False, autoflush=True)
        self._session.begin()
        if self.snapshot:
            self._session.connection(
                execution_options={"isolation_level": "REPEATABLE READ", "postgresql_readonly": True}
            )
        self._audit = []
        self._committed = False
        actor = self.actor
        technician = actor.own_technician if actor.is_technician_only else None
        self._session.execute(
            text(
                "SELECT set_config('app.tenant_id', :t, true), set_config('app.customer_id', :c, true),"
                " set_config('app.user_id', :u, true), set_config('app.technician_id', :k, true)"
            ),
            {"t": str(actor.tenant_id), "c": _opt(actor.customer_id), "u": _opt(actor.user_id), "k": _opt(technician)},
        )
        self.claimed_submission = False
        if not self.snapshot:
            self._refuse_a_repeat()
        return self

    def _refuse_a_repeat(self) -> None:
        """Raise ``AlreadyDone`` (and close) when the submission being carried out was already carried out;
        otherwise claim it at the first write."""
        from ops_db.kit import idempotency  # (it builds on this module)

        try:
            idempotency.open_submission(self)
        except BaseException:
            session, self._session = self._session, None
            if session is not None:
                session.rollback()
                session.close()
            raise

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        session, self._session = self._session, None
        if session is not None:
            try:
                if not self._committed:
                    # Read-only calls (and idempotent replays) return loaded objects; detach them first
                    # so the rollback does not expire what the caller is about to read.
                    if exc is None:
                        session.expunge_all()
                    session.rollback()
            finally:
                session.close()
        if isinstance(exc, RepairOpsError | DBAPIError) and not self.snapshot:
            from ops_db.kit import idempotency  # (it builds on this module)

            # Refused because a twin of this submission committed meanwhile (a stage already moved): say it is done.
            idempotency.refuse_as_repeat(self, exc)
        if isinstance(exc, DBAPIError):
            raise translate_db_error(exc) from exc

    def get(self, model: type[Row], key: int | None, *, lock: bool = False) -> Row:
        """The ``model`` row with id ``key``, locked ``FOR UPDATE`` until the transaction ends when ``lock``.

        Raises :class:`NotFound` with the model's ``not_found`` sentence when there is no such row, when ``key`` is
        None (no id given), or when row-level security hides it: another company's row reads like one that does
        not exist.
        """
        row = self.session.get(model, key, with_for_update=lock) if key is not None else None
        if row is None:
            raise not_found(model, key)
        return row

    def now(self) -> datetime:
        """The transaction's clock (UTC); every row a service call writes shares it."""
        value: datetime = self.session.execute(text("SELECT now()")).scalar_one()
        assert isinstance(value, datetime)
        return value.astimezone(UTC)

    def audit(
        self,
        action: str,
        entity: str,
        entity_id: int | None,
        *,
        before: dict[str, Any] | None = None,
        after: dict[str, Any] | None = None,
    ) -> None:
        """Record that this call changed ``entity`` (written, hash-chained, when the unit commits)."""
        self._audit.append(_AuditEntry(action, entity, entity_id, _jsonable(before), _jsonable(after)))

    def flush(self) -> None:
        """Send pending changes to the database (so ids exist and constraints fire now)."""
        self.session.flush()

    def on_commit(self, action: Callable[[], object], *, undo: Callable[[], object]) -> None:
        """Run ``action`` once this transaction has committed, or ``undo`` when it rolls back instead: for what
        lives beside the rows (a file moved into place only when its row exists). ``undo`` must be harmless
        after ``action`` (a later rollback of an idle transaction still calls it)."""
        event.listen(self.session, "after_commit", lambda _session: action(), once=True)
        event.listen(self.session, "after_rollback", lambda _session: undo(), once=True)

    def publish(self, happened: DomainEvent) -> None:
        """Tell the areas subscribed to ``happened`` (``ops_db.wiring``) what happened: each reacts now, in this
        transaction, so what it writes commits or rolls back with this call, and its refusal refuses the call."""
        if self._session is None:
            raise RuntimeError("the unit of work is not open; publish inside `with uow:`")
        for handler in handlers_of(happened):
            handler(self, happened)

    def commit(self) -> None:
        """Append the audit records to the tenant's hash chain and commit the transaction."""
        from ops_db.kit import idempotency  # (it builds on this module)

        self.session.flush()
        # The form's or request's submission key is claimed in this very transaction (nothing happens twice).
        wrote = [{"action": e.action, "entity": e.entity, "entity_id": e.entity_id} for e in self._audit]
        idempotency.close_submission(self, wrote)
        self._append_audit()
        self.session.commit()
        self._committed = True
        idempotency.claimed(self)

    def _append_audit(self) -> None:
        if not self._audit:
            return
        # One statement per commit. The database locks the company's chain head, hashes each entry onto it and
        # moves the head itself (repairops_audit_append, migration 0014): the application role may not write
        # audit rows or the head directly, so it can never choose a hash. Company and time come from the
        # transaction (app.tenant_id, now()), as for every other row this unit writes.
        entries = [
            {"action": e.action, "entity": e.entity, "entity_id": e.entity_id, "before": e.before, "after": e.after}
            for e in self._audit
        ]
        self.session.execute(
            text("SELECT repairops_audit_append(:user, :label, CAST(:entries AS jsonb))"),
            {
                "user": self.actor.user_id,
                "label": self.actor.label,
                "entries": json.dumps(entries, sort_keys=True, ensure_ascii=False),
            },
        )
        self._audit = []


def _opt(value: int | None) -> str:
    return "" if value is None else str(value)


def _jsonable(value: Any) -> Any:
    """Plain JSON values that survive a round trip through jsonb unchanged (money as strings)."""
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [_jsonable(v) for v in value]
    if isinstance(value, Enum):
        return _jsonable(value.value)
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat(timespec="microseconds") if value.tzinfo else value.isoformat()
    if isinstance(value, Decimal | float | date):
        return str(value)
    return str(value)


# Friendly sentences for the constraints people run into; anything else gets a generic sentence.
CONSTRAINT_MESSAGES: dict[str, tuple[type[RepairOpsError], str]] = {
    "ex_bookings_no_overlap": (Conflict, N_("The technician is already booked at that time.")),
    "ck_stock_levels_quantity_nonnegative": (Conflict, N_("There is not enough stock for that.")),
    "ck_stock_levels_reserved_within_quantity": (Conflict, N_("There is not enough free stock for that.")),
    "ck_payments_refunds_within_amount": (Conflict, N_("A refund cannot exceed what was paid.")),
    "uq_payments_tenant_id": (Conflict, N_("That payment was already recorded.")),
    "uq_service_orders_tenant_id": (Conflict, N_("That order number is already taken.")),
    "uq_users_tenant_email": (Conflict, N_("A user with that email already exists.")),
    "uq_customers_tenant_email": (Conflict, N_("A customer with that email already exists.")),
    "ck_service_requests_has_contact": (ValidationError, N_("Give an email address or a phone number.")),
    "ck_service_requests_problem_length": (ValidationError, N_("Describe the problem in 1 to 10,000 characters.")),
    # Business limits (migration 0012, ops_db.kit.bounds): the services say it first, in more words.
    "ck_stock_levels_within_limit": (Conflict, N_("A location can hold at most 1,000,000 of one part.")),
    "ck_order_lines_order_total_within_limit": (
        ValidationError,
        N_("An order can come to at most 10,000,000.00 before tax."),
    ),
}

_SQLSTATE_MESSAGES: dict[str, tuple[type[RepairOpsError], str]] = {
    "40001": (Conflict, N_("Someone else changed this at the same moment; try again.")),
    "40P01": (Conflict, N_("Someone else changed this at the same moment; try again.")),
    "55P03": (Conflict, N_("This record is being changed by someone else; try again.")),
    "42501": (PermissionDenied, N_("You are not allowed to change that record.")),
    "22001": (ValidationError, N_("A value is too long.")),
    "22003": (ValidationError, N_("A number is out of range.")),
    "22P02": (ValidationError, N_("A value has the wrong format.")),
    "22P05": (ValidationError, N_("A text contains a character that cannot be stored.")),
    "22008": (ValidationError, N_("A date or time is out of range.")),
    "23502": (ValidationError, N_("A required value is missing.")),
    "23503": (NotFound, N_("A referenced record does not exist.")),
    "23505": (Conflict, N_("That record already exists.")),
    "23514": (ValidationError, N_("A value breaks one of the business rules.")),
    "23P01": (Conflict, N_("That clashes with an existing record.")),
}


NUL_REFUSED = "cannot contain NUL (0x00)"
# Connection failures, the server shutting down or starting up, too many connections.
_UNREACHABLE_STATES = ("08", "57P01", "57P02", "57P03", "53300")


def _unreachable(error: DBAPIError) -> bool:
    """Whether the error says the database cannot be reached (rather than refusing what was asked)."""
    state = getattr(error.orig, "sqlstate", None) or ""
    if error.connection_invalidated or state.startswith(_UNREACHABLE_STATES):
        return True
    # A connection that could not be opened has no SQLSTATE at all.
    return not state and isinstance(error, OperationalError | InterfaceError)


def translate_db_error(error: DBAPIError) -> RepairOpsError:
    """Turn a database error into the typed error a person can read."""
    orig = error.orig
    if _unreachable(error):
        return DatabaseUnavailable("The database cannot be reached; try again in a minute.")
    if NUL_REFUSED in str(orig):  # psycopg refuses it before sending: Postgres text cannot hold NUL
        return ValidationError("A text contains a NUL character, which cannot be stored.")
    diag = getattr(orig, "diag", None)
    constraint = getattr(diag, "constraint_name", None)
    if constraint:
        for name, (kind, message) in CONSTRAINT_MESSAGES.items():
            if constraint.startswith(name):
                return kind(message)
    state = getattr(orig, "sqlstate", None) or ""
    if state in _SQLSTATE_MESSAGES:
        kind, message = _SQLSTATE_MESSAGES[state]
        if state == "23514" and constraint:
            return kind(N_("A value breaks the rule {rule}."), rule=constraint.removeprefix("ck_"))
        return kind(message)
    return RepairOpsError("The database refused the change.")
