"""One of everything a caller might name by id, written at one company through the services: the tests that send
another company's ids (API and services) build two of these."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy import text

from ops_db.billing import service as billing
from ops_db.customers.schemas import CustomerIn
from ops_db.identity.service import create_user
from ops_db.inventory import service as inventory
from ops_db.kit.uow import UnitOfWork
from ops_db.orders import service as orders
from ops_db.workforce import planning
from ops_db.workforce import service as workforce
from ops_db.workforce.schemas import TechnicianIn
from tests.conftest import Shop


@dataclass(frozen=True)
class Company:
    """The ids of one company's rows."""

    customer: int
    order: int  # open, nothing invoiced: lines, bookings and parts may still change
    invoiced_order: int
    technician: int
    part: int
    service: int
    location: int
    van: int
    equipment: int
    model: int
    invoice: int
    payment: int
    skill: int
    user: int
    supplier: int
    warranty: int
    plan_item: int


def system(shop: Shop) -> UnitOfWork:
    """The company's system unit of work, typed."""
    uow = shop.uow()
    assert isinstance(uow, UnitOfWork)
    return uow


def _insert(shop: Shop, sql: str, **values: object) -> int:
    with system(shop) as uow:
        new_id: int = uow.session.execute(text(sql), {"t": shop.tenant_id, **values}).scalar_one()
        uow.commit()
    return new_id


def build(shop: Shop) -> Company:
    """A company with a customer's device under warranty, an open order and an invoiced, part-paid one, a
    technician with a skill, a stocked part, a supplier, a catalogue service and a proposed plan."""
    tech = workforce.create_technician(system(shop), TechnicianIn(name="Tech", hourly_cost=Decimal(30)))
    workforce.set_skill(system(shop), tech.id, "soldering", 3)
    part = inventory.create_part(system(shop), f"SKU-{shop.slug}", "Screen", unit_cost="40", sale_price="90")
    location = _insert(shop, "SELECT id FROM stock_locations WHERE tenant_id = :t ORDER BY id LIMIT 1")
    inventory.adjust(system(shop), part.id, location, 5, "initial count")
    van = _insert(
        shop, "INSERT INTO stock_locations (tenant_id, code, name, kind) VALUES (:t, 'VAN1', 'Van', 'van') RETURNING id"
    )
    service = _insert(
        shop,
        "INSERT INTO service_catalog_items (tenant_id, code, name, category, default_price)"
        " VALUES (:t, 'DIAG', 'Diagnostics', 'general', 25) RETURNING id",
    )
    maker = _insert(shop, "INSERT INTO manufacturers (tenant_id, name) VALUES (:t, 'Maker') RETURNING id")
    model = _insert(
        shop,
        "INSERT INTO equipment_models (tenant_id, manufacturer_id, name, category)"
        " VALUES (:t, :m, 'Phone 1', 'phone') RETURNING id",
        m=maker,
    )
    supplier = _insert(shop, "INSERT INTO suppliers (tenant_id, name) VALUES (:t, 'Parts Ltd') RETURNING id")
    receipt = orders.register_intake(
        system(shop),
        orders.IntakeIn(
            customer=CustomerIn(name="Pat", email=f"pat@{shop.slug}.example"),
            problem_description="Cracked screen",
            model_id=model,
            serial_number="SN-1",
            purchase_date=date(2026, 1, 5),
            manufacturer_warranty_until=date(2099, 1, 5),
        ),
    )
    with system(shop) as uow:
        customer, equipment, warranty = (
            uow.session.execute(
                text(
                    "SELECT o.customer_id, o.equipment_id, w.id FROM service_orders o JOIN warranties w"
                    " ON w.equipment_id = o.equipment_id WHERE o.id = :o"
                ),
                {"o": receipt.order_id},
            )
            .tuples()
            .one()
        )
        skill: int = uow.session.execute(text("SELECT id FROM skills WHERE code = 'soldering'")).scalar_one()
    paid = orders.register_intake(
        system(shop), orders.IntakeIn(customer=None, customer_id=customer, problem_description="No power")
    )
    orders.add_line(
        system(shop), paid.order_id, orders.LineIn(kind="labour", description="Bench work", unit_price=Decimal(50))
    )
    invoice = billing.create_invoice(system(shop), paid.order_id)
    payment = billing.record_payment(system(shop), invoice.id, "10", "cash", f"pay-{shop.slug}")
    user = create_user(system(shop), f"clerk@{shop.slug}.example", "Clerk", "clerk-pass-1", ["front_desk"])
    plan = planning.save_proposed_plan(
        system(shop), date(2031, 3, 4), [{"order_id": receipt.order_id}], kpis={}, solver="test", time_limit=1, seed=1
    )
    plan_item = _insert(shop, "SELECT id FROM plan_items WHERE plan_id = :p", p=plan.plan_id)
    return Company(
        customer,
        receipt.order_id,
        paid.order_id,
        tech.id,
        part.id,
        service,
        location,
        van,
        equipment,
        model,
        invoice.id,
        payment.id,
        skill,
        user.id,
        supplier,
        warranty,
        plan_item,
    )
