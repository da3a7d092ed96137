"""What a signed-in customer sees: their devices, warranties, orders with invoices, ratings.

Row-level security scopes every query to the customer's own rows; the queries still say so, for clarity.
"""

from __future__ import annotations

from typing import Any

import pandas as pd
from sqlalchemy import Engine, text

from ops_db.kit.uow import Actor, UnitOfWork
from ops_db.orders.service import load_order, timeline

_ORDERS_SQL = """
SELECT o.id, o.order_number, o.stage, o.received_at, o.completed_at, o.estimate_status, o.estimate_amount,
       m.name AS device, i.id AS invoice_id, i.invoice_number, i.status AS invoice_status, i.total AS invoice_total,
       r.score AS my_rating
FROM service_orders o
LEFT JOIN equipment e ON e.id = o.equipment_id
LEFT JOIN equipment_models m ON m.id = e.model_id
LEFT JOIN invoices i ON i.order_id = o.id AND i.status <> 'void'
LEFT JOIN order_ratings r ON r.order_id = o.id
WHERE o.customer_id = :c
ORDER BY o.received_at DESC
LIMIT 200
"""


def my_orders(engine: Engine, actor: Actor) -> pd.DataFrame:
    """The customer's orders, newest first, with the invoice and their rating if any."""
    actor.require("orders.read")
    with UnitOfWork(engine, actor) as uow:
        rows = uow.session.execute(text(_ORDERS_SQL), {"c": actor.customer_id}).mappings()
        return pd.DataFrame([dict(r) for r in rows], columns=[
            "id", "order_number", "stage", "received_at", "completed_at", "estimate_status", "estimate_amount",
            "device", "invoice_id", "invoice_number", "invoice_status", "invoice_total", "my_rating"])


def my_devices(engine: Engine, actor: Actor) -> pd.DataFrame:
    """The customer's registered devices with their latest warranty end."""
    actor.require("customers.read")
    with UnitOfWork(engine, actor) as uow:
        rows = uow.session.execute(text(
            "SELECT m.name AS model, e.serial_number, e.purchase_date,"
            " (SELECT max(w.ends_on) FROM warranties w WHERE w.equipment_id = e.id) AS warranty_until"
            " FROM equipment e JOIN equipment_models m ON m.id = e.model_id WHERE e.customer_id = :c"
            " ORDER BY m.name"), {"c": actor.customer_id}).mappings()
        return pd.DataFrame([dict(r) for r in rows], columns=["model", "serial_number", "purchase_date",
                                                              "warranty_until"])


def my_warranties(engine: Engine, actor: Actor) -> pd.DataFrame:
    """Warranties on the customer's devices (manufacturer's and on our repairs), latest first."""
    actor.require("warranty.read")
    with UnitOfWork(engine, actor) as uow:
        rows = uow.session.execute(text(
            "SELECT m.name AS device, e.serial_number, w.kind, w.coverage, w.starts_on, w.ends_on"
            " FROM warranties w JOIN equipment e ON e.id = w.equipment_id"
            " JOIN equipment_models m ON m.id = e.model_id WHERE e.customer_id = :c ORDER BY w.ends_on DESC"),
            {"c": actor.customer_id}).mappings()
        return pd.DataFrame([dict(r) for r in rows], columns=["device", "serial_number", "kind", "coverage",
                                                              "starts_on", "ends_on"])


def order_timeline(engine: Engine, actor: Actor, order_id: int) -> list[dict[str, Any]]:
    """The stages an order went through, oldest first, as ``{"stage", "at"}`` (row-level security: a customer's
    own orders only)."""
    actor.require("orders.read")
    with UnitOfWork(engine, actor) as uow:
        order = load_order(uow, order_id)  # NotFound unless the actor may see it
        return [{"stage": e["to_stage"], "at": e["at"]} for e in timeline(uow, order.id) if e["to_stage"]]
