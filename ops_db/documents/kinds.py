"""The documents RepairOps issues, each built from the database into a translated :class:`Document`.

``build(uow, kind, id, locale)`` checks the permission and that the actor may see the row (row-level security
and the order visibility rules), then formats every value for the locale: money in the document's currency,
dates and times in the company's time zone.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select

from ops_db import i18n
from ops_db.assets.models import Equipment, EquipmentModel, Manufacturer
from ops_db.billing.models import Invoice, InvoiceLine, Payment, Refund
from ops_db.billing.service import balance
from ops_db.customers.models import Customer
from ops_db.documents.model import Block, Document, Grid, Recipient
from ops_db.documents.pdf import Brand
from ops_db.i18n import N_, value_words
from ops_db.identity.models import Tenant
from ops_db.inventory.models import Part, PurchaseOrder, PurchaseOrderLine, StockLocation, Supplier
from ops_db.kit.errors import Conflict, NotFound, not_found
from ops_db.kit.uow import UnitOfWork
from ops_db.orders.links import tracking_link
from ops_db.orders.models import OrderLine, OrderSignoff, ServiceOrder, Stage
from ops_db.orders.service import line_amounts, load_order, order_totals
from ops_db.warranty.models import Warranty
from ops_db.workforce.models import Booking, Technician

KIND_TITLES = {
    "intake_receipt": N_("Intake receipt"),
    "estimate": N_("Estimate"),
    "work_order": N_("Work order"),
    "release_act": N_("Release certificate"),
    "invoice": N_("Invoice"),
    "refund_note": N_("Refund note"),
    "warranty_certificate": N_("Warranty certificate"),
    "purchase_order": N_("Purchase order"),
}


@dataclass
class Writer:
    """Translation and formatting for one document: the locale, currency and time zone it is written in."""

    locale: str
    currency: str
    zone: ZoneInfo

    def __post_init__(self) -> None:
        self.t = i18n.gettext_for(self.locale)

    def value(self, stored: Any) -> str:
        """A stored enum value as words in this language."""
        raw = str(getattr(stored, "value", stored))
        return value_words(raw, self.t)

    def money(self, amount: Decimal | None) -> str:
        return "" if amount is None else i18n.money(amount, self.currency, self.locale)

    def number(self, value: Decimal | int | None) -> str:
        return "" if value is None else i18n.number(value, self.locale)

    def day(self, value: Any) -> str:
        if value is None:
            return ""
        if isinstance(value, datetime):
            value = value.astimezone(self.zone).date()
        return i18n.day(value, self.locale)

    def moment(self, value: datetime | None) -> str:
        return "" if value is None else i18n.moment(value, self.zone, self.locale)


def _tenant(uow: UnitOfWork) -> Tenant:
    tenant = uow.session.get(Tenant, uow.actor.tenant_id)
    if tenant is None:
        raise NotFound("The company does not exist.")
    return tenant


def _to(customer: Customer | None, order_id: int | None = None) -> Recipient | None:
    return None if customer is None else Recipient(customer.name, customer.email, customer.id, order_id)


def _customer_block(w: Writer, customer: Customer | None) -> Block:
    t = w.t
    if customer is None:
        return Block(t("Customer"), [])
    return Block(
        t("Customer"),
        [
            (t("Name"), customer.name),
            (t("Phone"), customer.phone or ""),
            (t("Email"), customer.email or ""),
            (t("Tax number"), customer.tax_number or ""),
        ],
    )


def _device(uow: UnitOfWork, equipment_id: int | None) -> tuple[str, str]:
    """("Maker Model", serial) of a device; empty strings without one."""
    equipment = uow.session.get(Equipment, equipment_id) if equipment_id else None
    if equipment is None:
        return "", ""
    model = uow.session.get(EquipmentModel, equipment.model_id)
    maker = uow.session.get(Manufacturer, model.manufacturer_id) if model else None
    model_name = model.name if model else ""
    # Catalogues often repeat the maker in the model's name ("Canon Printer 138"): say it once.
    name = model_name if maker is None or model_name.startswith(maker.name) else f"{maker.name} {model_name}"
    return name, equipment.serial_number or ""


def _order_lines_grid(w: Writer, lines: list[OrderLine], *, with_prices: bool = True) -> Grid:
    t = w.t
    if not with_prices:
        return Grid(
            t("Work and parts"),
            [t("Kind"), t("Description"), t("Quantity")],
            [[w.value(line.kind), line.description, w.number(line.quantity)] for line in lines],
            [False, False, True],
        )
    rows = []
    for line in lines:
        net, tax = line_amounts(line)
        rows.append(
            [
                line.description,
                w.number(line.quantity),
                w.money(line.unit_price),
                f"{w.number(line.tax_rate_pct)} %",
                w.money(net + tax),
            ]
        )
    return Grid(
        t("Work and parts"),
        [t("Description"), t("Quantity"), t("Unit price"), t("Tax"), t("Amount")],
        rows,
        [False, True, True, True, True],
    )


def _lines(uow: UnitOfWork, order_id: int) -> list[OrderLine]:
    return list(
        uow.session.execute(
            select(OrderLine).where(OrderLine.order_id == order_id).order_by(OrderLine.line_no)
        ).scalars()
    )


def _technicians(uow: UnitOfWork, order: ServiceOrder) -> str:
    names = (
        uow.session.execute(
            select(Technician.name)
            .join(Booking, Booking.technician_id == Technician.id)
            .where(Booking.order_id == order.id)
            .distinct()
        )
        .scalars()
        .all()
    )
    if not names and order.assigned_technician_id:
        tech = uow.session.get(Technician, order.assigned_technician_id)
        names = [tech.name] if tech else []
    return ", ".join(sorted(names))


class Context:
    """What every builder gets: the unit of work (open), the writer and the brand."""

    def __init__(self, uow: UnitOfWork, locale: str | None) -> None:
        self.uow = uow
        self.tenant = _tenant(uow)
        self.locale = i18n.check_locale(locale, default=self.tenant.locale or "en")
        self.brand = Brand.of(self.tenant)
        self.writer = Writer(self.locale, self.tenant.currency, ZoneInfo(self.tenant.time_zone))

    def document(self, kind: str, number: str, fields: list[tuple[str, str]], **parts: Any) -> Document:
        title = f"{self.writer.t(KIND_TITLES[kind])} {number}"
        return Document(kind, number, title, self.locale, self.brand, fields, company_slug=self.tenant.slug, **parts)


# ------------------------------------------------------------------------------------------ order documents


def _order(ctx: Context, order_id: int) -> tuple[ServiceOrder, Customer | None]:
    ctx.uow.actor.require("orders.read")
    order = load_order(ctx.uow, order_id)
    return order, ctx.uow.session.get(Customer, order.customer_id)


def _device_block(ctx: Context, order: ServiceOrder, *, diagnosis: bool = False) -> Block:
    t, (device, serial) = ctx.writer.t, _device(ctx.uow, order.equipment_id)
    fields = [(t("Device"), device), (t("Serial number"), serial), (t("Problem"), order.problem_description)]
    if diagnosis:
        fields.append((t("Diagnosis"), order.diagnosis or ""))
    return Block(t("Device and problem"), fields)


def intake_receipt(ctx: Context, order_id: int) -> Document:
    """Handed over the counter: the tracking code and link (with its QR code), what was left with us and why."""
    order, customer = _order(ctx, order_id)
    w, t = ctx.writer, ctx.writer.t
    link = tracking_link(ctx.tenant.slug, order.order_number, order.tracking_code)
    return ctx.document(
        "intake_receipt",
        order.order_number,
        [
            (t("Order number"), order.order_number),
            (t("Tracking code"), order.tracking_code),
            (t("Follow the repair at"), link),
            (t("Received"), w.moment(order.received_at)),
            (t("Priority"), w.value(order.priority)),
            (t("Promised by"), w.day(order.promised_at)),
        ],
        blocks=[_customer_block(w, customer), _device_block(ctx, order)],
        notes=[
            t(
                "Keep this receipt: the order number and tracking code let you follow the repair online and "
                "are asked for when you collect the device. We contact you with an estimate before any work "
                "that needs your approval. Please back up your data; we are not responsible for data loss."
            )
        ],
        signatures=[t("Customer signature"), t("Received by")],
        recipient=_to(customer, order.id),
        qr=link,
    )


def estimate(ctx: Context, order_id: int) -> Document:
    """The price of the repair for the customer to approve."""
    order, customer = _order(ctx, order_id)
    w, t = ctx.writer, ctx.writer.t
    totals = order_totals(ctx.uow, order.id)
    amount = order.estimate_amount if order.estimate_amount is not None else totals["total"]
    return ctx.document(
        "estimate",
        order.order_number,
        [
            (t("Order number"), order.order_number),
            (t("Date"), w.day(order.estimate_sent_at or ctx.uow.now())),
            (t("Status"), w.value(order.estimate_status)),
        ],
        blocks=[_customer_block(w, customer), _device_block(ctx, order, diagnosis=True)],
        grids=[_order_lines_grid(w, _lines(ctx.uow, order.id))],
        totals=[
            (t("Subtotal"), w.money(totals["subtotal"])),
            (t("Tax"), w.money(totals["tax"])),
            (t("Estimated total"), w.money(amount)),
        ],
        notes=[
            t(
                "Approve or decline this estimate when tracking your order online, or tell the front desk. "
                "Work that needs approval starts once you approve."
            )
        ],
        signatures=[t("Customer approval")],
        recipient=_to(customer, order.id),
    )


def work_order(ctx: Context, order_id: int) -> Document:
    """What the technician does: device, problem, diagnosis, the work and parts (no prices)."""
    order, customer = _order(ctx, order_id)
    w, t = ctx.writer, ctx.writer.t
    return ctx.document(
        "work_order",
        order.order_number,
        [
            (t("Order number"), order.order_number),
            (t("Stage"), w.value(order.stage)),
            (t("Priority"), w.value(order.priority)),
            (t("Received"), w.moment(order.received_at)),
            (t("Technician"), _technicians(ctx.uow, order)),
        ],
        blocks=[_customer_block(w, customer), _device_block(ctx, order, diagnosis=True)],
        grids=[_order_lines_grid(w, _lines(ctx.uow, order.id), with_prices=False)],
        signatures=[t("Technician"), t("Quality check")],
        recipient=_to(customer, order.id),
    )


# Order documents that certify something happened exist only once it has: the release certificate says the
# customer took the device back in working order, so it is issued from the moment the order is ready to collect.
ISSUED_AT_STAGES: dict[str, frozenset[Stage]] = {"release_act": frozenset({Stage.READY, Stage.CLOSED})}


def order_document_issued(kind: str, stage: str) -> bool:
    """Whether the order document ``kind`` can be issued for an order in ``stage`` (the pages offer only those)."""
    stages = ISSUED_AT_STAGES.get(kind)
    return stages is None or stage in stages


def _issuable(kind: str, order: ServiceOrder) -> None:
    if not order_document_issued(kind, order.stage.value):
        raise Conflict(
            "The release certificate is issued once the order is ready to collect; order {number} is {stage}.",
            number=order.order_number,
            stage=order.stage.value,
        )


def release_act(ctx: Context, order_id: int) -> Document:
    """The handover certificate: the device goes back to the customer, with what was done and the sign-off."""
    order, customer = _order(ctx, order_id)
    _issuable("release_act", order)
    w, t = ctx.writer, ctx.writer.t
    lines = _lines(ctx.uow, order.id)
    months = max((line.warranty_months for line in lines), default=0)
    signoffs = (
        ctx.uow.session.execute(
            select(OrderSignoff).where(OrderSignoff.order_id == order.id).order_by(OrderSignoff.signed_at)
        )
        .scalars()
        .all()
    )
    return ctx.document(
        "release_act",
        order.order_number,
        [
            (t("Order number"), order.order_number),
            (t("Released"), w.moment(order.closed_at or ctx.uow.now())),
            (t("Repair warranty"), t("{months} months").format(months=months) if months else t("none")),
        ],
        blocks=[
            _customer_block(w, customer),
            _device_block(ctx, order, diagnosis=True),
            Block(t("Sign-offs"), [(s.signed_by_name, w.moment(s.signed_at)) for s in signoffs]),
        ],
        grids=[_order_lines_grid(w, lines, with_prices=False)],
        notes=[
            t(
                "The customer received the device in working order, checked it and has no complaints about "
                "its appearance or completeness."
            )
        ],
        signatures=[t("Customer signature"), t("Issued by")],
        recipient=_to(customer, order.id),
    )


# ------------------------------------------------------------------------------------------------ billing


def _invoice(ctx: Context, invoice_id: int) -> Invoice:
    ctx.uow.actor.require("billing.read")
    invoice = ctx.uow.get(Invoice, invoice_id)
    return invoice


def invoice(ctx: Context, invoice_id: int) -> Document:
    """The bill with a tax breakdown per rate and what is still due."""
    inv = _invoice(ctx, invoice_id)
    w, t = ctx.writer, ctx.writer.t
    w.currency = inv.currency
    order = ctx.uow.session.get(ServiceOrder, inv.order_id) if inv.order_id else None
    lines = (
        ctx.uow.session.execute(
            select(InvoiceLine).where(InvoiceLine.invoice_id == inv.id).order_by(InvoiceLine.line_no)
        )
        .scalars()
        .all()
    )
    by_rate: dict[Decimal, list[Decimal]] = {}
    for line in lines:
        net_tax = by_rate.setdefault(line.tax_rate_pct, [Decimal(0), Decimal(0)])
        net_tax[0] += line.net_amount
        net_tax[1] += line.tax_amount
    owed = balance(ctx.uow, inv)
    seller = [(t("Seller"), ctx.brand.legal_name or ctx.brand.name), (t("Tax number"), ctx.brand.tax_number or "")]
    customer = ctx.uow.session.get(Customer, inv.customer_id)
    return ctx.document(
        "invoice",
        inv.invoice_number,
        [
            (t("Invoice number"), inv.invoice_number),
            (t("Issued"), w.day(inv.issued_at)),
            (t("Due"), w.day(inv.due_on)),
            (t("Order number"), order.order_number if order else ""),
            (t("Status"), w.value(inv.status)),
        ],
        blocks=[Block(t("Seller"), seller), _customer_block(w, customer)],
        recipient=_to(customer, inv.order_id),
        grids=[
            Grid(
                t("Lines"),
                [t("Description"), t("Quantity"), t("Unit price"), t("Net"), t("Tax"), t("Amount")],
                [
                    [
                        line.description,
                        w.number(line.quantity),
                        w.money(line.unit_price),
                        w.money(line.net_amount),
                        w.money(line.tax_amount),
                        w.money(line.total_amount),
                    ]
                    for line in lines
                ],
                [False, True, True, True, True, True],
            ),
            Grid(
                t("Tax breakdown"),
                [t("Rate"), t("Net"), t("Tax")],
                [[f"{w.number(rate)} %", w.money(net), w.money(tax)] for rate, (net, tax) in sorted(by_rate.items())],
                [True, True, True],
            ),
        ],
        totals=[
            (t("Subtotal"), w.money(inv.subtotal)),
            (t("Tax"), w.money(inv.tax_total)),
            (t("Total"), w.money(inv.total)),
            (t("Paid"), w.money(owed["paid"])),
            (t("Amount due"), w.money(owed["due"])),
        ],
    )


def refund_note(ctx: Context, refund_id: int) -> Document:
    """Money given back: which payment, how much and why."""
    ctx.uow.actor.require("billing.read")
    refund = ctx.uow.get(Refund, refund_id)
    payment = ctx.uow.session.get(Payment, refund.payment_id)
    if payment is None:  # a payment the reader may not see: the refund reads like none
        raise not_found(Refund, refund_id)
    inv = _invoice(ctx, payment.invoice_id)
    w, t = ctx.writer, ctx.writer.t
    w.currency = inv.currency
    number = f"RF-{refund.id:06d}"
    customer = ctx.uow.session.get(Customer, payment.customer_id)
    return ctx.document(
        "refund_note",
        number,
        [
            (t("Refund number"), number),
            (t("Refunded"), w.moment(refund.refunded_at)),
            (t("Invoice number"), inv.invoice_number),
            (t("Payment method"), w.value(payment.method)),
            (t("Payment received"), w.moment(payment.received_at)),
            (t("Reason"), refund.reason),
        ],
        blocks=[_customer_block(w, customer)],
        recipient=_to(customer, inv.order_id),
        totals=[(t("Payment"), w.money(payment.amount)), (t("Refunded amount"), w.money(refund.amount))],
        signatures=[t("Customer signature"), t("Issued by")],
    )


# ------------------------------------------------------------------------------------- warranty, purchasing


def warranty_certificate(ctx: Context, warranty_id: int) -> Document:
    """What is covered, for which device, until when."""
    ctx.uow.actor.require("warranty.read")
    warranty = ctx.uow.get(Warranty, warranty_id)
    equipment = ctx.uow.session.get(Equipment, warranty.equipment_id)
    if equipment is None:  # a device the reader may not see: the warranty reads like none
        raise not_found(Warranty, warranty_id)
    w, t = ctx.writer, ctx.writer.t
    device, serial = _device(ctx.uow, equipment.id)
    order = ctx.uow.session.get(ServiceOrder, warranty.order_id) if warranty.order_id else None
    number = f"W-{warranty.id:06d}"
    customer = ctx.uow.session.get(Customer, equipment.customer_id)
    return ctx.document(
        "warranty_certificate",
        number,
        [
            (t("Certificate number"), number),
            (t("Kind"), w.value(warranty.kind)),
            (t("Coverage"), w.value(warranty.coverage)),
            (t("Valid from"), w.day(warranty.starts_on)),
            (t("Valid until"), w.day(warranty.ends_on)),
            (t("Provider"), warranty.provider or ctx.brand.name),
            (t("Order number"), order.order_number if order else ""),
        ],
        blocks=[
            _customer_block(w, customer),
            Block(t("Device"), [(t("Device"), device), (t("Serial number"), serial)]),
        ],
        recipient=_to(customer, warranty.order_id),
        notes=[
            warranty.terms
            or t(
                "The warranty covers defects of the work and parts listed, under normal use. "
                "It does not cover damage from drops, liquid, or repairs by others."
            )
        ],
        signatures=[t("Issued by")],
    )


def purchase_order(ctx: Context, po_id: int) -> Document:
    """What we order from a supplier, where to deliver it, at what cost."""
    ctx.uow.actor.require("inventory.read")
    po = ctx.uow.get(PurchaseOrder, po_id)
    w, t = ctx.writer, ctx.writer.t
    supplier = ctx.uow.session.get(Supplier, po.supplier_id)
    location = ctx.uow.session.get(StockLocation, po.deliver_to_location_id)
    rows = ctx.uow.session.execute(
        select(PurchaseOrderLine, Part)
        .join(Part, Part.id == PurchaseOrderLine.part_id)
        .where(PurchaseOrderLine.purchase_order_id == po.id)
        .order_by(PurchaseOrderLine.id)
    ).all()
    return ctx.document(
        "purchase_order",
        po.po_number,
        [
            (t("Purchase order number"), po.po_number),
            (t("Status"), w.value(po.status)),
            (t("Ordered"), w.day(po.ordered_at)),
            (t("Expected"), w.day(po.expected_on)),
            (t("Deliver to"), f"{location.code} · {location.name}" if location else ""),
        ],
        blocks=[
            Block(
                t("Supplier"),
                [
                    (t("Name"), supplier.name if supplier else ""),
                    (t("Email"), (supplier.email if supplier else None) or ""),
                    (t("Phone"), (supplier.phone if supplier else None) or ""),
                ],
            )
        ],
        grids=[
            Grid(
                t("Lines"),
                [t("SKU"), t("Part"), t("Quantity"), t("Unit cost"), t("Amount")],
                [
                    [
                        part.sku,
                        part.name,
                        w.number(line.quantity),
                        w.money(line.unit_cost),
                        w.money(line.quantity * line.unit_cost),
                    ]
                    for line, part in rows
                ],
                [False, False, True, True, True],
            )
        ],
        totals=[(t("Total"), w.money(po.total))],
        notes=[po.notes] if po.notes else [],
        signatures=[t("Approved by")],
        recipient=Recipient(supplier.name, supplier.email) if supplier else None,
    )


BUILDERS: dict[str, Callable[[Context, int], Document]] = {
    "intake_receipt": intake_receipt,
    "estimate": estimate,
    "work_order": work_order,
    "release_act": release_act,
    "invoice": invoice,
    "refund_note": refund_note,
    "warranty_certificate": warranty_certificate,
    "purchase_order": purchase_order,
}
