"""What the API promises in OpenAPI: every answer has a declared, typed shape; inputs take their enums from the
models; and a page's ``total`` counts every matching row, not just the rows of the page."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text

from api.app import create_app
from ops_db.billing.models import InvoiceStatus, PaymentMethod
from ops_db.customers.models import CustomerKind
from ops_db.customers.schemas import CustomerIn
from ops_db.customers.service import create_customer
from ops_db.inventory import service as inventory
from ops_db.orders import service as orders
from ops_db.workforce import service as workforce
from ops_db.workforce.schemas import TechnicianIn
from tests.conftest import Shop

ADMIN = {"tenant": "acme", "email": "admin@acme.example", "password": "admin-pass-1"}


@pytest.fixture
def client(shop: Shop) -> Iterator[TestClient]:
    with TestClient(create_app(shop.url, public_burst=1000, public_per_second=1000)) as c:
        yield c


@pytest.fixture
def admin(client: TestClient) -> dict[str, str]:
    reply = client.post("/api/v1/auth/token", json=ADMIN)
    assert reply.status_code == 200, reply.text
    return {"Authorization": f"Bearer {reply.json()['access_token']}"}


def _resolve(spec: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        schema = spec["components"]["schemas"][schema["$ref"].rsplit("/", 1)[-1]]
    return schema


def _typed(spec: dict[str, Any], schema: dict[str, Any]) -> bool:
    """An object with named properties (or a list of such), not ``{}`` or a free-form object."""
    schema = _resolve(spec, schema)
    if schema.get("type") == "array":
        return _typed(spec, schema.get("items", {}))
    return schema.get("type") == "object" and bool(schema.get("properties"))


def test_every_route_declares_a_typed_success_response() -> None:
    spec = create_app("postgresql+psycopg://nobody@127.0.0.1:1/none").openapi()
    untyped, operations = [], 0
    for path, methods in spec["paths"].items():
        for method, operation in methods.items():
            operations += 1
            success = {code: r for code, r in operation["responses"].items() if code.startswith("2")}
            assert success, f"{method.upper()} {path} declares no success response"
            for code, response in success.items():
                if code == "204":
                    assert "content" not in response, f"{method.upper()} {path}: a 204 has no body"
                    continue
                schema = response.get("content", {}).get("application/json", {}).get("schema", {})
                if not _typed(spec, schema):
                    untyped.append(f"{method.upper()} {path} {code}: {schema}")
    assert operations >= 30
    assert untyped == []


def test_input_enums_are_the_models_enums() -> None:
    spec = create_app("postgresql+psycopg://nobody@127.0.0.1:1/none").openapi()
    schemas = spec["components"]["schemas"]

    def enum_of(model: str, field: str) -> list[str]:
        prop = schemas[model]["properties"][field]
        options = [_resolve(spec, p) for p in prop.get("anyOf", [prop])]
        return next(o["enum"] for o in options if "enum" in o)

    assert enum_of("CustomerIn", "kind") == [k.value for k in CustomerKind]
    assert enum_of("PaymentIn", "method") == [m.value for m in PaymentMethod]
    status = next(p for p in spec["paths"]["/api/v1/invoices"]["get"]["parameters"] if p["name"] == "status")
    options = [_resolve(spec, s) for s in status["schema"]["anyOf"]]
    assert next(o["enum"] for o in options if "enum" in o) == [s.value for s in InvoiceStatus]


def test_stock_total_counts_every_matching_row_not_the_page(
    client: TestClient, admin: dict[str, str], shop: Shop
) -> None:
    with shop.uow() as uow:
        location: int = uow.session.execute(text("SELECT id FROM stock_locations WHERE code = 'WH1'")).scalar_one()
    parts = [
        inventory.create_part(shop.uow(), f"P-{n}", f"Part {n}", unit_cost="1", sale_price="2").id for n in range(3)
    ]
    for part in parts:
        inventory.adjust(shop.uow(), part, location, 5, "count")
    first = client.get("/api/v1/stock", headers=admin, params={"limit": 1}).json()
    assert (len(first["items"]), first["total"], first["limit"]) == (1, 3, 1)
    beyond = client.get("/api/v1/stock", headers=admin, params={"limit": 2, "offset": 2}).json()
    assert (len(beyond["items"]), beyond["total"]) == (1, 3)
    one = client.get("/api/v1/stock", headers=admin, params={"part_id": parts[1], "limit": 1}).json()
    assert one["total"] == 1 and one["items"][0]["part_id"] == parts[1]
    assert one["items"][0]["quantity"] == 5 and one["items"][0]["free"] == 5  # numbers, as before


def test_bookings_total_counts_every_matching_row_not_the_page(
    client: TestClient, admin: dict[str, str], shop: Shop
) -> None:
    ana = workforce.create_technician(shop.uow(), TechnicianIn(name="Ana", hourly_cost=Decimal(30)))
    bo = workforce.create_technician(shop.uow(), TechnicianIn(name="Bo", hourly_cost=Decimal(30)))
    customer = create_customer(shop.uow(), CustomerIn(name="Eve", email="eve@example.com"))
    order = orders.register_intake(
        shop.uow(), orders.IntakeIn(customer=None, customer_id=customer.id, problem_description="Broken")
    ).order_id
    start = datetime(2090, 3, 6, 9, tzinfo=UTC)  # a fixed day far ahead: the test does not depend on today
    for n, tech in enumerate((ana, ana, ana, bo)):
        workforce.book(shop.uow(), order, tech.id, start + timedelta(hours=2 * n), start + timedelta(hours=2 * n + 1))
    page = client.get("/api/v1/bookings", headers=admin, params={"limit": 2}).json()
    assert (len(page["items"]), page["total"]) == (2, 4)
    theirs = client.get("/api/v1/bookings", headers=admin, params={"technician_id": ana.id, "limit": 1}).json()
    assert (len(theirs["items"]), theirs["total"]) == (1, 3)
    assert theirs["items"][0]["start"] == start.isoformat()  # moments keep their +00:00, as before
