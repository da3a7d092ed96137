"""Sign-in (argon2 passwords, TOTP, throttling per account and address), password changes, users and roles,
and turning a login into an Actor (its session and tokens: ``identity.sessions``)."""

from __future__ import annotations

import hmac
import ipaddress
import re
import secrets
import time
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from functools import cache
from zoneinfo import ZoneInfo

import pyotp
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from cryptography.fernet import Fernet, InvalidToken
from sqlalchemy import Engine, func, select, text, tuple_

from ops_db.customers.models import Customer
from ops_db.i18n import N_, check_locale
from ops_db.identity.models import LoginAttempt, Role, RoleGrant, SignInThrottle, Tenant, TotpSecret, User
from ops_db.kit import bounds, keys
from ops_db.kit.errors import Conflict, NotFound, PermissionDenied, ValidationError, Verbatim
from ops_db.kit.uow import Actor, UnitOfWork

_hasher = PasswordHasher()
LOCKOUT = timedelta(minutes=15)
_EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]{1,190}\.[^@\s]{2,}$")


class AuthenticationFailed(PermissionDenied):
    """Sign-in refused (wrong credentials, too many failures, missing second factor)."""

    code = "authentication_failed"


def hash_password(password: str) -> str:
    """An argon2id hash of ``password`` after checking it is acceptable."""
    if not isinstance(password, str) or len(password) < 8:
        raise ValidationError("A password needs at least 8 characters.")
    if len(password) > 1024:
        raise ValidationError("A password can be at most 1,024 characters.")
    return _hasher.hash(password)


def fernet() -> Fernet:
    """The cipher for secrets kept at rest (second factors, payment keys), from the server's secret key."""
    return keys.cipher(keys.secret_key())


def resolve_tenant(engine: Engine, slug: str) -> int:
    """The id of the active tenant with ``slug`` (public portals and sign-in know only the slug)."""
    if not slug or len(slug) > 64 or bounds.NUL in slug:  # Postgres cannot even compare text holding NUL
        raise NotFound("That company does not exist.")
    with engine.connect() as conn:
        found = conn.execute(text("SELECT repairops_tenant_id(:s)"), {"s": slug}).scalar()
    if found is None:
        raise NotFound("That company does not exist.")
    return int(found)


@dataclass(frozen=True)
class SignIn:
    """A successful sign-in: the actor (bound to its session) and, for the API, a short access token, the
    session's one-use refresh token and the access token's lifetime in seconds (``identity.sessions``)."""

    actor: Actor
    token: str
    refresh_token: str = ""
    expires_in: int = 0


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
            return _open_session(
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
    return _open_session(engine, actor)


# ---- sign-in: the same work for every account, throttled per account and per address -----------------------

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


@cache
def _dummy_hash() -> str:
    """A hash no password matches, checked when there is no account, so a stranger waits exactly as long."""
    return _hasher.hash(secrets.token_urlsafe(24))


def _check_password(user: User | None, password: str, now: datetime) -> str | None:
    """Exactly one argon2 verification whoever the account is (none, switched off, locked or real), then why the
    attempt fails, or None for the right password of an account that may sign in."""
    stored = user.password_hash if user is not None and user.is_active and user.password_hash else _dummy_hash()
    right: bool
    try:
        right = _hasher.verify(stored, password or "")
    except (VerificationError, InvalidHashError):
        right = False
    if user is None or not user.password_hash:
        return "unknown_user"
    if not user.is_active:
        return "inactive"
    if user.locked_until is not None and user.locked_until > now:
        return "locked"
    return None if right else "bad_password"


def _open_session(engine: Engine, actor: Actor) -> SignIn:
    from ops_db.identity.sessions import open_session  # sessions builds on this module

    return open_session(engine, actor)


def _check_second_factor(uow: UnitOfWork, tenant: Tenant, user: User, code: str | None) -> str | None:
    secret = uow.session.get(TotpSecret, user.id)
    confirmed = secret is not None and secret.confirmed_at is not None
    if not confirmed:
        return "totp_setup_required" if tenant.require_totp else None
    assert secret is not None
    if not code:
        return "totp_required"
    return None if _accept_totp(secret, code) else "bad_totp"


def _accept_totp(secret: TotpSecret, code: str) -> bool:
    """Verify a code within one step of drift and refuse a code already used (replay)."""
    try:
        raw = fernet().decrypt(secret.secret_encrypted).decode()
    except InvalidToken:
        return False
    totp = pyotp.TOTP(raw)
    now_step = int(time.time()) // totp.interval
    # Full-width digits (a phone keyboard in CJK mode) are the same digits; anything else that is not ASCII is
    # simply a wrong code (hmac refuses to compare such text).
    code = unicodedata.normalize("NFKC", code).strip().replace(" ", "")
    if not code.isascii():
        return False
    for step in (now_step - 1, now_step, now_step + 1):
        if hmac.compare_digest(totp.generate_otp(step), code):
            if secret.last_used_step is not None and step <= secret.last_used_step:
                return False
            secret.last_used_step = step
            return True
    return False


def enroll_totp(uow: UnitOfWork) -> str:
    """Start TOTP for the acting user; returns the ``otpauth://`` URI for an authenticator app."""
    with uow:
        actor = uow.actor
        if actor.user_id is None:
            raise ValidationError("Only a signed-in person can set up a second factor.")
        user = uow.session.get(User, actor.user_id)
        assert user is not None
        raw = pyotp.random_base32()
        existing = uow.session.get(TotpSecret, user.id)
        if existing is not None and existing.confirmed_at is not None:
            raise Conflict("A second factor is already set up for this account.")
        if existing is None:
            existing = TotpSecret(tenant_id=actor.tenant_id, user_id=user.id, secret_encrypted=b"")
            uow.session.add(existing)
        existing.secret_encrypted = fernet().encrypt(raw.encode())
        existing.confirmed_at = None
        uow.audit("totp.enroll", "users", user.id)
        tenant = uow.session.get(Tenant, actor.tenant_id)
        uow.commit()
        # The authenticator app lists the account under the company's name (white label).
        return pyotp.TOTP(raw).provisioning_uri(name=user.email, issuer_name=tenant.name if tenant else "RepairOps")


def has_second_factor(uow: UnitOfWork) -> bool:
    """Whether the signed-in person's sign-in asks for an authenticator code (set up and confirmed)."""
    with uow:
        user_id = uow.actor.user_id
        if user_id is None:  # own-account actions: only a signed-in person has one
            raise ValidationError("Only a signed-in person can set up a second factor.")
        secret = uow.session.get(TotpSecret, user_id)
        return secret is not None and secret.confirmed_at is not None


def confirm_totp(uow: UnitOfWork, code: str) -> None:
    """Finish TOTP set-up by proving the authenticator app produces valid codes."""
    with uow:
        actor = uow.actor
        if actor.user_id is None:
            raise ValidationError("Only a signed-in person can set up a second factor.")
        secret = uow.session.get(TotpSecret, actor.user_id)
        if secret is None:
            raise NotFound("Start the second-factor set-up first.")
        if not _accept_totp(secret, code or ""):
            raise ValidationError("That code is not valid; check the time on your phone and try again.")
        secret.confirmed_at = uow.now()
        if actor.session_id is not None:  # the code proved the factor in this session: it survives a requirement
            uow.session.execute(
                text("UPDATE auth_sessions SET second_factor = true WHERE id = CAST(:s AS uuid)"),
                {"s": actor.session_id},
            )
        uow.audit("totp.confirm", "users", actor.user_id)
        uow.commit()


def load_actor(engine: Engine, tenant_id: int, user_id: int) -> Actor:
    """The actor for a user: their roles' permissions, and their customer or technician identity."""
    with UnitOfWork(engine, Actor.system(tenant_id, "sign-in")) as uow:
        return actor_of(uow, user_id)


def actor_of(uow: UnitOfWork, user_id: int) -> Actor:
    """The actor for a user of the unit's company, read inside an open unit of work."""
    tenant_id = uow.actor.tenant_id
    user = uow.session.get(User, user_id)
    if user is None or not user.is_active:
        raise AuthenticationFailed("This account is not active.")
    rows = uow.session.execute(
        text(
            "SELECT r.code, p.code AS perm FROM role_grants g JOIN roles r ON r.id = g.role_id"
            " LEFT JOIN role_permissions rp ON rp.role_id = r.id LEFT JOIN permissions p ON p.id = rp.permission_id"
            " WHERE g.user_id = :u"
        ),
        {"u": user_id},
    ).all()
    technician = uow.session.execute(
        text("SELECT id FROM technicians WHERE user_id = :u AND is_active"), {"u": user_id}
    ).scalar()
    return Actor(
        tenant_id=tenant_id,
        user_id=user.id,
        label=user.full_name,
        permissions=frozenset(r.perm for r in rows if r.perm),
        roles=frozenset(r.code for r in rows),
        customer_id=user.customer_id,
        technician_id=technician,
        locale=user.locale,
    )


def create_user(
    uow: UnitOfWork,
    email: str,
    full_name: str,
    password: str,
    roles: list[str],
    *,
    customer_id: int | None = None,
    phone: str | None = None,
) -> User:
    """Create a user with roles (admins manage users; a customer user is linked to its customer)."""
    with uow:
        uow.actor.require("identity.manage_users")
        email = (email or "").strip()
        if not _EMAIL.match(email):
            raise ValidationError("Give a valid email address.")
        full_name = (full_name or "").strip()
        if not full_name or len(full_name) > 200:
            raise ValidationError("Give a name of 1 to 200 characters.")
        if not roles:
            raise ValidationError("Give the user at least one role.")
        # Another company's customer is hidden by row-level security: the same sentence as one that does not exist.
        if customer_id is not None:
            uow.get(Customer, customer_id)
        user = User(
            tenant_id=uow.actor.tenant_id,
            email=email,
            full_name=full_name,
            password_hash=hash_password(password),
            customer_id=customer_id,
            phone=phone,
        )
        uow.session.add(user)
        uow.flush()
        _grant(uow, user.id, roles)
        uow.audit("user.create", "users", user.id, after={"email": email, "roles": sorted(roles)})
        uow.commit()
        return user


def grant_roles(uow: UnitOfWork, user_id: int, roles: list[str]) -> None:
    """Give a user more roles."""
    with uow:
        uow.actor.require("identity.manage_users")
        uow.get(User, user_id)
        _grant(uow, user_id, roles)
        uow.audit("user.grant", "users", user_id, after={"roles": sorted(roles)})
        uow.commit()


def _grant(uow: UnitOfWork, user_id: int, roles: list[str]) -> None:
    if not roles:
        raise ValidationError("Give the user at least one role.")
    found = dict(uow.session.execute(select(Role.code, Role.id).where(Role.code.in_(roles))).tuples().all())
    unknown = sorted(set(roles) - set(found))
    if unknown:
        raise ValidationError("Unknown role: {roles}.", roles=", ".join(unknown))
    user = uow.session.get(User, user_id)
    if "customer" in roles and (user is None or user.customer_id is None):
        raise ValidationError("Only a login linked to a customer can have the customer role.")
    # Nobody hands out more than they hold: a manager cannot mint an admin (who may change roles).
    granted: list[str] = list(
        uow.session.execute(
            text(
                "SELECT DISTINCT p.code FROM role_permissions rp JOIN permissions p ON p.id = rp.permission_id"
                " WHERE rp.role_id = ANY(:roles)"
            ),
            {"roles": list(found.values())},
        ).scalars()
    )
    beyond = sorted(code for code in granted if not uow.actor.can(code))
    if beyond:
        raise PermissionDenied(
            "You cannot grant a role with permissions you do not hold ({permission}).", permission=beyond[0]
        )
    for code in roles:
        exists = uow.session.get(RoleGrant, (user_id, found[code]))
        if exists is None:
            uow.session.add(
                RoleGrant(
                    tenant_id=uow.actor.tenant_id, user_id=user_id, role_id=found[code], granted_by=uow.actor.user_id
                )
            )


def set_language(uow: UnitOfWork, locale: str) -> str:
    """The signed-in person's own language (en, ru, pt_BR, zh_CN): the UI opens in it and their notifications
    are written in it. Anyone signed in sets their own; audited. Returns the language as stored."""
    with uow:
        actor = uow.actor
        if actor.user_id is None:
            raise ValidationError("Only a signed-in person has a language of their own.")
        if not (locale or "").strip():
            raise ValidationError("Choose a language.")
        chosen = check_locale(locale)
        user = uow.get(User, actor.user_id, lock=True)
        before = user.locale
        if before != chosen:
            user.locale = chosen
            uow.audit("user.language", "users", user.id, before={"locale": before}, after={"locale": chosen})
        uow.commit()
        return chosen


def unlock_user(uow: UnitOfWork, user_id: int) -> None:
    """Let a person sign in again at once: forget the failed sign-ins counted against their account, from every
    address (see :func:`authenticate`), and lift a lock. The counters of an address shared with others stay."""
    with uow:
        uow.actor.require("identity.manage_users")
        user = uow.get(User, user_id, lock=True)
        now = uow.now()
        counters = (
            uow.session.execute(
                select(SignInThrottle).where(SignInThrottle.email == user.email.strip().lower()).with_for_update()
            )
            .scalars()
            .all()
        )
        held_back = any(c.blocked_until is not None and c.blocked_until > now for c in counters)
        if not held_back and (user.locked_until is None or user.locked_until <= now):
            raise Conflict("{email} is not locked; they can sign in.", email=user.email)
        for counter in counters:
            uow.session.delete(counter)
        user.locked_until, user.failed_logins = None, 0
        uow.audit("user.unlock", "users", user_id)
        uow.commit()


def change_password(uow: UnitOfWork, current_password: str, new_password: str) -> int:
    """The signed-in person's new password, after proving the current one; audited. Their other sessions end
    (the database ends them when the hash changes) and this one goes on. Too many wrong current passwords end
    this session, so whoever took it over cannot go on guessing. Returns how many sessions ended."""
    with uow:
        actor = uow.actor
        if actor.user_id is None:
            raise ValidationError("Only a signed-in person has a password to change.")
        user = uow.get(User, actor.user_id, lock=True)
        try:
            _hasher.verify(user.password_hash or "", current_password or "")
        except (VerificationError, InvalidHashError):
            _count_wrong_password(uow, actor, user)
            uow.commit()
            raise ValidationError("The current password is not correct.") from None
        if new_password == current_password:
            raise ValidationError("Choose a new password that differs from the current one.")
        # The trigger that ends the person's sessions spares the one named here: the one making the change.
        uow.session.execute(text("SELECT set_config('app.session_id', :s, true)"), {"s": actor.session_id or ""})
        return _replace_password(uow, user, new_password, "user.password")


def reset_password(uow: UnitOfWork, user_id: int, new_password: str) -> int:
    """Give another person a new password (whoever manages users, never for someone holding more rights);
    every session of theirs ends; audited. Returns how many sessions ended."""
    with uow:
        actor = uow.actor
        actor.require("identity.manage_users")
        if user_id == actor.user_id:
            raise ValidationError("Change your own password with your current one.")
        user = uow.get(User, user_id, lock=True)
        held: list[str] = list(
            uow.session.execute(
                text(
                    "SELECT DISTINCT p.code FROM role_grants g JOIN role_permissions rp ON rp.role_id = g.role_id"
                    " JOIN permissions p ON p.id = rp.permission_id WHERE g.user_id = :u"
                ),
                {"u": user_id},
            ).scalars()
        )
        beyond = sorted(code for code in held if not actor.can(code))
        if beyond:  # whoever sets the password can act as that person
            raise PermissionDenied(
                "You cannot reset the password of someone with permissions you do not hold ({permission}).",
                permission=beyond[0],
            )
        return _replace_password(uow, user, new_password, "user.password_reset")


def _replace_password(uow: UnitOfWork, user: User, new_password: str, action: str) -> int:
    """Store the new password, count the sessions its trigger ended, audit it as ``action`` and commit."""
    user.password_hash = hash_password(new_password)
    ended = _sessions_ended_now(uow, user.id)
    uow.audit(action, "users", user.id, after={"sessions_ended": ended})
    uow.commit()
    return ended


def _count_wrong_password(uow: UnitOfWork, actor: Actor, user: User) -> None:
    """A wrong current password counts against the session that gave it: after the company's
    ``max_failed_logins`` the session ends, so whoever took it over cannot go on guessing (and the account's
    owner is not locked out)."""
    if actor.session_id is None:
        return
    failures = uow.session.execute(
        text(
            "UPDATE auth_sessions SET password_failures = password_failures + 1 WHERE id = CAST(:s AS uuid)"
            " RETURNING password_failures"
        ),
        {"s": actor.session_id},
    ).scalar()
    tenant = uow.session.get(Tenant, user.tenant_id)
    if failures is not None and tenant is not None and failures >= tenant.max_failed_logins:
        uow.session.execute(
            text(
                "UPDATE auth_sessions SET revoked_at = now(), revoked_reason = 'password_guessing'"
                " WHERE id = CAST(:s AS uuid) AND revoked_at IS NULL"
            ),
            {"s": actor.session_id},
        )


def _sessions_ended_now(uow: UnitOfWork, user_id: int) -> int:
    """How many of the person's sessions the password change just ended (the trigger stamps them with now())."""
    uow.flush()
    return int(
        uow.session.execute(
            text(
                "SELECT count(*) FROM auth_sessions WHERE user_id = :u AND revoked_reason = 'password_changed'"
                " AND revoked_at = now()"
            ),
            {"u": user_id},
        ).scalar_one()
    )
