"""Passwords: argon2 hashing, the one verification sign-in does for every account, and changing or resetting a
password (which ends the person's other sessions)."""

from __future__ import annotations

import secrets
from datetime import datetime
from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import text

from ops_db.identity.models import Tenant, User
from ops_db.kit.errors import PermissionDenied, ValidationError
from ops_db.kit.uow import Actor, UnitOfWork

_hasher = PasswordHasher()


def hash_password(password: str) -> str:
    """An argon2id hash of ``password`` after checking it is acceptable."""
    if not isinstance(password, str) or len(password) < 8:
        raise ValidationError("A password needs at least 8 characters.")
    if len(password) > 1024:
        raise ValidationError("A password can be at most 1,024 characters.")
    return _hasher.hash(password)


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
