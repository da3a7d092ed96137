"""Request bodies with their limits; responses are plain JSON built from the services' dicts."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

Money = Annotated[Decimal, Field(ge=0, le=Decimal("9999999999.99"), max_digits=12, decimal_places=2)]
Qty = Annotated[Decimal, Field(gt=0, le=1_000_000, max_digits=12, decimal_places=3)]
Id = Annotated[int, Field(ge=1, le=2**62)]
Name = Annotated[str, Field(min_length=1, max_length=200)]
Email = Annotated[str, Field(min_length=3, max_length=254)]
Phone = Annotated[str, Field(min_length=5, max_length=32)]


class Strict(BaseModel):
    """Unknown fields are refused, so typos do not pass silently."""

    model_config = ConfigDict(extra="forbid")


class TokenIn(Strict):
    tenant: Annotated[str, Field(min_length=1, max_length=64)]
    email: Email
    password: Annotated[str, Field(min_length=1, max_length=1024)]
    totp: Annotated[str | None, Field(max_length=12)] = None


class TokenOut(BaseModel):
    access_token: str
    token_type: Literal["bearer"] = "bearer"
    user_id: int
    roles: list[str]


class PhotoIn(Strict):
    filename: Annotated[str, Field(min_length=1, max_length=255)]
    content_type: Annotated[str, Field(min_length=3, max_length=100)]
    content_base64: Annotated[str, Field(min_length=1, max_length=28_000_000)]


class RequestIn(Strict):
    contact_name: Name
    item_type: Annotated[str, Field(min_length=1, max_length=100)]
    problem_description: Annotated[str, Field(min_length=1, max_length=10_000)]
    contact_email: Email | None = None
    contact_phone: Phone | None = None
    item_description: Annotated[str | None, Field(max_length=2000)] = None
    preferred_time: Annotated[str | None, Field(max_length=500)] = None
    photos: Annotated[list[PhotoIn], Field(max_length=10)] = []


class LanguageIn(Strict):
    locale: Annotated[str, Field(min_length=1, max_length=16)]


class ReadIn(Strict):
    ids: Annotated[list[Annotated[int, Field(ge=1, le=2**62)]] | None, Field(max_length=500)] = None


class ReceiptOut(BaseModel):
    order_id: int
    order_number: str
    tracking_code: str


class CustomerIn(Strict):
    name: Name
    email: Email | None = None
    phone: Phone | None = None
    kind: Literal["person", "company"] = "person"
    language: Annotated[str | None, Field(max_length=16)] = None
    approval_threshold: Money | None = None


class IntakeIn(Strict):
    problem_description: Annotated[str, Field(min_length=1, max_length=10_000)]
    customer_id: Id | None = None
    customer: CustomerIn | None = None
    equipment_id: Id | None = None
    model_id: Id | None = None
    serial_number: Annotated[str | None, Field(max_length=100)] = None
    purchase_date: date | None = None
    priority: Literal["emergency", "high", "normal", "low"] = "normal"
    location: Literal["workshop", "field"] = "workshop"
    estimated_minutes: Annotated[int | None, Field(ge=1, le=10_000)] = None


class TransitionIn(Strict):
    to_stage: Literal["received", "diagnostics", "awaiting_approval", "awaiting_parts", "repair", "quality_check",
                      "ready", "closed", "on_hold", "cancelled"]
    reason: Annotated[str | None, Field(max_length=2000)] = None
    expected_stage: Annotated[str | None, Field(max_length=32)] = None


class LineIn(Strict):
    kind: Literal["service", "labour", "part", "goods", "consumable", "discount"]
    quantity: Qty = Decimal(1)
    description: Annotated[str | None, Field(max_length=300)] = None
    unit_price: Money | None = None
    service_item_id: Id | None = None
    part_id: Id | None = None
    technician_id: Id | None = None


class EstimateIn(Strict):
    amount: Money | None = None


class DecisionIn(Strict):
    approve: bool
    tracking_code: Annotated[str | None, Field(max_length=64)] = None


class PartsIn(Strict):
    action: Literal["reserve", "consume", "release"]
    part_id: Id | None = None
    quantity: Qty | None = None
    location_id: Id | None = None
    reservation_id: Id | None = None


class BookingIn(Strict):
    order_id: Id
    technician_id: Id
    starts_at: datetime
    ends_at: datetime


class TechnicianIn(Strict):
    name: Name
    hourly_cost: Money
    email: Email | None = None
    phone: Phone | None = None
    max_daily_minutes: Annotated[int, Field(ge=1, le=1440)] = 600
    max_travel_minutes: Annotated[int, Field(ge=0, le=1440)] = 240


class InvoiceIn(Strict):
    order_id: Id
    due_days: Annotated[int, Field(ge=0, le=365)] = 14


class PaymentIn(Strict):
    invoice_id: Id
    amount: Annotated[Decimal, Field(gt=0, le=Decimal("9999999999.99"), max_digits=12, decimal_places=2)]
    method: Literal["cash", "card", "bank_transfer", "online"]
    idempotency_key: Annotated[str | None, Field(min_length=1, max_length=128)] = None


class RefundIn(Strict):
    payment_id: Id
    amount: Annotated[Decimal, Field(gt=0, le=Decimal("9999999999.99"), max_digits=12, decimal_places=2)]
    reason: Annotated[str, Field(min_length=1, max_length=2000)]
    idempotency_key: Annotated[str, Field(min_length=1, max_length=128)]


class ErrorOut(BaseModel):
    error: str
    message: str


ERRORS: dict[int | str, dict[str, Any]] = {
    status: {"model": ErrorOut, "description": what} for status, what in (
        (400, "Malformed request"), (401, "Not signed in or the token is not valid"),
        (403, "Not allowed for this user"), (404, "No such thing (or not visible to this user)"),
        (409, "Clashes with the current state"), (422, "The input is not valid"),
        (429, "Too many requests"), (503, "The database is unavailable"))}
"""The error responses every endpoint documents: all share ``{"error", "message"}``."""


def page(items: list[Any], total: int, limit: int, offset: int) -> dict[str, Any]:
    """The paging envelope of every list endpoint."""
    return {"items": items, "total": total, "limit": limit, "offset": offset}
