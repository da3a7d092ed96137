"""The API's own shapes: sign-in tokens, the error body, the paging envelope and small answers. Every business
input and output comes from its area's ``ops_db.<area>.schemas``, shared with the services."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Any, Generic, Literal, TypeVar

from pydantic import BaseModel, Field

from ops_db.customers.schemas import CustomerIn
from ops_db.kit.schemas import Amount, Day, Email, Id, Name, Phone, Price, Qty, Shape

Strict = Shape  # the API-only inputs below refuse unknown fields and NUL characters like every shared shape
StageName = Literal["received", "diagnostics", "awaiting_approval", "awaiting_parts", "repair", "quality_check",
                    "ready", "closed", "on_hold", "cancelled"]
T = TypeVar("T")


class TokenIn(Strict):
    tenant: Annotated[str, Field(min_length=1, max_length=64)]
    email: Email
    password: Annotated[str, Field(min_length=1, max_length=1024)]
    totp: Annotated[str | None, Field(max_length=12)] = None


class TokenOut(BaseModel):
    access_token: str = Field(description="Send as `Authorization: Bearer …`; it works for `expires_in` seconds.")
    token_type: Literal["bearer"] = "bearer"
    expires_in: int = Field(ge=0, description="Seconds the access token works (15 minutes, less near the "
                                               "session's end).")
    refresh_token: str = Field(description="Trade it once at /api/v1/auth/refresh for a new pair; using it "
                                           "twice ends the session.")
    user_id: int
    roles: list[str]


class RefreshIn(Strict):
    refresh_token: Annotated[str, Field(min_length=1, max_length=1024)]


class PasswordIn(Strict):
    current_password: Annotated[str, Field(min_length=1, max_length=1024)]
    new_password: Annotated[str, Field(min_length=8, max_length=1024)]


class SessionsEndedOut(BaseModel):
    ended: int = Field(ge=0, description="How many sessions ended.")


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


class ReceiptOut(BaseModel):
    order_id: int
    order_number: str
    tracking_code: str


class IntakeIn(Strict):
    problem_description: Annotated[str, Field(min_length=1, max_length=10_000)]
    customer_id: Id | None = None
    customer: CustomerIn | None = None
    equipment_id: Id | None = None
    model_id: Id | None = None
    serial_number: Annotated[str | None, Field(max_length=100)] = None
    purchase_date: Day | None = None
    priority: Literal["emergency", "high", "normal", "low"] = "normal"
    location: Literal["workshop", "field"] = "workshop"
    estimated_minutes: Annotated[int | None, Field(ge=1, le=10_000)] = None


class TransitionIn(Strict):
    to_stage: StageName
    reason: Annotated[str | None, Field(max_length=2000)] = None
    expected_stage: StageName | None = None


class LineIn(Strict):
    kind: Literal["service", "labour", "part", "goods", "consumable", "discount"]
    quantity: Qty = Decimal(1)
    description: Annotated[str | None, Field(max_length=300)] = None
    unit_price: Price | None = None
    service_item_id: Id | None = None
    part_id: Id | None = None
    technician_id: Id | None = None


class EstimateIn(Strict):
    amount: Amount | None = None


class DecisionIn(Strict):
    approve: bool
    tracking_code: Annotated[str | None, Field(max_length=64)] = None


class ErrorOut(BaseModel):
    error: str
    message: str


ERRORS: dict[int | str, dict[str, Any]] = {
    status: {"model": ErrorOut, "description": what} for status, what in (
        (400, "Malformed request"), (401, "Not signed in or the token is not valid"),
        (403, "Not allowed for this user"), (404, "No such thing (or not visible to this user)"),
        (409, "Clashes with the current state"), (413, "The request body is larger than the server takes"),
        (422, "The input is not valid"),
        (429, "Too many requests"), (503, "The database is unavailable"))}
"""The error responses every endpoint documents: all share ``{"error", "message"}``."""


class Page(BaseModel, Generic[T]):
    """The paging envelope of every list endpoint: ``total`` counts every matching row, not just this page's."""

    items: list[T]
    total: int = Field(ge=0, description="How many rows match in all.")
    limit: int = Field(ge=0)
    offset: int = Field(ge=0)


def page(items: list[T], total: int, limit: int, offset: int) -> Page[T]:
    """The paging envelope of a list endpoint."""
    return Page(items=items, total=total, limit=limit, offset=offset)


class LocaleOut(BaseModel):
    locale: str = Field(description="The language kept (en, ru, pt_BR or zh_CN).")


class MarkedOut(BaseModel):
    marked: int = Field(ge=0, description="How many of them were unread.")


class StatusOut(BaseModel):
    status: str
