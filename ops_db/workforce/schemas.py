"""Workforce's typed shapes: a technician and a booking coming in, and the rows that go out."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field, with_config
from typing_extensions import TypedDict

from ops_db.kit.schemas import (
    EXACT,
    Choice,
    Email,
    Id,
    Instant,
    Latitude,
    Longitude,
    Moment,
    Money,
    Name,
    Phone,
    Price,
    Shape,
)
from ops_db.workforce.models import BookingStatus


class TechnicianIn(Shape):
    """A technician's record."""

    name: Name
    hourly_cost: Price
    email: Email | None = None
    phone: Phone | None = None
    home_latitude: Latitude | None = None
    home_longitude: Longitude | None = None
    user_id: Id | None = None
    max_daily_minutes: Annotated[int, Field(ge=1, le=1440)] = 600
    max_travel_minutes: Annotated[int, Field(ge=0, le=1440)] = 240
    works_in_field: bool = True


class BookingIn(Shape):
    """A technician booked for an order from one moment to another."""

    order_id: Id
    technician_id: Id
    starts_at: Moment
    ends_at: Moment


@with_config(EXACT)
class TechnicianRow(TypedDict):
    """A technician with their skills (code → level 1 to 5)."""

    id: int
    name: str
    is_active: bool
    works_in_field: bool
    hourly_cost: Money
    skills: dict[str, int]


@with_config(EXACT)
class TechnicianCreated(TypedDict):
    """A technician just added."""

    id: int
    name: str


@with_config(EXACT)
class BookingRow(TypedDict):
    """A booking with its planned span."""

    id: int
    order_id: int
    technician_id: int
    start: Instant | None  # a booking's span always has both ends; the range type allows none
    end: Instant | None
    status: Choice[BookingStatus]
    source: str


@with_config(EXACT)
class BookingCreated(TypedDict):
    """A booking just made."""

    id: int
    order_id: int
    technician_id: int
    status: Choice[BookingStatus]
