"""The numbers and alerts each role acts on, for the home page (counts under the actor's row security)."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd
from sqlalchemy import Engine, text

from ops_db.i18n import N_
from ops_db.kit.uow import Actor, UnitOfWork


@dataclass(frozen=True)
class Alert:
    """One list a role should work through today, with the permission that makes it theirs."""

    title: str  # English; the page shows it in the reader's language
    permission: str
    sql: str


ALERTS: tuple[Alert, ...] = (
    Alert(N_("Ready but not collected"), "orders.read",
          "SELECT o.order_number, c.name AS customer, c.phone, o.completed_at,"
          " date_part('day', now() - coalesce(o.completed_at, o.received_at))::int AS days_waiting"
          " FROM service_orders o JOIN customers c ON c.id = o.customer_id WHERE o.stage = 'ready'"
          " ORDER BY o.completed_at NULLS FIRST LIMIT 200"),
    Alert(N_("SLA at risk or breached"), "sla.read",
          "SELECT o.order_number, o.stage, o.priority, k.kind, k.state, k.due_at FROM sla_clocks k"
          " JOIN service_orders o ON o.id = k.order_id WHERE k.state IN ('at_risk', 'breached')"
          " AND o.stage NOT IN ('closed', 'cancelled') ORDER BY k.due_at LIMIT 200"),
    Alert(N_("Estimates waiting for the customer"), "orders.estimate",
          "SELECT o.order_number, o.estimate_amount, o.estimate_sent_at FROM service_orders o"
          " WHERE o.estimate_status = 'pending' ORDER BY o.estimate_sent_at LIMIT 200"),
    Alert(N_("Approved orders waiting for parts with nothing reserved or ordered"), "inventory.purchase",
          "SELECT o.order_number, o.received_at, o.problem_description FROM service_orders o"
          " WHERE o.stage = 'awaiting_parts' AND NOT EXISTS (SELECT 1 FROM stock_reservations r"
          " WHERE r.order_id = o.id AND r.status = 'active') AND NOT EXISTS (SELECT 1 FROM purchase_orders p"
          " WHERE p.for_order_id = o.id AND p.status IN ('draft', 'sent', 'partially_received'))"
          " ORDER BY o.received_at LIMIT 200"),
    Alert(N_("Purchase orders due in"), "inventory.receive",
          "SELECT p.po_number, s.name AS supplier, p.status, p.expected_on, p.total FROM purchase_orders p"
          " JOIN suppliers s ON s.id = p.supplier_id WHERE p.status IN ('sent', 'partially_received')"
          " ORDER BY p.expected_on NULLS LAST LIMIT 200"),
    Alert(N_("Invoices overdue"), "billing.read",
          "SELECT i.invoice_number, c.name AS customer, i.due_on, i.total, i.status FROM invoices i"
          " JOIN customers c ON c.id = i.customer_id JOIN tenants t ON t.id = i.tenant_id"
          " WHERE i.status IN ('issued', 'partially_paid')"  # overdue from the company's day, not the server's
          " AND i.due_on < (now() AT TIME ZONE t.time_zone)::date ORDER BY i.due_on LIMIT 200"),
)


def alerts_for(engine: Engine, actor: Actor) -> list[tuple[str, pd.DataFrame]]:
    """The alert lists this person acts on, each as a table (empty tables included: zero is news too)."""
    mine = [a for a in ALERTS if actor.can(a.permission) and not actor.is_customer]
    out: list[tuple[str, pd.DataFrame]] = []
    with UnitOfWork(engine, actor) as uow:
        for alert in mine:
            rows = uow.session.execute(text(alert.sql)).mappings().all()
            out.append((alert.title, pd.DataFrame([dict(r) for r in rows])))
    return out
