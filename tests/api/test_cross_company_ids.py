"""Another company's ids, sent through the API, answer exactly like ids that exist nowhere: 404 with the same
sentence, never 201, so the answer tells nobody which ids exist at another company, and nothing is written."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text

from api.app import create_app
from tests.companies import Company, build, system
from tests.conftest import Shop


@pytest.fixture
def client(shop: Shop) -> Iterator[TestClient]:
    with TestClient(create_app(shop.url, public_burst=1000, public_per_second=1000)) as c:
        yield c


SOON = datetime(2031, 3, 4, 10, tzinfo=UTC)
LABOUR: dict[str, Any] = {"kind": "labour", "description": "Work", "unit_price": "10"}
Request = tuple[str, str, dict[str, Any] | None]  # method, path, JSON body


def _booking(order: int, technician: int) -> dict[str, Any]:
    return {
        "order_id": order,
        "technician_id": technician,
        "starts_at": SOON.isoformat(),
        "ends_at": (SOON + timedelta(hours=1)).isoformat(),
    }


# Each probe: which of the other company's ids it sends, and the request that carries an id (ours around it).
PROBES: dict[str, tuple[Callable[[Company], int], Callable[[Company, int], Request]]] = {
    "line technician": (
        lambda c: c.technician,
        lambda ours, i: ("POST", f"/api/v1/orders/{ours.order}/lines", {**LABOUR, "technician_id": i}),
    ),
    "line part": (
        lambda c: c.part,
        lambda ours, i: ("POST", f"/api/v1/orders/{ours.order}/lines", {"kind": "part", "part_id": i}),
    ),
    "line service": (
        lambda c: c.service,
        lambda ours, i: ("POST", f"/api/v1/orders/{ours.order}/lines", {"kind": "service", "service_item_id": i}),
    ),
    # Ids on a line whose kind does not use them are looked up all the same.
    "labour line part": (
        lambda c: c.part,
        lambda ours, i: ("POST", f"/api/v1/orders/{ours.order}/lines", {**LABOUR, "part_id": i}),
    ),
    "labour line service": (
        lambda c: c.service,
        lambda ours, i: ("POST", f"/api/v1/orders/{ours.order}/lines", {**LABOUR, "service_item_id": i}),
    ),
    "line on their order": (lambda c: c.order, lambda ours, i: ("POST", f"/api/v1/orders/{i}/lines", LABOUR)),
    "line on their paid order": (
        lambda c: c.invoiced_order,
        lambda ours, i: ("POST", f"/api/v1/orders/{i}/lines", LABOUR),
    ),
    "booking technician": (
        lambda c: c.technician,
        lambda ours, i: ("POST", "/api/v1/bookings", _booking(ours.order, i)),
    ),
    "booking order": (lambda c: c.order, lambda ours, i: ("POST", "/api/v1/bookings", _booking(i, ours.technician))),
    "reservation part": (
        lambda c: c.part,
        lambda ours, i: (
            "POST",
            f"/api/v1/orders/{ours.order}/parts",
            {"action": "reserve", "part_id": i, "quantity": "1"},
        ),
    ),
    "reservation location": (
        lambda c: c.location,
        lambda ours, i: (
            "POST",
            f"/api/v1/orders/{ours.order}/parts",
            {"action": "reserve", "part_id": ours.part, "quantity": "1", "location_id": i},
        ),
    ),
    "intake customer": (
        lambda c: c.customer,
        lambda ours, i: ("POST", "/api/v1/orders", {"customer_id": i, "problem_description": "x"}),
    ),
    "intake device": (
        lambda c: c.equipment,
        lambda ours, i: (
            "POST",
            "/api/v1/orders",
            {"customer_id": ours.customer, "equipment_id": i, "problem_description": "x"},
        ),
    ),
    "intake model": (
        lambda c: c.model,
        lambda ours, i: (
            "POST",
            "/api/v1/orders",
            {"customer_id": ours.customer, "model_id": i, "problem_description": "x"},
        ),
    ),
    "invoice order": (lambda c: c.order, lambda ours, i: ("POST", "/api/v1/invoices", {"order_id": i})),
    "payment invoice": (
        lambda c: c.invoice,
        lambda ours, i: (
            "POST",
            "/api/v1/payments",
            {"invoice_id": i, "amount": "1", "method": "cash", "idempotency_key": f"probe-{i}"},
        ),
    ),
    "refund payment": (
        lambda c: c.payment,
        lambda ours, i: (
            "POST",
            "/api/v1/refunds",
            {"payment_id": i, "amount": "1", "reason": "probe", "idempotency_key": f"probe-{i}"},
        ),
    ),
    "read order": (lambda c: c.order, lambda ours, i: ("GET", f"/api/v1/orders/{i}", None)),
    "read customer": (lambda c: c.customer, lambda ours, i: ("GET", f"/api/v1/customers/{i}", None)),
    "read invoice": (lambda c: c.invoice, lambda ours, i: ("GET", f"/api/v1/invoices/{i}", None)),
}


def _counts(shop: Shop) -> dict[str, int]:
    tables = ("order_lines", "bookings", "stock_reservations", "service_orders", "invoices", "payments", "refunds")
    with system(shop) as uow:
        return {t: uow.session.execute(text(f"SELECT count(*) FROM {t}")).scalar_one() for t in tables}


def test_another_companys_ids_answer_like_ids_that_exist_nowhere(client: TestClient, shop: Shop) -> None:
    ours, theirs = build(shop), build(Shop(shop.url, slug="globex"))
    reply = client.post(
        "/api/v1/auth/token", json={"tenant": "acme", "email": "admin@acme.example", "password": "admin-pass-1"}
    )
    admin = {"Authorization": f"Bearer {reply.json()['access_token']}"}
    nowhere = 10**12  # no company has a row with this id
    before = _counts(shop)
    for case, (pick, probe) in PROBES.items():
        answers = []
        for probed in (pick(theirs), nowhere):
            method, path, body = probe(ours, probed)
            answer = client.request(method, path, json=body, headers=admin)
            answers.append(
                (answer.status_code, answer.json()["error"], answer.json()["message"].replace(str(probed), "<id>"))
            )
        assert answers[0] == answers[1], case
        status, _, message = answers[0]
        assert status == 404 and ("does not exist." in message or "does not belong" in message), (case, message)
    assert _counts(shop) == before  # nothing was written for any of them


def test_a_line_names_the_missing_thing_in_one_sentence(client: TestClient, shop: Shop) -> None:
    ours, theirs = build(shop), build(Shop(shop.url, slug="globex"))
    reply = client.post(
        "/api/v1/auth/token", json={"tenant": "acme", "email": "admin@acme.example", "password": "admin-pass-1"}
    )
    admin = {"Authorization": f"Bearer {reply.json()['access_token']}"}
    lines = f"/api/v1/orders/{ours.order}/lines"
    sentences = {
        "technician_id": (theirs.technician, "Technician {} does not exist."),
        "part_id": (theirs.part, "Part {} does not exist."),
        "service_item_id": (theirs.service, "Service {} does not exist."),
    }
    for field, (foreign, sentence) in sentences.items():
        answer = client.post(lines, headers=admin, json={**LABOUR, field: foreign})
        assert (answer.status_code, answer.json()) == (404, {"error": "not_found", "message": sentence.format(foreign)})
    # Our own technician, part and service are taken as before.
    for body in (
        {**LABOUR, "technician_id": ours.technician},
        {"kind": "part", "part_id": ours.part},
        {"kind": "service", "service_item_id": ours.service},
    ):
        assert client.post(lines, headers=admin, json=body).status_code == 201
