"""Intake: portal requests, requests taken by staff, front-desk intake, and opening the order itself."""

from __future__ import annotations

import secrets
from datetime import date, datetime, timedelta

from sqlalchemy import func, select, text

from ops_db.assets.models import Equipment, EquipmentModel
from ops_db.billing.models import Invoice, InvoiceStatus
from ops_db.comms.service import notify_customer
from ops_db.customers.models import Customer, CustomerPreference, CustomerSite
from ops_db.customers.schemas import CustomerIn
from ops_db.customers.service import clean_contact, find_or_create
from ops_db.i18n import N_
from ops_db.identity.models import Tenant
from ops_db.kit import bounds
from ops_db.kit.dates import add_months
from ops_db.kit.errors import Conflict, NotFound, ValidationError
from ops_db.kit.numbers import next_number
from ops_db.kit.uow import UnitOfWork
from ops_db.orders.common import _clean_text, _enum, _event
from ops_db.orders.files import _carry_attachments, _store_attachment
from ops_db.orders.links import tracking_link
from ops_db.orders.models import (
    EventType,
    Priority,
    RequestChannel,
    RequestStatus,
    ServiceLocation,
    ServiceOrder,
    ServiceRequest,
    Stage,
)
from ops_db.orders.schemas import FileIn, IntakeIn, Receipt, RequestIn
from ops_db.sla import service as sla
from ops_db.warranty.models import Warranty
from ops_db.workforce.models import Skill

MAX_PHOTOS = 10


def _check_photo_count(photos: tuple[FileIn, ...]) -> None:
    if len(photos) > MAX_PHOTOS:
        raise ValidationError("Attach at most {limit} photos.", limit=MAX_PHOTOS)


def submit_request(uow: UnitOfWork, data: RequestIn) -> Receipt:
    """A customer's online request: recorded, turned into an order, number and tracking code returned at once."""
    with uow:
        uow.actor.require("requests.submit")
        if data.channel not in {c.value for c in RequestChannel}:
            raise ValidationError(
                "The channel must be one of: {choices}.", choices=", ".join(c.value for c in RequestChannel)
            )
        item = _clean_text(data.item_type, N_("item type"), 100)
        problem = _clean_text(data.problem_description, N_("problem description"), 10000)
        assert item is not None and problem is not None
        _check_photo_count(data.photos)
        customer = _requester(
            uow, CustomerIn(name=data.contact_name, email=data.contact_email, phone=data.contact_phone)
        )
        now = uow.now()
        request = ServiceRequest(
            tenant_id=uow.actor.tenant_id,
            channel=data.channel,
            status=RequestStatus.CONVERTED,
            customer_id=customer.id,
            contact_name=bounds.text(data.contact_name, N_("contact name"), 200, required=False) or "",
            contact_email=(data.contact_email or "").strip() or None,
            contact_phone=(data.contact_phone or "").strip() or None,
            item_type=item,
            item_description=_clean_text(data.item_description, N_("item description"), 2000, required=False),
            problem_description=problem,
            preferred_time=_clean_text(data.preferred_time, N_("preferred time"), 500, required=False),
            submitted_at=now,
        )
        uow.session.add(request)
        uow.flush()
        for photo in data.photos:
            _store_attachment(uow, photo, request_id=request.id)
        order = open_order(
            uow,
            customer,
            problem=f"{item}: {problem}",
            priority=Priority.NORMAL,
            location=ServiceLocation.WORKSHOP,
            request_id=request.id,
            now=now,
        )
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
        own = uow.get(Customer, actor.customer_id)
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
    if (
        email
        and session.execute(select(Customer.id).where(func.lower(Customer.email) == email.lower()).limit(1)).first()
    ):
        email = None
    if phone and session.execute(select(Customer.id).where(Customer.phone == phone).limit(1)).first():
        phone = None
    tenant = session.get(Tenant, uow.actor.tenant_id)
    customer = Customer(tenant_id=uow.actor.tenant_id, kind="person", name=name, email=email, phone=phone)
    session.add(customer)
    uow.flush()
    session.add(
        CustomerPreference(
            tenant_id=uow.actor.tenant_id,
            customer_id=customer.id,
            channel="email" if email else "sms",
            language=tenant.locale if tenant is not None and tenant.locale else "en",
        )
    )
    uow.audit(
        "customer.create",
        "customers",
        customer.id,
        after={"name": name, "email": email, "phone": phone, "source": "portal request"},
    )
    return customer


def link_request(uow: UnitOfWork, request_id: int, customer_id: int) -> ServiceRequest:
    """Staff who recognise who sent a request move it, with the order opened from it, to that customer (an
    anonymous portal request never joins an existing customer by itself). Only before the order is invoiced;
    the portal's stand-in customer is deactivated when nothing else is theirs. Audited."""
    with uow:
        uow.actor.require("requests.convert")
        uow.actor.require("customers.write")
        request = uow.get(ServiceRequest, request_id, lock=True)
        target = uow.get(Customer, customer_id)
        before = request.customer_id
        if before == target.id:
            raise Conflict("Request {request} already belongs to {name}.", request=request_id, name=target.name)
        opened = (
            uow.session.execute(select(ServiceOrder).where(ServiceOrder.request_id == request.id).with_for_update())
            .scalars()
            .all()
        )
        invoiced = uow.session.execute(
            select(Invoice.invoice_number).where(
                Invoice.order_id.in_([o.id for o in opened]), Invoice.status != InvoiceStatus.VOID
            )
        ).scalar()
        if invoiced is not None:
            raise Conflict(
                "Request {request} is already invoiced ({invoice}); it can no longer move to another customer.",
                request=request_id,
                invoice=invoiced,
            )
        request.customer_id = target.id
        for order in opened:
            order.customer_id = target.id
        uow.flush()
        if before is not None:
            _retire_stand_in(uow, before)
        uow.audit(
            "request.link",
            "service_requests",
            request.id,
            before={"customer_id": before},
            after={"customer_id": target.id, "orders": [o.id for o in opened]},
        )
        uow.commit()
        return request


def _retire_stand_in(uow: UnitOfWork, customer_id: int) -> None:
    """Deactivate a customer left with no request, order, device or login (the portal's stand-in)."""
    still_used: bool = uow.session.execute(
        text(
            "SELECT EXISTS (SELECT 1 FROM service_requests WHERE customer_id = :c)"
            " OR EXISTS (SELECT 1 FROM service_orders WHERE customer_id = :c)"
            " OR EXISTS (SELECT 1 FROM equipment WHERE customer_id = :c)"
            " OR EXISTS (SELECT 1 FROM users WHERE customer_id = :c)"
        ),
        {"c": customer_id},
    ).scalar_one()
    stand_in = uow.session.get(Customer, customer_id)
    if not still_used and stand_in is not None and stand_in.is_active:
        stand_in.is_active = False


def record_request(uow: UnitOfWork, data: RequestIn) -> int:
    """Staff record a request that came by phone or message, for triage later (no order yet)."""
    with uow:
        uow.actor.require("requests.convert")  # a write: never on a read permission (an auditor holds those)
        problem = _clean_text(data.problem_description, N_("problem description"), 10000)
        item = _clean_text(data.item_type, N_("item type"), 100)
        customer, _ = find_or_create(
            uow, CustomerIn(name=data.contact_name, email=data.contact_email, phone=data.contact_phone)
        )
        request = ServiceRequest(
            tenant_id=uow.actor.tenant_id,
            channel=data.channel,
            customer_id=customer.id,
            contact_name=bounds.text(data.contact_name, N_("contact name"), 200, required=False) or "",
            contact_email=data.contact_email,
            contact_phone=data.contact_phone,
            item_type=item,
            problem_description=problem,
            submitted_at=uow.now(),
        )
        uow.session.add(request)
        uow.flush()
        for photo in data.photos:
            _store_attachment(uow, photo, request_id=request.id)
        uow.audit("request.record", "service_requests", request.id)
        uow.commit()
        return request.id


def convert_request(
    uow: UnitOfWork, request_id: int, *, priority: str = "normal", location: str = "workshop"
) -> Receipt:
    """Turn a new request into a service order; its photos come along."""
    with uow:
        uow.actor.require("requests.convert")
        request = uow.get(ServiceRequest, request_id, lock=True)
        if request.status != RequestStatus.NEW:
            raise Conflict("Request {request} was already {status}.", request=request_id, status=request.status.value)
        customer = uow.session.get(Customer, request.customer_id) if request.customer_id else None
        if customer is None:
            customer, _ = find_or_create(
                uow, CustomerIn(name=request.contact_name, email=request.contact_email, phone=request.contact_phone)
            )
        order = open_order(
            uow,
            customer,
            problem=f"{request.item_type}: {request.problem_description}",
            priority=_enum(Priority, priority, N_("priority")),
            location=_enum(ServiceLocation, location, N_("location")),
            request_id=request.id,
            now=uow.now(),
        )
        request.status = RequestStatus.CONVERTED
        _carry_attachments(uow, request.id, order.id)
        uow.audit("request.convert", "service_requests", request.id, after={"order_id": order.id})
        uow.commit()
        return Receipt(order.id, order.order_number, order.tracking_code, request.id)


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
            customer = uow.get(Customer, data.customer_id)
        elif data.customer is not None:
            customer = _typed_customer(uow, data.customer, new=data.new_customer)
        else:
            raise ValidationError("Choose a customer or enter a new one.")
        check_required_skill(uow, data.required_skill_id)
        site = _service_site(uow, customer, data, location)
        equipment = _intake_equipment(uow, customer, data)
        now = uow.now()
        order = open_order(
            uow,
            customer,
            problem=problem,
            priority=priority,
            location=location,
            request_id=None,
            now=now,
            equipment=equipment,
            skill_id=data.required_skill_id,
            estimated_minutes=data.estimated_minutes,
            promised_at=data.promised_at,
        )
        order.site_id = site.id if site is not None else None
        for photo in data.photos:
            _store_attachment(uow, photo, order_id=order.id)
        uow.audit(
            "order.intake",
            "service_orders",
            order.id,
            after={
                "order_number": order.order_number,
                "customer_id": customer.id,
                "equipment_id": equipment.id if equipment else None,
            },
        )
        uow.commit()
        return Receipt(order.id, order.order_number, order.tracking_code)


def _typed_customer(uow: UnitOfWork, typed: CustomerIn, *, new: bool) -> Customer:
    """The customer typed at the counter. An email names one customer (it is unique), so it finds them; a phone
    alone may be a household's line or a number passed on, so a phone match is never taken silently: the desk
    chooses that customer from the matches, or says it is someone new (``new``), who keeps the phone too."""
    _, email, phone = clean_contact(typed.name, typed.email, typed.phone)
    if phone is not None and not new:
        holder = uow.session.execute(
            select(Customer).where(Customer.phone == phone).order_by(Customer.id).limit(1)
        ).scalar_one_or_none()
        same_email = holder is not None and email is not None and (holder.email or "").strip().lower() == email.lower()
        if holder is not None and not same_email:
            raise Conflict(
                "{name} already has the phone number {phone}: choose them from the matches, or say it is a new "
                "customer.",
                name=holder.name,
                phone=phone,
            )
    return find_or_create(uow, typed, by_phone=not new)[0]


def _service_site(
    uow: UnitOfWork, customer: Customer, data: IntakeIn, location: ServiceLocation
) -> CustomerSite | None:
    """Where the work is done: a site of the customer, or a new address kept as their site. A field job needs
    one (the technician has to know where to go); a workshop job takes one only when given."""
    if data.site_id is not None:
        site = uow.get(CustomerSite, data.site_id)
        if site.customer_id != customer.id:
            raise NotFound("Address {site} is not one of this customer's.", site=data.site_id)
        return site
    street = (data.service_address or "").strip()
    city = (data.service_city or "").strip()
    if street and city:
        site = CustomerSite(
            tenant_id=customer.tenant_id, customer_id=customer.id, address_line1=street[:200], city=city[:100]
        )
        uow.session.add(site)
        uow.flush()
        return site
    if street or city:
        raise ValidationError("Give the street and the city of the service address.")
    if location == ServiceLocation.FIELD:
        raise ValidationError("A field job needs the service address: choose one of the customer's or type it.")
    return None


def check_required_skill(uow: UnitOfWork, skill_id: int | None) -> None:
    """Refuse a required skill that does not exist; another company's skill gets the same sentence."""
    if skill_id is not None:
        uow.get(Skill, skill_id)


def _intake_equipment(uow: UnitOfWork, customer: Customer, data: IntakeIn) -> Equipment | None:
    session = uow.session
    if data.equipment_id is not None:
        equipment = session.get(Equipment, data.equipment_id)
        if equipment is None or equipment.customer_id != customer.id:
            raise NotFound("Device {device} does not belong to this customer.", device=data.equipment_id)
        return equipment
    if data.model_id is None:
        return None
    model = uow.get(EquipmentModel, data.model_id)
    serial = _clean_text(data.serial_number, N_("serial number"), 100, required=False)
    bounds.day(data.purchase_date, N_("purchase date"))
    bounds.day(data.manufacturer_warranty_until, N_("warranty end"))
    if data.purchase_date is not None and data.purchase_date > date.today() + timedelta(days=1):
        raise ValidationError("The purchase date cannot be in the future.")
    equipment = None
    if serial:
        equipment = session.execute(
            select(Equipment).where(Equipment.model_id == model.id, Equipment.serial_number == serial)
        ).scalar_one_or_none()
        if equipment is not None and equipment.customer_id != customer.id:
            raise Conflict("A device with serial {serial} is registered to another customer.", serial=serial)
    if equipment is None:
        equipment = Equipment(
            tenant_id=uow.actor.tenant_id,
            customer_id=customer.id,
            model_id=model.id,
            serial_number=serial,
            purchase_date=data.purchase_date,
        )
        session.add(equipment)
        session.flush()
        ends = data.manufacturer_warranty_until
        if ends is None and data.purchase_date is not None and model.default_warranty_months:
            ends = add_months(data.purchase_date, model.default_warranty_months)
        if ends is not None:
            starts = data.purchase_date or min(ends, date.today())
            if ends < starts:
                raise ValidationError("The warranty cannot end before the device was bought.")
            session.add(
                Warranty(
                    tenant_id=uow.actor.tenant_id,
                    equipment_id=equipment.id,
                    kind="manufacturer",
                    coverage="full",
                    starts_on=starts,
                    ends_on=ends,
                )
            )
    return equipment


def open_order(
    uow: UnitOfWork,
    customer: Customer,
    *,
    problem: str,
    priority: Priority,
    location: ServiceLocation,
    request_id: int | None,
    now: datetime,
    equipment: Equipment | None = None,
    skill_id: int | None = None,
    estimated_minutes: int | None = None,
    promised_at: datetime | None = None,
    maintenance_plan_id: int | None = None,
) -> ServiceOrder:
    """Create the order row, its first event and SLA clocks, and tell the customer (inside the caller's unit)."""
    session = uow.session
    tenant = session.get(Tenant, uow.actor.tenant_id)
    assert tenant is not None
    policy = sla.choose_policy(uow, priority, customer.tier_id)
    warranty_id = None
    if equipment is not None:
        warranty_id = session.execute(
            select(Warranty.id)
            .where(
                Warranty.equipment_id == equipment.id, Warranty.starts_on <= now.date(), Warranty.ends_on >= now.date()
            )
            .order_by(Warranty.ends_on.desc())
            .limit(1)
        ).scalar()
    order = ServiceOrder(
        tenant_id=tenant.id,
        order_number=next_number(session, tenant.id, "order", tenant.order_number_prefix, now),
        tracking_code=secrets.token_urlsafe(12),
        request_id=request_id,
        customer_id=customer.id,
        equipment_id=equipment.id if equipment else None,
        stage=Stage.RECEIVED,
        priority=priority,
        location=location,
        sla_policy_id=policy.id if policy else None,
        required_skill_id=skill_id,
        problem_description=problem,
        estimated_minutes=estimated_minutes,
        received_at=now,
        promised_at=promised_at,
        is_warranty_repair=warranty_id is not None,
        warranty_id=warranty_id,
        created_by=uow.actor.user_id,
        maintenance_plan_id=maintenance_plan_id,
    )
    session.add(order)
    session.flush()
    _event(uow, order, EventType.CREATED, now, to_stage=Stage.RECEIVED)
    sla.start_clocks(uow, order, now)
    notify_customer(
        uow,
        "request_received",
        customer.id,
        {
            "order_number": order.order_number,
            "tracking_code": order.tracking_code,
            "tracking_link": tracking_link(tenant.slug, order.order_number, order.tracking_code),
            "customer_name": customer.name,
        },
        order_id=order.id,
    )
    return order
