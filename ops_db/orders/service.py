"""Service orders: intake, the stage machine with its guards, estimates, lines, notes, files, tracking, ratings."""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from functools import partial
from pathlib import Path
from typing import Any

from sqlalchemy import func, or_, select, text

from ops_db import i18n
from ops_db.assets.models import Equipment, EquipmentModel
from ops_db.billing.models import Invoice, InvoiceStatus, TaxRate
from ops_db.comms.service import notify_customer, notify_user
from ops_db.comms.webhooks import enqueue_order_event
from ops_db.customers.models import Customer, CustomerPreference, CustomerTier
from ops_db.customers.service import CustomerIn, clean_contact, find_or_create, page_bounds
from ops_db.i18n import N_
from ops_db.identity.models import Tenant
from ops_db.inventory.models import Part
from ops_db.kit import bounds
from ops_db.kit.errors import Conflict, NotFound, RepairOpsError, ValidationError, Verbatim
from ops_db.kit.numbers import next_number
from ops_db.kit.uow import UnitOfWork
from ops_db.orders.models import (
    OPEN_STAGES,
    Attachment,
    EstimateStatus,
    EventType,
    LineKind,
    OrderEvent,
    OrderLine,
    OrderNote,
    OrderRating,
    OrderSignoff,
    Priority,
    RequestChannel,
    RequestStatus,
    ServiceCatalogItem,
    ServiceLocation,
    ServiceOrder,
    ServiceRequest,
    Stage,
)
from ops_db.settings import get_settings
from ops_db.sla import service as sla
from ops_db.sla.models import ClockKind
from ops_db.warranty.models import Warranty
from ops_db.workforce.models import Skill, Technician

CENT = Decimal("0.01")
MAX_ATTACHMENT_BYTES = 20 * 1024 * 1024
ALLOWED_CONTENT_TYPES = ("image/jpeg", "image/png", "image/webp", "image/heic", "application/pdf", "video/mp4")

# The stage machine. Guards that depend on data (estimate approval, QC, settled invoice) live in _guard.
TRANSITIONS: dict[Stage, frozenset[Stage]] = {
    Stage.RECEIVED: frozenset({Stage.DIAGNOSTICS, Stage.ON_HOLD, Stage.CANCELLED}),
    Stage.DIAGNOSTICS: frozenset({Stage.AWAITING_APPROVAL, Stage.AWAITING_PARTS, Stage.REPAIR, Stage.ON_HOLD,
                                  Stage.CANCELLED}),
    Stage.AWAITING_APPROVAL: frozenset({Stage.DIAGNOSTICS, Stage.AWAITING_PARTS, Stage.REPAIR, Stage.QUALITY_CHECK,
                                        Stage.ON_HOLD, Stage.CANCELLED}),
    Stage.AWAITING_PARTS: frozenset({Stage.REPAIR, Stage.ON_HOLD, Stage.CANCELLED}),
    Stage.REPAIR: frozenset({Stage.QUALITY_CHECK, Stage.AWAITING_PARTS, Stage.ON_HOLD, Stage.CANCELLED}),
    Stage.QUALITY_CHECK: frozenset({Stage.READY, Stage.REPAIR}),
    Stage.READY: frozenset({Stage.CLOSED, Stage.REPAIR}),
    Stage.ON_HOLD: frozenset({Stage.CANCELLED}),  # plus the stage it was put on hold from
    Stage.CLOSED: frozenset(),
    Stage.CANCELLED: frozenset(),
}
# While the order waits for the customer the SLA clocks do not run.
CUSTOMER_WAIT_STAGES = frozenset({Stage.AWAITING_APPROVAL, Stage.ON_HOLD})


def allowed_transitions(order: ServiceOrder) -> list[Stage]:
    """The stages an order may move to next (before data-dependent guards)."""
    allowed = set(TRANSITIONS[order.stage])
    if order.stage == Stage.ON_HOLD and order.stage_before_hold is not None:
        allowed.add(order.stage_before_hold)
    return sorted(allowed, key=list(Stage).index)


# ---------------------------------------------------------------------------------------------- intake

@dataclass(frozen=True)
class FileIn:
    """An uploaded file (photo of the damage, a receipt)."""

    filename: str
    content_type: str
    content: bytes


@dataclass(frozen=True)
class RequestIn:
    """A repair request from the public portal: no account needed."""

    contact_name: str
    item_type: str
    problem_description: str
    contact_email: str | None = None
    contact_phone: str | None = None
    item_description: str | None = None
    preferred_time: str | None = None
    channel: str = RequestChannel.WEB.value
    photos: tuple[FileIn, ...] = ()


@dataclass(frozen=True)
class Receipt:
    """What the customer gets back at once: the order number and the code to track it."""

    order_id: int
    order_number: str
    tracking_code: str
    request_id: int | None = None


def _clean_text(value: str | None, what: str, max_len: int, *, required: bool = True) -> str | None:
    return bounds.text(value, what, max_len, required=required)


MAX_PHOTOS = 10


def _check_photo_count(photos: tuple[FileIn, ...]) -> None:
    if len(photos) > MAX_PHOTOS:
        raise ValidationError("Attach at most {limit} photos.", limit=MAX_PHOTOS)


def submit_request(uow: UnitOfWork, data: RequestIn) -> Receipt:
    """A customer's online request: recorded, turned into an order, number and tracking code returned at once."""
    with uow:
        uow.actor.require("requests.submit")
        if data.channel not in {c.value for c in RequestChannel}:
            raise ValidationError("The channel must be one of: {choices}.",
                                  choices=", ".join(c.value for c in RequestChannel))
        item = _clean_text(data.item_type, N_("item type"), 100)
        problem = _clean_text(data.problem_description, N_("problem description"), 10000)
        assert item is not None and problem is not None
        _check_photo_count(data.photos)
        customer = _requester(uow, CustomerIn(data.contact_name, data.contact_email, data.contact_phone))
        now = uow.now()
        request = ServiceRequest(
            tenant_id=uow.actor.tenant_id, channel=data.channel, status=RequestStatus.CONVERTED,
            customer_id=customer.id, contact_name=data.contact_name.strip()[:200],
            contact_email=(data.contact_email or "").strip() or None,
            contact_phone=(data.contact_phone or "").strip() or None, item_type=item,
            item_description=_clean_text(data.item_description, N_("item description"), 2000, required=False),
            problem_description=problem,
            preferred_time=_clean_text(data.preferred_time, N_("preferred time"), 500, required=False),
            submitted_at=now)
        uow.session.add(request)
        uow.flush()
        for photo in data.photos:
            _store_attachment(uow, photo, request_id=request.id)
        order = _open_order(uow, customer, problem=f"{item}: {problem}", priority=Priority.NORMAL,
                            location=ServiceLocation.WORKSHOP, request_id=request.id, now=now)
        _carry_attachments(uow, request.id, order.id)
        uow.audit("request.submit", "service_requests", request.id, after={"order_number": order.order_number})
        uow.commit()
        return Receipt(order.id, order.order_number, order.tracking_code, request.id)


def _requester(uow: UnitOfWork, contact: CustomerIn) -> Customer:
    """Whose request it is. A signed-in customer's is their own; staff (or the system) taking a request down
    find the customer by email or phone, as at the counter. An anonymous visitor proves nothing by typing an
    email or a phone, so their request never joins an existing customer's history and messages
    (:func:`_stranger`)."""
    actor = uow.actor
    if actor.is_customer:
        clean_contact(contact.name, contact.email, contact.phone)
        own = uow.session.get(Customer, actor.customer_id)
        if own is None:
            raise NotFound("Customer {customer} does not exist.", customer=actor.customer_id)
        return own
    if "public" in actor.roles:
        return _stranger(uow, contact)
    return find_or_create(uow, contact)[0]


def _stranger(uow: UnitOfWork, contact: CustomerIn) -> Customer:
    """A customer record of its own for an anonymous portal request. It carries only the contact details no
    other customer has (the request row keeps everything typed), so the stranger's order and messages never reach
    an existing customer, nor theirs the stranger. Staff who recognise the person move the request to the right
    customer with :func:`link_request`; requests whose typed contact belongs to another customer are the ones to
    look at (``dashboards.data.orders.requests_to_link``)."""
    name, email, phone = clean_contact(contact.name, contact.email, contact.phone)
    session = uow.session
    if email and session.execute(select(Customer.id).where(func.lower(Customer.email) == email.lower())
                                 .limit(1)).first():
        email = None
    if phone and session.execute(select(Customer.id).where(Customer.phone == phone).limit(1)).first():
        phone = None
    tenant = session.get(Tenant, uow.actor.tenant_id)
    customer = Customer(tenant_id=uow.actor.tenant_id, kind="person", name=name, email=email, phone=phone)
    session.add(customer)
    uow.flush()
    session.add(CustomerPreference(tenant_id=uow.actor.tenant_id, customer_id=customer.id,
                                   channel="email" if email else "sms",
                                   language=tenant.locale if tenant is not None and tenant.locale else "en"))
    uow.audit("customer.create", "customers", customer.id,
              after={"name": name, "email": email, "phone": phone, "source": "portal request"})
    return customer


def link_request(uow: UnitOfWork, request_id: int, customer_id: int) -> ServiceRequest:
    """Staff who recognise who sent a request move it, with the order opened from it, to that customer (an
    anonymous portal request never joins an existing customer by itself). Only before the order is invoiced;
    the portal's stand-in customer is deactivated when nothing else is theirs. Audited."""
    with uow:
        uow.actor.require("requests.convert")
        uow.actor.require("customers.write")
        request = uow.session.get(ServiceRequest, request_id, with_for_update=True)
        if request is None:
            raise NotFound("Request {request} does not exist.", request=request_id)
        target = uow.session.get(Customer, customer_id)
        if target is None:
            raise NotFound("Customer {customer} does not exist.", customer=customer_id)
        before = request.customer_id
        if before == target.id:
            raise Conflict("Request {request} already belongs to {name}.", request=request_id, name=target.name)
        opened = uow.session.execute(select(ServiceOrder).where(ServiceOrder.request_id == request.id)
                                     .with_for_update()).scalars().all()
        invoiced = uow.session.execute(select(Invoice.invoice_number).where(
            Invoice.order_id.in_([o.id for o in opened]), Invoice.status != InvoiceStatus.VOID)).scalar()
        if invoiced is not None:
            raise Conflict("Request {request} is already invoiced ({invoice}); it can no longer move to another "
                           "customer.", request=request_id, invoice=invoiced)
        request.customer_id = target.id
        for order in opened:
            order.customer_id = target.id
        uow.flush()
        if before is not None:
            _retire_stand_in(uow, before)
        uow.audit("request.link", "service_requests", request.id, before={"customer_id": before},
                  after={"customer_id": target.id, "orders": [o.id for o in opened]})
        uow.commit()
        return request


def _retire_stand_in(uow: UnitOfWork, customer_id: int) -> None:
    """Deactivate a customer left with no request, order, device or login (the portal's stand-in)."""
    still_used: bool = uow.session.execute(text(
        "SELECT EXISTS (SELECT 1 FROM service_requests WHERE customer_id = :c)"
        " OR EXISTS (SELECT 1 FROM service_orders WHERE customer_id = :c)"
        " OR EXISTS (SELECT 1 FROM equipment WHERE customer_id = :c)"
        " OR EXISTS (SELECT 1 FROM users WHERE customer_id = :c)"), {"c": customer_id}).scalar_one()
    stand_in = uow.session.get(Customer, customer_id)
    if not still_used and stand_in is not None and stand_in.is_active:
        stand_in.is_active = False


def record_request(uow: UnitOfWork, data: RequestIn) -> int:
    """Staff record a request that came by phone or message, for triage later (no order yet)."""
    with uow:
        uow.actor.require("requests.convert")  # a write: never on a read permission (an auditor holds those)
        problem = _clean_text(data.problem_description, N_("problem description"), 10000)
        item = _clean_text(data.item_type, N_("item type"), 100)
        customer, _ = find_or_create(uow, CustomerIn(data.contact_name, data.contact_email, data.contact_phone))
        request = ServiceRequest(
            tenant_id=uow.actor.tenant_id, channel=data.channel, customer_id=customer.id,
            contact_name=data.contact_name.strip()[:200], contact_email=data.contact_email,
            contact_phone=data.contact_phone, item_type=item, problem_description=problem,
            submitted_at=uow.now())
        uow.session.add(request)
        uow.flush()
        for photo in data.photos:
            _store_attachment(uow, photo, request_id=request.id)
        uow.audit("request.record", "service_requests", request.id)
        uow.commit()
        return request.id


def convert_request(uow: UnitOfWork, request_id: int, *, priority: str = "normal",
                    location: str = "workshop") -> Receipt:
    """Turn a new request into a service order; its photos come along."""
    with uow:
        uow.actor.require("requests.convert")
        request = uow.session.get(ServiceRequest, request_id, with_for_update=True)
        if request is None:
            raise NotFound("Request {request} does not exist.", request=request_id)
        if request.status != RequestStatus.NEW:
            raise Conflict("Request {request} was already {status}.", request=request_id, status=request.status.value)
        customer = uow.session.get(Customer, request.customer_id) if request.customer_id else None
        if customer is None:
            customer, _ = find_or_create(uow, CustomerIn(request.contact_name, request.contact_email,
                                                         request.contact_phone))
        order = _open_order(uow, customer, problem=f"{request.item_type}: {request.problem_description}",
                            priority=_enum(Priority, priority, N_("priority")),
                            location=_enum(ServiceLocation, location, N_("location")), request_id=request.id,
                            now=uow.now())
        request.status = RequestStatus.CONVERTED
        _carry_attachments(uow, request.id, order.id)
        uow.audit("request.convert", "service_requests", request.id, after={"order_id": order.id})
        uow.commit()
        return Receipt(order.id, order.order_number, order.tracking_code, request.id)


@dataclass(frozen=True)
class IntakeIn:
    """Front desk intake on one screen: customer, device, warranty and problem together."""

    customer: CustomerIn | None
    problem_description: str
    customer_id: int | None = None
    equipment_id: int | None = None
    model_id: int | None = None
    serial_number: str | None = None
    purchase_date: date | None = None
    manufacturer_warranty_until: date | None = None
    priority: str = "normal"
    location: str = "workshop"
    required_skill_id: int | None = None
    estimated_minutes: int | None = None
    promised_at: datetime | None = None
    photos: tuple[FileIn, ...] = field(default_factory=tuple)


def register_intake(uow: UnitOfWork, data: IntakeIn) -> Receipt:
    """Register customer, device, warranty and problem in one transaction and open the order."""
    with uow:
        uow.actor.require("orders.create")
        problem = _clean_text(data.problem_description, N_("problem description"), 10000)
        assert problem is not None
        priority = _enum(Priority, data.priority, N_("priority"))
        location = _enum(ServiceLocation, data.location, N_("location"))
        _check_photo_count(data.photos)
        if data.estimated_minutes is not None and not 1 <= data.estimated_minutes <= 10000:
            raise ValidationError("The estimated time must be between 1 and 10,000 minutes.")
        bounds.moment(data.promised_at, N_("promised time"))
        if data.customer_id is not None:
            customer = uow.session.get(Customer, data.customer_id)
            if customer is None:
                raise NotFound("Customer {customer} does not exist.", customer=data.customer_id)
        elif data.customer is not None:
            customer, _ = find_or_create(uow, data.customer)
        else:
            raise ValidationError("Choose a customer or enter a new one.")
        check_required_skill(uow, data.required_skill_id)
        equipment = _intake_equipment(uow, customer, data)
        now = uow.now()
        order = _open_order(uow, customer, problem=problem, priority=priority, location=location, request_id=None,
                            now=now, equipment=equipment, skill_id=data.required_skill_id,
                            estimated_minutes=data.estimated_minutes, promised_at=data.promised_at)
        for photo in data.photos:
            _store_attachment(uow, photo, order_id=order.id)
        uow.audit("order.intake", "service_orders", order.id,
                  after={"order_number": order.order_number, "customer_id": customer.id,
                         "equipment_id": equipment.id if equipment else None})
        uow.commit()
        return Receipt(order.id, order.order_number, order.tracking_code)


def check_required_skill(uow: UnitOfWork, skill_id: int | None) -> None:
    """Refuse a required skill that does not exist; another company's skill gets the same sentence."""
    if skill_id is not None and uow.session.get(Skill, skill_id) is None:
        raise NotFound("Skill {skill} does not exist.", skill=skill_id)


def _intake_equipment(uow: UnitOfWork, customer: Customer, data: IntakeIn) -> Equipment | None:
    session = uow.session
    if data.equipment_id is not None:
        equipment = session.get(Equipment, data.equipment_id)
        if equipment is None or equipment.customer_id != customer.id:
            raise NotFound("Device {device} does not belong to this customer.", device=data.equipment_id)
        return equipment
    if data.model_id is None:
        return None
    model = session.get(EquipmentModel, data.model_id)
    if model is None:
        raise NotFound("Device model {model} does not exist.", model=data.model_id)
    serial = _clean_text(data.serial_number, N_("serial number"), 100, required=False)
    bounds.day(data.purchase_date, N_("purchase date"))
    bounds.day(data.manufacturer_warranty_until, N_("warranty end"))
    if data.purchase_date is not None and data.purchase_date > date.today() + timedelta(days=1):
        raise ValidationError("The purchase date cannot be in the future.")
    equipment = None
    if serial:
        equipment = session.execute(select(Equipment).where(
            Equipment.model_id == model.id, Equipment.serial_number == serial)).scalar_one_or_none()
        if equipment is not None and equipment.customer_id != customer.id:
            raise Conflict("A device with serial {serial} is registered to another customer.", serial=serial)
    if equipment is None:
        equipment = Equipment(tenant_id=uow.actor.tenant_id, customer_id=customer.id, model_id=model.id,
                              serial_number=serial, purchase_date=data.purchase_date)
        session.add(equipment)
        session.flush()
        ends = data.manufacturer_warranty_until
        if ends is None and data.purchase_date is not None and model.default_warranty_months:
            ends = _add_months(data.purchase_date, model.default_warranty_months)
        if ends is not None:
            starts = data.purchase_date or min(ends, date.today())
            if ends < starts:
                raise ValidationError("The warranty cannot end before the device was bought.")
            session.add(Warranty(tenant_id=uow.actor.tenant_id, equipment_id=equipment.id, kind="manufacturer",
                                 coverage="full", starts_on=starts, ends_on=ends))
    return equipment


def _add_months(day: date, months: int) -> date:
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    for d in (day.day, 30, 29, 28):
        try:
            return date(year, month, d)
        except ValueError:
            continue
    raise ValueError("unreachable")


def _open_order(
    uow: UnitOfWork, customer: Customer, *, problem: str, priority: Priority, location: ServiceLocation,
    request_id: int | None, now: datetime, equipment: Equipment | None = None, skill_id: int | None = None,
    estimated_minutes: int | None = None, promised_at: datetime | None = None, maintenance_plan_id: int | None = None,
) -> ServiceOrder:
    """Create the order row, its first event and SLA clocks, and tell the customer (inside the caller's unit)."""
    session = uow.session
    tenant = session.get(Tenant, uow.actor.tenant_id)
    assert tenant is not None
    policy = sla.choose_policy(uow, priority, customer.tier_id)
    warranty_id = None
    if equipment is not None:
        warranty_id = session.execute(select(Warranty.id).where(
            Warranty.equipment_id == equipment.id, Warranty.starts_on <= now.date(), Warranty.ends_on >= now.date()
        ).order_by(Warranty.ends_on.desc()).limit(1)).scalar()
    order = ServiceOrder(
        tenant_id=tenant.id, order_number=next_number(session, tenant.id, "order", tenant.order_number_prefix, now),
        tracking_code=secrets.token_urlsafe(12), request_id=request_id, customer_id=customer.id,
        equipment_id=equipment.id if equipment else None, stage=Stage.RECEIVED, priority=priority,
        location=location, sla_policy_id=policy.id if policy else None, required_skill_id=skill_id,
        problem_description=problem, estimated_minutes=estimated_minutes, received_at=now, promised_at=promised_at,
        is_warranty_repair=warranty_id is not None, warranty_id=warranty_id, created_by=uow.actor.user_id,
        maintenance_plan_id=maintenance_plan_id,
    )
    session.add(order)
    session.flush()
    _event(uow, order, EventType.CREATED, now, to_stage=Stage.RECEIVED)
    sla.start_clocks(uow, order, now)
    notify_customer(uow, "request_received", customer.id,
                    {"order_number": order.order_number, "tracking_code": order.tracking_code,
                     "customer_name": customer.name}, order_id=order.id)
    return order


def _event(uow: UnitOfWork, order: ServiceOrder, kind: EventType, at: datetime, *, from_stage: Stage | None = None,
           to_stage: Stage | None = None, payload: dict[str, Any] | None = None) -> None:
    uow.session.add(OrderEvent(tenant_id=order.tenant_id, order_id=order.id, event_type=kind, from_stage=from_stage,
                               to_stage=to_stage, actor_user_id=uow.actor.user_id, actor_label=uow.actor.label[:200],
                               occurred_at=at, payload=payload or {}))
    enqueue_order_event(uow, order.id, order.order_number, str(kind), {
        "from_stage": from_stage.value if from_stage else None, "to_stage": to_stage.value if to_stage else None,
        "occurred_at": at.isoformat(), "details": payload or {}})


def record_event(uow: UnitOfWork, order: ServiceOrder, kind: EventType, payload: dict[str, Any] | None = None
                 ) -> None:
    """Append an event to an order's history (for other areas: invoiced, paid, parts reserved)."""
    _event(uow, order, kind, uow.now(), payload=payload)


def _enum(enum_cls: Any, value: str, what: str) -> Any:
    try:
        return enum_cls(value)
    except ValueError:
        raise ValidationError("The {what} must be one of: {choices}.", what=what,
                              choices=", ".join(e.value for e in enum_cls)) from None


# ---------------------------------------------------------------------------------------------- lifecycle

def load_order(uow: UnitOfWork, order_id: int, *, lock: bool = False) -> ServiceOrder:
    """The order, refusing technicians who are not assigned to it (NotFound, so nothing leaks)."""
    order = uow.session.get(ServiceOrder, order_id, with_for_update=lock)
    if order is None or not _may_see(uow, order):
        raise NotFound("Order {order} does not exist.", order=order_id)
    return order


def _may_see(uow: UnitOfWork, order: ServiceOrder) -> bool:
    actor = uow.actor
    if actor.is_technician_only:
        if order.assigned_technician_id == actor.own_technician:
            return True
        return uow.session.execute(text(
            "SELECT 1 FROM bookings WHERE order_id = :o AND technician_id = :t"),
            {"o": order.id, "t": actor.own_technician}).first() is not None
    return True


def transition(uow: UnitOfWork, order_id: int, to_stage: str, *, reason: str | None = None,
               expected_stage: str | None = None) -> ServiceOrder:
    """Move an order to another stage if the stage machine and its guards allow it; the change is an event."""
    with uow:
        uow.actor.require("orders.transition")
        target = _enum(Stage, to_stage, N_("stage"))
        order = load_order(uow, order_id, lock=True)
        if expected_stage is not None and order.stage != expected_stage:
            raise Conflict("Order {number} is now {stage}, not {expected}; reload it.", number=order.order_number,
                           stage=order.stage.value, expected=expected_stage)
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
        raise ValidationError("A bulk action takes at most {limit} orders at a time; {count} were chosen.",
                              limit=MAX_BULK, count=len(ids))
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
            raise type(error)(N_("{number}: {problem} Nothing was changed."), number=order.order_number,
                              problem=error) from error
        done.append(order.order_number)
    return done


def bulk_transition(uow: UnitOfWork, order_ids: list[int], to_stage: str, *, reason: str | None = None
                    ) -> list[str]:
    """Move several orders to one stage, all or none (one transaction); returns their order numbers."""
    with uow:
        uow.actor.require("orders.transition")
        target = _enum(Stage, to_stage, N_("stage"))
        done = _each_order(uow, order_ids, lambda order: _apply_transition(uow, order, target, reason))
        uow.commit()
        return done


def bulk_set_priority(uow: UnitOfWork, order_ids: list[int], priority: str, *, reason: str | None = None
                      ) -> list[str]:
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
        raise Conflict("Order {number} is {stage}; its priority no longer matters.", number=order.order_number,
                       stage=order.stage.value)
    if order.priority == target:
        raise Conflict("Order {number} is already {priority} priority.", number=order.order_number,
                       priority=target.value)
    before = order.priority
    customer = uow.session.get(Customer, order.customer_id)
    policy = sla.choose_policy(uow, target, customer.tier_id if customer else None)
    order.priority = target
    if policy is not None:
        order.sla_policy_id = policy.id
        sla.retarget_clocks(uow, order.id, policy)
    uow.audit("order.priority", "service_orders", order.id, before={"priority": before},
              after={"priority": target, "sla_policy_id": order.sla_policy_id, "reason": reason})


def _apply_transition(uow: UnitOfWork, order: ServiceOrder, target: Stage, reason: str | None) -> None:
    allowed = allowed_transitions(order)
    if target not in allowed:
        names: list[str] | str = [s.value for s in allowed] or N_("none (the order is finished)")
        raise Conflict("Order {number} cannot go from {stage} to {target}; allowed: {allowed}.",
                       number=order.order_number, stage=order.stage.value, target=target.value, allowed=names)
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
        _release_on_cancel(uow, order)
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
        from ops_db.warranty.service import create_repair_warranty

        create_repair_warranty(uow, order, now)
        notify_customer(uow, "ready_for_pickup", order.customer_id, {"order_number": order.order_number},
                        order_id=order.id, dedupe_key=f"ready_for_pickup:{order.id}:{now.isoformat()}")
    _event(uow, order, EventType.STAGE_CHANGED, now, from_stage=source, to_stage=target,
           payload={"reason": reason} if reason else None)
    uow.audit("order.transition", "service_orders", order.id, before={"stage": source}, after={"stage": target})


def _guard(uow: UnitOfWork, order: ServiceOrder, target: Stage) -> None:
    number = order.order_number
    if target == Stage.AWAITING_APPROVAL and order.estimate_status != EstimateStatus.PENDING:
        raise Conflict("Send an estimate for order {number} before waiting for approval.", number=number)
    if target in (Stage.REPAIR, Stage.AWAITING_PARTS) and needs_approval(uow, order):
        raise Conflict("Order {number} needs the customer's approval of the estimate before repair.", number=number)
    if target == Stage.QUALITY_CHECK and order.stage == Stage.AWAITING_APPROVAL \
            and order.estimate_status != EstimateStatus.DECLINED:
        raise Conflict("Order {number} can skip repair only when the customer declined the estimate.",
                       number=number)
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
    invoices = uow.session.execute(select(Invoice.status, Invoice.invoice_number).where(
        Invoice.order_id == order.id, Invoice.status != InvoiceStatus.VOID)).all()
    unsettled = [n for s, n in invoices if s not in (InvoiceStatus.PAID, InvoiceStatus.WRITTEN_OFF)]
    if unsettled:
        raise Conflict("Order {number} cannot close while invoice {invoice} is unpaid.", number=order.order_number,
                       invoice=unsettled[0])
    if not invoices and order_totals(uow, order.id)["total"] > 0:
        raise Conflict("Order {number} has charges but no invoice; invoice it before closing.",
                       number=order.order_number)


def _release_on_cancel(uow: UnitOfWork, order: ServiceOrder) -> None:
    from ops_db.inventory.service import release_all_for_order
    from ops_db.workforce.service import cancel_bookings_for_order

    release_all_for_order(uow, order.id)
    cancel_bookings_for_order(uow, order.id)


# ---------------------------------------------------------------------------------------------- estimates

def send_estimate(uow: UnitOfWork, order_id: int, amount: Decimal | None = None) -> ServiceOrder:
    """Put a price on the repair (default: the order's current total) and ask the customer to decide."""
    with uow:
        uow.actor.require("orders.estimate")
        order = load_order(uow, order_id, lock=True)
        if order.stage not in (Stage.DIAGNOSTICS, Stage.AWAITING_APPROVAL):
            raise Conflict("Estimates are sent during diagnostics; order {number} is {stage}.",
                           number=order.order_number, stage=order.stage.value)
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
        notify_customer(uow, "estimate_ready", order.customer_id,
                        {"order_number": order.order_number,
                         "estimate_amount": i18n.Money(amount, tenant.currency) if tenant else str(amount)},
                        order_id=order.id)
        uow.audit("order.estimate", "service_orders", order.id, after={"estimate_amount": amount})
        uow.commit()
        return order


def decide_estimate(uow: UnitOfWork, order_id: int, approve: bool, *, tracking_code: str | None = None
                    ) -> ServiceOrder:
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
            raise NotFound("Order {order} does not exist.", order=order_id)
        if order.estimate_status != EstimateStatus.PENDING:
            raise Conflict("There is no estimate waiting for a decision on order {number}.",
                           number=order.order_number)
        now = uow.now()
        order.estimate_status = EstimateStatus.APPROVED if approve else EstimateStatus.DECLINED
        order.estimate_decided_at = now
        _event(uow, order, EventType.ESTIMATE_APPROVED if approve else EventType.ESTIMATE_DECLINED, now)
        if order.stage == Stage.AWAITING_APPROVAL:
            sla.resume_clocks(uow, order.id, now)
            if approve:  # work continues straight away; the SLA clock is already running again
                order.stage = Stage.REPAIR
                _event(uow, order, EventType.STAGE_CHANGED, now, from_stage=Stage.AWAITING_APPROVAL,
                       to_stage=Stage.REPAIR, payload={"reason": "estimate approved"})
        if order.created_by is not None:
            notify_user(uow, "estimate_decided", order.created_by,
                        {"order_number": order.order_number,
                         "decision": i18n.Word("approved" if approve else "declined")},
                        order_id=order.id)
        uow.audit("order.estimate_decision", "service_orders", order.id,
                  after={"estimate_status": order.estimate_status})
        uow.commit()
        return order


# ---------------------------------------------------------------------------------------------- lines

@dataclass(frozen=True)
class LineIn:
    """A charge to add: a catalogue service, labour, a part, goods, a consumable, or a discount."""

    kind: str
    quantity: Decimal = Decimal(1)
    description: str | None = None
    unit_price: Decimal | None = None
    service_item_id: int | None = None
    part_id: int | None = None
    technician_id: int | None = None
    unit_cost: Decimal | None = None
    warranty_months: int | None = None


def _money(value: Any, what: str, *, allow_negative: bool = False) -> Decimal:
    return bounds.money(value, what, negative=allow_negative)


def _editable(uow: UnitOfWork, order: ServiceOrder) -> None:
    if order.stage not in OPEN_STAGES or order.stage == Stage.READY:
        raise Conflict("Order {number} is {stage}; its lines can no longer change.", number=order.order_number,
                       stage=order.stage.value)
    issued = uow.session.execute(select(Invoice.invoice_number).where(
        Invoice.order_id == order.id, Invoice.status != InvoiceStatus.VOID)).scalar()
    if issued is not None:
        raise Conflict("Order {number} is already invoiced ({invoice}); its lines can no longer change.",
                       number=order.order_number, invoice=issued)


def add_line(uow: UnitOfWork, order_id: int, line: LineIn) -> OrderLine:
    """Add a charge to an order, priced from the catalogue unless a price is given; tax from the tenant's rate."""
    with uow:
        uow.actor.require("orders.edit_lines")
        row = append_line(uow, load_order(uow, order_id, lock=True), line)
        uow.commit()
        return row


def append_line(uow: UnitOfWork, order: ServiceOrder, line: LineIn) -> OrderLine:
    """Add a charge inside the caller's open unit of work (the caller checked ``orders.edit_lines``)."""
    _editable(uow, order)
    row = _build_line(uow, order, line)
    uow.session.add(row)
    uow.flush()
    uow.audit("order.add_line", "order_lines", row.id,
              after={"order_id": order.id, "kind": row.kind, "quantity": row.quantity, "unit_price": row.unit_price})
    return row


def _line_references(uow: UnitOfWork, line: LineIn) -> tuple[Part | None, ServiceCatalogItem | None]:
    """The part and service item a line names, and its technician, each looked up whatever the line's kind.

    Row-level security hides another company's rows, so an id of theirs gets the same sentence as an id that
    does not exist (a difference would tell the caller which ids exist elsewhere); the composite foreign keys
    refuse it again should a lookup ever be missed."""
    session = uow.session
    part = session.get(Part, line.part_id) if line.part_id is not None else None
    if line.part_id is not None and part is None:
        raise NotFound("Part {part} does not exist.", part=line.part_id)
    item = session.get(ServiceCatalogItem, line.service_item_id) if line.service_item_id is not None else None
    if line.service_item_id is not None and item is None:
        raise NotFound("Service {service} does not exist.", service=line.service_item_id)
    if line.technician_id is not None and session.get(Technician, line.technician_id) is None:
        raise NotFound("Technician {technician} does not exist.", technician=line.technician_id)
    return part, item


def _build_line(uow: UnitOfWork, order: ServiceOrder, line: LineIn) -> OrderLine:
    kind = _enum(LineKind, line.kind, N_("line kind"))
    quantity = bounds.quantity(line.quantity, N_("quantity"))
    description, price, cost, months = line.description, line.unit_price, line.unit_cost, line.warranty_months
    part, item = _line_references(uow, line)
    if kind in (LineKind.PART, LineKind.GOODS, LineKind.CONSUMABLE) and part is not None:
        description = description or part.name
        price = part.sale_price if price is None else price
        cost = part.unit_cost if cost is None else cost
        months = part.warranty_months if months is None else months
    elif kind == LineKind.PART:
        raise ValidationError("Choose the part for a part line.")
    if kind == LineKind.SERVICE and item is not None:
        description = description or item.name
        price = item.default_price if price is None else price
        months = item.warranty_months if months is None else months
    description = _clean_text(description, N_("line description"), 300)
    if price is None:
        raise ValidationError("Give a unit price.")
    price = bounds.price(price, N_("unit price"), negative=kind == LineKind.DISCOUNT)
    if kind == LineKind.DISCOUNT:
        price = -abs(price)
    _check_totals(uow, order, bounds.line_total(quantity, price))
    if months is not None and not 0 <= months <= 120:
        raise ValidationError("A warranty period must be between 0 and 120 months.")
    tax = _default_tax(uow)
    next_no = uow.session.execute(select(func.coalesce(func.max(OrderLine.line_no), 0) + 1).where(
        OrderLine.order_id == order.id)).scalar_one()
    return OrderLine(
        tenant_id=order.tenant_id, order_id=order.id, line_no=next_no, kind=kind, description=description,
        service_item_id=line.service_item_id, part_id=line.part_id, technician_id=line.technician_id,
        quantity=quantity, unit_price=price, unit_cost=bounds.price(cost or 0, N_("unit cost")),
        tax_rate_id=tax.id if tax else None, tax_rate_pct=tax.rate_pct if tax else Decimal(0),
        warranty_months=months or 0)


def _check_totals(uow: UnitOfWork, order: ServiceOrder, net: Decimal) -> None:
    """Refuse a line that would take the order's net past the limit (its invoice must fit, tax included)."""
    current: Decimal = uow.session.execute(select(func.coalesce(func.sum(func.round(
        OrderLine.quantity * OrderLine.unit_price, 2)), 0)).where(OrderLine.order_id == order.id)).scalar_one()
    bounds.order_total(Decimal(current) + net)


def _default_tax(uow: UnitOfWork) -> TaxRate | None:
    return uow.session.execute(select(TaxRate).where(TaxRate.is_default).order_by(TaxRate.id).limit(1)).scalar()


def remove_line(uow: UnitOfWork, order_id: int, line_id: int) -> None:
    """Remove a charge from an order that is not yet invoiced."""
    with uow:
        uow.actor.require("orders.edit_lines")
        order = load_order(uow, order_id, lock=True)
        _editable(uow, order)
        line = uow.session.get(OrderLine, line_id)
        if line is None or line.order_id != order.id:
            raise NotFound("Line {line} is not on order {number}.", line=line_id, number=order.order_number)
        before = {"kind": line.kind, "description": line.description, "quantity": line.quantity,
                  "unit_price": line.unit_price}
        uow.session.delete(line)
        uow.audit("order.remove_line", "order_lines", line_id, before=before)
        uow.commit()


def apply_loyalty_discount(uow: UnitOfWork, order_id: int) -> OrderLine | None:
    """Add (or refresh) the discount line for the customer's loyalty tier; None when the tier gives none."""
    with uow:
        uow.actor.require("orders.edit_lines")
        order = load_order(uow, order_id, lock=True)
        _editable(uow, order)
        customer = uow.session.get(Customer, order.customer_id)
        tier = uow.session.get(CustomerTier, customer.tier_id) if customer and customer.tier_id else None
        existing = uow.session.execute(select(OrderLine).where(
            OrderLine.order_id == order.id, OrderLine.kind == LineKind.DISCOUNT,
            OrderLine.description.like("Loyalty discount%"))).scalars().all()
        for old in existing:
            uow.session.delete(old)
        uow.flush()
        if tier is None or tier.discount_pct <= 0:
            uow.commit()
            return None
        base = sum((_net(line) for line in _lines(uow, order.id) if line.kind != LineKind.DISCOUNT), Decimal(0))
        amount = (base * tier.discount_pct / 100).quantize(CENT, ROUND_HALF_UP)
        if amount <= 0:
            uow.commit()
            return None
        row = _build_line(uow, order, LineIn(kind="discount", unit_price=amount,
                                             description=f"Loyalty discount ({tier.name} {tier.discount_pct}%)"))
        uow.session.add(row)
        uow.flush()
        uow.audit("order.loyalty_discount", "order_lines", row.id, after={"amount": amount})
        uow.commit()
        return row


def _lines(uow: UnitOfWork, order_id: int) -> list[OrderLine]:
    return list(uow.session.execute(
        select(OrderLine).where(OrderLine.order_id == order_id).order_by(OrderLine.line_no)).scalars())


def _net(line: OrderLine) -> Decimal:
    return (line.quantity * line.unit_price).quantize(CENT, ROUND_HALF_UP)


def line_amounts(line: OrderLine) -> tuple[Decimal, Decimal]:
    """Net and tax of one line, rounded to the cent the same way the invoice does."""
    net = _net(line)
    tax = (net * line.tax_rate_pct / 100).quantize(CENT, ROUND_HALF_UP)
    return net, tax


def order_totals(uow: UnitOfWork, order_id: int) -> dict[str, Decimal]:
    """Subtotal, tax and total of an order's lines (a discount can't push it below zero)."""
    subtotal = tax = Decimal(0)
    for line in _lines(uow, order_id):
        net, t = line_amounts(line)
        subtotal, tax = subtotal + net, tax + t
    tax = max(tax, Decimal(0))
    return {"subtotal": subtotal, "tax": tax, "total": subtotal + tax}


# ---------------------------------------------------------------------------------------------- notes, files

def add_note(uow: UnitOfWork, order_id: int, body: str, *, internal: bool = True) -> OrderNote:
    """A note on an order: internal for staff, or visible to the customer."""
    with uow:
        uow.actor.require("orders.note")
        order = load_order(uow, order_id)
        text_ = _clean_text(body, N_("note"), 20000)
        note = OrderNote(tenant_id=order.tenant_id, order_id=order.id, author_id=uow.actor.user_id, body=text_,
                         is_internal=internal, created_at=uow.now())
        uow.session.add(note)
        uow.flush()
        _event(uow, order, EventType.NOTE_ADDED, note.created_at, payload={"note_id": note.id})
        uow.audit("order.note", "order_notes", note.id, after={"order_id": order.id, "internal": internal})
        uow.commit()
        return note


def add_attachment(uow: UnitOfWork, order_id: int, upload: FileIn) -> Attachment:
    """Attach a photo or document to an order (stored once per content hash)."""
    with uow:
        uow.actor.require("orders.note")
        order = load_order(uow, order_id)
        attachment = _store_attachment(uow, upload, order_id=order.id)
        uow.audit("order.attach", "attachments", attachment.id,
                  after={"order_id": order.id, "sha256": attachment.sha256})
        uow.commit()
        return attachment


def _store_attachment(uow: UnitOfWork, upload: FileIn, *, order_id: int | None = None,
                      request_id: int | None = None) -> Attachment:
    if not upload.content:
        if not upload.filename:
            raise ValidationError("The file is empty.")
        raise ValidationError("The file {name} is empty.", name=Verbatim(upload.filename))
    if len(upload.content) > MAX_ATTACHMENT_BYTES:
        raise ValidationError("A file can be at most 20 MB.")
    if upload.content_type not in ALLOWED_CONTENT_TYPES:
        raise ValidationError("Attach photos (JPEG, PNG, WebP, HEIC), PDF or MP4 files only.")
    bounds.no_nul(upload.filename, N_("file name"))
    name = Path((upload.filename or "file").replace("\\", "/")).name.strip()[:255] or "file"
    digest = hashlib.sha256(upload.content).hexdigest()
    path = _write_when_committed(uow, get_settings().data_path / "attachments" / digest[:2] / digest,
                                 upload.content)
    attachment = Attachment(tenant_id=uow.actor.tenant_id, order_id=order_id, request_id=request_id, sha256=digest,
                            filename=name, content_type=upload.content_type, size_bytes=len(upload.content),
                            storage_path=str(path), uploaded_by=uow.actor.user_id, created_at=uow.now())
    uow.session.add(attachment)
    uow.flush()
    return attachment


def _write_when_committed(uow: UnitOfWork, path: Path, content: bytes) -> Path:
    """Store content-addressed ``content`` at ``path`` only if the transaction commits: it is written to a
    temporary file beside ``path`` now (so a full disk refuses the call) and moved into place after the commit;
    a rollback deletes it, so a refused or failed call leaves nothing on disk."""
    if path.exists():  # the same content, stored before
        return path
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name[:12]}-", suffix=".part")
    temporary = Path(name)
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(content)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
    uow.on_commit(partial(temporary.replace, path), undo=partial(temporary.unlink, missing_ok=True))
    return path


def _carry_attachments(uow: UnitOfWork, request_id: int, order_id: int) -> None:
    uow.session.execute(text("UPDATE attachments SET order_id = :o WHERE request_id = :r AND order_id IS NULL"),
                        {"o": order_id, "r": request_id})


def sign_off(uow: UnitOfWork, order_id: int, kind: str, signed_by_name: str, comment: str | None = None
             ) -> OrderSignoff:
    """Record the customer's signature at intake, completion or release."""
    with uow:
        uow.actor.require("orders.note")
        signoff = record_signoff(uow, load_order(uow, order_id), kind, signed_by_name, comment)
        uow.commit()
        return signoff


def record_signoff(uow: UnitOfWork, order: ServiceOrder, kind: str, signed_by_name: str,
                   comment: str | None = None) -> OrderSignoff:
    """The checks and the row of :func:`sign_off`, inside the caller's open unit of work."""
    if kind not in ("intake", "completion", "release"):
        raise ValidationError("A sign-off is for intake, completion or release.")
    if kind == "release" and order.stage not in (Stage.READY, Stage.CLOSED):
        raise Conflict("Order {number} is not ready for release.", number=order.order_number)
    name = _clean_text(signed_by_name, N_("signer's name"), 200)
    signoff = OrderSignoff(tenant_id=order.tenant_id, order_id=order.id, kind=kind, signed_by_name=name,
                           comment=_clean_text(comment, N_("comment"), 2000, required=False), signed_at=uow.now())
    uow.session.add(signoff)
    uow.flush()
    uow.audit("order.sign_off", "order_signoffs", signoff.id, after={"order_id": order.id, "kind": kind})
    return signoff


def move(uow: UnitOfWork, order: ServiceOrder, to_stage: str, reason: str | None = None) -> None:
    """The stage change of :func:`transition` (guards, event, SLA clocks), inside the caller's unit of work."""
    _apply_transition(uow, order, _enum(Stage, to_stage, N_("stage")), reason)


def rate_order(uow: UnitOfWork, order_id: int, score: int, comment: str | None = None) -> OrderRating:
    """The customer rates a finished order, once."""
    with uow:
        uow.actor.require("orders.rate")
        order = load_order(uow, order_id, lock=True)
        if uow.actor.is_customer and order.customer_id != uow.actor.customer_id:
            raise NotFound("Order {order} does not exist.", order=order_id)
        if order.stage not in (Stage.READY, Stage.CLOSED):
            raise Conflict("You can rate an order once the work is finished.")
        if not isinstance(score, int) or not 1 <= score <= 5:
            raise ValidationError("Give a score from 1 to 5.")
        if uow.session.execute(select(OrderRating.id).where(OrderRating.order_id == order.id)).first():
            raise Conflict("Order {number} was already rated.", number=order.order_number)
        rating = OrderRating(tenant_id=order.tenant_id, order_id=order.id, score=score,
                             comment=_clean_text(comment, N_("comment"), 5000, required=False), created_at=uow.now())
        uow.session.add(rating)
        uow.flush()
        uow.audit("order.rate", "order_ratings", rating.id, after={"order_id": order.id, "score": score})
        uow.commit()
        return rating


def assign(uow: UnitOfWork, order: ServiceOrder, technician_id: int | None, technician_name: str | None) -> None:
    """Record who works on an order and tell the customer (inside the caller's unit of work)."""
    if order.assigned_technician_id == technician_id:
        return
    order.assigned_technician_id = technician_id
    _event(uow, order, EventType.ASSIGNED, uow.now(), payload={"technician_id": technician_id})
    if technician_id is not None:
        notify_customer(uow, "order_assigned", order.customer_id,
                        {"order_number": order.order_number, "technician_name": technician_name or "A technician"},
                        order_id=order.id)


# ---------------------------------------------------------------------------------------------- reads

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


def track(uow: UnitOfWork, order_number: str, code: str) -> dict[str, Any]:
    """Public tracking by order number and code: stage, timeline, estimate, what is owed; nothing else."""
    with uow:
        order = uow.session.execute(select(ServiceOrder).where(
            ServiceOrder.order_number == (order_number or "")[:32])).scalar_one_or_none()
        if order is None or not hmac.compare_digest(order.tracking_code.encode(), (code or "").encode()):
            raise NotFound("No order matches that number and code.")
        totals = order_totals(uow, order.id)
        invoice = uow.session.execute(select(Invoice).where(Invoice.order_id == order.id,
                                                            Invoice.status != InvoiceStatus.VOID)).scalar()
        from ops_db.billing.service import balance  # billing builds on orders; imported late to avoid a cycle

        # The customer sees who is coming and when (or who did the work), by first name only.
        visit = uow.session.execute(text(
            "SELECT split_part(t.name, ' ', 1) AS technician, lower(b.planned) AS eta, b.status = 'done' AS done"
            " FROM bookings b JOIN technicians t ON t.id = b.technician_id WHERE b.order_id = :o"
            " AND b.status IN ('confirmed', 'in_progress', 'done')"
            " ORDER BY b.status = 'done', CASE WHEN b.status = 'done' THEN -extract(epoch FROM lower(b.planned))"
            " ELSE extract(epoch FROM lower(b.planned)) END LIMIT 1"),
            {"o": order.id}).first()
        tenant = uow.session.get(Tenant, order.tenant_id)
        return {
            "order_id": order.id, "technician": visit.technician if visit else None,
            "eta": visit.eta if visit and not visit.done else None,
            "time_zone": tenant.time_zone if tenant else "UTC", "currency": tenant.currency if tenant else "USD",
            "order_number": order.order_number, "stage": order.stage.value, "received_at": order.received_at,
            "promised_at": order.promised_at, "completed_at": order.completed_at,
            "estimate_amount": order.estimate_amount, "estimate_status": order.estimate_status.value,
            "total": totals["total"],
            "invoice": {"number": invoice.invoice_number, "status": invoice.status.value, "total": invoice.total,
                        "due": balance(uow, invoice)["due"]}
            if invoice else None,
            "timeline": [{"stage": e["to_stage"], "at": e["at"]} for e in timeline(uow, order.id)
                         if e["to_stage"] is not None],
        }
