"""The technician's van: what is on board, and any part of it fitted on a job (not only the parts reserved for
that job): stock goes down at the van, the order is charged for the part, once per submission."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from sqlalchemy import select

from ops_db.inventory.models import MovementReason
from ops_db.inventory.service import _level, _move, _part, _plain, _qty
from ops_db.kit.errors import Conflict, ValidationError
from ops_db.kit.rows import Rows, fetch
from ops_db.kit.uow import UnitOfWork
from ops_db.orders.models import OPEN_STAGES, OrderLine
from ops_db.orders.service import LineIn, append_line, load_order
from ops_db.workforce.models import Technician

VAN_COLUMNS = ("part_id", "sku", "name", "free")

_VAN_SQL = """
SELECT p.id AS part_id, p.sku, p.name, s.quantity - s.reserved AS free
FROM stock_levels s JOIN parts p ON p.id = s.part_id
WHERE s.location_id = :van AND s.quantity - s.reserved > 0
ORDER BY p.name, p.sku
"""


def _van(uow: UnitOfWork) -> int:
    """The signed-in technician's van (its stock location), or a sentence saying they have none."""
    tech_id = uow.actor.technician_id
    van = None
    if tech_id is not None:
        van = uow.session.execute(select(Technician.van_location_id).where(Technician.id == tech_id)).scalar()
    if van is None:
        raise ValidationError("You have no van stock to take parts from.")
    return int(van)


def van_stock(uow: UnitOfWork) -> Rows:
    """The parts free in the signed-in technician's van (on hand less what is reserved), by name."""
    uow.actor.require("inventory.read")
    with uow:
        return fetch(uow, _VAN_SQL, {"van": _van(uow)}, VAN_COLUMNS)


def use_from_van(uow: UnitOfWork, order_id: int, part_id: int, quantity: Any) -> int:
    """The technician fitted ``quantity`` of a part from their van on an order: the van's stock goes down (the
    ledger says which order) and the order is charged for it, unless a line for that part is already on the
    order. Returns the order's id."""
    with uow:
        uow.actor.require("inventory.consume")
        uow.actor.require("orders.edit_lines")
        done = _use(uow, order_id, part_id, _qty(quantity))
        uow.commit()
        return done


def _use(uow: UnitOfWork, order_id: int, part_id: int, qty: Decimal) -> int:
    order = load_order(uow, order_id, lock=True)  # a technician reaches only their own jobs' orders
    if order.stage not in OPEN_STAGES:
        raise Conflict(
            "Order {number} is {stage}; parts cannot be used on it.", number=order.order_number, stage=order.stage.value
        )
    van, part = _van(uow), _part(uow, part_id)
    level = _level(uow, part.id, van)
    free = (level.quantity - level.reserved) if level else Decimal(0)
    if level is None or free < qty:
        raise Conflict(
            "Only {free} of {sku} free in your van; {quantity} asked.",
            free=_plain(free),
            sku=part.sku,
            quantity=_plain(qty),
        )
    level.quantity -= qty
    _move(uow, part, van, -qty, MovementReason.CONSUME, order_id=order.id)
    charged = uow.session.execute(
        select(OrderLine.id).where(OrderLine.order_id == order.id, OrderLine.part_id == part.id).limit(1)
    ).first()
    if charged is None:
        append_line(uow, order, LineIn(kind="part", part_id=part.id, quantity=qty))
    uow.audit(
        "stock.use_from_van",
        "stock_levels",
        None,
        after={"order_id": order.id, "part_id": part.id, "quantity": qty, "location_id": van},
    )
    return order.id
