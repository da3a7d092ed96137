"""Customers' typed shapes: what comes in to create one, and the row that goes out."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field, with_config
from typing_extensions import TypedDict

from ops_db.customers.models import Channel, CustomerKind
from ops_db.identity.schemas import Locale
from ops_db.kit.schemas import EXACT, Amount, Choice, Email, Latitude, Longitude, Money, Name, Phone, Shape


class CustomerIn(Shape):
    """What the front desk (or the portal) knows about a customer."""

    name: Name
    email: Email | None = None
    phone: Phone | None = None
    kind: Choice[CustomerKind] = CustomerKind.PERSON
    language: Locale | None = None
    channel: Choice[Channel] | None = None
    address_line1: Annotated[str | None, Field(max_length=200)] = None
    city: Annotated[str | None, Field(max_length=100)] = None
    latitude: Latitude | None = None
    longitude: Longitude | None = None
    approval_threshold: Amount | None = None


@with_config(EXACT)
class CustomerRow(TypedDict):
    """The public fields of a customer."""

    id: int
    kind: Choice[CustomerKind]
    name: str
    email: str | None
    phone: str | None
    segment: str | None
    tier_id: int | None
    approval_threshold: Money | None
