"""The shapes that go into the orders services and come back: uploads, requests, intake, lines, receipts."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

from ops_db.customers.service import CustomerIn
from ops_db.orders.models import (
    RequestChannel,
)


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
