"""Domain events: orders publishes, the areas built on it react in the same transaction (real Postgres)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import text

from ops_db import wiring
from ops_db.customers.schemas import CustomerIn
from ops_db.inventory import service as inventory
from ops_db.kit.errors import Conflict
from ops_db.kit.events import handlers_of, subscribe
from ops_db.kit.uow import UnitOfWork
from ops_db.orders import service as orders
from ops_db.orders.events import OrderCancelled, OrderReady
from ops_db.workforce import service as workforce
from ops_db.workforce.schemas import TechnicianIn
from tests.conftest import Shop

AT = datetime(2026, 11, 2, 9, tzinfo=UTC)


def _order_holding_stock_and_a_visit(shop: Shop) -> int:
    tech = workforce.create_technician(shop.uow(), TechnicianIn(name="Ana Tech", hourly_cost=Decimal("30")))
    part = inventory.create_part(shop.uow(), "SCR-1", "Screen", unit_cost="40", sale_price="90")
    with shop.uow() as uow:
        location: int = uow.session.execute(text("SELECT id FROM stock_locations WHERE code = 'WH1'")).scalar_one()
    inventory.adjust(shop.uow(), part.id, location, 5, "initial count")
    receipt = orders.register_intake(
        shop.uow(),
        orders.IntakeIn(customer=CustomerIn(name="Ida Holt", email="ida@example.com"), problem_description="No power"),
    )
    start = datetime.now(UTC).replace(microsecond=0) + timedelta(hours=1)
    workforce.book(shop.uow(), receipt.order_id, tech.id, start, start + timedelta(hours=1))
    inventory.reserve(shop.uow(), receipt.order_id, part.id, 1)
    return receipt.order_id


def _held(uow: UnitOfWork, order_id: int) -> tuple[str, str, str, Decimal]:
    """The order's stage, its reservation and booking, and the stock still reserved."""
    row = uow.session.execute(
        text(
            "SELECT o.stage, r.status AS reservation, b.status AS booking,"
            " (SELECT sum(reserved) FROM stock_levels) AS reserved"
            " FROM service_orders o JOIN stock_reservations r ON r.order_id = o.id JOIN bookings b ON b.order_id = o.id"
            " WHERE o.id = :o"
        ),
        {"o": order_id},
    ).one()
    return row.stage, row.reservation, row.booking, row.reserved


def test_cancelling_an_order_lets_go_of_its_stock_and_its_visits(shop: Shop) -> None:
    order_id = _order_holding_stock_and_a_visit(shop)
    orders.transition(shop.uow(), order_id, "cancelled")
    with shop.uow() as uow:
        assert _held(uow, order_id) == ("cancelled", "released", "cancelled", Decimal(0))


def test_a_subscriber_that_refuses_refuses_the_whole_cancel(shop: Shop, monkeypatch: pytest.MonkeyPatch) -> None:
    """Subscribers run in table order inside the publisher's transaction: the last one sees what the earlier ones
    wrote, and its refusal rolls back the cancel and their work with it."""
    order_id = _order_holding_stock_and_a_visit(shop)
    seen: list[tuple[str, str, str, Decimal]] = []

    def refuse(uow: UnitOfWork, cancelled: OrderCancelled) -> None:
        seen.append(_held(uow, cancelled.order_id))
        raise Conflict("Order {order} must stay open.", order=cancelled.order_id)

    monkeypatch.setattr(wiring, "SUBSCRIPTIONS", (*wiring.SUBSCRIPTIONS, subscribe(OrderCancelled, refuse)))
    with pytest.raises(Conflict, match="must stay open"):
        orders.transition(shop.uow(), order_id, "cancelled")
    assert seen == [("cancelled", "released", "cancelled", Decimal(0))]
    with shop.uow() as uow:
        stage, reservation, booking, reserved = _held(uow, order_id)
    assert (stage, reservation, reserved) == ("received", "active", Decimal(1)) and booking != "cancelled"


def test_publishing_needs_an_open_unit_of_work(shop: Shop) -> None:
    with pytest.raises(RuntimeError, match="not open"):
        shop.uow().publish(OrderCancelled(1, AT))


def test_each_event_reaches_exactly_its_subscribers_in_table_order() -> None:
    calls: list[str] = []
    table = (
        subscribe(OrderCancelled, lambda _uow, e: calls.append(f"first {e.order_id}")),
        subscribe(OrderReady, lambda _uow, e: calls.append(f"ready {e.order_id}")),
        subscribe(OrderCancelled, lambda _uow, e: calls.append(f"second {e.order_id}")),
    )
    for handler in handlers_of(OrderCancelled(7, AT), table):
        handler(None, OrderCancelled(7, AT))  # type: ignore[arg-type]  # these handlers never touch the unit
    assert calls == ["first 7", "second 7"]


def test_the_wiring_names_who_reacts_to_what() -> None:
    """The reactions orders used to call itself, through late imports, are subscribed in ops_db.wiring."""
    reactions = {(row.event.__name__, row.handler.__module__, row.handler.__name__) for row in wiring.SUBSCRIPTIONS}
    assert reactions == {
        ("OrderCancelled", "ops_db.inventory.service", "release_for_cancelled_order"),
        ("OrderCancelled", "ops_db.workforce.bookings", "cancel_visits_of_cancelled_order"),
        ("OrderReady", "ops_db.warranty.service", "cover_finished_repair"),
        ("OrderReady", "ops_db.inventory.service", "settle_for_finished_order"),
        ("OrderInvoiced", "ops_db.inventory.service", "settle_for_finished_order"),
    }
