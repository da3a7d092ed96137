"""Issue 19, "a workplace" (lane D), the services under the pages: Intake never files an order under a customer
found only by phone, a field job asks for its address, a line is corrected in place, and the records around an
order read each other (customer, device, technician, invoice) for the pages to link."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import text

from ops_db.customers.schemas import CustomerIn
from ops_db.kit.errors import Conflict, ValidationError
from ops_db.orders import records
from ops_db.orders import service as orders
from ops_db.orders.lines import change_line
from tests.companies import Company, build
from tests.conftest import Shop

PHONE = "+1 555 0100"


@pytest.fixture
def company(shop: Shop) -> Company:
    """One of everything at the shop "acme"."""
    return build(shop)


def _intake(shop: Shop, **fields: object) -> orders.Receipt:
    data = {"problem_description": "No sound", **fields}
    return orders.register_intake(shop.uow(), orders.IntakeIn.model_validate(data))


def _customer_of(shop: Shop, order_id: int) -> int:
    with shop.uow() as uow:
        found: int = uow.session.execute(
            text("SELECT customer_id FROM service_orders WHERE id = :o"), {"o": order_id}
        ).scalar_one()
    return found


def test_a_phone_match_is_never_taken_silently(shop: Shop) -> None:
    first = _intake(shop, customer=CustomerIn(name="Ann Lee", phone=PHONE))
    ann = _customer_of(shop, first.order_id)
    with pytest.raises(Conflict, match="Ann Lee already has the phone number"):
        _intake(shop, customer=CustomerIn(name="Bob Lee", phone=PHONE))
    bob = _intake(shop, customer=CustomerIn(name="Bob Lee", phone=PHONE), new_customer=True)
    assert _customer_of(shop, bob.order_id) != ann  # someone new, sharing the household's line
    chosen = _intake(shop, customer_id=ann)
    assert _customer_of(shop, chosen.order_id) == ann
    matches = records.find_customers(shop.uow(), "555 0100")
    assert {m["name"] for m in matches} == {"Ann Lee", "Bob Lee"}  # both offered to choose from


def test_an_email_still_finds_its_one_customer(shop: Shop) -> None:
    first = _intake(shop, customer=CustomerIn(name="Cy", email="cy@mail.example", phone=PHONE))
    again = _intake(shop, customer=CustomerIn(name="Cy", email="CY@mail.example", phone=PHONE))
    assert _customer_of(shop, again.order_id) == _customer_of(shop, first.order_id)


def test_a_field_job_needs_its_service_address(shop: Shop, company: Company) -> None:
    with pytest.raises(ValidationError, match="A field job needs the service address"):
        _intake(shop, customer_id=company.customer, location="field")
    with pytest.raises(ValidationError, match="street and the city"):
        _intake(shop, customer_id=company.customer, location="field", service_address="1 Main St")
    receipt = _intake(
        shop, customer_id=company.customer, location="field", service_address="1 Main St", service_city="Springfield"
    )
    header = records.order_header(shop.uow(), receipt.order_id)
    assert header is not None and header["address"] == "1 Main St, Springfield"
    site = records.customer_record(shop.uow(), company.customer)["sites"][0]
    again = _intake(shop, customer_id=company.customer, location="field", site_id=site["id"])
    again_header = records.order_header(shop.uow(), again.order_id)
    assert again_header is not None and again_header["address"] == "1 Main St, Springfield"


def test_a_line_is_corrected_in_place_until_the_order_is_invoiced(shop: Shop, company: Company) -> None:
    line = orders.add_line(
        shop.uow(), company.order, orders.LineIn(kind="labour", description="Bench", unit_price=Decimal(50))
    )
    change_line(shop.uow(), company.order, line.id, quantity=Decimal(2), unit_price=Decimal("45.50"))
    order = orders.get_order(shop.uow(), company.order)
    assert [(ln["quantity"], ln["unit_price"]) for ln in order["lines"]] == [(Decimal(2), Decimal("45.50"))]
    assert order["totals"]["subtotal"] == Decimal("91.00")
    with pytest.raises(ValidationError):
        change_line(shop.uow(), company.order, line.id, quantity=Decimal(0))
    invoiced_line = orders.get_order(shop.uow(), company.invoiced_order)["lines"][0]
    with pytest.raises(Conflict, match="already invoiced"):
        change_line(shop.uow(), company.invoiced_order, invoiced_line["id"], quantity=Decimal(3))


def test_the_records_around_an_order_name_each_other(shop: Shop, company: Company) -> None:
    with shop.uow() as uow:
        uow.session.execute(
            text("UPDATE service_orders SET assigned_technician_id = :t WHERE id = :o"),
            {"t": company.technician, "o": company.invoiced_order},
        )
        uow.commit()
    header = records.order_header(shop.uow(), company.invoiced_order)
    assert header is not None
    assert (header["customer"], header["technician_id"], header["invoice_due"]) == ("Pat", company.technician, 45)
    customer = records.customer_record(shop.uow(), company.customer)
    assert customer["customer"][0]["name"] == "Pat"
    assert [d["serial_number"] for d in customer["devices"]] == ["SN-1"]
    assert len(customer["orders"]) == 2 and len(customer["invoices"]) == 1
    device = records.device_record(shop.uow(), company.equipment)
    assert device["device"][0]["customer_id"] == company.customer and len(device["warranties"]) == 1
    technician = records.technician_record(shop.uow(), company.technician)
    assert [o["customer"] for o in technician["orders"]] == ["Pat"]
    assert [m["name"] for m in records.find_customers(shop.uow(), "SN-1")] == ["Pat"]  # by a device's serial
    dispatcher = shop.person("dispatcher")
    assert records.customer_record(shop.uow(dispatcher), company.customer)["invoices"] == []  # not theirs to read
    dispatched = records.order_header(shop.uow(dispatcher), company.invoiced_order)
    assert dispatched is not None and dispatched["invoice_id"] is None
