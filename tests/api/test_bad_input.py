"""Bad input gets one sentence and changes nothing: the shapes that used to give HTTP 500 (NUL, 1e400, extreme
dates, full-width TOTP digits, non-ASCII tracking codes), business limits on money and quantities, bodies too
large to read (on a real uvicorn server on loopback), and a database that is down (503, the same JSON shape)."""

from __future__ import annotations

import hashlib
import hmac
import json
import socket
import threading
import time
import unicodedata
from collections.abc import Iterator
from decimal import Decimal
from typing import Any
from urllib.parse import parse_qs, urlparse

import pyotp
import pytest
import uvicorn
from fastapi.testclient import TestClient
from sqlalchemy import text

from api.app import create_app
from ops_db.billing import service as billing
from ops_db.billing.stripe_payments import StripeConfig
from ops_db.customers.schemas import CustomerIn
from ops_db.customers.service import create_customer
from ops_db.identity import service as identity
from ops_db.kit.db import admin_engine
from ops_db.kit.uow import UnitOfWork
from ops_db.orders import service as orders
from tests.conftest import Shop, free_port

ADMIN = {"tenant": "acme", "email": "admin@acme.example", "password": "admin-pass-1"}
COUNTED = (
    "service_orders",
    "service_requests",
    "order_lines",
    "customers",
    "technicians",
    "bookings",
    "payments",
    "invoices",
    "audit_log",
)
SECRET = "whsec_bad_input"


@pytest.fixture
def client(shop: Shop) -> Iterator[TestClient]:
    app = create_app(
        shop.url,
        public_burst=1000,
        public_per_second=1000,
        stripe=StripeConfig("sk_test_1", SECRET, "http://127.0.0.1:9"),
    )
    with TestClient(app, raise_server_exceptions=False) as c:
        yield c


@pytest.fixture
def admin(client: TestClient) -> dict[str, str]:
    reply = client.post("/api/v1/auth/token", json=ADMIN)
    assert reply.status_code == 200, reply.text
    return {"Authorization": f"Bearer {reply.json()['access_token']}", "X-Tenant": "acme"}


def _counts(shop: Shop) -> dict[str, int]:
    with admin_engine(shop.url).connect() as conn:
        return {t: conn.execute(text(f"SELECT count(*) FROM {t}")).scalar_one() for t in COUNTED}


def _one_sentence(reply: Any, status: int, code: str | None = None) -> str:
    assert reply.status_code == status, (reply.status_code, reply.text)
    body = reply.json()
    assert set(body) == {"error", "message"}, body
    message = body["message"]
    assert message.endswith(".") and "\n" not in message and len(message) < 300, message
    assert "Traceback" not in message and "psycopg" not in message and "sqlalchemy" not in message, message
    if code:
        assert body["error"] == code, body
    return str(message)


def _open_order(shop: Shop) -> orders.Receipt:
    customer = create_customer(shop.uow(), CustomerIn(name="Ana", email="ana@example.com"))
    return orders.register_intake(
        shop.uow(), orders.IntakeIn(customer=None, customer_id=customer.id, problem_description="Cracked screen")
    )


# ---- NUL ------------------------------------------------------------------------------------------------------


def test_a_nul_character_anywhere_is_one_sentence_and_changes_nothing(
    client: TestClient, admin: dict[str, str], shop: Shop
) -> None:
    receipt = _open_order(shop)
    before = _counts(shop)
    nul = "ac\x00me"
    attempts = [
        client.post("/api/v1/auth/token", json={**ADMIN, "tenant": nul}),
        client.post("/api/v1/auth/token", json={**ADMIN, "email": "admin\x00@acme.example"}),
        client.get("/api/v1/track/RO-1", params={"code": "x", "tenant": nul}),
        client.get(
            f"/api/v1/track/{receipt.order_number}%00", params={"code": receipt.tracking_code, "tenant": "acme"}
        ),
        client.post(
            "/api/v1/requests",
            params={"tenant": nul},
            json={
                "contact_name": "Ana",
                "contact_phone": "+15550001",
                "item_type": "phone",
                "problem_description": "x",
            },
        ),
        client.post(
            "/api/v1/requests",
            headers={"X-Tenant": "acme"},
            json={
                "contact_name": "A\x00na",
                "contact_phone": "+15550001",
                "item_type": "phone",
                "problem_description": "x",
            },
        ),
        client.post("/api/v1/webhooks/stripe/ac%00me", content=b"{}"),
        client.post("/api/v1/customers", headers=admin, json={"name": "Bo\x00b", "email": "bob@example.com"}),
        client.get("/api/v1/customers", headers=admin, params={"q": "a\x00"}),
        client.post("/api/v1/orders", headers=admin, json={"customer_id": 1, "problem_description": "x\x00y"}),
        client.post(
            f"/api/v1/orders/{receipt.order_id}/lines",
            headers=admin,
            json={"kind": "labour", "description": "Fit\x00", "unit_price": "10"},
        ),
        client.post(
            f"/api/v1/orders/{receipt.order_id}/transitions",
            headers=admin,
            json={"to_stage": "on_hold", "reason": "wait\x00"},
        ),
        client.post("/api/v1/technicians", headers=admin, json={"name": "T\x00m", "hourly_cost": "30"}),
        client.put("/api/v1/me/language", headers=admin, json={"locale": "e\x00n"}),
    ]
    for reply in attempts:
        assert "NUL" in _one_sentence(reply, 422, "validation_error")
    assert _counts(shop) == before


def test_a_service_refuses_nul_itself_and_the_database_error_reads_as_a_sentence(shop: Shop) -> None:
    from ops_db.kit.errors import ValidationError

    receipt = _open_order(shop)
    with pytest.raises(ValidationError, match=r"^The note contains a NUL character, which cannot be stored\.$"):
        orders.add_note(shop.uow(), receipt.order_id, "bad\x00note")
    with pytest.raises(ValidationError, match=r"^A text contains a NUL character, which cannot be stored\.$"):
        create_customer(shop.uow(), CustomerIn(name="Nul\x00Name", email="nul@example.com"))  # caught by the database
    from ops_db.kit.errors import NotFound

    with pytest.raises(NotFound):  # the slug lookup takes a NUL for an unknown company
        identity.resolve_tenant(shop.engine, "ac\x00me")


# ---- 1e400 ----------------------------------------------------------------------------------------------------


def _signed(payload: bytes) -> dict[str, str]:
    stamp = int(time.time())
    digest = hmac.new(SECRET.encode(), f"{stamp}.".encode() + payload, hashlib.sha256).hexdigest()
    return {"Stripe-Signature": f"t={stamp},v1={digest}", "Content-Type": "application/json"}


def _stripe_event(shop: Shop, amount: str, tenant: str | None = None, invoice: str = "1") -> bytes:
    session = (
        '{"id": "cs_1", "object": "checkout.session", "payment_status": "paid", "currency": "usd", '
        f'"amount_total": {amount}, "payment_intent": "pi_1", "metadata": {{"tenant_id": '
        f'{tenant or json.dumps(str(shop.tenant_id))}, "invoice_id": {invoice}}}}}'
    )
    return (
        '{"id": "evt_1", "object": "event", "type": "checkout.session.completed", "data": {"object": ' + session + "}}"
    ).encode()


def test_numbers_like_1e400_are_one_sentence_in_bodies_queries_and_signed_webhooks(
    client: TestClient, admin: dict[str, str], shop: Shop
) -> None:
    receipt = _open_order(shop)
    before = _counts(shop)
    as_json = {**admin, "Content-Type": "application/json"}
    line = f"/api/v1/orders/{receipt.order_id}/lines"
    for body in (
        '{"kind": "labour", "description": "x", "unit_price": 1e400}',
        '{"kind": "labour", "description": "x", "unit_price": "1e400"}',
        '{"kind": "labour", "description": "x", "unit_price": 10, "quantity": 1e400}',
        '{"kind": "labour", "description": "x", "unit_price": -1e400}',
        '{"kind": "labour", "description": "x", "unit_price": NaN}',
        '{"kind": "labour", "description": "x", "unit_price": 10, "technician_id": 1e400}',
    ):
        _one_sentence(client.post(line, content=body, headers=as_json), 422, "validation_error")
    for path, body in (
        ("/api/v1/payments", '{"invoice_id": 1, "amount": 1e400, "method": "cash", "idempotency_key": "k-1"}'),
        ("/api/v1/refunds", '{"payment_id": 1e400, "amount": 1, "reason": "x", "idempotency_key": "k-2"}'),
        ("/api/v1/orders", '{"customer_id": 1, "problem_description": "x", "estimated_minutes": 1e400}'),
    ):
        _one_sentence(client.post(path, content=body, headers=as_json), 422, "validation_error")
    for params in ({"limit": "1e400"}, {"customer_id": "1e400"}, {"offset": "-1e400"}):
        _one_sentence(client.get("/api/v1/orders", headers=admin, params=params), 422, "validation_error")
    # A correctly signed Stripe event with 1e400 where whole numbers belong (an infinite float once parsed).
    for event in (
        _stripe_event(shop, "1e400"),
        _stripe_event(shop, "1100", tenant="1e400"),
        _stripe_event(shop, "1100", invoice="1e400"),
        _stripe_event(shop, "NaN"),
    ):
        reply = client.post("/api/v1/webhooks/stripe", content=event, headers=_signed(event))
        _one_sentence(reply, 422, "validation_error")
    assert _counts(shop) == before


# ---- dates ----------------------------------------------------------------------------------------------------


def test_dates_at_the_ends_of_the_calendar_are_one_sentence(
    client: TestClient, admin: dict[str, str], shop: Shop
) -> None:
    receipt = _open_order(shop)
    tech = client.post("/api/v1/technicians", headers=admin, json={"name": "Ana", "hourly_cost": "30"}).json()
    before = _counts(shop)
    for day in ("0001-01-01", "9999-12-31", "1899-12-31", "2200-01-01"):
        _one_sentence(
            client.post(
                "/api/v1/orders",
                headers=admin,
                json={"customer_id": 1, "problem_description": "x", "model_id": 1, "purchase_date": day},
            ),
            422,
        )
        _one_sentence(client.get("/api/v1/bookings", headers=admin, params={"day": day}), 422)
    ok = "2026-03-02T10:00:00+00:00"
    for moment in (
        "0001-01-01T00:00:00+14:00",
        "0001-01-01T00:00:00Z",
        "9999-12-31T23:59:59-12:00",
        "9999-12-31T23:59:59Z",
        "1900-01-01T00:30:00+01:00",
    ):
        for starts, ends in ((moment, ok), (ok, moment)):
            _one_sentence(
                client.post(
                    "/api/v1/bookings",
                    headers=admin,
                    json={
                        "order_id": receipt.order_id,
                        "technician_id": tech["id"],
                        "starts_at": starts,
                        "ends_at": ends,
                    },
                ),
                422,
                "validation_error",
            )
    assert _counts(shop) == before
    # The service refuses them too (the Streamlit pages and the CLI call it directly).
    from datetime import UTC, date, datetime

    from ops_db.kit.errors import ValidationError
    from ops_db.workforce import service as workforce

    with pytest.raises(ValidationError, match="between 1900-01-01 and 2199-12-31"):
        workforce.list_bookings(shop.uow(), day=date(9999, 12, 31))
    with pytest.raises(ValidationError, match="between 1900-01-01 and 2199-12-31"):
        workforce.book(
            shop.uow(), receipt.order_id, tech["id"], datetime(1, 1, 1, tzinfo=UTC), datetime(1, 1, 1, 8, tzinfo=UTC)
        )


# ---- full-width and other non-ASCII codes ---------------------------------------------------------------------


def test_full_width_digits_in_a_totp_code_sign_in_and_other_non_ascii_is_a_wrong_code(
    client: TestClient, shop: Shop
) -> None:
    person = shop.person("manager")
    email = f"manager{shop._users}@acme.example"
    uri = identity.enroll_totp(UnitOfWork(shop.engine, person))
    secret = parse_qs(urlparse(uri).query)["secret"][0]
    identity.confirm_totp(UnitOfWork(shop.engine, person), pyotp.TOTP(secret).now())
    sign_in = {"tenant": "acme", "email": email, "password": "person-pass-1"}
    for wrong in ("１２３４５６", "12345é"):  # two: more failures would lock the account
        if unicodedata.normalize("NFKC", wrong).strip() == pyotp.TOTP(secret).now():
            continue  # a one-in-a-million collision with the real code: skip rather than flake
        _one_sentence(client.post("/api/v1/auth/token", json={**sign_in, "totp": wrong}), 401, "authentication_failed")
    code = pyotp.TOTP(secret).at(time.time() + 30)
    full_width = "".join(chr(ord(d) - ord("0") + ord("０")) for d in code)
    reply = client.post("/api/v1/auth/token", json={**sign_in, "totp": full_width})
    assert reply.status_code == 200, reply.text  # the same digits, typed on a CJK keyboard


def test_a_non_ascii_tracking_code_is_simply_not_found(client: TestClient, admin: dict[str, str], shop: Shop) -> None:
    receipt = _open_order(shop)
    for code in ("ｃｏｄｅ", "код", receipt.tracking_code[:-1] + "é", "🔧" * 16):
        _one_sentence(
            client.get(f"/api/v1/track/{receipt.order_number}", params={"code": code, "tenant": "acme"}),
            404,
            "not_found",
        )
        _one_sentence(
            client.post(
                f"/api/v1/orders/{receipt.order_id}/estimate/decision",
                headers=admin,
                json={"approve": True, "tracking_code": code},
            ),
            404,
            "not_found",
        )
    _one_sentence(client.get("/api/v1/track/ＲＯ－２０２６", params={"code": "x", "tenant": "acme"}), 404)
    # The estimate decision by tracking code (the portal's path) compares bytes too.
    from ops_db.kit.errors import NotFound
    from ops_db.kit.uow import Actor

    with pytest.raises(NotFound):
        orders.decide_estimate(
            UnitOfWork(shop.engine, Actor.public(shop.tenant_id)), receipt.order_id, True, tracking_code="ｃｏｄｅ"
        )


# ---- business limits ------------------------------------------------------------------------------------------


def test_the_reviews_labour_line_and_every_limit_are_refused_with_one_sentence(
    client: TestClient, admin: dict[str, str], shop: Shop
) -> None:
    receipt = _open_order(shop)
    line = f"/api/v1/orders/{receipt.order_id}/lines"
    before = _counts(shop)
    for body in (
        {"kind": "labour", "description": "Labour", "quantity": "100000", "unit_price": "9999999999.99"},
        {"kind": "labour", "description": "Labour", "quantity": "10000.001", "unit_price": "1"},
        {"kind": "labour", "description": "Labour", "quantity": "1", "unit_price": "1000000.01"},
        {"kind": "labour", "description": "Labour", "quantity": "0", "unit_price": "1"},
        {"kind": "labour", "description": "Labour", "quantity": "1.0001", "unit_price": "1"},
    ):
        _one_sentence(client.post(line, headers=admin, json=body), 422, "validation_error")
    # Each within its own limit, but the line would come to more than 10,000,000.00.
    message = _one_sentence(
        client.post(
            line,
            headers=admin,
            json={"kind": "labour", "description": "Labour", "quantity": "10000", "unit_price": "1000000"},
        ),
        422,
    )
    assert message == "A line can come to at most 10,000,000.00; this one comes to 10,000,000,000.00."
    assert _counts(shop) == before
    # Lines that fit one by one, but not together: the order's total before tax is capped too.
    for _ in range(2):
        assert (
            client.post(
                line,
                headers=admin,
                json={"kind": "labour", "description": "Rebuild", "quantity": "5", "unit_price": "1000000"},
            ).status_code
            == 201
        )
    message = _one_sentence(
        client.post(line, headers=admin, json={"kind": "labour", "description": "One more", "unit_price": "0.01"}), 422
    )
    assert message == (
        "An order can come to at most 10,000,000.00 before tax; with this line it would come to 10,000,000.01."
    )
    # And the invoice of the biggest order there can be still fits its columns.
    invoice = billing.create_invoice(shop.uow(), receipt.order_id)
    assert invoice.total == Decimal("11000000.00")  # 10 % tax


# ---- sizes ----------------------------------------------------------------------------------------------------


@pytest.fixture
def served(shop: Shop) -> Iterator[int]:
    """The API on a real uvicorn server on loopback, bodies limited to 1 MB: its port."""
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(
            create_app(shop.url, max_body_bytes=1024 * 1024), host="127.0.0.1", port=port, log_level="warning"
        )
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        assert time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.02)
    yield port
    server.should_exit = True
    thread.join(timeout=10)


HUGE = 265 * 1024 * 1024
HEAD = b"POST /api/v1/requests HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Tenant: acme\r\nContent-Type: application/json\r\n"


def _send_until_answered(port: int, head: bytes, chunks: Iterator[bytes]) -> tuple[int, dict[str, Any], int]:
    """Send a request on a raw socket, reading the answer meanwhile and stopping as soon as it comes: (status,
    JSON body, how many body bytes were sent by then)."""
    answer = bytearray()
    answered = threading.Event()

    def complete() -> bool:
        header, found, body = bytes(answer).partition(b"\r\n\r\n")
        length = next(
            (int(line.split(b":")[1]) for line in header.lower().split(b"\r\n") if line.startswith(b"content-length:")),
            None,
        )
        return bool(found) and length is not None and len(body) >= length

    with socket.create_connection(("127.0.0.1", port), timeout=30) as sock:

        def read() -> None:
            try:
                while not complete() and (chunk := sock.recv(65536)):
                    answer.extend(chunk)
            except OSError:
                pass
            answered.set()

        reader = threading.Thread(target=read, daemon=True)
        reader.start()
        sent = 0
        try:
            sock.sendall(head)
            for chunk in chunks:
                if answer or answered.is_set():
                    break
                sock.sendall(chunk)
                sent += len(chunk)
        except OSError:  # the server answered and closed: the rest is never read
            pass
        assert answered.wait(30), "no answer"
    header, _, body = bytes(answer).partition(b"\r\n\r\n")
    return int(header.split()[1]), json.loads(body), sent


def test_a_huge_announced_body_is_refused_before_it_is_read(served: int) -> None:
    chunks = (b" " * 65536 for _ in range(HUGE // 65536))
    status, body, sent = _send_until_answered(served, HEAD + f"Content-Length: {HUGE}\r\n\r\n".encode(), chunks)
    assert status == 413 and body == {"error": "too_large", "message": "The request is too large: send at most 1 MB."}
    assert sent < 64 * 1024 * 1024, sent  # answered on the announced length; loopback buffers hold a few MB


def test_a_huge_streamed_body_is_refused_once_it_passes_the_limit(served: int) -> None:
    """Sent chunked, with no length to trust: the server counts what arrives and answers 413 past 1 MB."""
    chunks = (b"%x\r\n%s\r\n" % (65536, b" " * 65536) for _ in range(HUGE // 65536))
    status, body, sent = _send_until_answered(served, HEAD + b"Transfer-Encoding: chunked\r\n\r\n", chunks)
    assert status == 413 and body["error"] == "too_large"
    assert 1024 * 1024 < sent < 64 * 1024 * 1024, sent


def test_a_webhook_body_has_its_own_smaller_limit(client: TestClient) -> None:
    reply = client.post(
        "/api/v1/webhooks/stripe",
        content=b"{" + b" " * (600 * 1024) + b"}",
        headers={"Content-Type": "application/json"},
    )
    assert _one_sentence(reply, 413, "too_large") == "The request is too large: send at most 0.5 MB."


# ---- database down --------------------------------------------------------------------------------------------


def test_with_the_database_down_every_call_is_a_503_in_the_documented_shape() -> None:
    port = free_port()  # nobody listens here: a database that is down
    app = create_app(
        f"postgresql+psycopg://repairops@127.0.0.1:{port}/repairops", public_burst=100, public_per_second=100
    )
    with TestClient(app, raise_server_exceptions=False) as down:
        replies = [
            down.post("/api/v1/auth/token", json=ADMIN),
            down.get("/api/v1/track/RO-2026-000001", params={"code": "x" * 16, "tenant": "acme"}),
            down.post(
                "/api/v1/requests",
                headers={"X-Tenant": "acme"},
                json={
                    "contact_name": "Ana",
                    "contact_phone": "+15550001",
                    "item_type": "phone",
                    "problem_description": "x",
                },
            ),
            down.post("/api/v1/webhooks/stripe/acme", content=b"{}"),
        ]
        assert down.get("/health").status_code == 200
    for reply in replies:
        assert _one_sentence(reply, 503, "database_unavailable") == (
            "The database cannot be reached; try again in a minute."
        )
