"""Schemathesis drives every operation of /openapi.json with generated valid and invalid input.

The API runs on a real database holding a small shop (an order, a part in stock, an invoice), and every
request is signed in as the admin, so generated ids sometimes hit real rows. Each operation gets a session of its
own: the fuzzed sign-out, sign-out-everywhere and password calls end sessions, which must not turn every later
operation into a 401. The schema declares enums and the
business limits of decimals and dates, so valid bodies are meaningful ones. No response may be a 5xx, and every
response must match the documented schema and status codes. Slow (``-m slow``): a bounded number of examples
per operation and mode keeps the whole run near a minute and a half on two cores; every failure is listed at
the end, by operation.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import replace
from decimal import Decimal
from typing import Any

import pytest
import schemathesis
from fastapi import FastAPI
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis.checks import not_a_server_error
from schemathesis.core.result import Ok
from schemathesis.generation import GenerationMode
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from sqlalchemy import Engine

from api.app import create_app
from ops_db import migrate
from ops_db.billing import service as billing
from ops_db.customers.schemas import CustomerIn
from ops_db.identity import sessions
from ops_db.inventory import service as inventory
from ops_db.kit.uow import Actor
from ops_db.orders import service as orders
from tests.conftest import Shop, _temporary_database

pytestmark = pytest.mark.slow
EXAMPLES = 20  # per operation and generation mode
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]


@pytest.fixture(scope="module")
def api_app(server_url: str) -> Iterator[tuple[FastAPI, Callable[[], dict[str, str]]]]:
    for url in _temporary_database(server_url):
        migrate.upgrade(url)
        shop = Shop(url)
        receipt = orders.register_intake(
            shop.uow(),
            orders.IntakeIn(
                customer=CustomerIn(name="Ana", email="ana@example.com"), problem_description="Broken hinge"
            ),
        )
        part = inventory.create_part(shop.uow(), "HNG-1", "Hinge", unit_cost="4", sale_price="12")
        inventory.adjust(shop.uow(), part.id, 1, 50, "count")
        orders.add_line(
            shop.uow(), receipt.order_id, orders.LineIn(kind="labour", description="Fix", unit_price=Decimal("20"))
        )
        billing.create_invoice(shop.uow(), receipt.order_id)
        app = create_app(url, public_burst=100_000, public_per_second=100_000)
        with TestClient(app) as client:  # the admin's first session comes through the sign-in endpoint itself
            token = client.post(
                "/api/v1/auth/token", json={"tenant": "acme", "email": "admin@acme.example", "password": "admin-pass-1"}
            ).json()
        admin = sessions.verify_token(shop.engine, token["access_token"])

        def signed_in(engine: Engine = shop.engine, person: Actor = admin) -> dict[str, str]:
            # A new session for the same admin, opened by the service sign-in uses (no password: the fuzzer's
            # failed sign-ins from this client would otherwise slow the next one down).
            access = sessions.open_session(engine, replace(person, session_id=None)).token
            return {"Authorization": f"Bearer {access}", "X-Tenant": "acme"}

        yield app, signed_in


def _exercise(operation: Any, mode: GenerationMode, headers: dict[str, str]) -> None:
    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(
        max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck), database=None, derandomize=True
    )
    def run(case: Any) -> None:
        sent = dict(headers)
        if case.headers and "authorization" in {k.lower() for k in case.headers}:
            sent.pop("Authorization")  # let generated (bad) credentials through
        case.call_and_validate(headers=sent, checks=CHECKS)

    run()


@pytest.mark.parametrize("mode", list(GenerationMode), ids=lambda m: m.value)
def test_no_server_errors_and_responses_match_the_schema(
    api_app: tuple[FastAPI, Callable[[], dict[str, str]]],
    mode: GenerationMode,
) -> None:
    app, signed_in = api_app
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    operations = []
    for result in schema.get_all_operations():
        assert isinstance(result, Ok), result  # every route's schema loads
        operations.append(result.ok())
    assert len(operations) >= 30
    failures: list[str] = []
    for operation in operations:
        try:
            _exercise(operation, mode, signed_in())
        except Unsatisfiable:
            # Nothing about this operation can be made invalid (no parameters, no body): nothing to send.
            if mode is not GenerationMode.NEGATIVE:
                failures.append(f"{operation.method.upper()} {operation.path}: no valid input can be generated")
        except Exception as exc:  # every operation runs; the failures are named together at the end
            failures.append(f"{operation.method.upper()} {operation.path}: {str(exc).strip()[:2000]}")
    assert not failures, f"{len(failures)} of {len(operations)} operations failed ({mode.value}):\n" + "\n\n".join(
        failures
    )
