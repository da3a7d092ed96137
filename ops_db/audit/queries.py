"""Reads of the audit trail: each checks ``audit.read`` first, then reads under row-level security."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import text

from ops_db.kit.rows import Rows, fetch_rows
from ops_db.kit.uow import UnitOfWork

AUDIT_LIMIT = 500
AUDIT_COLUMNS = ("id", "occurred_local", "actor", "action", "table", "row_id", "before", "after")

_AUDIT_SQL = """
SELECT a.id, (a.occurred_at AT TIME ZONE tn.time_zone) AS occurred_local, a.actor_label AS actor,
       a.action, a.entity AS "table", a.entity_id AS row_id, a.before, a.after
FROM audit_log a
JOIN tenants tn ON tn.id = a.tenant_id
WHERE {where}
ORDER BY a.occurred_at DESC, a.id DESC
LIMIT :limit
"""


@dataclass(frozen=True)
class AuditChoices:
    """The values the audit filters offer (what occurs in the company's trail)."""

    tables: list[str]
    actions: list[str]
    actors: list[str]


def audit_choices(uow: UnitOfWork) -> AuditChoices:
    """Distinct tables, actions and actors in the audit trail, sorted."""
    uow.actor.require("audit.read")
    with uow:

        def distinct(column: str) -> list[str]:
            found = uow.session.execute(text(f"SELECT DISTINCT {column} AS value FROM audit_log ORDER BY 1"))
            return [str(r.value) for r in found if r.value is not None]

        return AuditChoices(distinct("entity"), distinct("action"), distinct("actor_label"))


def audit_log(
    uow: UnitOfWork,
    *,
    table: str | None = None,
    action: str | None = None,
    actor_label: str | None = None,
    since: date | None = None,
    until: date | None = None,
    limit: int = AUDIT_LIMIT,
) -> Rows:
    """Audit records matching the filters (days in the company's time zone, inclusive), newest first, at most
    :data:`AUDIT_LIMIT`."""
    uow.actor.require("audit.read")
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
    return fetch_rows(uow, _AUDIT_SQL.format(where=" AND ".join(clauses)), params, AUDIT_COLUMNS)
