"""The life of an order: stage changes with their guards and SLA clocks, priority, bulk actions, assignment."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

from sqlalchemy import select

from ops_db.billing.models import Invoice, InvoiceStatus
from ops_db.comms.service import notify_customer
from ops_db.customers.models import Customer
from ops_db.i18n import N_
from ops_db.kit.errors import Conflict, RepairOpsError, ValidationError
from ops_db.kit.uow import UnitOfWork
from ops_db.orders.common import _clean_text, _enum, _event, load_order
from ops_db.orders.events import OrderCancelled, OrderReady
from ops_db.orders.lines import order_totals
from ops_db.orders.models import (
    EstimateStatus,
    EventType,
    Priority,
    ServiceOrder,
    Stage,
)
from ops_db.orders.stages import CUSTOMER_WAIT_STAGES, allowed_transitions
from ops_db.sla import service as sla
from ops_db.sla.models import ClockKind


def transition(
    uow: UnitOfWork, order_id: int, to_stage: str, *, reason: str | None = None, expected_stage: str | None = None
) -> ServiceOrder:
    """Move an order to another stage if the stage machine and its guards allow it; the change is an event."""
    with uow:
        uow.actor.require("orders.transition")
        target = _enum(Stage, to_stage, N_("stage"))
        order = load_order(uow, order_id, lock=True)
        if expected_stage is not None and order.stage != expected_stage:
            raise Conflict(
                "Order {number} is now {stage}, not {expected}; reload it.",
                number=order.order_number,
                stage=order.stage.value,
                expected=expected_stage,
            )
        _apply_transition(uow, order, target, reason)
        uow.commit()
        return order


def set_priority(uow: UnitOfWork, order_id: int, priority: str, *, reason: str | None = None) -> ServiceOrder:
    """Triage: change how urgent an open order is. The SLA policy for the new priority (and the customer's
    tier) takes over and the open clocks are re-targeted from when they started; the change is audited."""
    with uow:
        uow.actor.require("orders.transition")
        target = _enum(Priority, priority, N_("priority"))
        reason = _clean_text(reason, N_("reason"), 2000, required=False)
        order = load_order(uow, order_id, lock=True)
        _apply_priority(uow, order, target, reason)
        uow.commit()
        return order


MAX_BULK = 500


def _bulk_ids(order_ids: list[int]) -> list[int]:
    """The distinct orders of a bulk action, in a fixed order (locks taken in id order cannot deadlock)."""
    ids = sorted(set(order_ids))
    if not ids:
        raise ValidationError("Choose at least one order.")
    if len(ids) > MAX_BULK:
        raise ValidationError(
            "A bulk action takes at most {limit} orders at a time; {count} were chosen.", limit=MAX_BULK, count=len(ids)
        )
    return ids


def _each_order(uow: UnitOfWork, order_ids: list[int], change: Callable[[ServiceOrder], None]) -> list[str]:
    """Apply ``change`` to every order; the first refusal names its order and nothing is written."""
    done: list[str] = []
    for order_id in _bulk_ids(order_ids):
        order = load_order(uow, order_id, lock=True)
        try:
            change(order)
        except RepairOpsError as error:
            if order.order_number in error.message:
                raise type(error)(N_("{problem} Nothing was changed."), problem=error) from error
            raise type(error)(
                N_("{number}: {problem} Nothing was changed."), number=order.order_number, problem=error
            ) from error
        done.append(order.order_number)
    return done


def bulk_transition(uow: UnitOfWork, order_ids: list[int], to_stage: str, *, reason: str | None = None) -> list[str]:
    """Move several orders to one stage, all or none (one transaction); returns their order numbers."""
    with uow:
        uow.actor.require("orders.transition")
        target = _enum(Stage, to_stage, N_("stage"))
        done = _each_order(uow, order_ids, lambda order: _apply_transition(uow, order, target, reason))
        uow.commit()
        return done


def bulk_set_priority(uow: UnitOfWork, order_ids: list[int], priority: str, *, reason: str | None = None) -> list[str]:
    """Triage several orders at once, all or none (one transaction); returns their order numbers."""
    with uow:
        uow.actor.require("orders.transition")
        target = _enum(Priority, priority, N_("priority"))
        reason = _clean_text(reason, N_("reason"), 2000, required=False)
        done = _each_order(uow, order_ids, lambda order: _apply_priority(uow, order, target, reason))
        uow.commit()
        return done


def _apply_priority(uow: UnitOfWork, order: ServiceOrder, target: Priority, reason: str | None) -> None:
    if order.stage in (Stage.CLOSED, Stage.CANCELLED):
        raise Conflict(
            "Order {number} is {stage}; its priority no longer matters.",
            number=order.order_number,
            stage=order.stage.value,
        )
    if order.priority == target:
        raise Conflict(
            "Order {number} is already {priority} priority.", number=order.order_number, priority=target.value
        )
    before = order.priority
    customer = uow.session.get(Customer, order.customer_id)
    policy = sla.choose_policy(uow, target, customer.tier_id if customer else None)
    order.priority = target
    if policy is not None:
        order.sla_policy_id = policy.id
        sla.retarget_clocks(uow, order.id, policy)
    uow.audit(
        "order.priority",
        "service_orders",
        order.id,
        before={"priority": before},
        after={"priority": target, "sla_policy_id": order.sla_policy_id, "reason": reason},
    )


def _apply_transition(uow: UnitOfWork, order: ServiceOrder, target: Stage, reason: str | None) -> None:
    allowed = allowed_transitions(order)
    if target not in allowed:
        names: list[str] | str = [s.value for s in allowed] or N_("none (the order is finished)")
        raise Conflict(
            "Order {number} cannot go from {stage} to {target}; allowed: {allowed}.",
            number=order.order_number,
            stage=order.stage.value,
            target=target.value,
            allowed=names,
        )
    _guard(uow, order, target)
    now, source = uow.now(), order.stage
    if target == Stage.ON_HOLD:
        reason = _clean_text(reason, N_("reason for the hold"), 2000)
        order.stage_before_hold, order.hold_reason = source, reason
    elif source == Stage.ON_HOLD:
        order.stage_before_hold, order.hold_reason = None, None
    order.stage = target
    if target == Stage.CANCELLED:
        order.cancelled_at = now
        uow.publish(OrderCancelled(order.id, now))  # stock and visits held for it are let go (ops_db.wiring)
        sla.cancel_clocks(uow, order.id, now)
    elif target == Stage.CLOSED:
        order.closed_at = now
    if source == Stage.RECEIVED:
        sla.stop_clock(uow, order.id, ClockKind.RESPONSE, now)
    if target in CUSTOMER_WAIT_STAGES and source not in CUSTOMER_WAIT_STAGES:
        sla.pause_clocks(uow, order.id, now)
    elif source in CUSTOMER_WAIT_STAGES and target not in CUSTOMER_WAIT_STAGES:
        sla.resume_clocks(uow, order.id, now)
    if target == Stage.READY:
        order.completed_at = now
        sla.stop_clock(uow, order.id, ClockKind.RESOLUTION, now)
        uow.publish(OrderReady(order.id, now))  # the repair comes under warranty (ops_db.wiring)
        notify_customer(
            uow,
            "ready_for_pickup",
            order.customer_id,
            {"order_number": order.order_number},
            order_id=order.id,
            dedupe_key=f"ready_for_pickup:{order.id}:{now.isoformat()}",
        )
    _event(
        uow,
        order,
        EventType.STAGE_CHANGED,
        now,
        from_stage=source,
        to_stage=target,
        payload={"reason": reason} if reason else None,
    )
    uow.audit("order.transition", "service_orders", order.id, before={"stage": source}, after={"stage": target})


def _guard(uow: UnitOfWork, order: ServiceOrder, target: Stage) -> None:
    number = order.order_number
    if target == Stage.AWAITING_APPROVAL and order.estimate_status != EstimateStatus.PENDING:
        raise Conflict("Send an estimate for order {number} before waiting for approval.", number=number)
    if target in (Stage.REPAIR, Stage.AWAITING_PARTS) and needs_approval(uow, order):
        raise Conflict("Order {number} needs the customer's approval of the estimate before repair.", number=number)
    if (
        target == Stage.QUALITY_CHECK
        and order.stage == Stage.AWAITING_APPROVAL
        and order.estimate_status != EstimateStatus.DECLINED
    ):
        raise Conflict("Order {number} can skip repair only when the customer declined the estimate.", number=number)
    if target == Stage.CLOSED:
        _guard_settled(uow, order)


def needs_approval(uow: UnitOfWork, order: ServiceOrder) -> bool:
    """Whether repair must wait: an estimate above the customer's approval threshold, not yet approved."""
    if order.estimate_amount is None or order.estimate_status == EstimateStatus.APPROVED:
        return False
    if order.estimate_status == EstimateStatus.DECLINED:
        return True
    customer = uow.session.get(Customer, order.customer_id)
    threshold = customer.approval_threshold if customer and customer.approval_threshold is not None else Decimal(0)
    return order.estimate_amount > threshold


def _guard_settled(uow: UnitOfWork, order: ServiceOrder) -> None:
    invoices = uow.session.execute(
        select(Invoice.status, Invoice.invoice_number).where(
            Invoice.order_id == order.id, Invoice.status != InvoiceStatus.VOID
        )
    ).all()
    unsettled = [n for s, n in invoices if s not in (InvoiceStatus.PAID, InvoiceStatus.WRITTEN_OFF)]
    if unsettled:
        raise Conflict(
            "Order {number} cannot close while invoice {invoice} is unpaid.",
            number=order.order_number,
            invoice=unsettled[0],
        )
    if not invoices and order_totals(uow, order.id)["total"] > 0:
        raise Conflict(
            "Order {number} has charges but no invoice; invoice it before closing.", number=order.order_number
        )


def move(uow: UnitOfWork, order: ServiceOrder, to_stage: str, reason: str | None = None) -> None:
    """The stage change of :func:`transition` (guards, event, SLA clocks), inside the caller's unit of work."""
    _apply_transition(uow, order, _enum(Stage, to_stage, N_("stage")), reason)


def assign(uow: UnitOfWork, order: ServiceOrder, technician_id: int | None, technician_name: str | None) -> None:
    """Record who works on an order and tell the customer (inside the caller's unit of work)."""
    if order.assigned_technician_id == technician_id:
        return
    order.assigned_technician_id = technician_id
    _event(uow, order, EventType.ASSIGNED, uow.now(), payload={"technician_id": technician_id})
    if technician_id is not None:
        notify_customer(
            uow,
            "order_assigned",
            order.customer_id,
            {"order_number": order.order_number, "technician_name": technician_name or "A technician"},
            order_id=order.id,
        )
