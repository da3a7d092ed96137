"""The whole life of a repair through the services, against real Postgres."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import text

from ops_db.audit.service import verify_chain
from ops_db.billing import service as billing
from ops_db.customers.schemas import CustomerIn
from ops_db.inventory import service as inventory
from ops_db.inventory.schemas import PurchaseLineIn
from ops_db.kit.errors import Conflict, NotFound, ValidationError
from ops_db.orders import service as orders
from ops_db.workforce import service as workforce
from ops_db.workforce.schemas import TechnicianIn
from tests.conftest import Shop


def _setup(shop: Shop) -> tuple[int, int, int]:
    tech = workforce.create_technician(shop.uow(), TechnicianIn(name="Ana Tech", hourly_cost=Decimal("30")))
    part = inventory.create_part(shop.uow(), "SCR-1", "Screen", unit_cost="40", sale_price="90")
    location = 1
    with shop.uow() as uow:
        location = uow.session.execute(text("SELECT id FROM stock_locations WHERE code = 'WH1'")).scalar_one()
    inventory.adjust(shop.uow(), part.id, location, 5, "initial count")
    return tech.id, part.id, location


def test_full_lifecycle_from_intake_to_close(shop: Shop) -> None:
    tech_id, part_id, _location = _setup(shop)
    desk = shop.person("front_desk")
    receipt = orders.register_intake(
        shop.uow(desk),
        orders.IntakeIn(
            customer=CustomerIn(name="Зоя Иванова", email="zoya@example.com"), problem_description="Cracked screen"
        ),
    )
    assert receipt.order_number.startswith("RO-") and len(receipt.tracking_code) >= 12
    start = datetime.now(UTC).replace(microsecond=0) + timedelta(hours=1)
    booking = workforce.book(shop.uow(desk), receipt.order_id, tech_id, start, start + timedelta(hours=1))
    orders.transition(shop.uow(desk), receipt.order_id, "diagnostics")
    orders.add_line(shop.uow(desk), receipt.order_id, orders.LineIn(kind="part", part_id=part_id))
    orders.add_line(
        shop.uow(desk),
        receipt.order_id,
        orders.LineIn(kind="labour", description="Fit screen", unit_price=Decimal("25")),
    )
    orders.send_estimate(shop.uow(desk), receipt.order_id)
    with pytest.raises(Conflict, match="approval"):
        orders.transition(shop.uow(desk), receipt.order_id, "repair")
    orders.decide_estimate(shop.uow(shop.system()), receipt.order_id, True, tracking_code=receipt.tracking_code)
    reservation = inventory.reserve(shop.uow(desk), receipt.order_id, part_id, 1)
    inventory.consume(shop.uow(), reservation.id)
    orders.transition(shop.uow(desk), receipt.order_id, "quality_check")
    with pytest.raises(Conflict, match="allowed: repair, ready"):
        orders.transition(shop.uow(desk), receipt.order_id, "closed")
    orders.transition(shop.uow(desk), receipt.order_id, "ready")
    invoice = billing.create_invoice(shop.uow(desk), receipt.order_id)
    assert invoice.subtotal == Decimal("115.00") and invoice.tax_total == Decimal("11.50")
    with pytest.raises(Conflict, match="unpaid"):
        orders.transition(shop.uow(desk), receipt.order_id, "closed")
    billing.record_payment(shop.uow(desk), invoice.id, "126.50", "card", "pay-1")
    order = orders.transition(shop.uow(desk), receipt.order_id, "closed")
    assert order.stage == "closed"
    assert booking.id > 0

    with shop.uow() as uow:
        events = (
            uow.session.execute(
                text("SELECT to_stage FROM order_events WHERE order_id = :o AND to_stage IS NOT NULL ORDER BY id"),
                {"o": receipt.order_id},
            )
            .scalars()
            .all()
        )
        outbox = uow.session.execute(text("SELECT event FROM notification_outbox ORDER BY id")).scalars().all()
        stock = uow.session.execute(text("SELECT quantity, reserved FROM stock_levels")).one()
        warranty = uow.session.execute(text("SELECT count(*) FROM warranties")).scalar_one()
    assert events == ["received", "diagnostics", "awaiting_approval", "repair", "quality_check", "ready", "closed"]
    assert {"request_received", "order_assigned", "estimate_ready", "ready_for_pickup", "payment_received"} <= set(
        outbox
    )
    assert (stock.quantity, stock.reserved) == (Decimal(4), Decimal(0))
    assert warranty == 0  # no equipment registered, so no device to cover
    report = verify_chain(shop.uow())
    assert report.ok and report.records > 10


def test_bad_input_changes_nothing(shop: Shop) -> None:
    desk = shop.person("front_desk")
    for bad in ("", " ", "x" * 10001):
        with pytest.raises(ValidationError):
            orders.register_intake(
                shop.uow(desk),
                orders.IntakeIn(customer=CustomerIn(name="Bob", phone="+1 555 0100"), problem_description=bad),
            )
    with pytest.raises(ValidationError, match="email address or a phone"):
        orders.register_intake(
            shop.uow(desk), orders.IntakeIn(customer=CustomerIn(name="Bob"), problem_description="x")
        )
    with pytest.raises(NotFound):
        orders.transition(shop.uow(desk), 999999, "diagnostics")
    with shop.uow() as uow:
        counts = uow.session.execute(
            text("SELECT (SELECT count(*) FROM customers), (SELECT count(*) FROM service_orders)")
        ).one()
    assert tuple(counts) == (0, 0)


def test_a_fitted_part_is_consumed_and_charged_once_in_one_transaction(shop: Shop) -> None:
    _tech_id, part_id, _location = _setup(shop)
    receipt = orders.register_intake(
        shop.uow(),
        orders.IntakeIn(
            customer=CustomerIn(name="Part User", email="parts@example.com"), problem_description="Dead screen"
        ),
    )
    first = inventory.reserve(shop.uow(), receipt.order_id, part_id, 1)
    inventory.use_on_order(shop.uow(), first.id)
    second = inventory.reserve(shop.uow(), receipt.order_id, part_id, 1)
    inventory.use_on_order(shop.uow(), second.id)  # the part already has a line: not charged twice
    with pytest.raises(Conflict, match="already consumed"):
        inventory.use_on_order(shop.uow(), second.id)
    with shop.uow() as uow:
        lines = uow.session.execute(
            text("SELECT count(*) FROM order_lines WHERE order_id = :o AND part_id = :p"),
            {"o": receipt.order_id, "p": part_id},
        ).scalar_one()
        stock = uow.session.execute(
            text("SELECT quantity, reserved FROM stock_levels WHERE part_id = :p"), {"p": part_id}
        ).one()
    assert lines == 1 and tuple(stock) == (3, 0)


def test_a_purchase_order_with_a_unit_cost_that_is_not_a_number_is_one_sentence(shop: Shop) -> None:
    _tech_id, part_id, location = _setup(shop)
    with shop.uow() as uow:
        supplier = uow.session.execute(
            text(
                "INSERT INTO suppliers (tenant_id, name) VALUES (current_setting('app.tenant_id')::bigint, 'PartsCo')"
                " RETURNING id"
            )
        ).scalar_one()
        uow.commit()
    with pytest.raises(ValidationError, match=r"^The unit cost must be a number\.$"):
        inventory.create_purchase_order(shop.uow(), supplier, location, [PurchaseLineIn(part_id, 2, "twelve")])
    with shop.uow() as uow:
        assert uow.session.execute(text("SELECT count(*) FROM purchase_orders")).scalar_one() == 0


def test_completing_a_visit_is_one_transaction(shop: Shop) -> None:
    tech_id, _part_id, _location = _setup(shop)
    receipt = orders.register_intake(
        shop.uow(),
        orders.IntakeIn(customer=CustomerIn(name="Lena", email="lena@example.com"), problem_description="Fridge warm"),
    )
    start = datetime.now(UTC).replace(microsecond=0) + timedelta(hours=1)
    booking = workforce.book(shop.uow(), receipt.order_id, tech_id, start, start + timedelta(hours=1))
    for stage in ("diagnostics", "repair"):
        orders.transition(shop.uow(), receipt.order_id, stage)

    def signoffs() -> int:
        with shop.uow() as uow:
            return int(uow.session.execute(text("SELECT count(*) FROM order_signoffs")).scalar_one())

    with pytest.raises(Conflict, match="check in first"):  # not started: the signature is not kept either
        workforce.complete_visit(shop.uow(), booking.id, "Lena", "Relay replaced")
    assert signoffs() == 0
    workforce.check_in(shop.uow(), booking.id)
    with pytest.raises(ValidationError):
        workforce.complete_visit(shop.uow(), booking.id, "  ", "Relay replaced")
    workforce.complete_visit(shop.uow(), booking.id, "Lena", "Relay replaced")
    with shop.uow() as uow:
        row = uow.session.execute(
            text("SELECT b.status, o.stage FROM bookings b JOIN service_orders o ON o.id = b.order_id WHERE b.id = :b"),
            {"b": booking.id},
        ).one()
    assert tuple(row) == ("done", "quality_check") and signoffs() == 1
