"""Who is acting: the company a slug names, a user's Actor (roles, permissions, customer or technician), and the
shapes of sign-in's answer and refusal."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Engine, text

from ops_db.identity.models import User
from ops_db.kit import bounds
from ops_db.kit.errors import NotFound, PermissionDenied
from ops_db.kit.uow import Actor, UnitOfWork


class AuthenticationFailed(PermissionDenied):
    """Sign-in refused (wrong credentials, too many failures, missing second factor)."""

    code = "authentication_failed"


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
