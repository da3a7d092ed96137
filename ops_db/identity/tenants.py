"""Provisioning a new tenant (a repair company) with its built-in roles, defaults and first admin."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import Engine, text

from ops_db.i18n import N_
from ops_db.identity.models import RoleCode, Tenant
from ops_db.identity.permissions import ROLE_PERMISSIONS
from ops_db.identity.service import hash_password
from ops_db.kit import bounds
from ops_db.kit.colors import is_hex_color
from ops_db.kit.errors import ValidationError
from ops_db.kit.uow import Actor, UnitOfWork

SLA_TARGETS = {"emergency": (60, 480), "high": (240, 1440), "normal": (480, 4320), "low": (960, 7200)}


@dataclass(frozen=True)
class TenantIn:
    """What a new company tells us about itself."""

    slug: str
    name: str
    admin_email: str
    admin_password: str
    time_zone: str = "UTC"
    currency: str = "USD"
    locale: str = "en"
    tax_pct: Decimal = Decimal(0)
    require_totp: bool = False


def sync_role_permissions_sql() -> str:
    """SQL that gives every system role of the current tenant its built-in permissions (idempotent)."""
    values = ", ".join(f"('{role.value}', '{perm}')" for role, perms in ROLE_PERMISSIONS.items() for perm in perms)
    return (
        "INSERT INTO role_permissions (tenant_id, role_id, permission_id) "
        f"SELECT r.tenant_id, r.id, p.id FROM (VALUES {values}) AS v(role_code, perm) "
        "JOIN roles r ON r.code = v.role_code AND r.is_system JOIN permissions p ON p.code = v.perm "
        "WHERE r.tenant_id = current_setting('app.tenant_id')::bigint ON CONFLICT DO NOTHING"
    )


def provision_tenant(engine: Engine, data: TenantIn) -> int:
    """Create a tenant with roles, a default tax rate, business hours, SLA policies, a warehouse and an admin."""
    slug = (data.slug or "").strip().lower()
    if not re.fullmatch(r"[a-z0-9][a-z0-9-]{0,63}", slug):
        raise ValidationError("A company slug uses lowercase letters, digits and dashes (up to 64).")
    if not (data.name or "").strip():
        raise ValidationError("Give the company's name.")
    try:
        ZoneInfo(data.time_zone)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValidationError("Unknown time zone {zone}.", zone=repr(data.time_zone)) from None
    if not re.fullmatch(r"[A-Z]{3}", data.currency):
        raise ValidationError("The currency is a three-letter ISO code such as USD.")
    if not Decimal(0) <= data.tax_pct <= Decimal(100):
        raise ValidationError("The tax rate must be between 0 and 100 percent.")
    password_hash = hash_password(data.admin_password)
    with engine.connect() as conn:
        taken = conn.execute(text("SELECT repairops_tenant_id(:s)"), {"s": slug}).scalar()
        new_id: int = conn.execute(text("SELECT nextval(pg_get_serial_sequence('tenants', 'id'))")).scalar_one()
    if taken is not None:
        from ops_db.kit.errors import Conflict

        raise Conflict("The company slug '{slug}' is taken.", slug=slug)
    uow = UnitOfWork(engine, Actor.system(int(new_id), "provisioning"))
    with uow:
        s = uow.session
        s.execute(
            text(
                "INSERT INTO tenants (id, slug, name, time_zone, currency, locale, require_totp)"
                " VALUES (:id, :slug, :name, :tz, :cur, :loc, :totp)"
            ),
            {
                "id": new_id,
                "slug": slug,
                "name": bounds.text(data.name, N_("company name"), 200),
                "tz": data.time_zone,
                "cur": data.currency,
                "loc": data.locale,
                "totp": data.require_totp,
            },
        )
        for code in RoleCode:
            s.execute(
                text("INSERT INTO roles (tenant_id, code, name, is_system) VALUES (:t, :c, :n, true)"),
                {"t": new_id, "c": code.value, "n": code.value.replace("_", " ").title()},
            )
        s.execute(text(sync_role_permissions_sql()))
        s.execute(
            text(
                "INSERT INTO tax_rates (tenant_id, code, name, rate_pct, is_default, valid_from)"
                " VALUES (:t, 'std', 'Standard', :r, true, :d)"
            ),
            {"t": new_id, "r": data.tax_pct, "d": date(2000, 1, 1)},
        )
        cal: int = s.execute(
            text(
                "INSERT INTO business_calendars (tenant_id, name, time_zone, weekly_hours)"
                " VALUES (:t, 'Weekdays 9-18', :tz, CAST(:h AS jsonb)) RETURNING id"
            ),
            {
                "t": new_id,
                "tz": data.time_zone,
                "h": '{"0":["09:00","18:00"],"1":["09:00","18:00"],"2":["09:00","18:00"],'
                '"3":["09:00","18:00"],"4":["09:00","18:00"]}',
            },
        ).scalar_one()
        for prio, (resp, res) in SLA_TARGETS.items():
            s.execute(
                text(
                    "INSERT INTO sla_policies (tenant_id, name, priority, calendar_id, response_minutes,"
                    " resolution_minutes) VALUES (:t, :n, :p, :c, :a, :b)"
                ),
                {"t": new_id, "n": f"Standard {prio}", "p": prio, "c": cal, "a": resp, "b": res},
            )
        s.execute(
            text(
                "INSERT INTO stock_locations (tenant_id, code, name, kind) VALUES (:t, 'WH1', 'Main warehouse',"
                " 'warehouse')"
            ),
            {"t": new_id},
        )
        admin: int = s.execute(
            text(
                "INSERT INTO users (tenant_id, email, full_name, password_hash) VALUES (:t, :e,"
                " 'Administrator', :p) RETURNING id"
            ),
            {"t": new_id, "e": data.admin_email.strip(), "p": password_hash},
        ).scalar_one()
        s.execute(
            text(
                "INSERT INTO role_grants (tenant_id, user_id, role_id) SELECT :t, :u, id FROM roles"
                " WHERE code = 'admin'"
            ),
            {"t": new_id, "u": admin},
        )
        uow.audit("tenant.create", "tenants", int(new_id), after={"slug": slug})
        uow.commit()
    return int(new_id)


@dataclass(frozen=True)
class CompanyIn:
    """The company settings an admin edits: how documents and the portal present it, and sign-in security."""

    name: str
    legal_name: str | None = None
    tax_number: str | None = None
    primary_color: str = "#0f766e"
    logo_text: str | None = None
    require_totp: bool = False
    max_failed_logins: int = 5


def _setting_text(value: str | None, what: str, max_len: int, *, required: bool = False) -> str | None:
    cleaned = (value or "").strip()
    if not cleaned:
        if required:
            raise ValidationError("The {what} cannot be empty.", what=what)
        return None
    if len(cleaned) > max_len:
        raise ValidationError("The {what} is too long (at most {limit} characters).", what=what, limit=max_len)
    return cleaned


def update_company(uow: UnitOfWork, data: CompanyIn) -> None:
    """Change the company's name, legal details, colour and logo text, and its sign-in rules; audited."""
    with uow:
        uow.actor.require("settings.manage")
        name = _setting_text(data.name, N_("company name"), 200, required=True)
        legal = _setting_text(data.legal_name, N_("legal name"), 200)
        tax_number = _setting_text(data.tax_number, N_("tax number"), 64)
        logo = _setting_text(data.logo_text, N_("logo text"), 40)
        if not is_hex_color(data.primary_color):
            raise ValidationError("The colour must be a hex colour such as #0f766e.")
        if isinstance(data.max_failed_logins, bool) or not 3 <= data.max_failed_logins <= 20:
            raise ValidationError("Sign-ins must slow down after between 3 and 20 failures.")
        tenant = uow.session.get(Tenant, uow.actor.tenant_id, with_for_update=True)
        if tenant is None:
            raise ValidationError("The company does not exist.")
        before = {
            "name": tenant.name,
            "legal_name": tenant.legal_name,
            "tax_number": tenant.tax_number,
            "branding": dict(tenant.branding or {}),
            "require_totp": tenant.require_totp,
            "max_failed_logins": tenant.max_failed_logins,
        }
        tenant.name, tenant.legal_name, tenant.tax_number = str(name), legal, tax_number
        branding = {**(tenant.branding or {}), "primary_color": data.primary_color.lower()}
        if logo:
            branding["logo_text"] = logo
        else:
            branding.pop("logo_text", None)
        tenant.branding = branding
        tenant.require_totp, tenant.max_failed_logins = bool(data.require_totp), data.max_failed_logins
        after = {
            "name": tenant.name,
            "legal_name": legal,
            "tax_number": tax_number,
            "branding": branding,
            "require_totp": tenant.require_totp,
            "max_failed_logins": tenant.max_failed_logins,
        }
        uow.audit("company.settings", "tenants", tenant.id, before=before, after=after)
        uow.commit()
