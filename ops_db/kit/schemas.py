"""The building blocks of every area's ``schemas.py``: one typed shape per input, shared by the service and the API.

A :class:`Shape` is a pydantic model. The API parses a request body into it with full validation (its limits,
from :mod:`ops_db.kit.bounds`, appear in OpenAPI). Built in code (``CustomerIn(name=..., email=...)``, as pages,
imports and tests do) it is taken as given, like the dataclass it replaces: the service then checks every
value and refuses a bad one with its own translated sentence, which a page shows as it is.

Outputs are ``TypedDict`` rows (a page keeps reading ``row["key"]``); their decimals and moments use
:data:`Money`-style types below so the JSON the API sends stays what it always was (numbers, ISO moments).
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import TYPE_CHECKING, Annotated, Any, ClassVar, TypeVar, Union

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, PlainSerializer, WithJsonSchema, field_validator
from pydantic_core import PydanticCustomError

from ops_db.kit import bounds

_E = TypeVar("_E", bound=StrEnum)

if TYPE_CHECKING:
    # Code may pass an enum member or its plain value (a page's select box gives the value); the service checks it.
    Choice = Union[_E, str]  # noqa: UP007 (a generic alias needs Union)
else:

    class Choice:
        """``Choice[SomeEnum]``: one of a model enum's values. The API accepts and sends exactly them (OpenAPI
        lists the enum); code may also pass the plain value, which the service checks, and an output row keeps the
        plain value its readers have always had."""

        def __class_getitem__(cls, enum: type[_E]) -> type[_E]:
            return enum


def _decimal_schema(high: Decimal, places: int, *, positive: bool = False) -> WithJsonSchema:
    """How OpenAPI shows a decimal: a JSON number within the business limits, or the same written as a string
    (the pattern accepts only values inside the limits, so generated examples are meaningful)."""
    low = {"exclusiveMinimum": 0} if positive else {"minimum": 0}
    more = len(str(int(high))) - 2  # digits after the first below the limit: 1,000,000 -> up to 999,999
    first = f"[1-9][0-9]{{0,{more}}}" if positive else f"(0|[1-9][0-9]{{0,{more}}})"
    return WithJsonSchema(
        {
            "anyOf": [
                {"type": "number", **low, "maximum": float(high)},
                {"type": "string", "pattern": f"^{first}(\\.[0-9]{{1,{places}}})?$"},
            ]
        }
    )


def _digits(places: int) -> dict[str, int]:
    return {"max_digits": 12, "decimal_places": places}


# Business limits (ops_db.kit.bounds): a unit price, any one amount, a line's quantity.
Price = Annotated[
    Decimal, Field(ge=0, le=bounds.MAX_UNIT_PRICE, **_digits(2)), _decimal_schema(bounds.MAX_UNIT_PRICE, 2)
]
Amount = Annotated[Decimal, Field(ge=0, le=bounds.MAX_AMOUNT, **_digits(2)), _decimal_schema(bounds.MAX_AMOUNT, 2)]
PositiveAmount = Annotated[
    Decimal, Field(gt=0, le=bounds.MAX_AMOUNT, **_digits(2)), _decimal_schema(bounds.MAX_AMOUNT, 2, positive=True)
]
Qty = Annotated[
    Decimal, Field(gt=0, le=bounds.MAX_QUANTITY, **_digits(3)), _decimal_schema(bounds.MAX_QUANTITY, 3, positive=True)
]
# Where a place is (numeric(9, 6) columns; the database checks the same ranges).
Latitude = Annotated[Decimal, Field(ge=-90, le=90, max_digits=9, decimal_places=6)]
Longitude = Annotated[Decimal, Field(ge=-180, le=180, max_digits=9, decimal_places=6)]


def _within_calendar(value: date) -> date:
    if not bounds.EARLIEST_DAY <= value <= bounds.LATEST_DAY:
        raise PydanticCustomError(
            "date_out_of_range",
            "Give a date between {earliest} and {latest}",
            {"earliest": bounds.EARLIEST_DAY.isoformat(), "latest": bounds.LATEST_DAY.isoformat()},
        )
    return value


def _moment_within_calendar(value: datetime) -> datetime:
    _within_calendar(value.replace(tzinfo=None).date())  # first: converting 0001-01-01T00:00+14:00 overflows
    if value.utcoffset() is not None:
        _within_calendar(value.astimezone(UTC).date())
    return value


CALENDAR = f"Between {bounds.EARLIEST_DAY} and {bounds.LATEST_DAY}."
Day = Annotated[date, AfterValidator(_within_calendar), Field(description=CALENDAR)]
Moment = Annotated[
    datetime,
    AfterValidator(_moment_within_calendar),
    Field(description=f"With a time zone; {CALENDAR[0].lower()}{CALENDAR[1:]}"),
]
Id = Annotated[int, Field(ge=1, le=2**62)]
Name = Annotated[str, Field(min_length=1, max_length=200)]
Email = Annotated[str, Field(min_length=3, max_length=254)]
Phone = Annotated[str, Field(min_length=5, max_length=32)]


class Shape(BaseModel):
    """An input shape: validated when the API parses it, taken as given when code builds it (see the module);
    unknown fields are refused either way, and no text may hold a NUL character."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    _SKIP: ClassVar[tuple[str, ...]] = (
        "__dict__",
        "__pydantic_fields_set__",
        "__pydantic_extra__",
        "__pydantic_private__",
    )

    def __init__(self, *args: Any, **given: Any) -> None:
        # Like the dataclass it replaces: positional or keyword arguments, defaults filled in, no validation
        # (the service checks each value with its own sentence); an unknown name is a TypeError, as there.
        names = list(type(self).model_fields)
        if len(args) > len(names):
            raise TypeError(f"{type(self).__name__} takes at most {len(names)} positional arguments")
        for name, value in zip(names, args, strict=False):
            if name in given:
                raise TypeError(f"{type(self).__name__} got {name!r} twice")
            given[name] = value
        unknown = set(given) - set(names)
        if unknown:
            raise TypeError(f"{type(self).__name__} has no field {sorted(unknown)[0]!r}")
        built = type(self).model_construct(**given)
        for slot in self._SKIP:
            object.__setattr__(self, slot, getattr(built, slot))

    # Pydantic calls a model's own __init__ when it validates (model_validate, FastAPI's request parsing) unless
    # the __init__ says it is the base one, as pydantic's RootModel does: so parsing still validates in full.
    __init__.__pydantic_base_init__ = True  # type: ignore[attr-defined]

    @field_validator("*", mode="after")
    @classmethod
    def _no_nul(cls, value: Any) -> Any:
        """Postgres cannot store NUL in text: refuse it here, with the field's name, not deep in a service."""
        if isinstance(value, str) and bounds.NUL in value:
            raise PydanticCustomError("nul_character", "The text contains a NUL character, which cannot be stored")
        return value


# ---- outputs ----------------------------------------------------------------------------------------------------

EXACT = ConfigDict(extra="forbid")
"""An output row's config (``@with_config(EXACT)``): exactly its declared keys, so a key a service adds without
declaring it fails the API's tests instead of vanishing from the answer."""


def _number(value: Decimal) -> int | float:
    # What the API has always sent for a decimal: a whole number as an integer, anything else as a float.
    return int(value) if value.as_tuple().exponent >= 0 else float(value)  # type: ignore[operator]


def _iso(value: datetime) -> str:
    return value.isoformat()  # "+00:00", as the API has always written a moment


Money = Annotated[Decimal, PlainSerializer(_number, return_type=float, when_used="json")]
"""A decimal in an output row (money, a quantity, a rate): a JSON number."""
Instant = Annotated[datetime, PlainSerializer(_iso, return_type=str, when_used="json")]
"""A moment in an output row: ISO 8601 with its offset."""
