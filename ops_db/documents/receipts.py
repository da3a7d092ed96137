"""Documents handed over the counter: the intake receipt the customer takes home with their tracking code."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from ops_db.assets.models import Equipment, EquipmentModel, Manufacturer
from ops_db.customers.models import Customer
from ops_db.documents.pdf import Brand, BrandedPdf
from ops_db.identity.models import Tenant
from ops_db.kit.uow import UnitOfWork
from ops_db.orders.service import load_order

INTAKE_TERMS = (
    "Keep this receipt: the order number and tracking code let you follow the repair online and are asked for "
    "when you collect the device. We contact you with an estimate before any work beyond diagnostics that "
    "needs your approval. Please back up your data; we are not responsible for data loss."
)


def _device(uow: UnitOfWork, equipment_id: int | None) -> str | None:
    """"Maker Model · S/N 123" for the order's device (None without one)."""
    equipment = uow.session.get(Equipment, equipment_id) if equipment_id else None
    if equipment is None:
        return None
    model = uow.session.get(EquipmentModel, equipment.model_id)
    maker = uow.session.get(Manufacturer, model.manufacturer_id) if model else None
    model_name = model.name if model else ""
    # Catalogues often repeat the maker in the model's name ("Canon Printer 138"): say it once.
    name = model_name if maker is None or model_name.startswith(maker.name) else f"{maker.name} {model_name}"
    return f"{name} · S/N {equipment.serial_number}" if equipment.serial_number else name


def intake_receipt(uow: UnitOfWork, order_id: int) -> bytes:
    """The intake receipt of an order as a PDF: who, what device, what is wrong, the tracking code, terms,
    and lines for both signatures. Anyone who may see the order may print it."""
    with uow:
        uow.actor.require("orders.read")
        order = load_order(uow, order_id)
        tenant = uow.session.get(Tenant, order.tenant_id)
        customer = uow.session.get(Customer, order.customer_id)
        assert tenant is not None and customer is not None  # foreign keys
        zone = ZoneInfo(tenant.time_zone)
        pdf = BrandedPdf(Brand.of(tenant), f"Intake receipt {order.order_number}")
        pdf.fields([
            ("Order number", order.order_number),
            ("Tracking code", order.tracking_code),
            ("Received", order.received_at.astimezone(zone).strftime("%Y-%m-%d %H:%M %Z")),
            ("Priority", order.priority.value),
            ("Promised by", order.promised_at.astimezone(zone).strftime("%Y-%m-%d") if order.promised_at else None),
        ])
        pdf.subheading("Customer")
        pdf.fields([("Name", customer.name), ("Phone", customer.phone), ("Email", customer.email)])
        pdf.subheading("Device and problem")
        pdf.fields([("Device", _device(uow, order.equipment_id)), ("Problem", order.problem_description)])
        pdf.subheading("Terms")
        pdf.paragraph(INTAKE_TERMS)
        pdf.ln(12)
        pdf.paragraph("Customer signature: ______________________        "
                      "Received by: ______________________")
        return pdf.to_bytes()
