"""Reads of people, roles and the company itself: each checks the actor's permission first, then reads under the
actor's row-level security. Password hashes and TOTP secrets are never selected."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import text

from ops_db.kit.rows import Rows, fetch_rows
from ops_db.kit.uow import UnitOfWork

USER_COLUMNS = (
    "id",
    "email",
    "name",
    "roles",
    "active",
    "locked",
    "locked_until",
    "failed_logins",
    "totp_enrolled",
    "last_login_at",
    "customer_login",
)

_USERS_SQL = """
SELECT u.id, u.email, u.full_name AS name,
       coalesce(string_agg(r.code, ', ' ORDER BY r.code), '') AS roles,
       u.is_active AS active,
       coalesce(greatest(u.locked_until, th.held_until) > now(), false) AS locked,
       CASE WHEN greatest(u.locked_until, th.held_until) > now() THEN greatest(u.locked_until, th.held_until)
       END AS locked_until,
       u.failed_logins,
       EXISTS (SELECT 1 FROM totp_secrets s WHERE s.user_id = u.id AND s.confirmed_at IS NOT NULL)
           AS totp_enrolled,
       u.last_login_at,
       (u.customer_id IS NOT NULL) AS customer_login
FROM users u
-- sign-ins slowed down after failures (identity.authenticate), from any address: shown as locked until then
LEFT JOIN LATERAL (SELECT max(s.blocked_until) AS held_until FROM sign_in_throttles s
                   WHERE s.email = lower(u.email)) th ON true
LEFT JOIN role_grants g ON g.user_id = u.id
LEFT JOIN roles r ON r.id = g.role_id
GROUP BY u.id, th.held_until
ORDER BY lower(u.email)
"""

_GRANTS_SQL = """
SELECT r.code AS role, p.code AS permission
FROM roles r
JOIN role_permissions rp ON rp.role_id = r.id
JOIN permissions p ON p.id = rp.permission_id
"""


def users(uow: UnitOfWork, *, include_customers: bool = False) -> Rows:
    """The company's users with their roles and sign-in state (no password hash, no TOTP secret), by email;
    customer logins only when asked for."""
    uow.actor.require("identity.read")
    found = fetch_rows(uow, _USERS_SQL, columns=USER_COLUMNS)
    if include_customers:
        return found
    return Rows(found.columns, [r for r in found.records if not r["customer_login"]])


def roles(uow: UnitOfWork) -> Rows:
    """The company's roles (code, name, built-in or not, how many users hold each), by code."""
    uow.actor.require("identity.read")
    return fetch_rows(
        uow,
        "SELECT r.code, r.name, r.is_system AS built_in, count(g.user_id) AS users FROM roles r "
        "LEFT JOIN role_grants g ON g.role_id = r.id GROUP BY r.id ORDER BY r.code",
        columns=("code", "name", "built_in", "users"),
    )


@dataclass(frozen=True)
class RoleGrants:
    """What the database grants: the roles (in the order they were made), the permission catalogue (code →
    description) and the (role, permission) pairs granted."""

    roles: list[str]
    catalogue: dict[str, str]
    granted: frozenset[tuple[str, str]]


def role_grants(uow: UnitOfWork) -> RoleGrants:
    """The role × permission grants as the database holds them."""
    uow.actor.require("identity.read")
    with uow:
        pairs = uow.session.execute(text(_GRANTS_SQL)).all()
        role_codes = [str(r.code) for r in uow.session.execute(text("SELECT code FROM roles ORDER BY id"))]
        catalogue = {
            str(r.code): str(r.description or "")
            for r in uow.session.execute(text("SELECT code, description FROM permissions"))
        }
    return RoleGrants(role_codes, catalogue, frozenset((str(role), str(permission)) for role, permission in pairs))


@dataclass(frozen=True)
class Branding:
    """The company's name, white-label branding and locale settings."""

    name: str
    legal_name: str | None
    tax_number: str | None
    slug: str
    locale: str
    time_zone: str
    currency: str
    prices_include_tax: bool
    order_number_prefix: str
    invoice_number_prefix: str
    require_totp: bool
    max_failed_logins: int
    branding: dict[str, Any]


def branding(uow: UnitOfWork) -> Branding | None:
    """The actor's company as the brand customers see, if visible."""
    uow.actor.require("identity.read")
    with uow:
        row = (
            uow.session.execute(
                text(
                    "SELECT name, legal_name, tax_number, slug, locale, time_zone, currency, prices_include_tax, "
                    "order_number_prefix, invoice_number_prefix, require_totp, max_failed_logins, branding "
                    "FROM tenants WHERE id = :t"
                ),
                {"t": uow.actor.tenant_id},
            )
            .mappings()
            .first()
        )
    if row is None:
        return None
    values = dict(row)
    values["branding"] = dict(values["branding"] or {})
    return Branding(**values)


@dataclass(frozen=True)
class Look:
    """How the company presents itself to anyone (its public portal too): name, branding, language, zone."""

    name: str
    branding: dict[str, Any]
    locale: str | None
    time_zone: str | None


def company_look(uow: UnitOfWork) -> Look:
    """The company's public face: anyone may read it, the anonymous portal too."""
    with uow:
        row = uow.session.execute(
            text("SELECT name, branding, locale, time_zone FROM tenants WHERE id = :t"), {"t": uow.actor.tenant_id}
        ).one()
    return Look(str(row.name), dict(row.branding or {}), row.locale, row.time_zone)


def tenant_zone(uow: UnitOfWork) -> str:
    """The company's time zone name: days, shifts, "today" and the times people read are local."""
    with uow:
        name: str = uow.session.execute(
            text("SELECT time_zone FROM tenants WHERE id = :t"), {"t": uow.actor.tenant_id}
        ).scalar_one()
    return str(name)


def data_version(uow: UnitOfWork) -> int:
    """A number that grows whenever anything at the company changes: the id of its newest audit record (every
    service write appends one in its own transaction), so the pages' caches know when what they hold is old."""
    with uow:
        found = uow.session.execute(
            text("SELECT last_id FROM audit_chain_heads WHERE tenant_id = :t"), {"t": uow.actor.tenant_id}
        ).scalar_one_or_none()
    return int(found or 0)


def tenant_currency(uow: UnitOfWork) -> str:
    """The company's currency (ISO 4217 code): money on the pages is formatted in it, per the reader's language."""
    with uow:
        code: str = uow.session.execute(
            text("SELECT currency FROM tenants WHERE id = :t"), {"t": uow.actor.tenant_id}
        ).scalar_one()
    return str(code)
