"""An order's charges: adding and removing lines, the loyalty discount, and the totals they make."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from sqlalchemy import func, select

from ops_db.billing.models import Invoice, InvoiceStatus, TaxRate
from ops_db.customers.models import Customer, CustomerTier
from ops_db.i18n import N_
from ops_db.inventory.models import Part
from ops_db.kit import bounds
from ops_db.kit.errors import Conflict, NotFound, ValidationError
from ops_db.kit.uow import UnitOfWork
from ops_db.orders.common import CENT, _clean_text, _enum, load_order
from ops_db.orders.models import (
    OPEN_STAGES,
    LineKind,
    OrderLine,
    ServiceCatalogItem,
    ServiceOrder,
    Stage,
)
from ops_db.orders.schemas import LineIn
from ops_db.workforce.models import Technician


def _editable(uow: UnitOfWork, order: ServiceOrder) -> None:
    if order.stage not in OPEN_STAGES or order.stage == Stage.READY:
        raise Conflict(
            "Order {number} is {stage}; its lines can no longer change.",
            number=order.order_number,
            stage=order.stage.value,
        )
    issued = uow.session.execute(
        select(Invoice.invoice_number).where(Invoice.order_id == order.id, Invoice.status != InvoiceStatus.VOID)
    ).scalar()
    if issued is not None:
        raise Conflict(
            "Order {number} is already invoiced ({invoice}); its lines can no longer change.",
            number=order.order_number,
            invoice=issued,
        )


def add_line(uow: UnitOfWork, order_id: int, line: LineIn) -> OrderLine:
    """Add a charge to an order, priced from the catalogue unless a price is given; tax from the tenant's rate."""
    with uow:
        uow.actor.require("orders.edit_lines")
        row = append_line(uow, load_order(uow, order_id, lock=True), line)
        uow.commit()
        return row


def append_line(uow: UnitOfWork, order: ServiceOrder, line: LineIn) -> OrderLine:
    """Add a charge inside the caller's open unit of work (the caller checked ``orders.edit_lines``)."""
    _editable(uow, order)
    row = _build_line(uow, order, line)
    uow.session.add(row)
    uow.flush()
    uow.audit(
        "order.add_line",
        "order_lines",
        row.id,
        after={"order_id": order.id, "kind": row.kind, "quantity": row.quantity, "unit_price": row.unit_price},
    )
    return row


def _line_references(uow: UnitOfWork, line: LineIn) -> tuple[Part | None, ServiceCatalogItem | None]:
    """The part and service item a line names, and its technician, each looked up whatever the line's kind.

    Row-level security hides another company's rows, so an id of theirs gets the same sentence as an id that
    does not exist (a difference would tell the caller which ids exist elsewhere); the composite foreign keys
    refuse it again should a lookup ever be missed."""
    part = uow.get(Part, line.part_id) if line.part_id is not None else None
    item = uow.get(ServiceCatalogItem, line.service_item_id) if line.service_item_id is not None else None
    if line.technician_id is not None:
        uow.get(Technician, line.technician_id)
    return part, item


def _build_line(uow: UnitOfWork, order: ServiceOrder, line: LineIn) -> OrderLine:
    kind = _enum(LineKind, line.kind, N_("line kind"))
    quantity = bounds.quantity(line.quantity, N_("quantity"))
    description, price, cost, months = line.description, line.unit_price, line.unit_cost, line.warranty_months
    part, item = _line_references(uow, line)
    if kind in (LineKind.PART, LineKind.GOODS, LineKind.CONSUMABLE) and part is not None:
        bounds.counted(quantity, part.unit, part.sku)
        description = description or part.name
        price = part.sale_price if price is None else price
        cost = part.unit_cost if cost is None else cost
        months = part.warranty_months if months is None else months
    elif kind == LineKind.PART:
        raise ValidationError("Choose the part for a part line.")
    if kind == LineKind.SERVICE and item is not None:
        description = description or item.name
        price = item.default_price if price is None else price
        months = item.warranty_months if months is None else months
    description = _clean_text(description, N_("line description"), 300)
    if price is None:
        raise ValidationError("Give a unit price.")
    price = bounds.price(price, N_("unit price"), negative=kind == LineKind.DISCOUNT)
    if kind == LineKind.DISCOUNT:
        price = -abs(price)
    _check_totals(uow, order, bounds.line_total(quantity, price))
    if months is not None and not 0 <= months <= 120:
        raise ValidationError("A warranty period must be between 0 and 120 months.")
    tax = _default_tax(uow)
    next_no = uow.session.execute(
        select(func.coalesce(func.max(OrderLine.line_no), 0) + 1).where(OrderLine.order_id == order.id)
    ).scalar_one()
    return OrderLine(
        tenant_id=order.tenant_id,
        order_id=order.id,
        line_no=next_no,
        kind=kind,
        description=description,
        service_item_id=line.service_item_id,
        part_id=line.part_id,
        technician_id=line.technician_id,
        quantity=quantity,
        unit_price=price,
        unit_cost=bounds.price(cost or 0, N_("unit cost")),
        tax_rate_id=tax.id if tax else None,
        tax_rate_pct=tax.rate_pct if tax else Decimal(0),
        warranty_months=months or 0,
    )


def _check_totals(uow: UnitOfWork, order: ServiceOrder, net: Decimal) -> None:
    """Refuse a line that would take the order's net past the limit (its invoice must fit, tax included)."""
    current: Decimal = uow.session.execute(
        select(func.coalesce(func.sum(func.round(OrderLine.quantity * OrderLine.unit_price, 2)), 0)).where(
            OrderLine.order_id == order.id
        )
    ).scalar_one()
    bounds.order_total(Decimal(current) + net)


def _default_tax(uow: UnitOfWork) -> TaxRate | None:
    return uow.session.execute(select(TaxRate).where(TaxRate.is_default).order_by(TaxRate.id).limit(1)).scalar()


def remove_line(uow: UnitOfWork, order_id: int, line_id: int) -> None:
    """Remove a charge from an order that is not yet invoiced."""
    with uow:
        uow.actor.require("orders.edit_lines")
        order = load_order(uow, order_id, lock=True)
        _editable(uow, order)
        line = uow.session.get(OrderLine, line_id)
        if line is None or line.order_id != order.id:
            raise NotFound("Line {line} is not on order {number}.", line=line_id, number=order.order_number)
        before = {
            "kind": line.kind,
            "description": line.description,
            "quantity": line.quantity,
            "unit_price": line.unit_price,
        }
        uow.session.delete(line)
        uow.audit("order.remove_line", "order_lines", line_id, before=before)
        uow.commit()


def change_line(
    uow: UnitOfWork,
    order_id: int,
    line_id: int,
    *,
    quantity: Decimal | None = None,
    unit_price: Decimal | None = None,
    description: str | None = None,
) -> OrderLine:
    """Correct a charge in place (quantity, unit price, description) on an order that is not yet invoiced;
    what is not given stays. A discount stays negative; the order's total must still fit an invoice."""
    with uow:
        uow.actor.require("orders.edit_lines")
        order = load_order(uow, order_id, lock=True)
        _editable(uow, order)
        line = uow.session.get(OrderLine, line_id)
        if line is None or line.order_id != order.id:
            raise NotFound("Line {line} is not on order {number}.", line=line_id, number=order.order_number)
        before = {"description": line.description, "quantity": line.quantity, "unit_price": line.unit_price}
        new_quantity = line.quantity if quantity is None else bounds.quantity(quantity, N_("quantity"))
        new_price = line.unit_price
        if unit_price is not None:
            discount = line.kind == LineKind.DISCOUNT
            new_price = bounds.price(unit_price, N_("unit price"), negative=discount)
            new_price = -abs(new_price) if discount else new_price
        if description is not None:
            line.description = _clean_text(description, N_("line description"), 300) or line.description
        _check_totals(uow, order, bounds.line_total(new_quantity, new_price) - _net(line))
        line.quantity, line.unit_price = new_quantity, new_price
        uow.flush()
        after = {"description": line.description, "quantity": line.quantity, "unit_price": line.unit_price}
        uow.audit("order.change_line", "order_lines", line.id, before=before, after=after)
        uow.commit()
        return line


def apply_loyalty_discount(uow: UnitOfWork, order_id: int) -> OrderLine | None:
    """Add (or refresh) the discount line for the customer's loyalty tier; None when the tier gives none."""
    with uow:
        uow.actor.require("orders.edit_lines")
        order = load_order(uow, order_id, lock=True)
        _editable(uow, order)
        customer = uow.session.get(Customer, order.customer_id)
        tier = uow.session.get(CustomerTier, customer.tier_id) if customer and customer.tier_id else None
        existing = (
            uow.session.execute(
                select(OrderLine).where(
                    OrderLine.order_id == order.id,
                    OrderLine.kind == LineKind.DISCOUNT,
                    OrderLine.description.like("Loyalty discount%"),
                )
            )
            .scalars()
            .all()
        )
        for old in existing:
            uow.session.delete(old)
        uow.flush()
        if tier is None or tier.discount_pct <= 0:
            uow.commit()
            return None
        base = sum((_net(line) for line in _lines(uow, order.id) if line.kind != LineKind.DISCOUNT), Decimal(0))
        amount = (base * tier.discount_pct / 100).quantize(CENT, ROUND_HALF_UP)
        if amount <= 0:
            uow.commit()
            return None
        row = _build_line(
            uow,
            order,
            LineIn(
                kind="discount", unit_price=amount, description=f"Loyalty discount ({tier.name} {tier.discount_pct}%)"
            ),
        )
        uow.session.add(row)
        uow.flush()
        uow.audit("order.loyalty_discount", "order_lines", row.id, after={"amount": amount})
        uow.commit()
        return row


def _lines(uow: UnitOfWork, order_id: int) -> list[OrderLine]:
    return list(
        uow.session.execute(
            select(OrderLine).where(OrderLine.order_id == order_id).order_by(OrderLine.line_no)
        ).scalars()
    )


def _net(line: OrderLine) -> Decimal:
    return (line.quantity * line.unit_price).quantize(CENT, ROUND_HALF_UP)


def line_amounts(line: OrderLine) -> tuple[Decimal, Decimal]:
    """Net and tax of one line, rounded to the cent the same way the invoice does."""
    net = _net(line)
    tax = (net * line.tax_rate_pct / 100).quantize(CENT, ROUND_HALF_UP)
    return net, tax


def order_totals(uow: UnitOfWork, order_id: int) -> dict[str, Decimal]:
    """Subtotal, tax and total of an order's lines (a discount can't push it below zero)."""
    subtotal = tax = Decimal(0)
    for line in _lines(uow, order_id):
        net, t = line_amounts(line)
        subtotal, tax = subtotal + net, tax + t
    tax = max(tax, Decimal(0))
    return {"subtotal": subtotal, "tax": tax, "total": subtotal + tax}
