"""The shapes that go into the orders services and come back: uploads, requests, intake, lines, stage changes,
estimates, receipts, and the order rows the API and the pages read (see ``ops_db.kit.schemas``)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Annotated

from pydantic import Field, with_config
from typing_extensions import TypedDict

from ops_db.customers.schemas import CustomerIn
from ops_db.kit.schemas import (
    EXACT,
    Amount,
    Choice,
    Day,
    Email,
    Id,
    Instant,
    Moment,
    Money,
    Name,
    Phone,
    Price,
    Qty,
    Shape,
)
from ops_db.orders.models import (
    EstimateStatus,
    EventType,
    LineKind,
    Priority,
    RequestChannel,
    ServiceLocation,
    Stage,
)

Problem = Annotated[str, Field(min_length=1, max_length=10_000)]


@dataclass(frozen=True)
class FileIn:
    """An uploaded file (photo of the damage, a receipt); pages build it from an upload, the API from a
    :class:`PhotoIn`."""

    filename: str
    content_type: str
    content: bytes


class PhotoIn(Shape):
    """A file as JSON carries it: its bytes in base64."""

    filename: Annotated[str, Field(min_length=1, max_length=255)]
    content_type: Annotated[str, Field(min_length=3, max_length=100)]
    content_base64: Annotated[str, Field(min_length=1, max_length=28_000_000)]


class RequestIn(Shape):
    """A repair request from the public portal: no account needed."""

    contact_name: Name
    item_type: Annotated[str, Field(min_length=1, max_length=100)]
    problem_description: Problem
    contact_email: Email | None = None
    contact_phone: Phone | None = None
    item_description: Annotated[str | None, Field(max_length=2000)] = None
    preferred_time: Annotated[str | None, Field(max_length=500)] = None
    channel: Choice[RequestChannel] = RequestChannel.WEB
    photos: tuple[FileIn, ...] = ()


@dataclass(frozen=True)
class Receipt:
    """What the customer gets back at once: the order number and the code to track it."""

    order_id: int
    order_number: str
    tracking_code: str
    request_id: int | None = None


class IntakeIn(Shape):
    """Front desk intake on one screen: customer (a new one, or ``customer_id``), device, warranty and problem."""

    customer: CustomerIn | None = None
    problem_description: Problem
    customer_id: Id | None = None
    equipment_id: Id | None = None
    model_id: Id | None = None
    serial_number: Annotated[str | None, Field(max_length=100)] = None
    purchase_date: Day | None = None
    manufacturer_warranty_until: Day | None = None
    priority: Choice[Priority] = Priority.NORMAL
    location: Choice[ServiceLocation] = ServiceLocation.WORKSHOP
    required_skill_id: Id | None = None
    estimated_minutes: Annotated[int | None, Field(ge=1, le=10_000)] = None
    promised_at: Moment | None = None
    photos: tuple[FileIn, ...] = ()
    # A phone typed for a new customer never files the order under whoever already has that phone: the desk
    # chooses that customer (customer_id) or says it is someone new, who keeps the phone too.
    new_customer: bool = False
    # Where a field job is done: one of the customer's sites, or a new address (line and city) kept as a site.
    site_id: Id | None = None
    service_address: Annotated[str | None, Field(max_length=200)] = None
    service_city: Annotated[str | None, Field(max_length=100)] = None


class LineIn(Shape):
    """A charge to add: a catalogue service, labour, a part, goods, a consumable, or a discount."""

    kind: Choice[LineKind]
    quantity: Qty = Decimal(1)
    description: Annotated[str | None, Field(max_length=300)] = None
    unit_price: Price | None = None
    service_item_id: Id | None = None
    part_id: Id | None = None
    technician_id: Id | None = None
    unit_cost: Price | None = None
    warranty_months: Annotated[int | None, Field(ge=0, le=120)] = None


class TransitionIn(Shape):
    """Move an order to another stage (``expected_stage``: only if it is still there)."""

    to_stage: Choice[Stage]
    reason: Annotated[str | None, Field(max_length=2000)] = None
    expected_stage: Choice[Stage] | None = None


class EstimateIn(Shape):
    """The price to ask the customer to approve (none: the order's current total)."""

    amount: Amount | None = None


class DecisionIn(Shape):
    """The customer's answer to an estimate (the tracking code when the customer answers)."""

    approve: bool
    tracking_code: Annotated[str | None, Field(max_length=64)] = None


# ---- outputs ----------------------------------------------------------------------------------------------------


@with_config(EXACT)
class OrderLineRow(TypedDict):
    """A line of an order."""

    id: int
    line_no: int
    kind: Choice[LineKind]
    description: str
    quantity: Money
    unit_price: Money
    tax_rate_pct: Money
    part_id: int | None


@with_config(EXACT)
class Totals(TypedDict):
    """An order's lines added up (a discount can't push the tax below zero)."""

    subtotal: Money
    tax: Money
    total: Money


@with_config(EXACT)
class EventRow(TypedDict):
    """One event of an order's timeline."""

    event: Choice[EventType]
    from_stage: Choice[Stage] | None
    to_stage: Choice[Stage] | None
    at: Instant
    by: str | None


@with_config(EXACT)
class OrderRow(TypedDict):
    """An order as a list shows it."""

    id: int
    order_number: str
    stage: Choice[Stage]
    priority: Choice[Priority]
    location: Choice[ServiceLocation]
    customer_id: int
    equipment_id: int | None
    problem_description: str
    assigned_technician_id: int | None
    estimate_amount: Money | None
    estimate_status: Choice[EstimateStatus]
    received_at: Instant
    promised_at: Instant | None
    completed_at: Instant | None
    closed_at: Instant | None
    is_warranty_repair: bool
    allowed_transitions: list[Choice[Stage]]


@with_config(EXACT)
class OrderDetail(OrderRow):
    """An order in full: its lines, their totals and its timeline."""

    lines: list[OrderLineRow]
    totals: Totals
    events: list[EventRow]


@with_config(EXACT)
class StageOut(TypedDict):
    """An order after a stage change."""

    id: int
    order_number: str
    stage: Choice[Stage]


@with_config(EXACT)
class LineOut(TypedDict):
    """A line just added."""

    id: int
    line_no: int
    kind: Choice[LineKind]
    description: str
    quantity: Money
    unit_price: Money
    tax_rate_pct: Money


@with_config(EXACT)
class EstimateOut(TypedDict):
    """An order whose estimate was just sent."""

    id: int
    stage: Choice[Stage]
    estimate_amount: Money | None


@with_config(EXACT)
class DecisionOut(TypedDict):
    """An order after the customer's answer to the estimate."""

    id: int
    stage: Choice[Stage]
    estimate_status: Choice[EstimateStatus]
