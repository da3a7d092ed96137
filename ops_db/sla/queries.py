"""Reads of SLA policies: each checks the actor's permission first, then reads under row-level security."""

from __future__ import annotations

from ops_db.kit.rows import Rows, fetch_rows
from ops_db.kit.uow import UnitOfWork

POLICY_COLUMNS = (
    "id",
    "name",
    "priority",
    "tier",
    "response_minutes",
    "resolution_minutes",
    "at_risk_pct",
    "active",
    "calendar",
    "time_zone",
    "weekly_hours",
    "holidays",
)

_POLICIES_SQL = """
SELECT p.id, p.name, p.priority, coalesce(t.name, :any_tier) AS tier, p.response_minutes,
       p.resolution_minutes, p.at_risk_pct, p.is_active AS active, c.name AS calendar, c.time_zone,
       c.weekly_hours, coalesce(cardinality(c.holidays), 0) AS holidays
FROM sla_policies p
JOIN business_calendars c ON c.id = p.calendar_id
LEFT JOIN customer_tiers t ON t.id = p.customer_tier_id
ORDER BY CASE p.priority WHEN 'emergency' THEN 0 WHEN 'high' THEN 1 WHEN 'normal' THEN 2 ELSE 3 END,
         t.rank NULLS FIRST, p.name
"""


def sla_policies(uow: UnitOfWork, *, any_tier: str = "any tier") -> Rows:
    """SLA policies with their tier (``any_tier`` for one that applies to every tier), targets in business
    minutes and their calendar's hours, most urgent first."""
    uow.actor.require("sla.read")
    return fetch_rows(uow, _POLICIES_SQL, {"any_tier": any_tier}, POLICY_COLUMNS)
