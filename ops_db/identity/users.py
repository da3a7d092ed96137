"""Users and their roles (nobody grants more than they hold), a person's own language, and unlocking an account."""

from __future__ import annotations

import re

from sqlalchemy import select, text

from ops_db.customers.models import Customer
from ops_db.i18n import check_locale
from ops_db.identity.models import Role, RoleGrant, SignInThrottle, User
from ops_db.identity.passwords import hash_password
from ops_db.kit.errors import Conflict, PermissionDenied, ValidationError
from ops_db.kit.uow import UnitOfWork

_EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]{1,190}\.[^@\s]{2,}$")


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
