"""A technician's day: their jobs in route order, each device's history, the parts to bring, their clock.

Every read runs under the technician's row-level security, so only their own jobs' orders and customers
are visible whatever the query asks for.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pandas as pd
from sqlalchemy import Engine, text

from ops_db.kit.uow import Actor, UnitOfWork

_JOBS_SQL = """
SELECT b.id AS booking_id, b.order_id, b.status, b.technician_response, lower(b.planned) AS start,
       upper(b.planned) AS end, o.order_number, o.stage, o.priority, o.location, o.problem_description,
       o.equipment_id, c.name AS customer, c.phone, s.address_line1 AS address, s.latitude, s.longitude,
       m.name AS device, e.serial_number
FROM bookings b
JOIN service_orders o ON o.id = b.order_id
JOIN customers c ON c.id = o.customer_id
LEFT JOIN customer_sites s ON s.id = o.site_id
LEFT JOIN equipment e ON e.id = o.equipment_id
LEFT JOIN equipment_models m ON m.id = e.model_id
WHERE b.technician_id = :tech AND b.status IN ('tentative', 'confirmed', 'in_progress', 'done')
  AND b.planned && tstzrange(:s, :e)
ORDER BY lower(b.planned)
"""

_PARTS_SQL = """
SELECT r.id AS reservation_id, o.order_number, p.id AS part_id, p.sku, p.name AS part, r.quantity,
       l.name AS pick_up_at, l.kind AS location_kind, r.status
FROM stock_reservations r
JOIN parts p ON p.id = r.part_id
JOIN stock_locations l ON l.id = r.location_id
JOIN service_orders o ON o.id = r.order_id
WHERE r.order_id = ANY(:orders) AND r.status = 'active'
ORDER BY o.order_number, p.sku
"""


def _day_bounds(engine: Engine, actor: Actor, day: date) -> tuple[datetime, datetime]:
    with UnitOfWork(engine, actor) as uow:
        zone: str = uow.session.execute(text("SELECT time_zone FROM tenants WHERE id = :t"),
                                        {"t": actor.tenant_id}).scalar_one()
    start = datetime.combine(day, time(0), ZoneInfo(zone))
    return start, start + timedelta(days=1)


def jobs(engine: Engine, actor: Actor, day: date) -> pd.DataFrame:
    """The technician's bookings on the day in route order, with the order, customer, site and device."""
    actor.require("workforce.read")
    start, end = _day_bounds(engine, actor, day)
    with UnitOfWork(engine, actor) as uow:
        rows = uow.session.execute(text(_JOBS_SQL), {"tech": actor.technician_id, "s": start, "e": end}).mappings()
        frame = pd.DataFrame([dict(r) for r in rows])
    if frame.empty:
        return pd.DataFrame(columns=["booking_id", "order_id", "status", "start", "end", "order_number"])
    frame[["latitude", "longitude"]] = frame[["latitude", "longitude"]].astype(float)
    return frame


def device_history(engine: Engine, actor: Actor, equipment_id: int, before_order_id: int) -> pd.DataFrame:
    """Earlier orders on the same device (what was wrong, when, how it ended)."""
    actor.require("orders.read")
    with UnitOfWork(engine, actor) as uow:
        rows = uow.session.execute(text(
            "SELECT order_number, received_at::date AS received, stage, problem_description FROM service_orders"
            " WHERE equipment_id = :e AND id <> :o ORDER BY received_at DESC LIMIT 20"),
            {"e": equipment_id, "o": before_order_id}).mappings()
        return pd.DataFrame([dict(r) for r in rows],
                            columns=["order_number", "received", "stage", "problem_description"])


def parts_to_bring(engine: Engine, actor: Actor, order_ids: list[int]) -> pd.DataFrame:
    """Active reservations for these orders: what to pick up where (van stock is already on board)."""
    actor.require("inventory.read")
    with UnitOfWork(engine, actor) as uow:
        rows = uow.session.execute(text(_PARTS_SQL), {"orders": order_ids}).mappings()
        return pd.DataFrame([dict(r) for r in rows], columns=[
            "reservation_id", "order_number", "part_id", "sku", "part", "quantity", "pick_up_at", "location_kind",
            "status"])


def clocked_in_since(engine: Engine, actor: Actor) -> datetime | None:
    """When the technician clocked in, if they are clocked in now."""
    actor.require("workforce.read")
    with UnitOfWork(engine, actor) as uow:
        since: datetime | None = uow.session.execute(text(
            "SELECT started_at FROM time_entries WHERE technician_id = :t AND kind = 'shift' AND ended_at IS NULL"),
            {"t": actor.technician_id}).scalar()
    return since
