"""What the Admin page shows: users, the role × permission matrix, SLA policies, tax rates, templates,
branding, technicians' skills and the audit trail, as tables.

The reads live in ``ops_db/<area>/queries.py`` (each checks the actor's permission and runs under row-level
security); changes go through the services. Password hashes and TOTP secrets are never selected: the user list
says only whether a second factor is set up.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date
from typing import Any

import pandas as pd

from dashboards.data import frame
from ops_db.audit import queries as audit_queries
from ops_db.audit.queries import AUDIT_LIMIT, AuditChoices
from ops_db.billing import queries as billing_queries
from ops_db.comms import queries as comms_queries
from ops_db.comms.queries import UNDELIVERED_SHOWN
from ops_db.i18n import N_, as_is
from ops_db.identity import queries as identity_queries
from ops_db.identity.permissions import PERMISSIONS, ROLE_PERMISSIONS
from ops_db.identity.queries import Branding
from ops_db.kit.db import Database
from ops_db.kit.uow import Actor, UnitOfWork
from ops_db.sla import queries as sla_queries
from ops_db.workforce import queries as workforce_queries

__all__ = ["AUDIT_LIMIT", "UNDELIVERED_SHOWN", "AuditChoices", "Branding"]

SKILL_LEVELS = (1, 2, 3, 4, 5)
WEEKDAYS = (N_("Mon"), N_("Tue"), N_("Wed"), N_("Thu"), N_("Fri"), N_("Sat"), N_("Sun"))
ANY_TIER = N_("any tier")
NO_HOURS = N_("no working hours")
# Customer logins are linked to a customer record; the portal creates them, not this page.
NOT_GRANTABLE_HERE = frozenset({"customer"})


def users(engine: Database, actor: Actor, *, include_customers: bool = False) -> pd.DataFrame:
    """The company's users with their roles and sign-in state, by email."""
    return frame(identity_queries.users(UnitOfWork(engine, actor), include_customers=include_customers))


def roles(engine: Database, actor: Actor) -> pd.DataFrame:
    """The company's roles (code, name, built-in or not, how many users hold each), by code."""
    return frame(identity_queries.roles(UnitOfWork(engine, actor)))


def role_matrix(engine: Database, actor: Actor) -> pd.DataFrame:
    """One row per permission (catalogue order) and one boolean column per role, as the database grants it."""
    grants = identity_queries.role_grants(UnitOfWork(engine, actor))
    catalogue = grants.catalogue
    codes = [p for p in PERMISSIONS if p in catalogue] + sorted(set(catalogue) - set(PERMISSIONS))
    matrix = pd.DataFrame({"permission": codes, "description": [catalogue[c] or PERMISSIONS.get(c, "") for c in codes]})
    for role in grants.roles:
        matrix[role] = [(role, c) in grants.granted for c in codes]
    return matrix


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
    return sorted(
        role
        for role, perms in role_permissions(matrix).items()
        if role not in NOT_GRANTABLE_HERE and perms <= actor.permissions
    )


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


def sla_policies(engine: Database, actor: Actor, t: Callable[[str], str] = as_is) -> pd.DataFrame:
    """SLA policies with their tier, targets (business time) and the calendar's hours, most urgent first; the
    targets, hours and "any tier" in ``t``'s language."""
    policies = frame(sla_queries.sla_policies(UnitOfWork(engine, actor), any_tier=t(ANY_TIER)))
    policies["response"] = policies["response_minutes"].map(lambda m: format_minutes(m, t))
    policies["resolution"] = policies["resolution_minutes"].map(lambda m: format_minutes(m, t))
    policies["business_hours"] = policies["weekly_hours"].map(lambda h: business_hours_label(h, t))
    return policies[
        [
            "id",
            "name",
            "priority",
            "tier",
            "response",
            "resolution",
            "at_risk_pct",
            "business_hours",
            "time_zone",
            "holidays",
            "calendar",
            "active",
            "response_minutes",
            "resolution_minutes",
        ]
    ]


def tax_rates(engine: Database, actor: Actor) -> pd.DataFrame:
    """The company's tax rates, newest validity first."""
    return frame(billing_queries.tax_rates(UnitOfWork(engine, actor)))


def notification_templates(engine: Database, actor: Actor) -> pd.DataFrame:
    """Every event's template, the company's own and the built-in ones no text overrides."""
    return frame(comms_queries.notification_templates(UnitOfWork(engine, actor)))


def branding(engine: Database, actor: Actor) -> Branding | None:
    """The actor's company as the brand customers see, if visible."""
    return identity_queries.branding(UnitOfWork(engine, actor))


def technicians(engine: Database, actor: Actor, t: Callable[[str], str] = as_is) -> dict[int, str]:
    """Technician id → "name (#id)" for every technician ("name (#id) · inactive", in ``t``'s language, for one
    who left), active ones first, then by name."""
    found = workforce_queries.technicians(UnitOfWork(engine, actor))
    return {
        int(r["id"]): f"{r['name']} (#{r['id']})" + ("" if r["is_active"] else f" · {t(N_('inactive'))}") for r in found
    }


def skills(engine: Database, actor: Actor) -> dict[str, str]:
    """Skill code → name, by code."""
    return workforce_queries.skills(UnitOfWork(engine, actor))


def skill_matrix(engine: Database, actor: Actor) -> pd.DataFrame:
    """One row per technician (name, active, field work) and one column per skill code holding the level."""
    techs, by_pair, codes = workforce_queries.skill_levels(UnitOfWork(engine, actor))
    matrix = frame(techs)
    for code in codes:
        matrix[str(code)] = pd.array([by_pair.get((int(t), str(code))) for t in matrix["id"]], dtype="Int64")
    return matrix


def skill_level(engine: Database, actor: Actor, technician_id: int, skill_code: str) -> int | None:
    """A technician's current level in a skill, if they have it."""
    return workforce_queries.skill_level(UnitOfWork(engine, actor), technician_id, skill_code)


def audit_choices(engine: Database, actor: Actor) -> AuditChoices:
    """Distinct tables, actions and actors in the audit trail, sorted."""
    return audit_queries.audit_choices(UnitOfWork(engine, actor))


def audit_log(
    engine: Database,
    actor: Actor,
    *,
    table: str | None = None,
    action: str | None = None,
    actor_label: str | None = None,
    since: date | None = None,
    until: date | None = None,
    limit: int = AUDIT_LIMIT,
) -> pd.DataFrame:
    """Audit records matching the filters (days in the company's time zone, inclusive), newest first, with the
    before and after values as compact JSON."""
    records = frame(
        audit_queries.audit_log(
            UnitOfWork(engine, actor),
            table=table,
            action=action,
            actor_label=actor_label,
            since=since,
            until=until,
            limit=limit,
        )
    )
    for column in ("before", "after"):
        records[column] = records[column].map(_compact_json)
    records["row_id"] = records["row_id"].astype("Int64")
    return records


def _compact_json(value: Any) -> str:
    return "" if value is None else json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)


def channels(engine: Database, actor: Actor) -> pd.DataFrame:
    """The company's own senders: channel, provider (the URL's scheme, never its credentials), active."""
    return frame(comms_queries.channels(UnitOfWork(engine, actor)))


def webhook_endpoints(engine: Database, actor: Actor) -> pd.DataFrame:
    """The company's webhook endpoints with what was delivered to each."""
    return frame(comms_queries.webhook_endpoints(UnitOfWork(engine, actor)))


def undelivered_messages(engine: Database, actor: Actor) -> pd.DataFrame:
    """Notifications that did not go out (failed or given up), newest first, with the provider's last error."""
    return frame(comms_queries.undelivered_messages(UnitOfWork(engine, actor)))


def undelivered_webhooks(engine: Database, actor: Actor) -> pd.DataFrame:
    """Webhook deliveries that did not go through (failed, waiting to retry, or given up), newest first."""
    return frame(comms_queries.undelivered_webhooks(UnitOfWork(engine, actor)))
