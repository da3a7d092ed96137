"""Estimates: staff put a price on the repair, the customer (or staff for them) approves or declines it."""

from __future__ import annotations

import hmac
from decimal import Decimal

from ops_db import i18n
from ops_db.comms.service import notify_customer, notify_user
from ops_db.i18n import N_
from ops_db.identity.models import Tenant
from ops_db.kit.errors import Conflict, not_found
from ops_db.kit.uow import UnitOfWork
from ops_db.orders.common import _event, _money, load_order
from ops_db.orders.lifecycle import _apply_transition
from ops_db.orders.lines import order_totals
from ops_db.orders.models import (
    EstimateStatus,
    EventType,
    ServiceOrder,
    Stage,
)
from ops_db.sla import service as sla


def send_estimate(uow: UnitOfWork, order_id: int, amount: Decimal | None = None) -> ServiceOrder:
    """Put a price on the repair (default: the order's current total) and ask the customer to decide."""
    with uow:
        uow.actor.require("orders.estimate")
        order = load_order(uow, order_id, lock=True)
        if order.stage not in (Stage.DIAGNOSTICS, Stage.AWAITING_APPROVAL):
            raise Conflict(
                "Estimates are sent during diagnostics; order {number} is {stage}.",
                number=order.order_number,
                stage=order.stage.value,
            )
        if amount is None:
            amount = order_totals(uow, order.id)["total"]
        amount = _money(amount, N_("estimate"))
        now = uow.now()
        order.estimate_amount, order.estimate_status, order.estimate_sent_at = amount, EstimateStatus.PENDING, now
        order.estimate_decided_at = None
        _event(uow, order, EventType.ESTIMATE_SENT, now, payload={"amount": str(amount)})
        if order.stage == Stage.DIAGNOSTICS:
            _apply_transition(uow, order, Stage.AWAITING_APPROVAL, None)
        tenant = uow.session.get(Tenant, order.tenant_id)
        notify_customer(
            uow,
            "estimate_ready",
            order.customer_id,
            {
                "order_number": order.order_number,
                "estimate_amount": i18n.Money(amount, tenant.currency) if tenant else str(amount),
            },
            order_id=order.id,
        )
        uow.audit("order.estimate", "service_orders", order.id, after={"estimate_amount": amount})
        uow.commit()
        return order


def decide_estimate(uow: UnitOfWork, order_id: int, approve: bool, *, tracking_code: str | None = None) -> ServiceOrder:
    """The customer approves or declines the estimate (signed in, or with the tracking code), or staff with
    ``orders.approve_for_customer`` record the answer the customer gave them."""
    with uow:
        actor = uow.actor
        # The customer decides: signed in, or on the public portal holding the order's tracking code. Staff only
        # record an answer the customer gave them, and that is a permission of its own (not orders.estimate: who
        # prices the work does not also say the customer agreed; a read-only login holds neither).
        for_customer = not actor.is_customer and "public" not in actor.roles
        actor.require("orders.approve_for_customer" if for_customer else "orders.approve")
        order = load_order(uow, order_id, lock=True)
        if actor.is_customer:
            theirs = order.customer_id == actor.customer_id
        elif tracking_code is None and for_customer:
            theirs = True
        else:  # the public portal (or staff who give it): the code must be the order's
            # Bytes: hmac refuses to compare text that is not ASCII (a full-width code must be a plain no).
            theirs = hmac.compare_digest(order.tracking_code.encode(), (tracking_code or "").encode())
        if not theirs:
            raise not_found(ServiceOrder, order_id)  # a wrong code or another customer's order reads like none
        if order.estimate_status != EstimateStatus.PENDING:
            raise Conflict("There is no estimate waiting for a decision on order {number}.", number=order.order_number)
        now = uow.now()
        order.estimate_status = EstimateStatus.APPROVED if approve else EstimateStatus.DECLINED
        order.estimate_decided_at = now
        _event(uow, order, EventType.ESTIMATE_APPROVED if approve else EventType.ESTIMATE_DECLINED, now)
        if order.stage == Stage.AWAITING_APPROVAL:
            sla.resume_clocks(uow, order.id, now)
            if approve:  # work continues straight away; the SLA clock is already running again
                order.stage = Stage.REPAIR
                _event(
                    uow,
                    order,
                    EventType.STAGE_CHANGED,
                    now,
                    from_stage=Stage.AWAITING_APPROVAL,
                    to_stage=Stage.REPAIR,
                    payload={"reason": "estimate approved"},
                )
        if order.created_by is not None:
            notify_user(
                uow,
                "estimate_decided",
                order.created_by,
                {"order_number": order.order_number, "decision": i18n.Word("approved" if approve else "declined")},
                order_id=order.id,
            )
        uow.audit(
            "order.estimate_decision", "service_orders", order.id, after={"estimate_status": order.estimate_status}
        )
        uow.commit()
        return order
