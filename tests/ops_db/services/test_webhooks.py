"""Outgoing webhooks against a real HTTP receiver on loopback: every order event arrives signed (checked here
with an independent HMAC), a failing receiver gets it again later, and a rolled-back change sends nothing."""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import text

from ops_db.comms.webhooks import add_endpoint, deliver_webhooks
from ops_db.customers.schemas import CustomerIn
from ops_db.customers.service import create_customer
from ops_db.kit.db import admin_engine
from ops_db.kit.errors import Conflict, PermissionDenied, ValidationError
from ops_db.orders import service as orders
from tests.conftest import Shop
from tests.loopback import Loopback, loopback_server


@pytest.fixture
def receiver() -> Iterator[Loopback]:
    with loopback_server() as server:
        yield server


def _verified(secret: str, headers: dict[str, str], body: bytes) -> dict[str, Any]:
    parts = dict(item.split("=", 1) for item in headers["x-repairops-signature"].split(","))
    expected = hmac.new(secret.encode(), parts["t"].encode() + b"." + body, hashlib.sha256).hexdigest()
    assert hmac.compare_digest(expected, parts["v1"])
    event = json.loads(body)
    assert event["id"] == headers["x-repairops-event-id"]
    return dict(event)


def _order(shop: Shop) -> int:
    customer = create_customer(shop.uow(), CustomerIn(name="Wei", email="wei@mail.example"))
    return orders.register_intake(
        shop.uow(), orders.IntakeIn(customer=None, customer_id=customer.id, problem_description="No power")
    ).order_id


def _statuses(shop: Shop) -> list[tuple[str, int]]:
    with admin_engine(shop.url).connect() as conn:
        return [(r[0], r[1]) for r in conn.execute(text("SELECT status, attempts FROM webhook_deliveries ORDER BY id"))]


def test_order_events_arrive_signed_once(shop: Shop, receiver: Loopback) -> None:
    _, secret = add_endpoint(shop.uow(shop.person("admin")), f"http://127.0.0.1:{receiver.port}/hooks")
    order_id = _order(shop)
    orders.transition(shop.uow(), order_id, "diagnostics")
    report = deliver_webhooks(shop.engine, [shop.tenant_id])
    assert (report.sent, report.failed) == (2, 0)
    events = [_verified(secret, r.headers, r.body) for r in receiver.received]
    assert [e["type"] for e in events] == ["order.created", "order.stage_changed"]
    assert events[1]["data"]["to_stage"] == "diagnostics" and events[1]["data"]["order_id"] == order_id
    assert deliver_webhooks(shop.engine, [shop.tenant_id]).sent == 0  # nothing twice
    assert _statuses(shop) == [("sent", 1), ("sent", 1)]


def test_a_failing_receiver_gets_the_event_again_later(shop: Shop, receiver: Loopback) -> None:
    add_endpoint(shop.uow(), f"http://127.0.0.1:{receiver.port}/hooks")
    _order(shop)
    receiver.status = 500
    report = deliver_webhooks(shop.engine, [shop.tenant_id])
    assert report.failed == 1 and "HTTP 500" in report.errors[0]
    assert _statuses(shop) == [("failed", 1)]
    with admin_engine(shop.url).connect() as conn:
        conn.execute(text("UPDATE webhook_deliveries SET not_before = now() - interval '1 second'"))
        conn.commit()
    receiver.status = 204
    assert deliver_webhooks(shop.engine, [shop.tenant_id]).sent == 1
    assert _statuses(shop) == [("sent", 2)]
    first, second = (json.loads(r.body)["id"] for r in receiver.received)
    assert first == second  # the same event id, so the receiver can drop a duplicate


def test_a_refused_change_queues_no_event(shop: Shop, receiver: Loopback) -> None:
    add_endpoint(shop.uow(), f"http://127.0.0.1:{receiver.port}/hooks")
    order_id = _order(shop)
    before = _statuses(shop)
    with pytest.raises(Conflict):
        orders.transition(shop.uow(), order_id, "closed")
    assert _statuses(shop) == before


def test_bad_endpoints_and_the_wrong_person_are_refused(shop: Shop) -> None:
    for url in ("", "ftp://x.example/hook", "https://x.example/" + "a" * 2000, "https://x .example"):
        with pytest.raises(ValidationError, match="http"):
            add_endpoint(shop.uow(), url)
    with pytest.raises(PermissionDenied):
        add_endpoint(shop.uow(shop.person("front_desk")), "https://x.example/hook")
    add_endpoint(shop.uow(), "https://x.example/hook")
    customer = create_customer(shop.uow(), CustomerIn(name="Curious", email="c@mail.example"))
    uow = shop.uow(shop.person("customer", customer_id=customer.id))
    with uow:
        seen = uow.session.execute(text("SELECT count(*) FROM webhook_endpoints")).scalar()
    assert seen == 0  # secrets stay with staff


def test_a_given_up_delivery_is_sent_again_when_the_receiver_is_back(shop: Shop, receiver: Loopback) -> None:
    from datetime import UTC, datetime, timedelta

    from ops_db.comms.delivery import MAX_ATTEMPTS
    from ops_db.comms.webhooks import retry_webhooks

    add_endpoint(shop.uow(), f"http://127.0.0.1:{receiver.port}/hooks")
    _order(shop)
    receiver.status = 503
    now = datetime.now(UTC)
    for hours in range(MAX_ATTEMPTS + 1):
        deliver_webhooks(shop.engine, [shop.tenant_id], now=now + timedelta(hours=7 * hours))
    assert _statuses(shop) == [("dead", MAX_ATTEMPTS)]
    with admin_engine(shop.url).connect() as conn:
        delivery_id = conn.execute(text("SELECT id FROM webhook_deliveries")).scalar_one()
    assert retry_webhooks(shop.uow(), [delivery_id]) == 1
    receiver.status = 204
    assert deliver_webhooks(shop.engine, [shop.tenant_id]).sent == 1
    assert _statuses(shop) == [("sent", 1)]
