"""What every orders module shares: cleaning input, loading an order the actor may see, its history.

The underscored names are private to the ``ops_db.orders`` package; other areas use ``ops_db.orders.service``."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import ColumnElement, func, text

from ops_db.comms.webhooks import enqueue_order_event
from ops_db.kit import bounds
from ops_db.kit.errors import ValidationError, not_found
from ops_db.kit.uow import UnitOfWork
from ops_db.orders.models import (
    EventType,
    OrderEvent,
    ServiceOrder,
    Stage,
)

CENT = Decimal("0.01")


def _clean_text(value: str | None, what: str, max_len: int, *, required: bool = True) -> str | None:
    return bounds.text(value, what, max_len, required=required)


def number_is(number: str | None) -> ColumnElement[bool]:
    """Matches the order numbered ``number`` whatever the case of its letters (people type "ro-2026-000123")."""
    return func.upper(ServiceOrder.order_number) == (number or "").strip().upper()


def _money(value: Any, what: str, *, allow_negative: bool = False) -> Decimal:
    return bounds.money(value, what, negative=allow_negative)


def _enum(enum_cls: Any, value: str, what: str) -> Any:
    try:
        return enum_cls(value)
    except ValueError:
        raise ValidationError(
            "The {what} must be one of: {choices}.", what=what, choices=", ".join(e.value for e in enum_cls)
        ) from None


def load_order(uow: UnitOfWork, order_id: int, *, lock: bool = False) -> ServiceOrder:
    """The order, refusing technicians who are not assigned to it (NotFound, so nothing leaks)."""
    order = uow.get(ServiceOrder, order_id, lock=lock)
    if not _may_see(uow, order):
        raise not_found(ServiceOrder, order_id)
    return order


def _may_see(uow: UnitOfWork, order: ServiceOrder) -> bool:
    actor = uow.actor
    if actor.is_technician_only:
        if order.assigned_technician_id == actor.own_technician:
            return True
        return (
            uow.session.execute(
                text("SELECT 1 FROM bookings WHERE order_id = :o AND technician_id = :t"),
                {"o": order.id, "t": actor.own_technician},
            ).first()
            is not None
        )
    return True


def _event(
    uow: UnitOfWork,
    order: ServiceOrder,
    kind: EventType,
    at: datetime,
    *,
    from_stage: Stage | None = None,
    to_stage: Stage | None = None,
    payload: dict[str, Any] | None = None,
) -> None:
    uow.session.add(
        OrderEvent(
            tenant_id=order.tenant_id,
            order_id=order.id,
            event_type=kind,
            from_stage=from_stage,
            to_stage=to_stage,
            actor_user_id=uow.actor.user_id,
            actor_label=uow.actor.label[:200],
            occurred_at=at,
            payload=payload or {},
        )
    )
    enqueue_order_event(
        uow,
        order.id,
        order.order_number,
        str(kind),
        {
            "from_stage": from_stage.value if from_stage else None,
            "to_stage": to_stage.value if to_stage else None,
            "occurred_at": at.isoformat(),
            "details": payload or {},
        },
    )


def record_event(uow: UnitOfWork, order: ServiceOrder, kind: EventType, payload: dict[str, Any] | None = None) -> None:
    """Append an event to an order's history (for other areas: invoiced, paid, parts reserved)."""
    _event(uow, order, kind, uow.now(), payload=payload)
