"""Reads of orders: one order with its details, a filtered page of orders, the timeline; and the pages' reads
(the board, the portal's own orders, the home page's alerts), each checking the actor first."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal, overload

from sqlalchemy import func, or_, select, text

from ops_db.assets.models import Equipment
from ops_db.customers.models import Customer
from ops_db.i18n import N_
from ops_db.kit import bounds
from ops_db.kit.rows import Rows, clean_search, fetch, fetch_rows
from ops_db.kit.uow import UnitOfWork
from ops_db.orders.common import _enum, load_order, number_is
from ops_db.orders.lines import _lines, order_totals
from ops_db.orders.models import (
    OrderEvent,
    ServiceOrder,
    Stage,
)
from ops_db.orders.schemas import EventRow, OrderDetail, OrderLineRow, OrderRow, Totals
from ops_db.orders.stages import allowed_transitions


@overload
def order_dict(uow: UnitOfWork, order: ServiceOrder, *, with_details: Literal[False] = False) -> OrderRow: ...
@overload
def order_dict(uow: UnitOfWork, order: ServiceOrder, *, with_details: Literal[True]) -> OrderDetail: ...
def order_dict(uow: UnitOfWork, order: ServiceOrder, *, with_details: bool = False) -> OrderRow | OrderDetail:
    """An order as plain data (with lines, totals and timeline when asked)."""
    data = OrderRow(
        id=order.id,
        order_number=order.order_number,
        stage=order.stage.value,
        priority=order.priority.value,
        location=order.location.value,
        customer_id=order.customer_id,
        equipment_id=order.equipment_id,
        problem_description=order.problem_description,
        assigned_technician_id=order.assigned_technician_id,
        estimate_amount=order.estimate_amount,
        estimate_status=order.estimate_status.value,
        received_at=order.received_at,
        promised_at=order.promised_at,
        completed_at=order.completed_at,
        closed_at=order.closed_at,
        is_warranty_repair=order.is_warranty_repair,
        allowed_transitions=[s.value for s in allowed_transitions(order)],
    )
    if not with_details:
        return data
    lines = [
        OrderLineRow(
            id=ln.id,
            line_no=ln.line_no,
            kind=ln.kind.value,
            description=ln.description,
            quantity=ln.quantity,
            unit_price=ln.unit_price,
            tax_rate_pct=ln.tax_rate_pct,
            part_id=ln.part_id,
        )
        for ln in _lines(uow, order.id)
    ]
    totals = order_totals(uow, order.id)
    return OrderDetail(
        **data,
        lines=lines,
        totals=Totals(subtotal=totals["subtotal"], tax=totals["tax"], total=totals["total"]),
        events=timeline(uow, order.id),
    )


def timeline(uow: UnitOfWork, order_id: int) -> list[EventRow]:
    """The order's events, oldest first."""
    rows = uow.session.execute(
        select(OrderEvent).where(OrderEvent.order_id == order_id).order_by(OrderEvent.occurred_at, OrderEvent.id)
    ).scalars()
    return [
        EventRow(
            event=e.event_type.value,
            from_stage=e.from_stage.value if e.from_stage else None,
            to_stage=e.to_stage.value if e.to_stage else None,
            at=e.occurred_at,
            by=e.actor_label,
        )
        for e in rows
    ]


def get_order(uow: UnitOfWork, order_id: int) -> OrderDetail:
    """One order with lines, totals and timeline."""
    with uow:
        uow.actor.require("orders.read")
        return order_dict(uow, load_order(uow, order_id), with_details=True)


def list_orders(
    uow: UnitOfWork,
    *,
    stage: str | None = None,
    customer_id: int | None = None,
    q: str | None = None,
    limit: int = 50,
    offset: int = 0,
) -> tuple[list[OrderRow], int]:
    """A page of orders, newest first, filtered by stage, customer or a search on number, name, phone, serial."""
    limit, offset = bounds.page(limit, offset)
    with uow:
        actor = uow.actor
        actor.require("orders.read")
        query = select(ServiceOrder)
        if stage:
            query = query.where(ServiceOrder.stage == _enum(Stage, stage, N_("stage")))
        if customer_id is not None:
            query = query.where(ServiceOrder.customer_id == customer_id)
        if actor.is_technician_only:
            query = query.where(
                or_(
                    ServiceOrder.assigned_technician_id == actor.own_technician,
                    text(
                        "EXISTS (SELECT 1 FROM bookings b WHERE b.order_id = service_orders.id AND"
                        " b.technician_id = :tech)"
                    ).bindparams(tech=actor.own_technician),
                )
            )
        if q:
            like = f"%{q.strip()[:100]}%"
            query = query.where(
                or_(
                    ServiceOrder.order_number.ilike(like),
                    ServiceOrder.customer_id.in_(
                        select(Customer.id).where(or_(Customer.name.ilike(like), Customer.phone.ilike(like)))
                    ),
                    ServiceOrder.equipment_id.in_(select(Equipment.id).where(Equipment.serial_number.ilike(like))),
                )
            )
        total = uow.session.execute(select(func.count()).select_from(query.subquery())).scalar_one()
        rows = (
            uow.session.execute(
                query.order_by(ServiceOrder.received_at.desc(), ServiceOrder.id.desc()).limit(limit).offset(offset)
            )
            .scalars()
            .all()
        )
        return [order_dict(uow, o) for o in rows], total


# ------------------------------------------------------------------ the pages' reads (each checks the actor first)

BOARD_STAGES = (
    "received",
    "diagnostics",
    "awaiting_approval",
    "awaiting_parts",
    "repair",
    "quality_check",
    "ready",
    "on_hold",
)
BOARD_COLUMNS = (
    "id",
    "order_number",
    "stage",
    "priority",
    "location",
    "customer",
    "phone",
    "device",
    "serial_number",
    "technician",
    "received_at",
    "due_at",
    "sla_state",
    "customer_id",  # the ids a click opens (the pages hide them)
    "equipment_id",
    "technician_id",
    "sla_due",
    "waiting_for_technician",
)
MY_ORDER_COLUMNS = (
    "id",
    "order_number",
    "stage",
    "received_at",
    "completed_at",
    "estimate_status",
    "estimate_amount",
    "device",
    "invoice_id",
    "invoice_number",
    "invoice_status",
    "invoice_total",
    "my_rating",
)
TO_LINK_COLUMNS = (
    "request_id",
    "submitted_at",
    "contact_name",
    "contact_email",
    "contact_phone",
    "order_number",
    "customer_id",
    "customer",
)

# The one definition of an order "waiting for a technician", shared by Home and the Dispatch queue
# (ops_db.workforce.queries): it is in a stage where technicians work on it, and no visit is planned or under way.
TECHNICIAN_STAGES = ("received", "diagnostics", "awaiting_parts", "repair", "quality_check")
NO_PLANNED_VISIT = (
    "NOT EXISTS (SELECT 1 FROM bookings b WHERE b.order_id = o.id"
    " AND b.status IN ('tentative', 'confirmed', 'in_progress'))"
)
# The one definition of an order's SLA state, shared by the board's badge, Home's tiles and Home's list: the most
# urgent of its clocks still counting (a late first response counts until the shop answers), else how its
# resolution clock ended.
ORDER_SLA_JOIN = """
LEFT JOIN LATERAL (
    SELECT k.state, k.due_at FROM sla_clocks k WHERE k.order_id = o.id
    ORDER BY k.stopped_at IS NOT NULL,
             CASE WHEN k.stopped_at IS NOT NULL THEN 0 WHEN k.state = 'breached' THEN 0
                  WHEN k.state = 'at_risk' THEN 1 WHEN k.state = 'running' THEN 2 ELSE 3 END,
             k.kind = 'response'
    LIMIT 1
) k ON true
"""
SLA_ALERT_STATES = ("at_risk", "breached")

_BOARD_SQL = f"""
SELECT o.id, o.order_number, o.stage, o.priority, o.location, c.name AS customer, c.phone,
       m.name AS device, e.serial_number, t.name AS technician, o.received_at, o.due_at,
       k.state AS sla_state, o.customer_id, o.equipment_id, o.assigned_technician_id AS technician_id,
       k.due_at AS sla_due,
       (o.stage::text = ANY(:technician_stages) AND {NO_PLANNED_VISIT}) AS waiting_for_technician
FROM service_orders o
JOIN customers c ON c.id = o.customer_id
LEFT JOIN equipment e ON e.id = o.equipment_id
LEFT JOIN equipment_models m ON m.id = e.model_id
LEFT JOIN technicians t ON t.id = o.assigned_technician_id
{ORDER_SLA_JOIN}
WHERE o.stage = ANY(:stages)
  AND (:q = '' OR o.order_number ILIKE :like OR c.name ILIKE :like OR c.phone ILIKE :like
       OR e.serial_number ILIKE :like)
"""
_TABLE_SQL = f"""
SELECT * FROM ({_BOARD_SQL}) b WHERE (:every OR b.waiting_for_technician)
ORDER BY b.received_at, b.id LIMIT :limit OFFSET :offset
"""
# The kanban shows one page of cards of every column: the oldest first, page by page, every open order reachable.
_CARDS_SQL = f"""
SELECT * FROM (SELECT b.*, row_number() OVER (PARTITION BY b.stage ORDER BY b.received_at, b.id) AS rn
               FROM ({_BOARD_SQL}) b) ranked
WHERE rn > :offset AND rn <= :offset + :per_stage ORDER BY received_at, id
"""
_COUNTS_SQL = f"""
SELECT b.stage, b.sla_state, b.waiting_for_technician, count(*) AS n FROM ({_BOARD_SQL}) b
GROUP BY b.stage, b.sla_state, b.waiting_for_technician
"""

# A request "to link": its typed email or phone belongs to another (active) customer than the one it is filed
# under. Anonymous portal requests never join an existing customer by themselves (intake's stranger rule);
# staff who recognise the person move them with link_request.
_TO_LINK_SQL = """
SELECT r.id AS request_id, r.submitted_at, r.contact_name, r.contact_email, r.contact_phone,
       o.order_number, c.id AS customer_id, c.name AS customer
FROM service_requests r
JOIN customers c ON c.id <> r.customer_id AND c.is_active
     AND ((r.contact_email IS NOT NULL AND lower(c.email) = lower(r.contact_email))
          OR (r.contact_phone IS NOT NULL AND c.phone = r.contact_phone))
LEFT JOIN service_orders o ON o.request_id = r.id
WHERE NOT EXISTS (SELECT 1 FROM invoices i WHERE i.order_id = o.id AND i.status <> 'void')
ORDER BY r.submitted_at DESC, r.id DESC, c.id
LIMIT :limit
"""

_MY_ORDERS_SQL = """
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

# What hangs off an order besides lines and events, and what each part needs besides ``orders.read``.
_EXTRAS_SQL = {
    "reservations": "SELECT p.sku, p.name AS part, r.quantity, l.name AS location, r.status FROM"
    " stock_reservations r JOIN parts p ON p.id = r.part_id JOIN stock_locations l"
    " ON l.id = r.location_id WHERE r.order_id = :o ORDER BY r.id",
    "notes": "SELECT created_at, body, is_internal FROM order_notes WHERE order_id = :o ORDER BY created_at",
    "attachments": "SELECT filename, content_type, size_bytes FROM attachments WHERE order_id = :o ORDER BY id",
    "invoices": "SELECT id, invoice_number, status, total, due_on FROM invoices WHERE order_id = :o ORDER BY id",
    "payments": "SELECT p.received_at, p.method, p.amount, p.refunded_amount, p.status FROM payments p"
    " JOIN invoices i ON i.id = p.invoice_id WHERE i.order_id = :o ORDER BY p.id",
    "warranties": "SELECT w.id, w.kind, w.coverage, w.starts_on, w.ends_on FROM warranties w JOIN service_orders o"
    " ON o.equipment_id = w.equipment_id WHERE o.id = :o ORDER BY w.ends_on DESC",
    "refunds": "SELECT r.id, r.amount, r.refunded_at, r.reason FROM refunds r"
    " JOIN payments p ON p.id = r.payment_id JOIN invoices i ON i.id = p.invoice_id"
    " WHERE i.order_id = :o ORDER BY r.id",
}
EXTRA_PERMISSION = {
    "reservations": "inventory.read",
    "invoices": "billing.read",
    "payments": "billing.read",
    "refunds": "billing.read",
    "warranties": "warranty.read",
}


def _board_params(search: str, stages: tuple[str, ...]) -> dict[str, Any]:
    q = clean_search(search)
    return {"stages": list(stages), "q": q, "like": f"%{q}%", "technician_stages": list(TECHNICIAN_STAGES)}


def open_orders(
    uow: UnitOfWork,
    *,
    search: str = "",
    stages: tuple[str, ...] = BOARD_STAGES,
    limit: int = 2000,
    offset: int = 0,
    waiting_for_technician: bool = False,
) -> Rows:
    """Open orders the actor may see (company; own orders for customers, own jobs' for technicians), oldest
    first, one page of ``limit`` from ``offset`` (:func:`open_order_counts` gives the true totals); with
    ``waiting_for_technician`` only those waiting for one (see ``TECHNICIAN_STAGES``)."""
    uow.actor.require("orders.read")
    params = {**_board_params(search, stages), "limit": max(limit, 0), "offset": max(offset, 0)}
    return fetch_rows(uow, _TABLE_SQL, {**params, "every": not waiting_for_technician}, BOARD_COLUMNS)


def board_cards(
    uow: UnitOfWork, *, search: str = "", per_stage: int = 8, page: int = 0, stages: tuple[str, ...] = BOARD_STAGES
) -> Rows:
    """Page ``page`` (from 0) of every board column's open orders, ``per_stage`` cards each, the oldest first."""
    uow.actor.require("orders.read")
    per_stage, offset = bounds.page(per_stage, max(page, 0) * per_stage)
    params = {**_board_params(search, stages), "per_stage": per_stage, "offset": offset}
    return fetch_rows(uow, _CARDS_SQL, params, BOARD_COLUMNS)


def open_order_counts(uow: UnitOfWork, *, search: str = "") -> dict[str, int]:
    """True totals over every open order the actor may see: one entry per board column, plus ``total``,
    ``at_risk`` and ``breached`` (the order's SLA state, ``ORDER_SLA_JOIN``) and ``waiting`` (for a technician,
    ``TECHNICIAN_STAGES``)."""
    uow.actor.require("orders.read")
    counts = dict.fromkeys((*BOARD_STAGES, "total", *SLA_ALERT_STATES, "waiting"), 0)
    for row in fetch_rows(uow, _COUNTS_SQL, _board_params(search, BOARD_STAGES)):
        stage, sla_state, n = str(row["stage"]), row["sla_state"], int(row["n"])
        counts[stage] += n
        counts["total"] += n
        if sla_state in SLA_ALERT_STATES:
            counts[str(sla_state)] += n
        if row["waiting_for_technician"]:
            counts["waiting"] += n
    return counts


def requests_to_link(uow: UnitOfWork, *, limit: int = 200) -> Rows:
    """Requests filed under a customer of their own whose typed email or phone belongs to an existing customer
    (one row per possible match), newest first: staff decide whether it is the same person and link it."""
    uow.actor.require("requests.read")
    return fetch_rows(uow, _TO_LINK_SQL, {"limit": limit}, TO_LINK_COLUMNS)


def my_orders(uow: UnitOfWork) -> Rows:
    """The signed-in customer's orders, newest first, with the invoice and their rating if any."""
    uow.actor.require("orders.read")
    return fetch_rows(uow, _MY_ORDERS_SQL, {"c": uow.actor.customer_id}, MY_ORDER_COLUMNS)


def stages_passed(uow: UnitOfWork, order_id: int) -> list[dict[str, Any]]:
    """The stages an order went through, oldest first, as ``{"stage", "at"}`` (row-level security: a customer's
    own orders only)."""
    uow.actor.require("orders.read")
    with uow:
        order = load_order(uow, order_id)  # NotFound unless the actor may see it
        return [{"stage": e["to_stage"], "at": e["at"]} for e in timeline(uow, order.id) if e["to_stage"]]


def device_history(uow: UnitOfWork, equipment_id: int, before_order_id: int) -> Rows:
    """Earlier orders on the same device (what was wrong, when, how it ended), newest first."""
    uow.actor.require("orders.read")
    return fetch_rows(
        uow,
        "SELECT order_number, received_at::date AS received, stage, problem_description"
        " FROM service_orders WHERE equipment_id = :e AND id <> :o"
        " ORDER BY received_at DESC LIMIT 20",
        {"e": equipment_id, "o": before_order_id},
        ("order_number", "received", "stage", "problem_description"),
    )


def order_id_by_number(uow: UnitOfWork, number: str) -> int | None:
    """The id of the order with this number, if the actor may see it."""
    uow.actor.require("orders.read")
    with uow:
        return uow.session.execute(select(ServiceOrder.id).where(number_is(number))).scalar_one_or_none()


def catalog_services(uow: UnitOfWork) -> dict[str, int]:
    """Label → id of the active catalogue services ("Screen replacement · 89.00"), by name."""
    uow.actor.require("orders.read")
    found = fetch_rows(
        uow,
        "SELECT id, name || ' · ' || default_price AS label FROM service_catalog_items WHERE is_active ORDER BY name",
    )
    return {str(r["label"]): int(r["id"]) for r in found}


def order_extras(uow: UnitOfWork, order_id: int) -> dict[str, list[dict[str, Any]]]:
    """What hangs off an order besides lines and events: reservations, notes, attachments, invoices, payments,
    refunds and warranties. Each part needs its own read permission besides ``orders.read`` (a dispatcher sees
    the order, not its money); a part the actor may not read comes back empty."""
    uow.actor.require("orders.read")
    actor = uow.actor
    with uow:
        return {
            name: fetch(uow, sql, {"o": order_id}).records
            if actor.can(EXTRA_PERMISSION.get(name, "orders.read"))
            else []
            for name, sql in _EXTRAS_SQL.items()
        }


@dataclass(frozen=True)
class Alert:
    """One list a role should work through today, with the permission that makes it theirs."""

    title: str  # English; the page shows it in the reader's language
    permission: str
    sql: str  # ordered, without a LIMIT: :func:`alerts` lists the first ALERT_ROWS and counts them all


ALERT_ROWS = 200


ALERTS: tuple[Alert, ...] = (
    Alert(
        N_("Ready but not collected"),
        "orders.read",
        "SELECT o.order_number, c.name AS customer, c.phone, o.completed_at,"
        " date_part('day', now() - coalesce(o.completed_at, o.received_at))::int AS days_waiting,"
        " c.id AS customer_id"
        " FROM service_orders o JOIN customers c ON c.id = o.customer_id WHERE o.stage = 'ready'"
        " ORDER BY o.completed_at NULLS FIRST",
    ),
    Alert(
        N_("SLA at risk or breached"),
        "sla.read",
        # The orders Home's SLA tiles count, one row each (the board's definition of an order's SLA state).
        "SELECT b.order_number, b.stage, b.priority, b.customer, b.sla_state AS state, b.sla_due AS due_at,"
        f" b.customer_id FROM ({_BOARD_SQL}) b WHERE b.sla_state IN ('at_risk', 'breached')"
        " ORDER BY b.sla_due, b.id",
    ),
    Alert(
        N_("Estimates waiting for the customer"),
        "orders.estimate",
        "SELECT o.order_number, o.estimate_amount, o.estimate_sent_at FROM service_orders o"
        " WHERE o.estimate_status = 'pending' ORDER BY o.estimate_sent_at",
    ),
    Alert(
        N_("Approved orders waiting for parts with nothing reserved or ordered"),
        "inventory.purchase",
        "SELECT o.order_number, o.received_at, o.problem_description FROM service_orders o"
        " WHERE o.stage = 'awaiting_parts' AND NOT EXISTS (SELECT 1 FROM stock_reservations r"
        " WHERE r.order_id = o.id AND r.status = 'active') AND NOT EXISTS (SELECT 1 FROM purchase_orders p"
        " WHERE p.for_order_id = o.id AND p.status IN ('draft', 'sent', 'partially_received'))"
        " ORDER BY o.received_at",
    ),
    Alert(
        N_("Purchase orders due in"),
        "inventory.receive",
        "SELECT p.po_number, s.name AS supplier, p.status, p.expected_on, p.total FROM purchase_orders p"
        " JOIN suppliers s ON s.id = p.supplier_id WHERE p.status IN ('sent', 'partially_received')"
        " ORDER BY p.expected_on NULLS LAST",
    ),
    Alert(
        N_("Invoices overdue"),
        "billing.read",
        # Billing's receivables (ops_db.billing.service.receivables) past their due date on the company's day.
        "SELECT i.invoice_number, c.name AS customer, i.due_on, i.total, i.status, i.id AS invoice_id,"
        " c.id AS customer_id FROM invoices i"
        " JOIN customers c ON c.id = i.customer_id JOIN tenants t ON t.id = i.tenant_id"
        " WHERE i.status NOT IN ('draft', 'void', 'written_off')"
        " AND i.total > COALESCE((SELECT sum(p.amount - p.refunded_amount) FROM payments p"
        " WHERE p.invoice_id = i.id AND p.status = 'succeeded'), 0)"
        " + COALESCE((SELECT sum(n.amount) FROM credit_notes n WHERE n.invoice_id = i.id), 0)"
        " AND coalesce(i.due_on, (i.issued_at AT TIME ZONE t.time_zone)::date)"
        " < (now() AT TIME ZONE t.time_zone)::date ORDER BY i.due_on",
    ),
)


def alerts(uow: UnitOfWork) -> list[tuple[str, Rows, int]]:
    """The alert lists this person acts on (each needs its own permission; none for customers), each as its
    first ``ALERT_ROWS`` rows and how many there are in all (empty lists included: zero is news too)."""
    actor = uow.actor
    mine = [a for a in ALERTS if actor.can(a.permission) and not actor.is_customer]
    params = {**_board_params("", BOARD_STAGES), "shown": ALERT_ROWS}
    found = []
    with uow:
        for alert in mine:
            rows = fetch(uow, f"{alert.sql} LIMIT :shown", params)
            total = len(rows)
            if total == ALERT_ROWS:  # more may wait beyond the first page: count them all
                total = int(uow.session.execute(text(f"SELECT count(*) FROM ({alert.sql}) a"), params).scalar_one())
            found.append((alert.title, rows, total))
    return found
