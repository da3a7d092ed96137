"""Warranties: coverage created on completion, lookup by serial, claims, expiry reminders."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import func, select

from ops_db.assets.models import Equipment
from ops_db.comms.service import notify_customer
from ops_db.i18n import N_
from ops_db.kit import bounds
from ops_db.kit.dates import add_months
from ops_db.kit.errors import Conflict, ValidationError
from ops_db.kit.uow import UnitOfWork
from ops_db.orders.events import OrderReady
from ops_db.orders.models import OrderLine, ServiceOrder
from ops_db.warranty.models import ClaimStatus, Warranty, WarrantyClaim


def create_repair_warranty(uow: UnitOfWork, order: ServiceOrder, at: datetime) -> Warranty | None:
    """On completion, cover the device for the longest warranty period among the order's lines.

    A repair done under warranty creates nothing: the original warranty keeps its dates (it is not reset).
    """
    if order.equipment_id is None or order.is_warranty_repair:
        return None
    months = uow.session.execute(
        select(func.max(OrderLine.warranty_months)).where(OrderLine.order_id == order.id)
    ).scalar()
    if not months:
        return None
    exists = uow.session.execute(select(Warranty).where(Warranty.order_id == order.id)).scalar()
    if exists is not None:
        return exists  # reopened and completed again: keep the first warranty
    starts = at.date()
    warranty = Warranty(
        tenant_id=order.tenant_id,
        equipment_id=order.equipment_id,
        order_id=order.id,
        kind="repair",
        coverage="full",
        starts_on=starts,
        ends_on=add_months(starts, int(months)),
        terms=f"Repair warranty for order {order.order_number}",
    )
    uow.session.add(warranty)
    uow.flush()
    uow.audit("warranty.create", "warranties", warranty.id, after={"order_id": order.id, "ends_on": warranty.ends_on})
    return warranty


def cover_finished_repair(uow: UnitOfWork, ready: OrderReady) -> None:
    """Subscriber (ops_db.wiring): a finished repair gets its warranty (:func:`create_repair_warranty`)."""
    order = uow.session.get(ServiceOrder, ready.order_id)  # the publisher's own row, from the session's identity map
    if order is not None:
        create_repair_warranty(uow, order, ready.at)


def lookup(uow: UnitOfWork, serial_number: str, on: date | None = None) -> list[dict[str, Any]]:
    """Warranties of the devices with this serial number, marking which cover the given day."""
    with uow:
        uow.actor.require("warranty.read")
        serial = (serial_number or "").strip()
        if not serial or len(serial) > 100:
            raise ValidationError("Give a serial number of 1 to 100 characters.")
        on = on or uow.now().date()
        rows = uow.session.execute(
            select(Warranty, Equipment)
            .join(Equipment, Equipment.id == Warranty.equipment_id)
            .where(Equipment.serial_number == serial)
            .order_by(Warranty.ends_on.desc())
        ).all()
        return [
            {
                "warranty_id": w.id,
                "equipment_id": e.id,
                "customer_id": e.customer_id,
                "kind": w.kind.value,
                "coverage": w.coverage.value,
                "starts_on": w.starts_on,
                "ends_on": w.ends_on,
                "active": w.starts_on <= on <= w.ends_on,
            }
            for w, e in rows
        ]


def file_claim(uow: UnitOfWork, warranty_id: int, order_id: int, amount: Any, reason: str) -> WarrantyClaim:
    """Claim the cost of a repair against a warranty that covered the device when the order came in."""
    with uow:
        uow.actor.require("warranty.claim")
        warranty = uow.get(Warranty, warranty_id)
        order = uow.get(ServiceOrder, order_id)
        if order.equipment_id != warranty.equipment_id:
            raise Conflict("That warranty is for another device.")
        # Warranty days are UTC days (they start on uow.now()'s date); the database hands received_at back in its
        # own zone, the machine's, whose date differs from UTC's for hours every day.
        if not warranty.starts_on <= order.received_at.astimezone(UTC).date() <= warranty.ends_on:
            raise Conflict("The warranty ended on {date}, before the order came in.", date=warranty.ends_on)
        value = bounds.money(amount, N_("claimed amount"))
        claim = WarrantyClaim(
            tenant_id=order.tenant_id,
            warranty_id=warranty.id,
            order_id=order.id,
            claimed_amount=value,
            reason=bounds.text(reason, N_("reason"), 2000, required=False) or "",
            submitted_at=uow.now(),
        )
        uow.session.add(claim)
        uow.flush()
        uow.audit("warranty.claim", "warranty_claims", claim.id, after={"amount": value})
        uow.commit()
        return claim


def decide_claim(uow: UnitOfWork, claim_id: int, approve: bool, approved_amount: Any | None = None) -> WarrantyClaim:
    """Approve (fully or partly) or reject a submitted claim."""
    with uow:
        uow.actor.require("warranty.manage")
        claim = uow.get(WarrantyClaim, claim_id, lock=True)
        if claim.status != ClaimStatus.SUBMITTED:
            raise Conflict("Claim {claim} was already {status}.", claim=claim_id, status=claim.status.value)
        if approve:
            value = (
                claim.claimed_amount
                if approved_amount is None
                else bounds.money(approved_amount, N_("approved amount"))
            )
            if value > claim.claimed_amount:
                raise ValidationError("The approved amount must be between 0 and the claimed amount.")
            claim.status, claim.approved_amount = ClaimStatus.APPROVED, value
        else:
            claim.status = ClaimStatus.REJECTED
        claim.decided_at = uow.now()
        uow.audit("warranty.decide", "warranty_claims", claim.id, after={"status": claim.status})
        uow.commit()
        return claim


def remind_expiring(uow: UnitOfWork, within_days: int = 30) -> int:
    """Tell customers whose warranties end within ``within_days`` (once per warranty)."""
    with uow:
        uow.actor.require("warranty.manage")
        if not 1 <= within_days <= 365:
            raise ValidationError("Look ahead between 1 and 365 days.")
        today = uow.now().date()
        rows = uow.session.execute(
            select(Warranty, Equipment)
            .join(Equipment, Equipment.id == Warranty.equipment_id)
            .where(Warranty.ends_on >= today, Warranty.ends_on <= today + timedelta(days=within_days))
        ).all()
        sent = 0
        for warranty, equipment in rows:
            message = notify_customer(
                uow,
                "warranty_expiring",
                equipment.customer_id,
                {"ends_on": warranty.ends_on, "device": equipment.serial_number or "device"},
                dedupe_key=f"warranty_expiring:{warranty.id}",
            )
            sent += message is not None
        uow.commit()
        return sent
