"""Reads of orders for staff: one order with its details, a filtered page of orders, the timeline."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, or_, select, text

from ops_db.assets.models import Equipment
from ops_db.customers.models import Customer
from ops_db.customers.service import page_bounds
from ops_db.i18n import N_
from ops_db.kit.uow import UnitOfWork
from ops_db.orders.common import _enum, load_order
from ops_db.orders.lines import _lines, order_totals
from ops_db.orders.models import (
    OrderEvent,
    ServiceOrder,
    Stage,
)
from ops_db.orders.stages import allowed_transitions


def order_dict(uow: UnitOfWork, order: ServiceOrder, *, with_details: bool = False) -> dict[str, Any]:
    """An order as plain data (with lines, totals and timeline when asked)."""
    data: dict[str, Any] = {
        "id": order.id, "order_number": order.order_number, "stage": order.stage.value,
        "priority": order.priority.value, "location": order.location.value, "customer_id": order.customer_id,
        "equipment_id": order.equipment_id, "problem_description": order.problem_description,
        "assigned_technician_id": order.assigned_technician_id, "estimate_amount": order.estimate_amount,
        "estimate_status": order.estimate_status.value, "received_at": order.received_at,
        "promised_at": order.promised_at, "completed_at": order.completed_at, "closed_at": order.closed_at,
        "is_warranty_repair": order.is_warranty_repair, "allowed_transitions": [s.value for s in
                                                                                allowed_transitions(order)],
    }
    if with_details:
        data["lines"] = [{"id": ln.id, "line_no": ln.line_no, "kind": ln.kind.value, "description": ln.description,
                          "quantity": ln.quantity, "unit_price": ln.unit_price, "tax_rate_pct": ln.tax_rate_pct,
                          "part_id": ln.part_id} for ln in _lines(uow, order.id)]
        data["totals"] = order_totals(uow, order.id)
        data["events"] = timeline(uow, order.id)
    return data


def timeline(uow: UnitOfWork, order_id: int) -> list[dict[str, Any]]:
    """The order's events, oldest first."""
    rows = uow.session.execute(select(OrderEvent).where(OrderEvent.order_id == order_id)
                               .order_by(OrderEvent.occurred_at, OrderEvent.id)).scalars()
    return [{"event": e.event_type.value, "from_stage": e.from_stage.value if e.from_stage else None,
             "to_stage": e.to_stage.value if e.to_stage else None, "at": e.occurred_at, "by": e.actor_label}
            for e in rows]


def get_order(uow: UnitOfWork, order_id: int) -> dict[str, Any]:
    """One order with lines, totals and timeline."""
    with uow:
        uow.actor.require("orders.read")
        return order_dict(uow, load_order(uow, order_id), with_details=True)


def list_orders(uow: UnitOfWork, *, stage: str | None = None, customer_id: int | None = None,
                q: str | None = None, limit: int = 50, offset: int = 0) -> tuple[list[dict[str, Any]], int]:
    """A page of orders, newest first, filtered by stage, customer or a search on number, name, phone, serial."""
    limit, offset = page_bounds(limit, offset)
    with uow:
        actor = uow.actor
        actor.require("orders.read")
        query = select(ServiceOrder)
        if stage:
            query = query.where(ServiceOrder.stage == _enum(Stage, stage, N_("stage")))
        if customer_id is not None:
            query = query.where(ServiceOrder.customer_id == customer_id)
        if actor.is_technician_only:
            query = query.where(or_(ServiceOrder.assigned_technician_id == actor.own_technician, text(
                "EXISTS (SELECT 1 FROM bookings b WHERE b.order_id = service_orders.id AND b.technician_id = :tech)"
            ).bindparams(tech=actor.own_technician)))
        if q:
            like = f"%{q.strip()[:100]}%"
            query = query.where(or_(
                ServiceOrder.order_number.ilike(like),
                ServiceOrder.customer_id.in_(select(Customer.id).where(or_(Customer.name.ilike(like),
                                                                           Customer.phone.ilike(like)))),
                ServiceOrder.equipment_id.in_(select(Equipment.id).where(Equipment.serial_number.ilike(like)))))
        total = uow.session.execute(select(func.count()).select_from(query.subquery())).scalar_one()
        rows = uow.session.execute(query.order_by(ServiceOrder.received_at.desc(), ServiceOrder.id.desc())
                                   .limit(limit).offset(offset)).scalars().all()
        return [order_dict(uow, o) for o in rows], total
