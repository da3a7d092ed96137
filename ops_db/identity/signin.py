"""Signing in: email, password and second factor checked with the same work for every account, failures
throttled per account and per address in the database, and the session opened (``identity.sessions``)."""

from __future__ import annotations

import ipaddress
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import Engine, func, select, text, tuple_

from ops_db.i18n import N_
from ops_db.identity.actors import AuthenticationFailed, SignIn, load_actor
from ops_db.identity.models import LoginAttempt, SignInThrottle, Tenant, User
from ops_db.identity.passwords import _check_password
from ops_db.identity.sessions import open_session
from ops_db.identity.totp import _check_second_factor
from ops_db.kit import bounds
from ops_db.kit.errors import Verbatim
from ops_db.kit.uow import Actor, UnitOfWork

LOCKOUT = timedelta(minutes=15)


def authenticate(
    engine: Engine,
    tenant_id: int,
    email: str,
    password: str,
    totp_code: str | None = None,
    *,
    ip_address: str | None = None,
    user_agent: str | None = None,
    allow_enrolment: bool = False,
    clock: Callable[[], datetime] | None = None,
) -> SignIn:
    """Check email, password and (when required) a TOTP code, slowing down repeated failures.

    Unknown, inactive and known accounts get the same refusal after the same work (one argon2 verification), and
    failures are counted per account, per client address and per account from one address, in the database
    (``sign_in_throttles``): a key past its free failures is refused for a while without any password being
    checked (:class:`SignInThrottled`). The owner is not held back by what strangers do to the account from other
    addresses: the account's own counter does not apply at an address it has signed in from before. ``clock``
    replaces the database's clock (tests).

    When the company requires a second factor and this person has none yet, ``allow_enrolment`` (the web app)
    lets the right password through as an actor who may do nothing but set one up
    (``second_factor_pending``, no permissions, no API token); the API refuses instead."""
    email = (email or "").strip().lower()
    address = _address_key(ip_address)
    logged = email.replace(bounds.NUL, "")[:254]  # Postgres text cannot hold NUL; such an email is no account
    failure: str | None = None
    user_id: int | None = None
    blocked_until: datetime | None = None
    uow = UnitOfWork(engine, Actor.system(tenant_id, "sign-in"))
    with uow:
        session = uow.session
        tenant = session.get(Tenant, tenant_id)
        if tenant is None or not tenant.is_active:
            raise AuthenticationFailed("That company does not exist.")
        zone = ZoneInfo(tenant.time_zone)
        now = clock() if clock is not None else uow.now()
        counters = _lock_counters(uow, _throttle_keys(logged, address, tenant.max_failed_logins), now)
        if _signed_in_from(uow, logged, address, now):  # the owner's own address: strangers elsewhere
            counters = [c for c in counters if c.row.address]  # do not hold them back
        blocked_until = max(
            (c.row.blocked_until for c in counters if c.row.blocked_until is not None and c.row.blocked_until > now),
            default=None,
        )
        user: User | None = None
        if blocked_until is not None:
            failure = "throttled"  # refused before any password is checked, whoever the account is
        else:
            user = _sign_in_user(uow, email)
            failure = _check_password(user, password, now)
            if failure is None:
                assert user is not None
                user_id = user.id
                failure = _check_second_factor(uow, tenant, user, totp_code)
            if failure in COUNTED_FAILURES:
                for counter in counters:
                    counter.fail(now)
                if user is not None and failure in ("bad_password", "bad_totp"):
                    user.failed_logins = min(user.failed_logins + 1, 32767)
                _forget_old_counters(uow, now)
            elif failure is None:
                assert user is not None
                for counter in counters:
                    counter.forgive()
                user.failed_logins = 0
                user.last_login_at = now
        session.add(
            LoginAttempt(
                tenant_id=tenant_id,
                user_id=user.id if user else None,
                email=logged,
                succeeded=failure is None,
                reason=failure,
                ip_address=None if address == UNKNOWN_ADDRESS else address,
                user_agent=(user_agent or "").replace(bounds.NUL, "")[:500] or None,
                attempted_at=now,
            )
        )
        uow.commit()
    if blocked_until is not None:
        # The company's clock, as everywhere people read a time (the sign-in page belongs to one company).
        raise SignInThrottled(
            "Too many failed sign-ins; try again after {time}.",
            time=Verbatim(blocked_until.astimezone(zone).strftime("%H:%M:%S")),
        )
    if failure == "totp_required":
        raise AuthenticationFailed("Enter the 6-digit code from your authenticator app.")
    if failure == "totp_setup_required":
        if allow_enrolment and user_id is not None:
            full = load_actor(engine, tenant_id, user_id)
            return open_session(
                engine, replace(full, permissions=frozenset(), roles=frozenset(), second_factor_pending=True)
            )
        raise AuthenticationFailed(
            "Your company requires a second sign-in step; sign in to the web app and set up "
            "an authenticator app on My settings first."
        )
    if failure is not None:
        raise AuthenticationFailed(NOT_CORRECT)
    assert user_id is not None
    actor = load_actor(engine, tenant_id, user_id)
    return open_session(engine, actor)


NOT_CORRECT = N_("The email, password or code is not correct.")


# Failures that count towards the throttle: every refusal a guesser could learn from, unknown accounts included.
COUNTED_FAILURES = ("unknown_user", "inactive", "locked", "bad_password", "bad_totp")


THROTTLE_WINDOW = timedelta(hours=1)  # a key's failures are forgotten after an hour without one


FIRST_DELAY = timedelta(seconds=30)  # past the free failures: 30 s, then twice as long after each one


LONGEST_DELAY = timedelta(minutes=15)


KNOWN_ADDRESS_FOR = timedelta(days=90)  # an address an account signed in from this recently is the owner's


UNKNOWN_ADDRESS = "unknown"  # callers that cannot tell the address share one key


class SignInThrottled(AuthenticationFailed):
    """Too many failed sign-ins for this account or from this address; nothing was checked (the API's 429)."""

    code = "rate_limited"


@dataclass(frozen=True)
class ThrottleKey:
    """One counter of failed sign-ins: an account (``email``), an ``address``, or both; ``free`` failures before
    attempts are refused."""

    email: str
    address: str
    free: int


def _address_key(ip_address: str | None) -> str:
    value = (ip_address or "").strip()[:64]
    return value if value and bounds.NUL not in value else UNKNOWN_ADDRESS


def _throttle_keys(email: str, address: str, max_failed_logins: int) -> list[ThrottleKey]:
    """The account, the address, and the account from this address; the company's ``max_failed_logins`` free
    failures for a person at one address, more for an account from anywhere and for an address shared by many.
    An address that stands for everyone (unknown, or loopback: a local proxy nobody configured as trusted) gets
    no counter of its own, or one stranger could slow down everybody's sign-in."""
    email = email or "?"
    keys = [ThrottleKey(email, "", 2 * max_failed_logins), ThrottleKey(email, address, max_failed_logins)]
    if not _shared_by_everyone(address):
        keys.append(ThrottleKey("", address, 4 * max_failed_logins))
    return keys


def _shared_by_everyone(address: str) -> bool:
    try:
        return address == UNKNOWN_ADDRESS or ipaddress.ip_address(address).is_loopback
    except ValueError:
        return False


@dataclass
class _Counter:
    """A locked ``sign_in_throttles`` row and how many failures it lets through before refusing."""

    row: SignInThrottle
    free: int

    def blocked(self, now: datetime) -> bool:
        """Whether attempts on this key are refused at ``now``."""
        return self.row.blocked_until is not None and self.row.blocked_until > now

    def fail(self, now: datetime) -> None:
        """One more failure; past the free ones, refuse the key for twice as long as the last time."""
        self.row.failures += 1
        self.row.last_failure_at = now
        beyond = self.row.failures - self.free
        if beyond >= 0:
            self.row.blocked_until = now + min(LONGEST_DELAY, FIRST_DELAY * 2 ** min(beyond, 16))

    def forgive(self) -> None:
        """A right password clears the person's own counter at this address; the account's and the address's
        keep counting until an hour passes without a failure (a stranger's guesses elsewhere, a shared address's
        other people)."""
        if self.row.email and self.row.address:
            self.row.failures, self.row.blocked_until = 0, None


def _lock_counters(uow: UnitOfWork, keys: list[ThrottleKey], now: datetime) -> list[_Counter]:
    """The keys' counters, locked in one order until the attempt is recorded (parallel guesses queue, so each
    sees the failures before it); a key with no failure for an hour starts again. Waiting out each refusal
    does not reset a key, so a patient guesser stays at the longest delay."""
    session, tenant = uow.session, uow.actor.tenant_id
    for key in keys:
        session.execute(
            text(
                "INSERT INTO sign_in_throttles (tenant_id, email, address, last_failure_at)"
                " VALUES (:t, :e, :a, :now) ON CONFLICT DO NOTHING"
            ),
            {"t": tenant, "e": key.email, "a": key.address, "now": now},
        )
    rows = session.execute(
        select(SignInThrottle)
        .where(
            SignInThrottle.tenant_id == tenant,
            tuple_(SignInThrottle.email, SignInThrottle.address).in_([(k.email, k.address) for k in keys]),
        )
        .order_by(SignInThrottle.email, SignInThrottle.address)
        .with_for_update()
    ).scalars()
    free = {(k.email, k.address): k.free for k in keys}
    counters = [_Counter(row, free[(row.email, row.address)]) for row in rows]
    for counter in counters:
        row = counter.row
        if now - row.last_failure_at > THROTTLE_WINDOW and not counter.blocked(now):
            row.failures, row.blocked_until = 0, None
    return counters


def _forget_old_counters(uow: UnitOfWork, now: datetime) -> None:
    """Drop a few counters idle for a day (rotating addresses must not grow the table without end); rows another
    sign-in holds are skipped, never waited for."""
    uow.flush()
    uow.session.execute(
        text(
            "DELETE FROM sign_in_throttles WHERE (tenant_id, email, address) IN (SELECT tenant_id, email, address"
            " FROM sign_in_throttles WHERE tenant_id = :t AND last_failure_at < :old"
            " AND (blocked_until IS NULL OR blocked_until < :now) LIMIT 100 FOR UPDATE SKIP LOCKED)"
        ),
        {"t": uow.actor.tenant_id, "old": now - timedelta(days=1), "now": now},
    )


def _signed_in_from(uow: UnitOfWork, email: str, address: str, now: datetime) -> bool:
    """Whether this account signed in from this address lately (then it is its owner's, or one they share)."""
    if address == UNKNOWN_ADDRESS:
        return False
    return (
        uow.session.execute(
            select(LoginAttempt.id)
            .where(
                LoginAttempt.email == email,
                LoginAttempt.ip_address == address,
                LoginAttempt.succeeded,
                LoginAttempt.attempted_at > now - KNOWN_ADDRESS_FOR,
            )
            .limit(1)
        ).first()
        is not None
    )


def _sign_in_user(uow: UnitOfWork, email: str) -> User | None:
    if not email or len(email) > 254 or bounds.NUL in email:
        return None
    return uow.session.execute(
        select(User).where(func.lower(User.email) == email).with_for_update()
    ).scalar_one_or_none()
