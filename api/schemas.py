"""Request bodies with their limits; responses are plain JSON built from the services' dicts."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, WithJsonSchema, field_validator
from pydantic_core import PydanticCustomError

from ops_db.i18n import LOCALES
from ops_db.kit import bounds


def _decimal_schema(high: Decimal, places: int, *, positive: bool = False) -> WithJsonSchema:
    """How OpenAPI shows a decimal: a JSON number within the business limits, or the same written as a string
    (the pattern accepts only values inside the limits, so generated examples are meaningful)."""
    low = {"exclusiveMinimum": 0} if positive else {"minimum": 0}
    more = len(str(int(high))) - 2  # digits after the first below the limit: 1,000,000 -> up to 999,999
    first = f"[1-9][0-9]{{0,{more}}}" if positive else f"(0|[1-9][0-9]{{0,{more}}})"
    return WithJsonSchema({"anyOf": [{"type": "number", **low, "maximum": float(high)},
                                     {"type": "string", "pattern": f"^{first}(\\.[0-9]{{1,{places}}})?$"}]})


def _digits(places: int) -> dict[str, int]:
    return {"max_digits": 12, "decimal_places": places}


# Business limits (ops_db.kit.bounds): a unit price, any one amount, a line's quantity.
Price = Annotated[Decimal, Field(ge=0, le=bounds.MAX_UNIT_PRICE, **_digits(2)),
                  _decimal_schema(bounds.MAX_UNIT_PRICE, 2)]
Amount = Annotated[Decimal, Field(ge=0, le=bounds.MAX_AMOUNT, **_digits(2)), _decimal_schema(bounds.MAX_AMOUNT, 2)]
PositiveAmount = Annotated[Decimal, Field(gt=0, le=bounds.MAX_AMOUNT, **_digits(2)),
                           _decimal_schema(bounds.MAX_AMOUNT, 2, positive=True)]
Qty = Annotated[Decimal, Field(gt=0, le=bounds.MAX_QUANTITY, **_digits(3)),
                _decimal_schema(bounds.MAX_QUANTITY, 3, positive=True)]


def _within_calendar(value: date) -> date:
    if not bounds.EARLIEST_DAY <= value <= bounds.LATEST_DAY:
        raise PydanticCustomError("date_out_of_range", "Give a date between {earliest} and {latest}",
                                  {"earliest": bounds.EARLIEST_DAY.isoformat(),
                                   "latest": bounds.LATEST_DAY.isoformat()})
    return value


def _moment_within_calendar(value: datetime) -> datetime:
    _within_calendar(value.replace(tzinfo=None).date())  # first: converting 0001-01-01T00:00+14:00 overflows
    if value.utcoffset() is not None:
        _within_calendar(value.astimezone(UTC).date())
    return value


CALENDAR = f"Between {bounds.EARLIEST_DAY} and {bounds.LATEST_DAY}."
Day = Annotated[date, AfterValidator(_within_calendar), Field(description=CALENDAR)]
Moment = Annotated[datetime, AfterValidator(_moment_within_calendar),
                   Field(description=f"With a time zone; {CALENDAR[0].lower()}{CALENDAR[1:]}")]
StageName = Literal["received", "diagnostics", "awaiting_approval", "awaiting_parts", "repair", "quality_check",
                    "ready", "closed", "on_hold", "cancelled"]
InvoiceStatusName = Literal["draft", "issued", "partially_paid", "paid", "written_off", "void"]
# Other spellings (pt-BR, zh_cn) are accepted too; the schema lists the canonical ones.
Locale = Annotated[str, Field(min_length=1, max_length=16, json_schema_extra={"enum": list(LOCALES)})]
Id = Annotated[int, Field(ge=1, le=2**62)]
Name = Annotated[str, Field(min_length=1, max_length=200)]
Email = Annotated[str, Field(min_length=3, max_length=254)]
Phone = Annotated[str, Field(min_length=5, max_length=32)]


class Strict(BaseModel):
    """Unknown fields are refused, so typos do not pass silently; no text may hold a NUL character."""

    model_config = ConfigDict(extra="forbid")

    @field_validator("*", mode="after")
    @classmethod
    def _no_nul(cls, value: Any) -> Any:
        """Postgres cannot store NUL in text: refuse it here, with the field's name, not deep in a service."""
        if isinstance(value, str) and bounds.NUL in value:
            raise PydanticCustomError("nul_character", "The text contains a NUL character, which cannot be stored")
        return value


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


class LanguageIn(Strict):
    locale: Locale


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
    language: Locale | None = None
    approval_threshold: Amount | None = None


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


class PartsIn(Strict):
    action: Literal["reserve", "consume", "release"]
    part_id: Id | None = None
    quantity: Qty | None = None
    location_id: Id | None = None
    reservation_id: Id | None = None


class BookingIn(Strict):
    order_id: Id
    technician_id: Id
    starts_at: Moment
    ends_at: Moment


class TechnicianIn(Strict):
    name: Name
    hourly_cost: Price
    email: Email | None = None
    phone: Phone | None = None
    max_daily_minutes: Annotated[int, Field(ge=1, le=1440)] = 600
    max_travel_minutes: Annotated[int, Field(ge=0, le=1440)] = 240


class InvoiceIn(Strict):
    order_id: Id
    due_days: Annotated[int, Field(ge=0, le=365)] = 14


class PaymentIn(Strict):
    invoice_id: Id
    amount: PositiveAmount
    method: Literal["cash", "card", "bank_transfer", "online"]
    idempotency_key: Annotated[str | None, Field(min_length=1, max_length=128)] = None


class RefundIn(Strict):
    payment_id: Id
    amount: PositiveAmount
    reason: Annotated[str, Field(min_length=1, max_length=2000)]
    idempotency_key: Annotated[str, Field(min_length=1, max_length=128)]


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


def page(items: list[Any], total: int, limit: int, offset: int) -> dict[str, Any]:
    """The paging envelope of every list endpoint."""
    return {"items": items, "total": total, "limit": limit, "offset": offset}
