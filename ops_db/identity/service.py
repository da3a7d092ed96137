"""Sign-in (argon2 passwords, TOTP, lockout), password changes, users and roles, and turning a login into an Actor
(its session and tokens: ``identity.sessions``)."""

from __future__ import annotations

import hmac
import re
import time
import unicodedata
from dataclasses import dataclass, replace
from datetime import timedelta

import pyotp
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from cryptography.fernet import Fernet, InvalidToken
from sqlalchemy import Engine, func, select, text

from ops_db.customers.models import Customer
from ops_db.i18n import check_locale
from ops_db.identity.models import LoginAttempt, Role, RoleGrant, Tenant, TotpSecret, User
from ops_db.kit import bounds, keys
from ops_db.kit.errors import Conflict, NotFound, PermissionDenied, ValidationError
from ops_db.kit.uow import Actor, UnitOfWork

_hasher = PasswordHasher()
LOCKOUT = timedelta(minutes=15)
_EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]{1,190}\.[^@\s]{2,}$")


class AuthenticationFailed(PermissionDenied):
    """Sign-in refused (wrong credentials, locked account, missing second factor)."""

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
    engine: Engine, tenant_id: int, email: str, password: str, totp_code: str | None = None, *,
    ip_address: str | None = None, user_agent: str | None = None, allow_enrolment: bool = False,
) -> SignIn:
    """Check email, password and (when required) a TOTP code; lock the account after repeated failures.

    When the company requires a second factor and this person has none yet, ``allow_enrolment`` (the web app)
    lets the right password through as an actor who may do nothing but set one up
    (``second_factor_pending``, no permissions, no API token); the API refuses instead."""
    email = (email or "").strip().lower()
    failure: str | None = None
    user_id: int | None = None
    uow = UnitOfWork(engine, Actor.system(tenant_id, "sign-in"))
    with uow:
        session = uow.session
        tenant = session.get(Tenant, tenant_id)
        if tenant is None or not tenant.is_active:
            raise AuthenticationFailed("That company does not exist.")
        user = session.execute(
            select(User).where(func.lower(User.email) == email).with_for_update()
        ).scalar_one_or_none()
        now = uow.now()
        if user is None or not user.is_active or not user.password_hash:
            failure = "unknown_user"
        elif user.locked_until is not None and user.locked_until > now:
            failure = "locked"
        else:
            user_id = user.id
            try:
                _hasher.verify(user.password_hash, password or "")
            except (VerificationError, InvalidHashError):
                failure = "bad_password"
            if failure is None:
                failure = _check_second_factor(uow, tenant, user, totp_code)
        if user is not None and failure in ("bad_password", "bad_totp"):
            user.failed_logins += 1
            if user.failed_logins >= tenant.max_failed_logins:
                user.locked_until = now + LOCKOUT
                user.failed_logins = 0
                failure = "locked_now"
        elif user is not None and failure is None:
            user.failed_logins = 0
            user.locked_until = None
            user.last_login_at = now
        session.add(LoginAttempt(tenant_id=tenant_id, user_id=user.id if user else None, email=email[:254],
                                 succeeded=failure is None, reason=failure, ip_address=ip_address,
                                 user_agent=(user_agent or "")[:500] or None, attempted_at=now))
        locked_until = user.locked_until if user is not None else None
        uow.commit()
    if failure in ("locked", "locked_now"):
        assert locked_until is not None
        raise AuthenticationFailed("This account is locked until {time} UTC after too many failed sign-ins.",
                                   time=locked_until.strftime("%H:%M"))
    if failure == "totp_required":
        raise AuthenticationFailed("Enter the 6-digit code from your authenticator app.")
    if failure == "totp_setup_required":
        if allow_enrolment and user_id is not None:
            full = load_actor(engine, tenant_id, user_id)
            return _open_session(engine, replace(full, permissions=frozenset(), roles=frozenset(),
                                                 second_factor_pending=True))
        raise AuthenticationFailed("Your company requires a second sign-in step; sign in to the web app and set up "
                                   "an authenticator app on My settings first.")
    if failure is not None:
        raise AuthenticationFailed("The email, password or code is not correct.")
    assert user_id is not None
    actor = load_actor(engine, tenant_id, user_id)
    return _open_session(engine, actor)


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
            uow.session.execute(text("UPDATE auth_sessions SET second_factor = true WHERE id = CAST(:s AS uuid)"),
                                {"s": actor.session_id})
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
    rows = uow.session.execute(text(
        "SELECT r.code, p.code AS perm FROM role_grants g JOIN roles r ON r.id = g.role_id"
        " LEFT JOIN role_permissions rp ON rp.role_id = r.id LEFT JOIN permissions p ON p.id = rp.permission_id"
        " WHERE g.user_id = :u"), {"u": user_id}).all()
    technician = uow.session.execute(
        text("SELECT id FROM technicians WHERE user_id = :u AND is_active"), {"u": user_id}).scalar()
    return Actor(
        tenant_id=tenant_id, user_id=user.id, label=user.full_name,
        permissions=frozenset(r.perm for r in rows if r.perm), roles=frozenset(r.code for r in rows),
        customer_id=user.customer_id, technician_id=technician, locale=user.locale,
    )


def create_user(
    uow: UnitOfWork, email: str, full_name: str, password: str, roles: list[str], *,
    customer_id: int | None = None, phone: str | None = None,
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
        if customer_id is not None and uow.session.get(Customer, customer_id) is None:
            raise NotFound("Customer {customer} does not exist.", customer=customer_id)
        user = User(tenant_id=uow.actor.tenant_id, email=email, full_name=full_name,
                    password_hash=hash_password(password), customer_id=customer_id, phone=phone)
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
        if uow.session.get(User, user_id) is None:
            raise NotFound("User {user} does not exist.", user=user_id)
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
    granted: list[str] = list(uow.session.execute(text(
        "SELECT DISTINCT p.code FROM role_permissions rp JOIN permissions p ON p.id = rp.permission_id"
        " WHERE rp.role_id = ANY(:roles)"), {"roles": list(found.values())}).scalars())
    beyond = sorted(code for code in granted if not uow.actor.can(code))
    if beyond:
        raise PermissionDenied("You cannot grant a role with permissions you do not hold ({permission}).",
                               permission=beyond[0])
    for code in roles:
        exists = uow.session.get(RoleGrant, (user_id, found[code]))
        if exists is None:
            uow.session.add(RoleGrant(tenant_id=uow.actor.tenant_id, user_id=user_id, role_id=found[code],
                                      granted_by=uow.actor.user_id))


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
        user = uow.session.get(User, actor.user_id, with_for_update=True)
        if user is None:
            raise NotFound("User {user} does not exist.", user=actor.user_id)
        before = user.locale
        if before != chosen:
            user.locale = chosen
            uow.audit("user.language", "users", user.id, before={"locale": before}, after={"locale": chosen})
        uow.commit()
        return chosen


def unlock_user(uow: UnitOfWork, user_id: int) -> None:
    """Lift a lockout before it expires."""
    with uow:
        uow.actor.require("identity.manage_users")
        user = uow.session.get(User, user_id, with_for_update=True)
        if user is None:
            raise NotFound("User {user} does not exist.", user=user_id)
        if user.locked_until is None or user.locked_until <= uow.now():
            raise Conflict("{email} is not locked; they can sign in.", email=user.email)
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
        user = uow.session.get(User, actor.user_id, with_for_update=True)
        if user is None:
            raise NotFound("User {user} does not exist.", user=actor.user_id)
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
        user.password_hash = hash_password(new_password)
        ended = _sessions_ended_now(uow, user.id)
        uow.audit("user.password", "users", user.id, after={"sessions_ended": ended})
        uow.commit()
        return ended


def reset_password(uow: UnitOfWork, user_id: int, new_password: str) -> int:
    """Give another person a new password (whoever manages users, never for someone holding more rights);
    every session of theirs ends; audited. Returns how many sessions ended."""
    with uow:
        actor = uow.actor
        actor.require("identity.manage_users")
        if user_id == actor.user_id:
            raise ValidationError("Change your own password with your current one.")
        user = uow.session.get(User, user_id, with_for_update=True)
        if user is None:
            raise NotFound("User {user} does not exist.", user=user_id)
        held: list[str] = list(uow.session.execute(text(
            "SELECT DISTINCT p.code FROM role_grants g JOIN role_permissions rp ON rp.role_id = g.role_id"
            " JOIN permissions p ON p.id = rp.permission_id WHERE g.user_id = :u"), {"u": user_id}).scalars())
        beyond = sorted(code for code in held if not actor.can(code))
        if beyond:  # whoever sets the password can act as that person
            raise PermissionDenied("You cannot reset the password of someone with permissions you do not hold "
                                   "({permission}).", permission=beyond[0])
        user.password_hash = hash_password(new_password)
        ended = _sessions_ended_now(uow, user.id)
        uow.audit("user.password_reset", "users", user.id, after={"sessions_ended": ended})
        uow.commit()
        return ended


def _count_wrong_password(uow: UnitOfWork, actor: Actor, user: User) -> None:
    """A wrong current password counts against the session that gave it: after the company's
    ``max_failed_logins`` the session ends, so whoever took it over cannot go on guessing (and the account's
    owner is not locked out)."""
    if actor.session_id is None:
        return
    failures = uow.session.execute(text(
        "UPDATE auth_sessions SET password_failures = password_failures + 1 WHERE id = CAST(:s AS uuid)"
        " RETURNING password_failures"), {"s": actor.session_id}).scalar()
    tenant = uow.session.get(Tenant, user.tenant_id)
    if failures is not None and tenant is not None and failures >= tenant.max_failed_logins:
        uow.session.execute(text(
            "UPDATE auth_sessions SET revoked_at = now(), revoked_reason = 'password_guessing'"
            " WHERE id = CAST(:s AS uuid) AND revoked_at IS NULL"), {"s": actor.session_id})


def _sessions_ended_now(uow: UnitOfWork, user_id: int) -> int:
    """How many of the person's sessions the password change just ended (the trigger stamps them with now())."""
    uow.flush()
    return int(uow.session.execute(text(
        "SELECT count(*) FROM auth_sessions WHERE user_id = :u AND revoked_reason = 'password_changed'"
        " AND revoked_at = now()"), {"u": user_id}).scalar_one())
