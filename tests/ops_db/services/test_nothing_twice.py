"""Nothing happens twice (issue 19): a submission sent again with its key acts once, on real Postgres.

A form's second click and an API client's retry carry the key of the first sending; the first unit of work that
commits claims it in its own transaction, so a repeat, one after the other or at the same instant, changes nothing
more and learns what the first one did. A failed submission claims nothing; a key reused for something else, or by
someone else, is refused; a customer never sees another customer's submission.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import text

from ops_db.billing import service as billing
from ops_db.customers.schemas import CustomerIn
from ops_db.kit.errors import RepairOpsError, ValidationError
from ops_db.kit.idempotency import AlreadyDone, KeyReused, submitting
from ops_db.kit.uow import Actor
from ops_db.orders import service as orders
from tests.conftest import Shop

WORKERS = 6


def _intake(problem: str = "Screen flickers") -> orders.IntakeIn:
    return orders.IntakeIn(customer=CustomerIn(name="Ines Once", email="ines@example.com"), problem_description=problem)


def _count(shop: Shop, sql: str, **params: Any) -> int:
    with shop.uow() as uow:
        return int(uow.session.execute(text(sql), params).scalar_one())


def _race(calls: list[Callable[[], Any]]) -> list[Any]:
    """The calls on separate threads released at the same instant; each result or the error raised."""
    gate = threading.Barrier(len(calls))

    def run(call: Callable[[], Any]) -> Any:
        gate.wait()
        try:
            return call()
        except RepairOpsError as exc:
            return exc

    with ThreadPoolExecutor(len(calls)) as pool:
        return list(pool.map(run, calls))


def _open_once(shop: Shop, actor: Actor, key: str, data: orders.IntakeIn) -> orders.Receipt:
    with submitting(key, "intake", "same form"):
        return orders.register_intake(shop.uow(actor), data)


def test_intake_sent_twice_with_its_key_opens_one_order_and_says_which(shop: Shop) -> None:
    desk = shop.person("front_desk")
    first = _open_once(shop, desk, "form-1", _intake())
    with pytest.raises(AlreadyDone) as repeat:
        _open_once(shop, desk, "form-1", _intake())
    assert _count(shop, "SELECT count(*) FROM service_orders") == 1
    wrote = repeat.value.result["wrote"]
    assert {"action": "order.intake", "entity": "service_orders", "entity_id": first.order_id} in wrote
    # Without a key (or with a new one) it is a new submission.
    _open_once(shop, desk, "form-2", _intake())
    assert _count(shop, "SELECT count(*) FROM service_orders") == 2


def test_intake_sent_at_the_same_instant_with_one_key_opens_one_order(shop: Shop) -> None:
    desk = shop.person("front_desk")
    results = _race([lambda: _open_once(shop, desk, "double-click", _intake()) for _ in range(WORKERS)])
    opened = [r for r in results if isinstance(r, orders.Receipt)]
    assert len(opened) == 1, results
    assert all(isinstance(r, AlreadyDone) for r in results if r not in opened), results
    assert _count(shop, "SELECT count(*) FROM service_orders") == 1
    assert _count(shop, "SELECT count(*) FROM submissions WHERE key = 'double-click'") == 1


def test_portal_requests_sent_at_the_same_instant_with_one_key_make_one_order(shop: Shop) -> None:
    visitor = Actor.public(shop.tenant_id)
    request = orders.RequestIn(
        contact_name="Pat Portal", contact_email="pat@example.com", item_type="Phone", problem_description="Dead"
    )

    def send() -> orders.Receipt:
        with submitting("portal-form", "request", "same form"):
            return orders.submit_request(shop.uow(visitor), request)

    results = _race([send for _ in range(WORKERS)])
    assert len([r for r in results if isinstance(r, orders.Receipt)]) == 1, results
    assert _count(shop, "SELECT count(*) FROM service_requests") == 1
    assert _count(shop, "SELECT count(*) FROM service_orders") == 1


def test_a_refused_submission_claims_nothing_so_it_can_be_sent_again(shop: Shop) -> None:
    desk = shop.person("front_desk")
    with pytest.raises(ValidationError):
        _open_once(shop, desk, "form-1", _intake(problem=""))
    assert _count(shop, "SELECT count(*) FROM submissions") == 0
    _open_once(shop, desk, "form-1", _intake())
    assert _count(shop, "SELECT count(*) FROM service_orders") == 1


def test_a_key_reused_for_something_else_or_by_someone_else_is_refused(shop: Shop) -> None:
    desk, other = shop.person("front_desk"), shop.person("front_desk")
    _open_once(shop, desk, "form-1", _intake())
    with pytest.raises(KeyReused), submitting("form-1", "intake", "other values"):
        orders.register_intake(shop.uow(desk), _intake("Other problem"))
    with pytest.raises(KeyReused):
        _open_once(shop, other, "form-1", _intake())
    assert _count(shop, "SELECT count(*) FROM service_orders") == 1


def _paid_invoice(shop: Shop) -> int:
    receipt = orders.register_intake(shop.uow(), _intake())
    orders.add_line(
        shop.uow(),
        receipt.order_id,
        orders.LineIn(kind="service", description="Repair", quantity=Decimal(1), unit_price=Decimal(100)),
    )
    with shop.uow() as uow:
        uow.session.execute(text("UPDATE service_orders SET stage = 'ready' WHERE id = :o"), {"o": receipt.order_id})
        uow.commit()
    invoice = billing.create_invoice(shop.uow(), receipt.order_id)
    return billing.record_payment(shop.uow(), invoice.id, invoice.total, "cash", "pay-1").id


def test_a_refund_sent_twice_from_one_form_refunds_once_at_the_same_instant(shop: Shop) -> None:
    """The Billing form's key is its refund's key: a double click (two reruns at once) gives back $5 once."""
    payment_id = _paid_invoice(shop)
    finance = shop.person("finance")

    def refund() -> Any:
        with submitting("refund-form", "refund", "same form"):
            return billing.refund(shop.uow(finance), payment_id, "5.00", "scratched case", "refund-form")

    results = _race([refund for _ in range(WORKERS)])
    assert not [r for r in results if isinstance(r, RepairOpsError) and not isinstance(r, AlreadyDone)], results
    assert _count(shop, "SELECT count(*) FROM refunds") == 1
    assert _count(shop, "SELECT refunded_amount FROM payments WHERE id = :p", p=payment_id) == 5


def test_a_customer_never_sees_another_customers_submission(shop: Shop) -> None:
    mine = orders.register_intake(shop.uow(), _intake()).order_id
    with shop.uow() as uow:
        customer_id = uow.session.execute(
            text("SELECT customer_id FROM service_orders WHERE id = :o"), {"o": mine}
        ).scalar_one()
    other = orders.register_intake(
        shop.uow(), orders.IntakeIn(customer=CustomerIn(name="Oskar", email="o@example.com"), problem_description="x")
    )
    with shop.uow() as uow:
        other_customer = uow.session.execute(
            text("SELECT customer_id FROM service_orders WHERE id = :o"), {"o": other.order_id}
        ).scalar_one()
    one, two = shop.person("customer", customer_id=customer_id), shop.person("customer", customer_id=other_customer)
    request = orders.RequestIn(
        contact_name="Ines", item_type="Phone", problem_description="Dead", contact_email="i@x.io"
    )
    with submitting("their-form", "request", "same form"):
        orders.submit_request(shop.uow(one), request)
    with shop.uow(two) as uow:
        assert uow.session.execute(text("SELECT count(*) FROM submissions")).scalar_one() == 0
    with shop.uow(one) as uow:
        assert uow.session.execute(text("SELECT count(*) FROM submissions")).scalar_one() == 1
    with pytest.raises(KeyReused), submitting("their-form", "request", "same form"):  # never their result
        orders.submit_request(shop.uow(two), request)
