"""Reads of technicians, skills, bookings, the dispatcher's queue and plans, and a technician's own day: each
checks the actor's permission first, then reads under row-level security (a technician-only login sees only
the orders and customers of its own jobs, whatever the query asks for)."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import text

from ops_db.kit.rows import Rows, fetch, fetch_rows
from ops_db.kit.uow import UnitOfWork
from ops_db.orders.queries import NO_PLANNED_VISIT
from ops_db.workforce.planning import PLANNABLE_STAGES

QUEUE_COLUMNS = (
    "id",
    "order_number",
    "stage",
    "priority",
    "location",
    "received_at",
    "estimated_minutes",
    "customer",
    "tier_rank",
    "tier",
    "device",
    "sla_state",
    "sla_due",
    "skill",
)
JOB_COLUMNS = (
    "booking_id",
    "order_id",
    "status",
    "technician_response",
    "start",
    "end",
    "order_number",
    "stage",
    "priority",
    "location",
    "problem_description",
    "equipment_id",
    "customer",
    "phone",
    "address",
    "latitude",
    "longitude",
    "device",
    "serial_number",
    "skill",
)

# Waiting for a technician: the same rule as Home's count (ops_db.orders.queries.NO_PLANNED_VISIT).
_QUEUE_SQL = f"""
SELECT o.id, o.order_number, o.stage, o.priority, o.location, o.received_at, o.estimated_minutes,
       c.name AS customer, coalesce(ct.rank, 0) AS tier_rank, ct.name AS tier, m.name AS device,
       k.state AS sla_state, k.due_at AS sla_due, s.code AS skill
FROM service_orders o
JOIN customers c ON c.id = o.customer_id
LEFT JOIN customer_tiers ct ON ct.id = c.tier_id
LEFT JOIN equipment e ON e.id = o.equipment_id
LEFT JOIN equipment_models m ON m.id = e.model_id
LEFT JOIN skills s ON s.id = o.required_skill_id
LEFT JOIN sla_clocks k ON k.order_id = o.id AND k.kind = 'resolution'
WHERE o.stage = ANY(:stages)
  AND {NO_PLANNED_VISIT}
LIMIT :limit
"""

_JOBS_SQL = """
SELECT b.id AS booking_id, b.order_id, b.status, b.technician_response, lower(b.planned) AS start,
       upper(b.planned) AS end, o.order_number, o.stage, o.priority, o.location, o.problem_description,
       o.equipment_id, c.name AS customer, c.phone, s.address_line1 AS address, s.latitude, s.longitude,
       m.name AS device, e.serial_number, sk.code AS skill
FROM bookings b
JOIN service_orders o ON o.id = b.order_id
JOIN customers c ON c.id = o.customer_id
LEFT JOIN customer_sites s ON s.id = o.site_id
LEFT JOIN equipment e ON e.id = o.equipment_id
LEFT JOIN equipment_models m ON m.id = e.model_id
LEFT JOIN skills sk ON sk.id = o.required_skill_id
WHERE b.technician_id = :tech AND b.status IN ('tentative', 'confirmed', 'in_progress', 'done')
  AND b.planned && tstzrange(:s, :e)
ORDER BY lower(b.planned)
"""


def _day_start(uow: UnitOfWork, day: date) -> datetime:
    """The first instant of ``day`` in the company's time zone (inside an open unit of work)."""
    zone: str = uow.session.execute(
        text("SELECT time_zone FROM tenants WHERE id = :t"), {"t": uow.actor.tenant_id}
    ).scalar_one()
    return datetime.combine(day, time(0), ZoneInfo(str(zone)))


def technicians(uow: UnitOfWork) -> Rows:
    """Every technician (id, name, is_active), active ones first, then by name."""
    uow.actor.require("workforce.read")
    return fetch_rows(
        uow,
        "SELECT id, name, is_active FROM technicians ORDER BY is_active DESC, name, id",
        columns=("id", "name", "is_active"),
    )


def active_technicians(uow: UnitOfWork) -> dict[int, str]:
    """Active technicians, id → name, by name."""
    uow.actor.require("workforce.read")
    found = fetch_rows(uow, "SELECT id, name FROM technicians WHERE is_active ORDER BY name")
    return {int(r["id"]): str(r["name"]) for r in found}


def skills(uow: UnitOfWork) -> dict[str, str]:
    """Skill code → name, by code."""
    uow.actor.require("workforce.read")
    return {str(r["code"]): str(r["name"]) for r in fetch_rows(uow, "SELECT code, name FROM skills ORDER BY code")}


def skill_levels(uow: UnitOfWork) -> tuple[Rows, dict[tuple[int, str], int], list[str]]:
    """The skill matrix's parts: technicians (id, name, active, field) active first then by name, each held
    (technician id, skill code) → level, and every skill code in order."""
    uow.actor.require("workforce.read")
    with uow:
        techs = fetch(
            uow,
            "SELECT id, name, is_active AS active, works_in_field AS field FROM technicians "
            "ORDER BY is_active DESC, name, id",
            columns=("id", "name", "active", "field"),
        )
        levels = uow.session.execute(
            text(
                "SELECT ts.technician_id, s.code, ts.level FROM technician_skills ts "
                "JOIN skills s ON s.id = ts.skill_id"
            )
        ).all()
        codes = [str(r.code) for r in uow.session.execute(text("SELECT code FROM skills ORDER BY code"))]
    return techs, {(int(r.technician_id), str(r.code)): int(r.level) for r in levels}, codes


def skill_level(uow: UnitOfWork, technician_id: int, skill_code: str) -> int | None:
    """A technician's current level in a skill, if they have it."""
    uow.actor.require("workforce.read")
    with uow:
        found = uow.session.execute(
            text(
                "SELECT ts.level FROM technician_skills ts JOIN skills s ON s.id = ts.skill_id "
                "WHERE ts.technician_id = :t AND s.code = :c"
            ),
            {"t": technician_id, "c": skill_code},
        ).scalar()
    return int(found) if found is not None else None


def waiting_queue(uow: UnitOfWork, *, limit: int = 20000) -> Rows:
    """Plannable orders with no active booking (unordered: the page ranks them by priority score)."""
    uow.actor.require("plans.read")
    return fetch_rows(uow, _QUEUE_SQL, {"stages": list(PLANNABLE_STAGES), "limit": limit}, QUEUE_COLUMNS)


def active_bookings(uow: UnitOfWork, day: date) -> Rows:
    """The day's confirmed or running bookings (the ones that can run late), with their ids."""
    uow.actor.require("workforce.read")
    with uow:
        start = _day_start(uow, day)
        return fetch(
            uow,
            (
                "SELECT b.id, t.name AS technician, o.order_number, lower(b.planned) AS start, upper(b.planned) AS end"
                " FROM bookings b JOIN technicians t ON t.id = b.technician_id JOIN service_orders o"
                " ON o.id = b.order_id"
                " WHERE b.status IN ('confirmed', 'in_progress') AND b.planned && tstzrange(:s, :e)"
                " ORDER BY lower(b.planned)"
            ),
            {"s": start, "e": start + timedelta(days=1)},
            ("id", "technician", "order_number", "start", "end"),
        )


def map_points(uow: UnitOfWork) -> Rows:
    """Field jobs waiting or booked (kind "job") and technicians' home bases (kind "technician"), as lat/lon."""
    uow.actor.require("plans.read")
    return fetch_rows(
        uow,
        (
            "SELECT 'job' AS kind, o.order_number AS label, s.latitude AS lat, s.longitude AS lon"
            " FROM service_orders o JOIN customer_sites s ON s.id = o.site_id"
            " WHERE o.location = 'field' AND o.stage = ANY(:stages) AND s.latitude IS NOT NULL"
            " UNION ALL SELECT 'technician', name, home_latitude, home_longitude FROM technicians"
            " WHERE is_active AND home_latitude IS NOT NULL"
        ),
        {"stages": list(PLANNABLE_STAGES)},
        ("kind", "label", "lat", "lon"),
    )


def latest_plan(uow: UnitOfWork, day: date) -> dict[str, Any] | None:
    """The newest proposal for the day (proposed, partly or fully accepted), if any."""
    uow.actor.require("plans.read")
    found = fetch_rows(
        uow,
        "SELECT id, status, solver, kpis, created_at FROM optimizer_plans WHERE plan_date = :d"
        " AND status <> 'superseded' ORDER BY id DESC LIMIT 1",
        {"d": day},
    )
    return found.records[0] if found.records else None


def plan_warehouses(uow: UnitOfWork) -> dict[int, str]:
    """Warehouse id → name: where a plan sends a technician to pick parts up (part of reading a plan)."""
    uow.actor.require("plans.read")
    found = fetch_rows(uow, "SELECT id, name FROM stock_locations WHERE kind = 'warehouse'")
    return {int(r["id"]): str(r["name"]) for r in found}


def my_jobs(uow: UnitOfWork, day: date) -> Rows:
    """The technician's own bookings on the day in route order, with the order, customer, site and device."""
    uow.actor.require("workforce.read")
    with uow:
        start = _day_start(uow, day)
        return fetch(
            uow, _JOBS_SQL, {"tech": uow.actor.technician_id, "s": start, "e": start + timedelta(days=1)}, JOB_COLUMNS
        )


def clocked_in_since(uow: UnitOfWork) -> datetime | None:
    """When the technician clocked in, if they are clocked in now."""
    uow.actor.require("workforce.read")
    with uow:
        since: datetime | None = uow.session.execute(
            text(
                "SELECT started_at FROM time_entries WHERE technician_id = :t AND kind = 'shift' AND ended_at IS NULL"
            ),
            {"t": uow.actor.technician_id},
        ).scalar()
    return since
