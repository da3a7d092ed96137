"""Property-based: random sequences of lifecycle, stock and billing actions never break an invariant.

Hypothesis picks the actions and their arguments; many are refused (wrong stage, stock short, too much
refunded): a refusal must be a domain error that changes nothing, and after every sequence the database
must still satisfy every invariant below.
"""

from __future__ import annotations

import contextlib
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import text

from ops_db.billing import service as billing
from ops_db.customers.schemas import CustomerIn
from ops_db.inventory import service as inventory
from ops_db.inventory.schemas import ReservationRow
from ops_db.kit.errors import RepairOpsError
from ops_db.orders import service as orders
from ops_db.orders.models import Stage
from tests.conftest import Shop

pytestmark = pytest.mark.slow
STAGES = [s.value for s in Stage]
# Weighted by repetition so sequences get far enough into a repair to invoice, pay and refund.
ACTIONS = (
    "intake",
    "intake",
    "labour",
    "labour",
    "part_line",
    "reserve",
    "reserve",
    "consume",
    "release",
    "advance",
    "advance",
    "advance",
    "advance",
    "jump",
    "estimate",
    "approve",
    "invoice",
    "invoice",
    "pay",
    "pay",
    "refund",
    "restock",
)


class World:
    """What one sequence created, so later actions can refer to it by small indexes."""

    def __init__(self, shop: Shop, part_ids: list[int], location: int) -> None:
        self.shop, self.part_ids, self.location = shop, part_ids, location
        self.orders: list[int] = []
        self.payments: list[int] = []
        self.n = 0

    def pick_order(self, i: int) -> int | None:
        return self.orders[i % len(self.orders)] if self.orders else None

    def reservations(self, order_id: int) -> list[ReservationRow]:
        return [r for r in inventory.reservations(self.shop.uow(), order_id) if r["status"] == "active"]

    def invoice_of(self, order_id: int) -> int | None:
        with self.shop.uow() as uow:
            found = uow.session.execute(
                text("SELECT id FROM invoices WHERE order_id = :o AND status <> 'void'"), {"o": order_id}
            ).scalar()
        return int(found) if found is not None else None

    def apply(self, action: str, i: int, amount: int) -> None:
        shop = self.shop
        if action == "intake":
            self.n += 1
            receipt = orders.register_intake(
                shop.uow(),
                orders.IntakeIn(
                    customer=CustomerIn(name=f"Prop {self.n}", phone=f"+1555{self.n:07d}"), problem_description="Broken"
                ),
            )
            self.orders.append(receipt.order_id)
            return
        if action == "restock":
            inventory.adjust(shop.uow(), self.part_ids[i % 2], self.location, amount, "count")
            return
        order_id = self.pick_order(i)
        if order_id is None:
            return
        part_id = self.part_ids[amount % 2]
        if action == "labour":
            orders.add_line(
                shop.uow(), order_id, orders.LineIn(kind="labour", description="Work", unit_price=Decimal(amount) / 3)
            )
        elif action == "part_line":
            orders.add_line(
                shop.uow(), order_id, orders.LineIn(kind="part", part_id=part_id, quantity=Decimal(amount % 3 + 1))
            )
        elif action == "reserve":
            inventory.reserve(shop.uow(), order_id, part_id, amount % 4 + 1)
        elif action in ("consume", "release"):
            held = self.reservations(order_id)
            if held:
                (inventory.consume if action == "consume" else inventory.release)(
                    shop.uow(), held[amount % len(held)]["id"]
                )
        elif action == "advance":  # a move the stage machine allows (its data guards may still refuse)
            allowed = orders.get_order(shop.uow(), order_id)["allowed_transitions"]
            if allowed:
                orders.transition(shop.uow(), order_id, allowed[amount % len(allowed)], reason="property test")
        elif action == "jump":  # any stage at all, mostly illegal
            orders.transition(shop.uow(), order_id, STAGES[amount % len(STAGES)])
        elif action == "estimate":
            orders.send_estimate(shop.uow(), order_id)
        elif action == "approve":
            orders.decide_estimate(shop.uow(), order_id, amount % 3 != 0)
        elif action == "invoice":
            billing.create_invoice(shop.uow(), order_id)
        elif action == "pay":
            invoice_id = self.invoice_of(order_id)
            if invoice_id is not None:
                due = Decimal(billing.get_invoice(shop.uow(), invoice_id)["due"])
                value = max(Decimal("0.01"), (due * (amount % 5 + 1) / 4).quantize(Decimal("0.01")))
                pay = billing.record_payment(shop.uow(), invoice_id, value, "cash", f"k-{order_id}-{amount}-{i}")
                self.payments.append(pay.id)
        elif action == "refund" and self.payments:
            value = (Decimal(amount) / 7).quantize(Decimal("0.01"))
            billing.refund(
                shop.uow(), self.payments[i % len(self.payments)], value, "r", f"r-{i}-{amount}-{len(self.payments)}"
            )


def check_invariants(shop: Shop) -> None:
    with shop.uow() as uow:
        q = uow.session.execute
        ledger = q(
            text(
                "SELECT l.part_id, l.location_id, l.quantity, coalesce(sum(m.quantity_delta), 0) AS moved"
                " FROM stock_levels l LEFT JOIN stock_movements m USING (part_id, location_id)"
                " GROUP BY 1, 2, 3 HAVING l.quantity <> coalesce(sum(m.quantity_delta), 0)"
            )
        ).all()
        assert not ledger, f"stock ledger disagrees with stock levels: {ledger}"
        held = q(
            text(
                "SELECT l.part_id, l.reserved, coalesce(sum(r.quantity) FILTER (WHERE r.status = 'active'), 0)"
                " FROM stock_levels l LEFT JOIN stock_reservations r USING (part_id, location_id)"
                " GROUP BY 1, 2, l.location_id HAVING l.reserved <>"
                " coalesce(sum(r.quantity) FILTER (WHERE r.status = 'active'), 0)"
            )
        ).all()
        assert not held, f"reserved disagrees with active reservations: {held}"
        assert q(text("SELECT count(*) FROM stock_levels WHERE quantity < 0 OR reserved > quantity")).scalar() == 0
        invoices = q(
            text(
                "SELECT i.id FROM invoices i JOIN invoice_lines l ON l.invoice_id = i.id GROUP BY i.id"
                " HAVING i.subtotal <> sum(l.net_amount) OR i.tax_total <> sum(l.tax_amount)"
                " OR i.total <> i.subtotal + i.tax_total"
            )
        ).all()
        assert not invoices, f"invoices that are not lines + tax: {invoices}"
        payments = q(
            text(
                "SELECT p.id FROM payments p LEFT JOIN refunds r ON r.payment_id = p.id GROUP BY p.id"
                " HAVING p.refunded_amount <> coalesce(sum(r.amount), 0) OR p.amount - p.refunded_amount < 0"
            )
        ).all()
        assert not payments, f"payments refunded beyond what was paid: {payments}"
        overpaid = q(
            text(
                "SELECT i.id FROM invoices i JOIN payments p ON p.invoice_id = i.id GROUP BY i.id, i.total"
                " HAVING sum(p.amount - p.refunded_amount) > i.total"
            )
        ).all()
        assert not overpaid, f"invoices paid above their total: {overpaid}"
        events = q(
            text(
                "SELECT order_id, from_stage, to_stage FROM order_events WHERE to_stage IS NOT NULL"
                " ORDER BY order_id, id"
            )
        ).all()
        stages = q(text("SELECT id, stage FROM service_orders")).all()
    _check_event_order(events, {r.id: r.stage for r in stages})


def _check_event_order(events: Sequence[Any], current: dict[int, str]) -> None:
    last: dict[int, str] = {}
    before_hold: dict[int, str] = {}
    for order_id, from_stage, to_stage in events:
        if order_id not in last:
            assert (from_stage, to_stage) == (None, "received"), (order_id, from_stage, to_stage)
        else:
            assert from_stage == last[order_id], (order_id, from_stage, last[order_id])
            allowed = {s.value for s in orders.TRANSITIONS[Stage(from_stage)]}
            if from_stage == "on_hold":
                allowed.add(before_hold[order_id])
            assert to_stage in allowed, (order_id, from_stage, to_stage)
            if to_stage == "on_hold":
                before_hold[order_id] = from_stage
        last[order_id] = to_stage
    assert last == current


@pytest.fixture
def stocked(shop: Shop) -> tuple[Shop, list[int], int]:
    parts = [
        inventory.create_part(shop.uow(), f"P-{n}", f"Part {n}", unit_cost="3", sale_price="9").id for n in range(2)
    ]
    with shop.uow() as uow:
        location = int(uow.session.execute(text("SELECT id FROM stock_locations WHERE code = 'WH1'")).scalar_one())
    for part in parts:
        inventory.adjust(shop.uow(), part, location, 5, "count")
    return shop, parts, location


ACTION = st.tuples(st.sampled_from(ACTIONS), st.integers(0, 50), st.integers(0, 400))


@given(steps=st.lists(ACTION, min_size=5, max_size=40))
@settings(
    max_examples=60,
    deadline=None,
    database=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
def test_random_action_sequences_keep_every_invariant(
    stocked: tuple[Shop, list[int], int], steps: list[tuple[str, int, int]]
) -> None:
    shop, parts, location = stocked
    world = World(shop, parts, location)
    for action, i, amount in [("intake", 0, 0), *steps]:
        with contextlib.suppress(RepairOpsError):  # a refusal; the invariants prove it harmed nothing
            world.apply(action, i, amount)
    check_invariants(shop)
