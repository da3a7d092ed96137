"""The guarantees under real concurrency: threads released together against one real Postgres."""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import text

from ops_db.audit.service import verify_chain
from ops_db.billing import service as billing
from ops_db.customers.schemas import CustomerIn
from ops_db.inventory import service as inventory
from ops_db.kit.db import admin_engine
from ops_db.kit.errors import Conflict, RepairOpsError
from ops_db.orders import service as orders
from ops_db.workforce import service as workforce
from ops_db.workforce.schemas import TechnicianIn
from tests.conftest import Shop

WORKERS = 8


def _race(calls: list[Callable[..., Any]]) -> list[Any]:  # `...`: the lambdas bind their loop values as defaults
    """Run the calls on separate threads released at the same instant; each result or the error raised."""
    gate = threading.Barrier(len(calls))

    def run(call: Callable[[], Any]) -> Any:
        gate.wait()
        try:
            return call()
        except RepairOpsError as exc:
            return exc

    with ThreadPoolExecutor(len(calls)) as pool:
        return list(pool.map(run, calls))


def _order(shop: Shop, n: int) -> int:
    receipt = orders.register_intake(
        shop.uow(),
        orders.IntakeIn(
            customer=CustomerIn(name=f"Customer {n}", email=f"c{n}@example.com"), problem_description="Broken"
        ),
    )
    return receipt.order_id


def _warehouse(shop: Shop) -> int:
    with shop.uow() as uow:
        return int(uow.session.execute(text("SELECT id FROM stock_locations WHERE code = 'WH1'")).scalar_one())


def test_only_one_clerk_gets_the_last_unit(shop: Shop) -> None:
    part = inventory.create_part(shop.uow(), "BAT-1", "Battery", unit_cost="10", sale_price="30")
    inventory.adjust(shop.uow(), part.id, _warehouse(shop), 1, "count")
    order_ids = [_order(shop, n) for n in range(WORKERS)]
    clerks = [shop.person("front_desk") for _ in range(WORKERS)]

    results = _race(
        [lambda o=o, c=c: inventory.reserve(shop.uow(c), o, part.id, 1) for o, c in zip(order_ids, clerks, strict=True)]
    )

    won = [r for r in results if not isinstance(r, Exception)]
    lost = [r for r in results if isinstance(r, Exception)]
    assert len(won) == 1
    assert all(isinstance(e, Conflict) and "free at that location" in e.message for e in lost), lost
    with shop.uow() as uow:
        level = uow.session.execute(text("SELECT quantity, reserved FROM stock_levels")).one()
    assert (level.quantity, level.reserved) == (Decimal(1), Decimal(1))


def test_two_dispatchers_cannot_double_book_a_technician(shop: Shop) -> None:
    tech = workforce.create_technician(shop.uow(), TechnicianIn(name="Ana", hourly_cost=Decimal("30")))
    order_ids = [_order(shop, n) for n in range(WORKERS)]
    dispatchers = [shop.person("dispatcher") for _ in range(WORKERS)]
    start = datetime.now(UTC).replace(microsecond=0) + timedelta(days=1)

    results = _race(
        [
            lambda o=o, d=d, i=i: workforce.book(
                shop.uow(d), o, tech.id, start + timedelta(minutes=5 * i), start + timedelta(minutes=60 + 5 * i)
            )
            for i, (o, d) in enumerate(zip(order_ids, dispatchers, strict=True))
        ]
    )

    assert sum(not isinstance(r, Exception) for r in results) == 1
    assert all(isinstance(r, Conflict) for r in results if isinstance(r, Exception))
    with shop.uow() as uow:
        assert uow.session.execute(text("SELECT count(*) FROM bookings")).scalar_one() == 1


def _invoiced_order(shop: Shop, amount: str) -> int:
    order_id = _order(shop, 99)
    orders.add_line(shop.uow(), order_id, orders.LineIn(kind="labour", description="Work", unit_price=Decimal(amount)))
    return billing.create_invoice(shop.uow(), order_id).id


def test_one_idempotency_key_posted_at_once_pays_once(shop: Shop) -> None:
    invoice_id = _invoiced_order(shop, "100")  # 110.00 with 10% tax
    cashiers = [shop.person("finance") for _ in range(WORKERS)]

    results = _race(
        [lambda c=c: billing.record_payment(shop.uow(c), invoice_id, "110.00", "card", "till-7-0001") for c in cashiers]
    )

    assert not [r for r in results if isinstance(r, Exception)]
    assert len({r.id for r in results}) == 1
    with shop.uow() as uow:
        assert uow.session.execute(text("SELECT count(*), sum(amount) FROM payments")).one() == (1, Decimal("110.00"))
        assert uow.session.execute(text("SELECT status FROM invoices")).scalar_one() == "paid"


def test_concurrent_refunds_never_exceed_the_payment(shop: Shop) -> None:
    invoice_id = _invoiced_order(shop, "100")
    payment = billing.record_payment(shop.uow(), invoice_id, "110.00", "cash", "cash-1")
    managers = [shop.person("manager") for _ in range(WORKERS)]

    results = _race(
        [
            lambda m=m, i=i: billing.refund(shop.uow(m), payment.id, "30.00", "goodwill", f"r-{i}")
            for i, m in enumerate(managers)
        ]
    )

    assert sum(not isinstance(r, Exception) for r in results) == 3  # 3 × 30 ≤ 110 < 4 × 30
    assert all(isinstance(r, Conflict) for r in results if isinstance(r, Exception))
    with shop.uow() as uow:
        refunded = uow.session.execute(text("SELECT refunded_amount FROM payments")).scalar_one()
        total = uow.session.execute(text("SELECT sum(amount) FROM refunds")).scalar_one()
    assert refunded == total == Decimal("90.00")


def test_audit_chain_stays_whole_when_many_people_write_at_once(shop: Shop) -> None:
    people = [shop.person("front_desk") for _ in range(WORKERS)]
    results = _race(
        [
            lambda p=p, i=i: orders.register_intake(
                shop.uow(p),
                orders.IntakeIn(
                    customer=CustomerIn(name=f"Walk-in {i}", phone=f"+1555000{i:04d}"), problem_description="No sound"
                ),
            )
            for i, p in enumerate(people)
        ]
    )
    assert not [r for r in results if isinstance(r, Exception)]
    report = verify_chain(shop.uow())
    assert report.ok, report
    assert report.records >= WORKERS * 2

    # Someone with database superuser rights rewrites history: the chain no longer verifies.
    with admin_engine(shop.url).begin() as conn:
        conn.execute(text("ALTER TABLE audit_log DISABLE TRIGGER USER"))
        conn.execute(
            text(
                "UPDATE audit_log SET after = jsonb_set(coalesce(after, '{}'), '{name}', '\"Mallory\"') "
                "WHERE id = (SELECT min(id) + 3 FROM audit_log)"
            )
        )
        conn.execute(text("ALTER TABLE audit_log ENABLE TRIGGER USER"))
    broken = verify_chain(shop.uow())
    assert not broken.ok
