"""The ``Idempotency-Key`` header over real HTTP and real Postgres: a POST sent again with its key acts once and
gets the first answer (also when the copies arrive at the same instant); another body with the same key is refused;
a refused POST claims nothing; without a key every POST acts."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text

from api.app import create_app
from tests.conftest import Shop

INTAKE = {"customer": {"name": "Kim Key", "email": "kim@example.com"}, "problem_description": "No sound"}
REQUEST = {"contact_name": "Pat", "contact_email": "pat@example.com", "item_type": "phone", "problem_description": "x"}


@pytest.fixture
def client(shop: Shop) -> Iterator[TestClient]:
    with TestClient(create_app(shop.url, public_burst=1000, public_per_second=1000)) as c:
        yield c


@pytest.fixture
def admin(client: TestClient) -> dict[str, str]:
    reply = client.post(
        "/api/v1/auth/token", json={"tenant": "acme", "email": "admin@acme.example", "password": "admin-pass-1"}
    )
    assert reply.status_code == 200, reply.text
    return {"Authorization": f"Bearer {reply.json()['access_token']}"}


def _orders(shop: Shop) -> int:
    with shop.uow() as uow:
        return int(uow.session.execute(text("SELECT count(*) FROM service_orders")).scalar_one())


def test_an_order_posted_twice_with_its_key_is_opened_once_and_answered_alike(
    client: TestClient, shop: Shop, admin: dict[str, str]
) -> None:
    keyed = {**admin, "Idempotency-Key": "intake-7f3a"}
    first = client.post("/api/v1/orders", headers=keyed, json=INTAKE)
    again = client.post("/api/v1/orders", headers=keyed, json=INTAKE)
    assert first.status_code == again.status_code == 201, (first.text, again.text)
    assert again.json() == first.json()
    assert again.headers.get("idempotent-replayed") == "true" and "idempotent-replayed" not in first.headers
    assert _orders(shop) == 1
    other_body = client.post("/api/v1/orders", headers=keyed, json={**INTAKE, "problem_description": "Other"})
    assert other_body.status_code == 409, other_body.text
    assert other_body.json()["error"] == "conflict"
    assert _orders(shop) == 1
    # Without a key each POST is a new one, as before.
    client.post("/api/v1/orders", headers=admin, json=INTAKE)
    client.post("/api/v1/orders", headers=admin, json=INTAKE)
    assert _orders(shop) == 3


def test_copies_of_a_post_arriving_at_the_same_instant_open_one_order(
    client: TestClient, shop: Shop, admin: dict[str, str]
) -> None:
    gate = threading.Barrier(6)

    def post(_: int) -> Any:
        gate.wait()
        return client.post("/api/v1/orders", headers={**admin, "Idempotency-Key": "race-1"}, json=INTAKE)

    with ThreadPoolExecutor(6) as pool:
        replies = list(pool.map(post, range(6)))
    assert _orders(shop) == 1
    created = [r for r in replies if r.status_code == 201]
    assert created, [r.text for r in replies]
    assert {r.json()["order_id"] for r in created} == {created[0].json()["order_id"]}
    # A copy that found the first still being answered is told so (409), never given another order.
    assert all(r.status_code in (201, 409) for r in replies), [r.text for r in replies]


def test_a_portal_request_posted_twice_with_its_key_is_one_request(client: TestClient, shop: Shop) -> None:
    headers = {"X-Tenant": "acme", "Idempotency-Key": "portal-1"}
    first = client.post("/api/v1/requests", headers=headers, json=REQUEST)
    again = client.post("/api/v1/requests", headers=headers, json=REQUEST)
    assert first.status_code == again.status_code == 201, (first.text, again.text)
    assert again.json() == first.json()
    with shop.uow() as uow:
        assert uow.session.execute(text("SELECT count(*) FROM service_requests")).scalar_one() == 1


def test_a_refused_post_claims_nothing_so_it_can_be_sent_again(
    client: TestClient, shop: Shop, admin: dict[str, str]
) -> None:
    keyed = {**admin, "Idempotency-Key": "fix-and-retry"}
    refused = client.post("/api/v1/orders", headers=keyed, json={**INTAKE, "customer_id": 999999, "customer": None})
    assert refused.status_code == 404, refused.text
    accepted = client.post("/api/v1/orders", headers=keyed, json=INTAKE)
    assert accepted.status_code == 201, accepted.text
    assert _orders(shop) == 1
    too_long = client.post("/api/v1/orders", headers={**admin, "Idempotency-Key": "k" * 129}, json=INTAKE)
    assert too_long.status_code == 422 and _orders(shop) == 1
