"""Stock: reserve for orders, consume, release, transfer, purchase and receive, reorder suggestions.

Every change locks the stock-level rows it touches (``SELECT … FOR UPDATE``, in a fixed order so two
transfers can't deadlock), writes a ledger movement, and leaves ``stock_levels`` equal to the sum of
the ledger. The CHECK constraints on ``stock_levels`` are the last line: stock can never go negative.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select, text

from ops_db.i18n import N_
from ops_db.inventory.models import (
    MovementReason,
    Part,
    PurchaseOrder,
    PurchaseOrderLine,
    PurchaseOrderStatus,
    PurchaseReceipt,
    PurchaseReceiptLine,
    ReservationStatus,
    StockLevel,
    StockLocation,
    StockMovement,
    StockReservation,
    StockTransfer,
    StockTransferLine,
    Supplier,
    TransferStatus,
)
from ops_db.inventory.schemas import PurchaseLineIn, ReservationRow, StockRow
from ops_db.kit import bounds
from ops_db.kit.errors import Conflict, NotFound, ValidationError
from ops_db.kit.numbers import next_number
from ops_db.kit.uow import UnitOfWork
from ops_db.orders.events import OrderCancelled, OrderInvoiced, OrderReady
from ops_db.orders.models import OPEN_STAGES, EventType, OrderLine
from ops_db.orders.service import LineIn, append_line, load_order, record_event

MAX_QTY = bounds.MAX_STOCK  # what one location can hold of one part (a count, a transfer)


def _plain(quantity: Decimal) -> str:
    """A quantity as people write it in a sentence ("2", "0.5"; never "2.000" or "5E+1")."""
    return format(quantity.normalize(), "f")


def _qty(value: Any, what: str = N_("quantity"), limit: Decimal = bounds.MAX_QUANTITY) -> Decimal:
    return bounds.quantity(value, what, limit=limit)


def _counted(part: Part, qty: Decimal) -> tuple[Part, Decimal]:
    """The part with a quantity of it, refused when that is a fraction of a part counted in whole things."""
    return part, bounds.counted(qty, part.unit, part.sku)


def _part(uow: UnitOfWork, part_id: int) -> Part:
    part = uow.get(Part, part_id)
    return part


def _location(uow: UnitOfWork, location_id: int, *, in_use: bool = False) -> StockLocation:
    """A stock location; with ``in_use`` (stock goes there, or is reserved there) it must still be active. Stock
    may always leave a closed location (emptying a retired van), and be counted there."""
    loc = uow.get(StockLocation, location_id)
    if in_use and not loc.is_active:
        shown = f"{loc.code} · {loc.name}"
        raise Conflict("{location} is closed; choose an active location.", location=shown)
    return loc


def _level(uow: UnitOfWork, part_id: int, location_id: int, *, create: bool = False) -> StockLevel | None:
    level = uow.session.execute(
        select(StockLevel).where(StockLevel.part_id == part_id, StockLevel.location_id == location_id).with_for_update()
    ).scalar_one_or_none()
    if level is None and create:
        uow.session.execute(
            text(
                "INSERT INTO stock_levels (tenant_id, part_id, location_id, quantity, reserved, updated_at)"
                " VALUES (:t, :p, :l, 0, 0, now()) ON CONFLICT DO NOTHING"
            ),
            {"t": uow.actor.tenant_id, "p": part_id, "l": location_id},
        )
        level = uow.session.execute(
            select(StockLevel)
            .where(StockLevel.part_id == part_id, StockLevel.location_id == location_id)
            .with_for_update()
        ).scalar_one()
    return level


def _move(uow: UnitOfWork, part: Part, location_id: int, delta: Decimal, reason: MovementReason, **refs: Any) -> None:
    uow.session.add(
        StockMovement(
            tenant_id=uow.actor.tenant_id,
            part_id=part.id,
            location_id=location_id,
            quantity_delta=delta,
            reason=reason,
            unit_cost=part.unit_cost,
            actor_user_id=uow.actor.user_id,
            occurred_at=uow.now(),
            **refs,
        )
    )


def reserve(
    uow: UnitOfWork, order_id: int, part_id: int, quantity: Any, location_id: int | None = None
) -> StockReservation:
    """Hold parts for an order; with no location given, the location with the most free stock is used."""
    with uow:
        uow.actor.require("inventory.reserve")
        qty = _qty(quantity)
        order = load_order(uow, order_id, lock=True)
        if order.stage not in OPEN_STAGES:
            raise Conflict(
                "Order {number} is {stage}; parts cannot be reserved for it.",
                number=order.order_number,
                stage=order.stage.value,
            )
        part = _part(uow, part_id)
        _counted(part, qty)
        if location_id is None:
            location_id = uow.session.execute(
                text(
                    "SELECT s.location_id FROM stock_levels s JOIN stock_locations l ON l.id = s.location_id"
                    " WHERE s.part_id = :p AND l.is_active ORDER BY s.quantity - s.reserved DESC, s.location_id"
                    " LIMIT 1"
                ),
                {"p": part.id},
            ).scalar()
            if location_id is None:
                raise Conflict("There is no stock of {sku} anywhere.", sku=part.sku)
        else:
            _location(uow, location_id, in_use=True)
        level = _level(uow, part.id, location_id)
        free = (level.quantity - level.reserved) if level else Decimal(0)
        if free < qty:
            raise Conflict(
                "Only {free} of {sku} free at that location; {quantity} asked.",
                free=_plain(free),
                sku=part.sku,
                quantity=_plain(qty),
            )
        assert level is not None
        level.reserved += qty
        reservation = StockReservation(
            tenant_id=order.tenant_id,
            order_id=order.id,
            part_id=part.id,
            location_id=location_id,
            quantity=qty,
            status=ReservationStatus.ACTIVE,
        )
        uow.session.add(reservation)
        uow.flush()
        record_event(uow, order, EventType.PARTS_RESERVED, {"part_id": part.id, "quantity": str(qty)})
        uow.audit(
            "stock.reserve",
            "stock_reservations",
            reservation.id,
            after={"order_id": order.id, "part_id": part.id, "quantity": qty, "location_id": location_id},
        )
        uow.commit()
        return reservation


def _reservation(uow: UnitOfWork, reservation_id: int) -> StockReservation:
    row = uow.get(StockReservation, reservation_id, lock=True)
    load_order(uow, row.order_id)  # technicians may touch only their own orders' parts
    if row.status != ReservationStatus.ACTIVE:
        raise Conflict(
            "Reservation {reservation} was already {status}.", reservation=reservation_id, status=row.status.value
        )
    return row


def consume(uow: UnitOfWork, reservation_id: int) -> StockReservation:
    """The reserved parts were used on the order: stock goes down and the ledger records it."""
    with uow:
        uow.actor.require("inventory.consume")
        res = _consume(uow, reservation_id)
        uow.commit()
        return res


def use_on_order(uow: UnitOfWork, reservation_id: int) -> StockReservation:
    """The technician fitted the reserved part: stock goes down and the order is charged for it, unless a
    line for that part is already on the order (the estimate priced it), all in one transaction."""
    with uow:
        uow.actor.require("inventory.consume")
        uow.actor.require("orders.edit_lines")
        res = _consume(uow, reservation_id)
        charged = uow.session.execute(
            select(OrderLine.id).where(OrderLine.order_id == res.order_id, OrderLine.part_id == res.part_id).limit(1)
        ).first()
        if charged is None:
            append_line(
                uow,
                load_order(uow, res.order_id, lock=True),
                LineIn(kind="part", part_id=res.part_id, quantity=res.quantity),
            )
        uow.commit()
        return res


def _consume(uow: UnitOfWork, reservation_id: int) -> StockReservation:
    return _consume_row(uow, _reservation(uow, reservation_id))


def _consume_row(uow: UnitOfWork, res: StockReservation) -> StockReservation:
    part = _part(uow, res.part_id)
    level = _level(uow, res.part_id, res.location_id)
    assert level is not None
    level.reserved -= res.quantity
    level.quantity -= res.quantity
    _move(uow, part, res.location_id, -res.quantity, MovementReason.CONSUME, order_id=res.order_id)
    res.status = ReservationStatus.CONSUMED
    uow.audit("stock.consume", "stock_reservations", res.id, after={"quantity": res.quantity})
    return res


def release(uow: UnitOfWork, reservation_id: int) -> StockReservation:
    """Give reserved parts back to free stock."""
    with uow:
        uow.actor.require("inventory.reserve")
        res = _reservation(uow, reservation_id)
        _release(uow, res)
        uow.audit("stock.release", "stock_reservations", res.id, after={"quantity": res.quantity})
        uow.commit()
        return res


def _release(uow: UnitOfWork, res: StockReservation) -> None:
    level = _level(uow, res.part_id, res.location_id)
    assert level is not None
    level.reserved -= res.quantity
    res.status = ReservationStatus.RELEASED


def release_all_for_order(uow: UnitOfWork, order_id: int) -> int:
    """Release every active reservation of an order (on cancel; inside the caller's unit of work)."""
    rows = (
        uow.session.execute(
            select(StockReservation)
            .where(StockReservation.order_id == order_id, StockReservation.status == ReservationStatus.ACTIVE)
            .order_by(StockReservation.part_id, StockReservation.location_id)
            .with_for_update()
        )
        .scalars()
        .all()
    )
    for res in rows:
        _release(uow, res)
    return len(rows)


def release_for_cancelled_order(uow: UnitOfWork, cancelled: OrderCancelled) -> None:
    """Subscriber (ops_db.wiring): a cancelled order's reservations go back to free stock, in the same transaction."""
    release_all_for_order(uow, cancelled.order_id)


def settle_reservations(uow: UnitOfWork, order_id: int) -> None:
    """Settle what is still held for a finished order (inside the caller's unit of work): a reserved part the
    order is charged for (its lines, beyond what was already consumed) was used, so stock goes down; the rest goes
    back to free stock. Nothing stays reserved for work that is done."""
    charged: dict[int, Decimal] = {
        part: Decimal(qty)
        for part, qty in uow.session.execute(
            select(OrderLine.part_id, func.sum(OrderLine.quantity))
            .where(OrderLine.order_id == order_id, OrderLine.part_id.is_not(None))
            .group_by(OrderLine.part_id)
        ).tuples()
        if part is not None
    }
    for part, qty in uow.session.execute(
        select(StockReservation.part_id, func.sum(StockReservation.quantity))
        .where(StockReservation.order_id == order_id, StockReservation.status == ReservationStatus.CONSUMED)
        .group_by(StockReservation.part_id)
    ).tuples():
        charged[part] = charged.get(part, Decimal(0)) - Decimal(qty)
    held = (
        uow.session.execute(
            select(StockReservation)
            .where(StockReservation.order_id == order_id, StockReservation.status == ReservationStatus.ACTIVE)
            .order_by(StockReservation.part_id, StockReservation.location_id, StockReservation.id)
            .with_for_update()
        )
        .scalars()
        .all()
    )
    for res in held:
        if charged.get(res.part_id, Decimal(0)) > 0:
            _consume_row(uow, res)
            charged[res.part_id] -= res.quantity
        else:
            _release(uow, res)
            uow.audit("stock.release", "stock_reservations", res.id, after={"quantity": res.quantity})


def settle_for_finished_order(uow: UnitOfWork, finished: OrderReady | OrderInvoiced) -> None:
    """Subscriber (ops_db.wiring): an order that passed quality check or was invoiced holds no stock any more."""
    settle_reservations(uow, finished.order_id)


def reservations(uow: UnitOfWork, order_id: int) -> list[ReservationRow]:
    """An order's reservations."""
    with uow:
        uow.actor.require("inventory.read")
        load_order(uow, order_id)
        rows = uow.session.execute(
            select(StockReservation).where(StockReservation.order_id == order_id).order_by(StockReservation.id)
        ).scalars()
        return [
            ReservationRow(
                id=r.id, part_id=r.part_id, location_id=r.location_id, quantity=r.quantity, status=r.status.value
            )
            for r in rows
        ]


def transfer(
    uow: UnitOfWork, from_location_id: int, to_location_id: int, lines: list[tuple[int, Any]]
) -> StockTransfer:
    """Move stock between locations (warehouse to van, van to van) in one step."""
    with uow:
        uow.actor.require("inventory.transfer")
        if from_location_id == to_location_id:
            raise ValidationError("Choose two different locations.")
        if not lines:
            raise ValidationError("Add at least one part to transfer.")
        _location(uow, from_location_id)
        _location(uow, to_location_id, in_use=True)
        parsed = [_counted(_part(uow, pid), _qty(q, limit=MAX_QTY)) for pid, q in lines]
        now = uow.now()
        move = StockTransfer(
            tenant_id=uow.actor.tenant_id,
            from_location_id=from_location_id,
            to_location_id=to_location_id,
            status=TransferStatus.RECEIVED,
            shipped_at=now,
            received_at=now,
        )
        uow.session.add(move)
        uow.flush()
        # Lock in (part, location) order so two opposite transfers cannot deadlock.
        for part, qty in sorted(parsed, key=lambda pq: pq[0].id):
            pair = sorted([(from_location_id, -qty), (to_location_id, qty)])
            for loc, delta in pair:
                level = _level(uow, part.id, loc, create=True)
                assert level is not None
                if delta < 0 and level.quantity - level.reserved < -delta:
                    raise Conflict(
                        "Only {free} of {sku} free to transfer.",
                        free=_plain(level.quantity - level.reserved),
                        sku=part.sku,
                    )
                level.quantity += delta
                reason = MovementReason.TRANSFER_IN if delta > 0 else MovementReason.TRANSFER_OUT
                _move(uow, part, loc, delta, reason, transfer_id=move.id)
            uow.session.add(
                StockTransferLine(tenant_id=move.tenant_id, transfer_id=move.id, part_id=part.id, quantity=qty)
            )
        uow.audit(
            "stock.transfer",
            "stock_transfers",
            move.id,
            after={"from": from_location_id, "to": to_location_id, "lines": [[p.id, q] for p, q in parsed]},
        )
        uow.commit()
        return move


def adjust(uow: UnitOfWork, part_id: int, location_id: int, counted: Any, reason: str) -> None:
    """Correct the on-hand quantity after a count; never below what is reserved."""
    with uow:
        uow.actor.require("inventory.adjust")
        part, _ = _part(uow, part_id), _location(uow, location_id)
        new = _counted(part, bounds.quantity(counted, N_("counted quantity"), limit=MAX_QTY, zero=True))[1]
        why = bounds.text(reason, N_("reason"), 2000, required=False)
        if not why:
            raise ValidationError("Say why the stock is corrected.")
        level = _level(uow, part.id, location_id, create=True)
        assert level is not None
        if new < level.reserved:
            raise Conflict(
                "{reserved} of {sku} are reserved there; the count cannot be lower.",
                reserved=_plain(level.reserved),
                sku=part.sku,
            )
        delta = new - level.quantity
        if delta != 0:
            level.quantity = new
            _move(uow, part, location_id, delta, MovementReason.ADJUSTMENT)
        uow.audit(
            "stock.adjust",
            "stock_levels",
            part.id,
            after={"location_id": location_id, "quantity": new, "reason": why},
        )
        uow.commit()


def create_purchase_order(
    uow: UnitOfWork,
    supplier_id: int,
    deliver_to_location_id: int,
    lines: list[PurchaseLineIn],
    *,
    for_order_id: int | None = None,
    expected_on: date | None = None,
) -> PurchaseOrder:
    """Draft a purchase order to a supplier (optionally for a customer's order waiting on parts)."""
    with uow:
        uow.actor.require("inventory.purchase")
        supplier = uow.get(Supplier, supplier_id)
        _location(uow, deliver_to_location_id, in_use=True)
        if for_order_id is not None:
            load_order(uow, for_order_id)  # another company's order reads as one that does not exist
        if not lines:
            raise ValidationError("Add at least one part to the purchase order.")
        now = uow.now()
        po = PurchaseOrder(
            tenant_id=uow.actor.tenant_id,
            po_number=next_number(uow.session, uow.actor.tenant_id, "po", "PO", now),
            supplier_id=supplier.id,
            status=PurchaseOrderStatus.DRAFT,
            deliver_to_location_id=deliver_to_location_id,
            for_order_id=for_order_id,
            expected_on=expected_on,
        )
        uow.session.add(po)
        uow.flush()
        total = Decimal(0)
        for line in lines:
            part, qty = _counted(_part(uow, line.part_id), _qty(line.quantity))
            cost = bounds.price(line.unit_cost if line.unit_cost is not None else part.unit_cost, N_("unit cost"))
            uow.session.add(
                PurchaseOrderLine(
                    tenant_id=po.tenant_id, purchase_order_id=po.id, part_id=part.id, quantity=qty, unit_cost=cost
                )
            )
            total += bounds.line_total(qty, cost)
        po.total = bounds.money(total, N_("purchase order total"))
        uow.audit("po.create", "purchase_orders", po.id, after={"supplier_id": supplier.id, "total": total})
        uow.commit()
        return po


def send_purchase_order(uow: UnitOfWork, po_id: int) -> PurchaseOrder:
    """Mark a draft purchase order as sent to the supplier."""
    with uow:
        uow.actor.require("inventory.purchase")
        po = uow.get(PurchaseOrder, po_id, lock=True)
        if po.status != PurchaseOrderStatus.DRAFT:
            raise Conflict("Purchase order {po} is {status}, not a draft.", po=po.po_number, status=po.status.value)
        po.status, po.ordered_at = PurchaseOrderStatus.SENT, uow.now()
        uow.audit("po.send", "purchase_orders", po.id)
        uow.commit()
        return po


def receive(uow: UnitOfWork, po_id: int, lines: list[tuple[int, Any]]) -> PurchaseReceipt:
    """Book a delivery in: stock goes up at the delivery location; never more than was ordered."""
    with uow:
        uow.actor.require("inventory.receive")
        po = uow.get(PurchaseOrder, po_id, lock=True)
        if po.status not in (PurchaseOrderStatus.SENT, PurchaseOrderStatus.PARTIALLY_RECEIVED):
            raise Conflict(
                "Purchase order {po} is {status}; it cannot receive goods.", po=po.po_number, status=po.status.value
            )
        if not lines:
            raise ValidationError("Say what arrived.")
        receipt = PurchaseReceipt(
            tenant_id=po.tenant_id,
            purchase_order_id=po.id,
            location_id=po.deliver_to_location_id,
            received_at=uow.now(),
            received_by=uow.actor.user_id,
        )
        uow.session.add(receipt)
        uow.flush()
        for line_id, quantity in sorted(lines, key=lambda x: x[0]):
            qty = _qty(quantity)
            line = uow.session.get(PurchaseOrderLine, line_id, with_for_update=True)
            if line is None or line.purchase_order_id != po.id:
                raise NotFound("Line {line} is not on purchase order {po}.", line=line_id, po=po.po_number)
            if line.received_quantity + qty > line.quantity:
                raise Conflict(
                    "Only {quantity} more of that line were ordered.",
                    quantity=_plain(line.quantity - line.received_quantity),
                )
            part = _counted(_part(uow, line.part_id), qty)[0]
            line.received_quantity += qty
            level = _level(uow, part.id, po.deliver_to_location_id, create=True)
            assert level is not None
            level.quantity += qty
            _move(uow, part, po.deliver_to_location_id, qty, MovementReason.RECEIPT, receipt_id=receipt.id)
            uow.session.add(
                PurchaseReceiptLine(
                    tenant_id=po.tenant_id, receipt_id=receipt.id, purchase_order_line_id=line.id, quantity=qty
                )
            )
        uow.flush()
        open_lines = uow.session.execute(
            select(PurchaseOrderLine.id).where(
                PurchaseOrderLine.purchase_order_id == po.id,
                PurchaseOrderLine.received_quantity < PurchaseOrderLine.quantity,
            )
        ).first()
        po.status = PurchaseOrderStatus.PARTIALLY_RECEIVED if open_lines else PurchaseOrderStatus.RECEIVED
        uow.audit("po.receive", "purchase_receipts", receipt.id, after={"po_id": po.id, "lines": lines})
        uow.commit()
        return receipt


def reorder_suggestions(uow: UnitOfWork) -> list[dict[str, Any]]:
    """Parts whose free stock (on hand − reserved + already on order) is at or below the reorder point."""
    with uow:
        uow.actor.require("inventory.read")
        rows = (
            uow.session.execute(
                text(
                    """
            WITH on_order AS (
                SELECT l.part_id, p.deliver_to_location_id AS location_id,
                       sum(l.quantity - l.received_quantity) AS qty
                FROM purchase_order_lines l JOIN purchase_orders p ON p.id = l.purchase_order_id
                WHERE p.status IN ('draft', 'sent', 'partially_received') GROUP BY 1, 2
            )
            SELECT s.part_id, pt.sku, pt.name, s.location_id, s.quantity, s.reserved,
                   COALESCE(o.qty, 0) AS on_order, s.reorder_point, s.reorder_quantity,
                   GREATEST(s.reorder_quantity, s.reorder_point - (s.quantity - s.reserved + COALESCE(o.qty, 0))
                            + s.reorder_quantity) AS suggested, pt.preferred_supplier_id
            FROM stock_levels s JOIN parts pt ON pt.id = s.part_id
            LEFT JOIN on_order o ON o.part_id = s.part_id AND o.location_id = s.location_id
            WHERE s.reorder_point > 0 AND s.quantity - s.reserved + COALESCE(o.qty, 0) <= s.reorder_point
            ORDER BY s.quantity - s.reserved - s.reorder_point, s.part_id
            """
                )
            )
            .mappings()
            .all()
        )
        return [dict(r) for r in rows]


def stock(
    uow: UnitOfWork, *, location_id: int | None = None, part_id: int | None = None, limit: int = 200, offset: int = 0
) -> tuple[list[StockRow], int]:
    """A page of stock levels with free quantity, filtered by location or part, and how many match in all."""
    with uow:
        uow.actor.require("inventory.read")
        query = select(StockLevel, Part.sku, Part.name).join(Part, Part.id == StockLevel.part_id)
        if location_id is not None:
            query = query.where(StockLevel.location_id == location_id)
        if part_id is not None:
            query = query.where(StockLevel.part_id == part_id)
        total = uow.session.execute(select(func.count()).select_from(query.subquery())).scalar_one()
        rows = uow.session.execute(
            query.order_by(StockLevel.part_id, StockLevel.location_id)
            .limit(min(max(limit, 1), 500))
            .offset(max(offset, 0))
        ).all()
        return [
            StockRow(
                part_id=s.part_id,
                sku=sku,
                name=name,
                location_id=s.location_id,
                quantity=s.quantity,
                reserved=s.reserved,
                free=s.quantity - s.reserved,
                reorder_point=s.reorder_point,
            )
            for s, sku, name in rows
        ], total


def create_part(
    uow: UnitOfWork,
    sku: str,
    name: str,
    *,
    category: str = "general",
    unit_cost: Any = 0,
    sale_price: Any = 0,
    warranty_months: int = 3,
    reorder_point: Any = 0,
) -> Part:
    """Add a part to the catalogue."""
    with uow:
        uow.actor.require("inventory.adjust")
        part = add_part(
            uow,
            sku,
            name,
            category=category,
            unit_cost=unit_cost,
            sale_price=sale_price,
            warranty_months=warranty_months,
        )
        uow.commit()
        return part


def add_part(
    uow: UnitOfWork,
    sku: str,
    name: str,
    *,
    category: str = "general",
    unit_cost: Any = 0,
    sale_price: Any = 0,
    warranty_months: int = 3,
) -> Part:
    """The checks and the new catalogue row of :func:`create_part`, inside the caller's open unit of work."""
    sku, name = (sku or "").strip(), (name or "").strip()
    if not sku or len(sku) > 64:
        raise ValidationError("Give a SKU of 1 to 64 characters.")
    if not name or len(name) > 200:
        raise ValidationError("Give a part name of 1 to 200 characters.")
    cost, price = bounds.price(unit_cost, N_("unit cost")), bounds.price(sale_price, N_("sale price"))
    if isinstance(warranty_months, bool) or not isinstance(warranty_months, int) or not 0 <= warranty_months <= 120:
        raise ValidationError("The warranty must be 0 to 120 months.")
    if uow.session.execute(select(Part.id).where(Part.sku == sku)).first():
        raise Conflict("A part with SKU {sku} already exists.", sku=sku)
    part = Part(
        tenant_id=uow.actor.tenant_id,
        sku=sku,
        name=name,
        category=bounds.text(category or "general", N_("category"), 64) or "general",
        unit_cost=cost,
        sale_price=price,
        warranty_months=warranty_months,
    )
    uow.session.add(part)
    uow.flush()
    uow.audit("part.create", "parts", part.id, after={"sku": sku})
    return part
