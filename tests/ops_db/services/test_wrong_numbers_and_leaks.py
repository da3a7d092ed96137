"""Issue 19, "wrong today" (lane C): order numbers typed in any case, a release certificate only once the order is
ready, nothing left reserved for a finished order, whole quantities of parts counted in pieces."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import text

from ops_db.billing import service as billing
from ops_db.comms import service as comms
from ops_db.customers.schemas import CustomerIn
from ops_db.documents import render
from ops_db.documents.kinds import order_document_issued
from ops_db.inventory import service as inventory
from ops_db.inventory.schemas import PurchaseLineIn
from ops_db.kit.errors import Conflict, NotFound, ValidationError
from ops_db.kit.uow import Actor
from ops_db.orders import queries as order_queries
from ops_db.orders import service as orders
from ops_db.tracking import service as tracking
from ops_db.workforce import service as workforce
from tests.companies import Company, build
from tests.conftest import Shop


@pytest.fixture
def company(shop: Shop) -> Company:
    """One of everything at the shop "acme"."""
    return build(shop)


def _number_and_code(shop: Shop, order_id: int) -> tuple[str, str]:
    with shop.uow() as uow:
        number, code = uow.session.execute(
            text("SELECT order_number, tracking_code FROM service_orders WHERE id = :o"), {"o": order_id}
        ).one()
    return str(number), str(code)


def test_an_order_number_is_found_whatever_the_case_it_is_typed_in(shop: Shop, company: Company) -> None:
    number, code = _number_and_code(shop, company.order)
    typed = f"  {number.lower()} "
    assert typed.strip() != number  # the number has letters, so the case matters to the test
    assert tracking.track(shop.uow(), typed, code)["order_id"] == company.order
    assert order_queries.order_id_by_number(shop.uow(), typed) == company.order
    assert order_queries.order_id_by_number(shop.uow(), number + "x") is None


def _stage(shop: Shop, order_id: int, stage: str) -> None:
    with shop.uow() as uow:
        uow.session.execute(
            text("UPDATE service_orders SET stage = :s, closed_at = CASE WHEN :c THEN now() END WHERE id = :o"),
            {"s": stage, "c": stage == "closed", "o": order_id},
        )
        uow.commit()


@pytest.mark.parametrize("stage", ["received", "diagnostics", "awaiting_approval", "repair", "quality_check"])
def test_no_release_certificate_before_the_order_is_ready(shop: Shop, company: Company, stage: str) -> None:
    _stage(shop, company.order, stage)
    with pytest.raises(Conflict, match="issued once the order is ready to collect"):
        render.render(shop.uow(), "release_act", company.order)


@pytest.mark.parametrize("stage", ["ready", "closed"])
def test_a_release_certificate_once_the_order_is_ready(shop: Shop, company: Company, stage: str) -> None:
    _stage(shop, company.order, stage)
    assert render.render(shop.uow(), "release_act", company.order).startswith(b"%PDF")
    assert order_document_issued("release_act", stage) and not order_document_issued("release_act", "awaiting_approval")


def _held(shop: Shop, order_id: int) -> list[tuple[str, Decimal]]:
    with shop.uow() as uow:
        return [
            (str(status), Decimal(str(qty)))
            for status, qty in uow.session.execute(
                text("SELECT status, quantity FROM stock_reservations WHERE order_id = :o ORDER BY id"),
                {"o": order_id},
            ).tuples()
        ]


def _stock(shop: Shop, company: Company) -> tuple[Decimal, Decimal]:
    with shop.uow() as uow:
        quantity, reserved = uow.session.execute(
            text("SELECT quantity, reserved FROM stock_levels WHERE part_id = :p AND location_id = :l"),
            {"p": company.part, "l": company.location},
        ).one()
    return Decimal(str(quantity)), Decimal(str(reserved))


def test_invoicing_an_order_uses_the_parts_it_charges_and_lets_go_of_the_rest(shop: Shop, company: Company) -> None:
    """Two screens reserved, one charged on the order: invoicing consumes the charged one and releases the other,
    so nothing stays reserved for billed work (before: both stayed reserved for ever)."""
    inventory.reserve(shop.uow(), company.order, company.part, 1, company.location)
    inventory.reserve(shop.uow(), company.order, company.part, 1, company.location)
    orders.add_line(shop.uow(), company.order, orders.LineIn(kind="part", part_id=company.part, quantity=Decimal(1)))
    assert _stock(shop, company) == (Decimal(5), Decimal(2))
    billing.create_invoice(shop.uow(), company.order)
    assert _held(shop, company.order) == [("consumed", Decimal(1)), ("released", Decimal(1))]
    assert _stock(shop, company) == (Decimal(4), Decimal(0))


def test_a_finished_order_holds_no_stock(shop: Shop, company: Company) -> None:
    inventory.reserve(shop.uow(), company.order, company.part, 2, company.location)
    _stage(shop, company.order, "quality_check")
    orders.transition(shop.uow(), company.order, "ready")
    assert _held(shop, company.order) == [("released", Decimal(2))]
    assert _stock(shop, company) == (Decimal(5), Decimal(0))


def test_parts_counted_in_pieces_move_only_in_whole_pieces(shop: Shop, company: Company) -> None:
    whole = re.escape("SKU-acme is counted in whole pcs: give a whole number, not 1.5.")
    with pytest.raises(ValidationError, match=whole):
        inventory.transfer(shop.uow(), company.location, company.van, [(company.part, "1.5")])
    with pytest.raises(ValidationError, match=whole):
        inventory.reserve(shop.uow(), company.order, company.part, Decimal("1.5"), company.location)
    with pytest.raises(ValidationError, match=r"not 2\.5"):
        inventory.adjust(shop.uow(), company.part, company.location, "2.5", "count")
    with pytest.raises(ValidationError, match=whole):
        inventory.create_purchase_order(
            shop.uow(), company.supplier, company.location, [PurchaseLineIn(part_id=company.part, quantity="1.5")]
        )
    with pytest.raises(ValidationError, match=whole):
        orders.add_line(
            shop.uow(), company.order, orders.LineIn(kind="part", part_id=company.part, quantity=Decimal("1.5"))
        )
    assert _stock(shop, company) == (Decimal(5), Decimal(0))
    inventory.transfer(shop.uow(), company.location, company.van, [(company.part, "2")])
    assert _stock(shop, company) == (Decimal(3), Decimal(0))


def test_parts_measured_in_units_that_divide_move_in_fractions(shop: Shop, company: Company) -> None:
    cable = inventory.create_part(shop.uow(), "CABLE", "Cable", unit_cost="1", sale_price="2")
    with shop.uow() as uow:
        uow.session.execute(text("UPDATE parts SET unit = 'm' WHERE id = :p"), {"p": cable.id})
        uow.commit()
    inventory.adjust(shop.uow(), cable.id, company.location, "10.5", "count")
    inventory.transfer(shop.uow(), company.location, company.van, [(cable.id, "2.25")])
    rows, _ = inventory.stock(shop.uow(), part_id=cable.id)
    assert sorted(row["quantity"] for row in rows) == [Decimal("2.25"), Decimal("8.25")]


def test_a_purchase_order_receives_whole_pieces_only(shop: Shop, company: Company) -> None:
    po = inventory.create_purchase_order(
        shop.uow(), company.supplier, company.location, [PurchaseLineIn(part_id=company.part, quantity=3)]
    )
    inventory.send_purchase_order(shop.uow(), po.id)
    with shop.uow() as uow:
        line: int = uow.session.execute(
            text("SELECT id FROM purchase_order_lines WHERE purchase_order_id = :p"), {"p": po.id}
        ).scalar_one()
    with pytest.raises(ValidationError, match="whole pcs"):
        inventory.receive(shop.uow(), po.id, [(line, "0.5")])


def _customer_login(shop: Shop, order_id: int) -> Actor:
    with shop.uow() as uow:
        customer: int = uow.session.execute(
            text("SELECT customer_id FROM service_orders WHERE id = :o"), {"o": order_id}
        ).scalar_one()
    return shop.person("customer", customer_id=customer)


def test_a_customer_writes_to_the_shop_on_an_order_the_front_desk_opened(shop: Shop) -> None:
    """Before: "You are not allowed to change that record." on every order with a creator."""
    desk = shop.person("front_desk")
    receipt = orders.register_intake(
        shop.uow(desk),
        orders.IntakeIn(customer=CustomerIn(name="Rosa Diaz", email="rosa@example.com"), problem_description="Dead"),
    )
    rosa = _customer_login(shop, receipt.order_id)
    comms.post_message(shop.uow(rosa), receipt.order_id, "Is it ready?")
    comms.post_message(shop.uow(desk), receipt.order_id, "Tomorrow.")
    assert [m["body"] for m in comms.list_messages(shop.uow(rosa), receipt.order_id)] == ["Is it ready?", "Tomorrow."]
    with shop.uow() as uow:
        told = uow.session.execute(
            text("SELECT user_id FROM in_app_notifications WHERE order_id = :o"), {"o": receipt.order_id}
        ).scalars()
        assert list(told) == [desk.user_id]  # the person who opened the order hears of it


def test_a_customer_never_writes_on_another_customers_order(shop: Shop, company: Company) -> None:
    other = orders.register_intake(
        shop.uow(shop.person("front_desk")),
        orders.IntakeIn(customer=CustomerIn(name="Sam Lee", email="sam@example.com"), problem_description="Wet"),
    )
    pat = _customer_login(shop, company.order)
    comms.post_message(shop.uow(pat), company.order, "Mine")
    with pytest.raises(NotFound):
        comms.post_message(shop.uow(pat), other.order_id, "Not mine")
    with pytest.raises(NotFound):
        comms.list_messages(shop.uow(pat), other.order_id)
    with shop.uow() as uow:
        bodies = uow.session.execute(text("SELECT body FROM messages ORDER BY id")).scalars()
        assert list(bodies) == ["Mine"]


def test_text_longer_than_its_field_is_refused_never_cut(shop: Shop, company: Company) -> None:
    """Before, these were cut to the field's size without a word (a 2,001-character reason kept 2,000)."""
    with pytest.raises(ValidationError, match=r"The category can be at most 64 characters\."):
        inventory.create_part(shop.uow(), "LONG", "Long", unit_cost="1", sale_price="2", category="c" * 65)
    with pytest.raises(ValidationError, match=r"The reason can be at most 2,000 characters\."):
        billing.refund(shop.uow(), company.payment, "1.00", "r" * 2001, "long-reason")
    with pytest.raises(ValidationError, match=r"The reason can be at most 2,000 characters\."):
        inventory.adjust(shop.uow(), company.part, company.location, 5, "r" * 2001)
    start = datetime(2031, 3, 4, 9, tzinfo=UTC)
    with pytest.raises(ValidationError, match=r"The reason can be at most 32 characters\."):
        workforce.add_time_off(shop.uow(), company.technician, start, start + timedelta(hours=2), "r" * 33)
    with shop.uow() as uow:
        assert uow.session.execute(text("SELECT count(*) FROM refunds")).scalar_one() == 0


def test_no_page_cuts_what_people_type() -> None:
    """A Streamlit ``max_chars`` becomes the browser's ``maxlength``: a longer paste is cut without a word. The
    pages set none; the services refuse what is too long with a sentence."""
    pages = Path(__file__).resolve().parents[3] / "dashboards"
    assert [str(p) for p in pages.rglob("*.py") if "max_chars" in p.read_text(encoding="utf-8")] == []
