"""Customers: find or create, edit, list (staff see all of the tenant; a customer sees only itself)."""

from __future__ import annotations

import re
from datetime import time
from decimal import Decimal

from sqlalchemy import func, or_, select
from sqlalchemy.exc import IntegrityError

from ops_db.customers.models import Customer, CustomerKind, CustomerPreference, CustomerSite
from ops_db.customers.schemas import CustomerIn, CustomerRow
from ops_db.i18n import N_
from ops_db.kit import bounds
from ops_db.kit.errors import Conflict, ValidationError, Verbatim
from ops_db.kit.uow import UnitOfWork

_EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]{1,190}\.[^@\s]{2,}$")
_PHONE = re.compile(r"^\+?[0-9 ()\-.]{5,31}$")
EMAIL_UNIQUE = "uq_customers_tenant_email"  # one customer per lower(btrim(email)) per company (migration 0013)


def clean_contact(name: str, email: str | None, phone: str | None) -> tuple[str, str | None, str | None]:
    """Trim and check a name, email and phone; at least one way to reach the person is required."""
    name = (name or "").strip()
    if not name:
        raise ValidationError("Give the customer's name.")
    if len(name) > 200:
        raise ValidationError("A name can be at most 200 characters.")
    email = (email or "").strip() or None
    phone = (phone or "").strip() or None
    if email is not None and not _EMAIL.match(email):
        raise ValidationError("That email address does not look right.")
    if phone is not None and not _PHONE.match(phone):
        raise ValidationError("That phone number does not look right.")
    if email is None and phone is None:
        raise ValidationError("Give an email address or a phone number.")
    return name, email, phone


def find_or_create(uow: UnitOfWork, data: CustomerIn, *, by_phone: bool = True) -> tuple[Customer, bool]:
    """The customer with this email or phone, or a new one (inside the caller's unit of work). With ``by_phone``
    false only the email finds an existing customer: the phone is kept on a new one (a household's shared line)."""
    name, email, phone = clean_contact(data.name, data.email, data.phone)
    match_phone = phone if by_phone else None
    if data.kind not in {k.value for k in CustomerKind}:
        raise ValidationError("A customer is one of: {choices}.", choices=", ".join(k.value for k in CustomerKind))
    existing = _existing(uow, email, match_phone)
    if existing is not None:
        return existing, False
    threshold = (
        None if data.approval_threshold is None else bounds.money(data.approval_threshold, N_("approval threshold"))
    )
    customer = Customer(
        tenant_id=uow.actor.tenant_id, kind=data.kind, name=name, email=email, phone=phone, approval_threshold=threshold
    )
    if not _inserted(uow, customer):
        # Someone created this customer between the look above and this insert (ten parallel requests with one
        # email): the database let exactly one in, and that one is the customer.
        winner = _existing(uow, email, match_phone)
        if winner is None:  # theirs is not visible to this actor
            raise Conflict(EMAIL_TAKEN, email=Verbatim(email or ""))
        return winner, False
    uow.session.add(
        CustomerPreference(
            tenant_id=uow.actor.tenant_id,
            customer_id=customer.id,
            channel=data.channel or ("email" if email else "sms"),
            language=data.language or "en",
        )
    )
    if data.address_line1 and data.city:
        _check_coordinates(data.latitude, data.longitude)
        uow.session.add(
            CustomerSite(
                tenant_id=uow.actor.tenant_id,
                customer_id=customer.id,
                address_line1=bounds.text(data.address_line1, N_("address"), 200),
                city=bounds.text(data.city, N_("city"), 100),
                latitude=data.latitude,
                longitude=data.longitude,
            )
        )
    uow.audit("customer.create", "customers", customer.id, after={"name": name, "email": email, "phone": phone})
    return customer, True


EMAIL_TAKEN = N_("A customer with the email {email} already exists.")


def _existing(uow: UnitOfWork, email: str | None, phone: str | None) -> Customer | None:
    """The oldest customer with this email (as the unique index compares it: trimmed, any case) or phone."""
    conditions = []
    if email:
        conditions.append(func.lower(func.btrim(Customer.email)) == email.lower())
    if phone:
        conditions.append(Customer.phone == phone)
    if not conditions:  # only a phone, not to be matched: nobody is this customer yet
        return None
    return uow.session.execute(
        select(Customer).where(or_(*conditions)).order_by(Customer.id).limit(1)
    ).scalar_one_or_none()


def _inserted(uow: UnitOfWork, customer: Customer) -> bool:
    """Insert ``customer`` under a savepoint; False when the database refuses it because its email is taken."""
    try:
        with uow.session.begin_nested():
            uow.session.add(customer)
    except IntegrityError as error:
        if getattr(getattr(error.orig, "diag", None), "constraint_name", None) != EMAIL_UNIQUE:
            raise
        return False
    return True


def _check_coordinates(lat: Decimal | None, lon: Decimal | None) -> None:
    if lat is not None and not Decimal(-90) <= lat <= Decimal(90):
        raise ValidationError("Latitude must be between -90 and 90.")
    if lon is not None and not Decimal(-180) <= lon <= Decimal(180):
        raise ValidationError("Longitude must be between -180 and 180.")


def create_customer(uow: UnitOfWork, data: CustomerIn) -> Customer:
    """Create a customer (or return the one with the same email or phone)."""
    with uow:
        uow.actor.require("customers.write")
        customer, _ = find_or_create(uow, data)
        uow.commit()
        return customer


def get_customer(uow: UnitOfWork, customer_id: int) -> CustomerRow:
    """One customer as a dict (row-level security hides other customers from a customer login)."""
    with uow:
        uow.actor.require("customers.read")
        customer = uow.get(Customer, customer_id)
        return customer_dict(customer)


def list_customers(
    uow: UnitOfWork, *, q: str | None = None, limit: int = 50, offset: int = 0
) -> tuple[list[CustomerRow], int]:
    """A page of customers matching a search on name, email or phone, and the total count."""
    limit, offset = bounds.page(limit, offset)
    with uow:
        uow.actor.require("customers.read")
        query = select(Customer)
        if q:
            like = f"%{q.strip()[:100]}%"
            query = query.where(or_(Customer.name.ilike(like), Customer.email.ilike(like), Customer.phone.ilike(like)))
        total = uow.session.execute(select(func.count()).select_from(query.subquery())).scalar_one()
        rows = uow.session.execute(query.order_by(Customer.id).limit(limit).offset(offset)).scalars().all()
        return [customer_dict(c) for c in rows], total


def customer_dict(c: Customer) -> CustomerRow:
    """The public fields of a customer."""
    return {
        "id": c.id,
        "kind": c.kind,
        "name": c.name,
        "email": c.email,
        "phone": c.phone,
        "segment": c.segment,
        "tier_id": c.tier_id,
        "approval_threshold": c.approval_threshold,
    }


CONTACT_CHANNELS = ("email", "sms", "whatsapp")


def preferences(uow: UnitOfWork, customer_id: int) -> CustomerPreference | None:
    """How a customer has asked to hear from the shop (None: email, in the company's language, any time)."""
    with uow:
        if uow.actor.customer_id != customer_id:
            uow.actor.require("customers.read")
        preference = uow.session.get(CustomerPreference, customer_id)
        if preference is not None:
            uow.session.expunge(preference)
        return preference


def set_preferences(
    uow: UnitOfWork,
    customer_id: int,
    *,
    channel: str,
    language: str,
    quiet_from: time | None = None,
    quiet_until: time | None = None,
) -> CustomerPreference:
    """How a customer wants to hear from the shop: channel, language (en, ru, pt_BR, zh_CN) and quiet hours
    (both or neither). Staff with ``customers.write`` set it, and a customer sets their own. Audited."""
    from ops_db.i18n import check_locale

    with uow:
        actor = uow.actor
        if actor.customer_id != customer_id:
            actor.require("customers.write")
        if channel not in CONTACT_CHANNELS:
            raise ValidationError("The channel must be email, sms or whatsapp.")
        language = check_locale(language)
        if (quiet_from is None) != (quiet_until is None):
            raise ValidationError("Give both ends of the quiet hours, or neither.")
        if quiet_from is not None and quiet_from == quiet_until:
            raise ValidationError("Quiet hours must start and end at different times.")
        uow.get(Customer, customer_id)  # an unknown customer is refused before anything changes
        preference = uow.session.get(CustomerPreference, customer_id, with_for_update=True)
        if preference is None:
            preference = CustomerPreference(tenant_id=actor.tenant_id, customer_id=customer_id)
            uow.session.add(preference)
        preference.channel, preference.language = channel, language  # type: ignore[assignment]
        preference.quiet_hours_start, preference.quiet_hours_end = quiet_from, quiet_until
        uow.audit(
            "customer.preferences",
            "customer_preferences",
            customer_id,
            after={"channel": channel, "language": language, "quiet_from": quiet_from, "quiet_until": quiet_until},
        )
        uow.commit()
        return preference
