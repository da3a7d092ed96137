"""Inventory's typed shapes: what an order does with parts, a purchase line, and the rows that go out."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from pydantic import with_config
from typing_extensions import TypedDict

from ops_db.inventory.models import ReservationStatus
from ops_db.kit.schemas import EXACT, Choice, Id, Money, Qty, Shape


class PartsAction(StrEnum):
    """What to do with an order's parts."""

    RESERVE = "reserve"
    CONSUME = "consume"
    RELEASE = "release"


class PartsIn(Shape):
    """Reserve a part for an order (part, quantity, optionally where from), or consume or release a reservation."""

    action: Choice[PartsAction]
    part_id: Id | None = None
    quantity: Qty | None = None
    location_id: Id | None = None
    reservation_id: Id | None = None


@dataclass(frozen=True)
class PurchaseLineIn:
    """A part to buy (quantity and cost as typed: the service checks them; pages build it positionally)."""

    part_id: int
    quantity: Any
    unit_cost: Any | None = None


@with_config(EXACT)
class StockRow(TypedDict):
    """How much of a part one location holds, how much is reserved and free, and when to reorder."""

    part_id: int
    sku: str
    name: str
    location_id: int
    quantity: Money
    reserved: Money
    free: Money
    reorder_point: Money


@with_config(EXACT)
class ReservationRow(TypedDict):
    """A part held for an order."""

    id: int
    part_id: int
    location_id: int
    quantity: Money
    status: Choice[ReservationStatus]


@with_config(EXACT)
class ReservationOut(TypedDict):
    """A reservation just made, consumed or released, with its order."""

    id: int
    order_id: int
    part_id: int
    location_id: int
    quantity: Money
    status: Choice[ReservationStatus]
