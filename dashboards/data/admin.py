"""What the Admin page shows: users, the role × permission matrix, SLA policies, tax rates, templates,
branding, technicians' skills and the audit trail, read under the actor's row-level security.

Every function here only reads. Changes go through the services (``ops_db.identity.service``,
``ops_db.workforce.service``, ``ops_db.audit.service``). Password hashes and TOTP secrets are never
selected: the user list says only whether a second factor is set up.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

import pandas as pd
from sqlalchemy import Engine, text

from dashboards.data import read_frame
from ops_db.comms.service import DEFAULT_TEMPLATES
from ops_db.i18n import N_, as_is
from ops_db.identity.permissions import PERMISSIONS, ROLE_PERMISSIONS
from ops_db.kit.uow import Actor, UnitOfWork

AUDIT_LIMIT = 500
SKILL_LEVELS = (1, 2, 3, 4, 5)
WEEKDAYS = (N_("Mon"), N_("Tue"), N_("Wed"), N_("Thu"), N_("Fri"), N_("Sat"), N_("Sun"))
ANY_TIER = N_("any tier")
NO_HOURS = N_("no working hours")
# Customer logins are linked to a customer record; the portal creates them, not this page.
NOT_GRANTABLE_HERE = frozenset({"customer"})




USER_COLUMNS = ["id", "email", "name", "roles", "active", "locked", "locked_until", "failed_logins",
                "totp_enrolled", "last_login_at", "customer_login"]

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

_MATRIX_SQL = """
SELECT r.code AS role, p.code AS permission
FROM roles r
JOIN role_permissions rp ON rp.role_id = r.id
JOIN permissions p ON p.id = rp.permission_id
"""

_SLA_SQL = """
SELECT p.id, p.name, p.priority, coalesce(t.name, :any_tier) AS tier, p.response_minutes,
       p.resolution_minutes, p.at_risk_pct, p.is_active AS active, c.name AS calendar, c.time_zone,
       c.weekly_hours, coalesce(cardinality(c.holidays), 0) AS holidays
FROM sla_policies p
JOIN business_calendars c ON c.id = p.calendar_id
LEFT JOIN customer_tiers t ON t.id = p.customer_tier_id
ORDER BY CASE p.priority WHEN 'emergency' THEN 0 WHEN 'high' THEN 1 WHEN 'normal' THEN 2 ELSE 3 END,
         t.rank NULLS FIRST, p.name
"""

_AUDIT_SQL = """
SELECT a.id, (a.occurred_at AT TIME ZONE tn.time_zone) AS occurred_local, a.actor_label AS actor,
       a.action, a.entity AS "table", a.entity_id AS row_id, a.before, a.after
FROM audit_log a
JOIN tenants tn ON tn.id = a.tenant_id
WHERE {where}
ORDER BY a.occurred_at DESC, a.id DESC
LIMIT :limit
"""


def users(engine: Engine, actor: Actor, *, include_customers: bool = False) -> pd.DataFrame:
    """The tenant's users with their roles and sign-in state (no password hash, no TOTP secret), by email."""
    actor.require("identity.read")
    with UnitOfWork(engine, actor) as uow:
        rows = uow.session.execute(text(_USERS_SQL)).mappings().all()
    frame = pd.DataFrame([dict(r) for r in rows], columns=USER_COLUMNS)
    if not include_customers:
        frame = frame[~frame["customer_login"].astype(bool)].reset_index(drop=True)
    return frame


def roles(engine: Engine, actor: Actor) -> pd.DataFrame:
    """The tenant's roles (code, name, built-in or not, how many users hold each), by code."""
    actor.require("identity.read")
    with UnitOfWork(engine, actor) as uow:
        rows = uow.session.execute(text(
            "SELECT r.code, r.name, r.is_system AS built_in, count(g.user_id) AS users FROM roles r "
            "LEFT JOIN role_grants g ON g.role_id = r.id GROUP BY r.id ORDER BY r.code")).mappings().all()
    return pd.DataFrame([dict(r) for r in rows], columns=["code", "name", "built_in", "users"])


def role_matrix(engine: Engine, actor: Actor) -> pd.DataFrame:
    """One row per permission (catalogue order) and one boolean column per role, as the database grants it."""
    actor.require("identity.read")
    with UnitOfWork(engine, actor) as uow:
        pairs = uow.session.execute(text(_MATRIX_SQL)).all()
        role_codes = [str(r.code) for r in uow.session.execute(text("SELECT code FROM roles ORDER BY id"))]
        catalogue = {str(r.code): str(r.description or "")
                     for r in uow.session.execute(text("SELECT code, description FROM permissions"))}
    granted = {(str(role), str(permission)) for role, permission in pairs}
    codes = [p for p in PERMISSIONS if p in catalogue] + sorted(set(catalogue) - set(PERMISSIONS))
    frame = pd.DataFrame({"permission": codes,
                          "description": [catalogue[c] or PERMISSIONS.get(c, "") for c in codes]})
    for role in role_codes:
        frame[role] = [(role, c) in granted for c in codes]
    return frame


def matrix_drift(matrix: pd.DataFrame) -> list[str]:
    """Built-in roles whose granted permissions differ from ``ops_db/identity/permissions.py``."""
    drifted = []
    for role, expected in ROLE_PERMISSIONS.items():
        if role.value not in matrix.columns:
            continue
        actual = set(matrix.loc[matrix[role.value], "permission"])
        if actual != set(expected):
            drifted.append(role.value)
    return drifted


def role_permissions(matrix: pd.DataFrame) -> dict[str, frozenset[str]]:
    """Role code → the permissions it carries, from the matrix."""
    role_columns = [c for c in matrix.columns if c not in ("permission", "description")]
    return {role: frozenset(matrix.loc[matrix[role], "permission"]) for role in role_columns}


def grantable_roles(matrix: pd.DataFrame, actor: Actor) -> list[str]:
    """Roles this person may hand out here: none that carries a permission they lack (no escalation
    through the back door), and not the customer role (customer logins belong to a customer record)."""
    return sorted(role for role, perms in role_permissions(matrix).items()
                  if role not in NOT_GRANTABLE_HERE and perms <= actor.permissions)


def format_minutes(minutes: int, t: Callable[[str], str] = as_is) -> str:
    """Business minutes as hours and minutes ("1 h", "72 h", "1 h 30 min"), in ``t``'s language."""
    hours, rest = divmod(int(minutes), 60)
    if hours and rest:
        return t(N_("{hours} h {minutes} min")).format(hours=hours, minutes=rest)
    return t(N_("{hours} h")).format(hours=hours) if hours else t(N_("{minutes} min")).format(minutes=rest)


def business_hours_label(weekly_hours: dict[str, Any] | None, t: Callable[[str], str] = as_is) -> str:
    """Weekly opening hours compactly ("Mon–Fri 08:00–18:00"), consecutive days with equal hours merged, with
    the days in ``t``'s language."""
    if not weekly_hours:
        return t(NO_HOURS)
    spans: list[tuple[int, int, str]] = []
    for day in range(7):
        hours = weekly_hours.get(str(day))
        if not hours or len(hours) != 2:
            continue
        label = f"{hours[0]}–{hours[1]}"
        if spans and spans[-1][1] == day - 1 and spans[-1][2] == label:
            spans[-1] = (spans[-1][0], day, label)
        else:
            spans.append((day, day, label))
    days = [t(d) for d in WEEKDAYS]
    parts = [(days[a] if a == b else f"{days[a]}–{days[b]}") + f" {label}" for a, b, label in spans]
    return ", ".join(parts) or t(NO_HOURS)


def sla_policies(engine: Engine, actor: Actor, t: Callable[[str], str] = as_is) -> pd.DataFrame:
    """SLA policies with their tier, targets (business time) and the calendar's hours, most urgent first; the
    targets, hours and "any tier" in ``t``'s language."""
    actor.require("sla.read")
    with UnitOfWork(engine, actor) as uow:
        rows = uow.session.execute(text(_SLA_SQL), {"any_tier": t(ANY_TIER)}).mappings().all()
    frame = pd.DataFrame([dict(r) for r in rows], columns=[
        "id", "name", "priority", "tier", "response_minutes", "resolution_minutes", "at_risk_pct", "active",
        "calendar", "time_zone", "weekly_hours", "holidays"])
    frame["response"] = frame["response_minutes"].map(lambda m: format_minutes(m, t))
    frame["resolution"] = frame["resolution_minutes"].map(lambda m: format_minutes(m, t))
    frame["business_hours"] = frame["weekly_hours"].map(lambda h: business_hours_label(h, t))
    return frame[["id", "name", "priority", "tier", "response", "resolution", "at_risk_pct", "business_hours",
                  "time_zone", "holidays", "calendar", "active", "response_minutes", "resolution_minutes"]]


def tax_rates(engine: Engine, actor: Actor) -> pd.DataFrame:
    """The tenant's tax rates, newest validity first."""
    actor.require("billing.read")
    with UnitOfWork(engine, actor) as uow:
        rows = uow.session.execute(text(
            "SELECT code, name, rate_pct, is_default AS \"default\", valid_from FROM tax_rates "
            "ORDER BY valid_from DESC, code")).mappings().all()
    return pd.DataFrame([dict(r) for r in rows], columns=["code", "name", "rate_pct", "default", "valid_from"])


def notification_templates(engine: Engine, actor: Actor) -> pd.DataFrame:
    """Every event's template: the tenant's own texts (source "tenant"), then the built-in English ones no text
    overrides (source "built-in", channel "any"); the codes are shown as words by the page."""
    actor.require("comms.read")
    with UnitOfWork(engine, actor) as uow:
        rows = uow.session.execute(text(
            "SELECT event, channel, locale, subject, body, merge_fields FROM notification_templates "
            "ORDER BY event, channel, locale")).mappings().all()
    own = [{**dict(r), "merge_fields": ", ".join(r["merge_fields"] or []), "source": "tenant"} for r in rows]
    overridden = {r["event"] for r in own}
    built_in = [{"event": event, "channel": "any", "locale": "en", "subject": subject, "body": body,
                 "merge_fields": "", "source": "built-in"}
                for event, (subject, body) in DEFAULT_TEMPLATES.items() if event not in overridden]
    frame = pd.DataFrame(own + built_in, columns=["event", "channel", "locale", "subject", "body", "merge_fields",
                                                  "source"])
    return frame.sort_values(["event", "source", "channel"]).reset_index(drop=True)


@dataclass(frozen=True)
class Branding:
    """The tenant's name, white-label branding and locale settings."""

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


def branding(engine: Engine, actor: Actor) -> Branding | None:
    """The actor's tenant as the brand customers see, if visible."""
    actor.require("identity.read")
    with UnitOfWork(engine, actor) as uow:
        row = uow.session.execute(text(
            "SELECT name, legal_name, tax_number, slug, locale, time_zone, currency, prices_include_tax, "
            "order_number_prefix, invoice_number_prefix, require_totp, max_failed_logins, branding "
            "FROM tenants WHERE id = :t"),
            {"t": actor.tenant_id}).mappings().first()
    if row is None:
        return None
    values = dict(row)
    values["branding"] = dict(values["branding"] or {})
    return Branding(**values)


def technicians(engine: Engine, actor: Actor, t: Callable[[str], str] = as_is) -> dict[int, str]:
    """Technician id → "name (#id)" for every technician ("name (#id) · inactive", in ``t``'s language, for one
    who left), active ones first, then by name."""
    actor.require("workforce.read")
    with UnitOfWork(engine, actor) as uow:
        rows = uow.session.execute(text(
            "SELECT id, name, is_active FROM technicians ORDER BY is_active DESC, name, id")).all()
    return {int(r.id): f"{r.name} (#{r.id})" + ("" if r.is_active else f" · {t(N_('inactive'))}") for r in rows}


def skills(engine: Engine, actor: Actor) -> dict[str, str]:
    """Skill code → name, by code."""
    actor.require("workforce.read")
    with UnitOfWork(engine, actor) as uow:
        rows = uow.session.execute(text("SELECT code, name FROM skills ORDER BY code")).all()
    return {str(r.code): str(r.name) for r in rows}


def skill_matrix(engine: Engine, actor: Actor) -> pd.DataFrame:
    """One row per technician (name, active, field work) and one column per skill code holding the level."""
    actor.require("workforce.read")
    with UnitOfWork(engine, actor) as uow:
        techs = uow.session.execute(text(
            "SELECT id, name, is_active AS active, works_in_field AS field FROM technicians "
            "ORDER BY is_active DESC, name, id")).mappings().all()
        levels = uow.session.execute(text(
            "SELECT ts.technician_id, s.code, ts.level FROM technician_skills ts "
            "JOIN skills s ON s.id = ts.skill_id")).all()
        codes = [str(r.code) for r in uow.session.execute(text("SELECT code FROM skills ORDER BY code"))]
    frame = pd.DataFrame([dict(r) for r in techs], columns=["id", "name", "active", "field"])
    by_pair = {(int(r.technician_id), str(r.code)): int(r.level) for r in levels}
    for code in codes:
        frame[str(code)] = pd.array([by_pair.get((int(t), str(code))) for t in frame["id"]], dtype="Int64")
    return frame


def skill_level(engine: Engine, actor: Actor, technician_id: int, skill_code: str) -> int | None:
    """A technician's current level in a skill, if they have it."""
    actor.require("workforce.read")
    with UnitOfWork(engine, actor) as uow:
        found = uow.session.execute(text(
            "SELECT ts.level FROM technician_skills ts JOIN skills s ON s.id = ts.skill_id "
            "WHERE ts.technician_id = :t AND s.code = :c"), {"t": technician_id, "c": skill_code}).scalar()
    return int(found) if found is not None else None


@dataclass(frozen=True)
class AuditChoices:
    """The values the audit filters offer (what occurs in the tenant's trail)."""

    tables: list[str]
    actions: list[str]
    actors: list[str]


def audit_choices(engine: Engine, actor: Actor) -> AuditChoices:
    """Distinct tables, actions and actors in the audit trail, sorted."""
    actor.require("audit.read")
    with UnitOfWork(engine, actor) as uow:
        def distinct(column: str) -> list[str]:
            found = uow.session.execute(text(f"SELECT DISTINCT {column} AS value FROM audit_log ORDER BY 1"))
            return [str(r.value) for r in found if r.value is not None]

        return AuditChoices(distinct("entity"), distinct("action"), distinct("actor_label"))


def audit_log(engine: Engine, actor: Actor, *, table: str | None = None, action: str | None = None,
              actor_label: str | None = None, since: date | None = None, until: date | None = None,
              limit: int = AUDIT_LIMIT) -> pd.DataFrame:
    """Audit records matching the filters (days in the tenant's time zone, inclusive), newest first."""
    actor.require("audit.read")
    clauses = ["true"]
    params: dict[str, Any] = {"limit": max(1, min(int(limit), AUDIT_LIMIT))}
    if table:
        clauses.append("a.entity = :table")
        params["table"] = table
    if action:
        clauses.append("a.action = :action")
        params["action"] = action
    if actor_label:
        clauses.append("a.actor_label = :actor")
        params["actor"] = actor_label
    if since is not None:
        clauses.append("(a.occurred_at AT TIME ZONE tn.time_zone)::date >= :since")
        params["since"] = since
    if until is not None:
        clauses.append("(a.occurred_at AT TIME ZONE tn.time_zone)::date <= :until")
        params["until"] = until
    with UnitOfWork(engine, actor) as uow:
        rows = uow.session.execute(text(_AUDIT_SQL.format(where=" AND ".join(clauses))), params).mappings().all()
    frame = pd.DataFrame([dict(r) for r in rows], columns=[
        "id", "occurred_local", "actor", "action", "table", "row_id", "before", "after"])
    for column in ("before", "after"):
        frame[column] = frame[column].map(_compact_json)
    frame["row_id"] = frame["row_id"].astype("Int64")
    return frame


def _compact_json(value: Any) -> str:
    return "" if value is None else json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)


def channels(engine: Engine, actor: Actor) -> pd.DataFrame:
    """The company's own senders: channel, provider (the URL's scheme, never its credentials), active."""
    actor.require("comms.read")
    with UnitOfWork(engine, actor) as uow:
        rows = uow.session.execute(text(
            "SELECT channel, split_part(apprise_url, '://', 1) AS provider, is_active AS active, updated_at "
            "FROM notification_channels ORDER BY channel")).mappings().all()
    return pd.DataFrame([dict(r) for r in rows], columns=["channel", "provider", "active", "updated_at"])


def webhook_endpoints(engine: Engine, actor: Actor) -> pd.DataFrame:
    """The company's webhook endpoints with what was delivered to each."""
    actor.require("comms.read")
    with UnitOfWork(engine, actor) as uow:
        rows = uow.session.execute(text(
            "SELECT e.url, e.is_active AS active, count(d.id) FILTER (WHERE d.status = 'sent') AS sent, "
            "count(d.id) FILTER (WHERE d.status IN ('pending', 'sending', 'failed')) AS waiting, "
            "count(d.id) FILTER (WHERE d.status = 'dead') AS given_up, max(d.delivered_at) AS last_delivered "
            "FROM webhook_endpoints e LEFT JOIN webhook_deliveries d ON d.endpoint_id = e.id "
            "GROUP BY e.id ORDER BY e.id")).mappings().all()
    return pd.DataFrame([dict(r) for r in rows],
                        columns=["url", "active", "sent", "waiting", "given_up", "last_delivered"])


UNDELIVERED_SHOWN = 200


def undelivered_messages(engine: Engine, actor: Actor) -> pd.DataFrame:
    """Notifications that did not go out: waiting for their next try (failed) or given up (dead), newest first,
    with the last error the provider gave."""
    actor.require("comms.read")
    return read_frame(engine, actor, (
        "SELECT m.id, m.created_at, m.channel, m.event, m.address, m.status, m.attempts, m.not_before AS next_try,"
        " a.error AS last_error FROM notification_outbox m LEFT JOIN LATERAL (SELECT error FROM delivery_attempts"
        " WHERE outbox_id = m.id ORDER BY attempted_at DESC LIMIT 1) a ON true"
        " WHERE m.status IN ('failed', 'dead') ORDER BY m.created_at DESC LIMIT :n"), {"n": UNDELIVERED_SHOWN},
        ["id", "created_at", "channel", "event", "address", "status", "attempts", "next_try", "last_error"])


def undelivered_webhooks(engine: Engine, actor: Actor) -> pd.DataFrame:
    """Webhook deliveries that did not go through (failed, waiting to retry, or given up), newest first."""
    actor.require("comms.read")
    return read_frame(engine, actor, (
        "SELECT d.id, d.created_at, e.url, d.event, d.status, d.attempts, d.not_before AS next_try, d.last_error"
        " FROM webhook_deliveries d JOIN webhook_endpoints e ON e.id = d.endpoint_id"
        " WHERE d.status IN ('failed', 'dead') ORDER BY d.created_at DESC LIMIT :n"), {"n": UNDELIVERED_SHOWN},
        ["id", "created_at", "url", "event", "status", "attempts", "next_try", "last_error"])
