"""Stripe: a Checkout page for an open invoice, the signed webhook that records the payment once however often
it is delivered, and refunds through the provider. Signatures are real HMAC-SHA256; Stripe's API is a small
loopback server (no card network runs here)."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from collections.abc import Iterator
from decimal import Decimal
from typing import Any
from urllib.parse import parse_qs

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text

from api.app import create_app
from ops_db.billing import service as billing
from ops_db.billing.stripe_payments import StripeConfig, checkout_url, refund_online
from ops_db.customers.schemas import CustomerIn
from ops_db.customers.service import create_customer
from ops_db.kit.db import admin_engine
from ops_db.kit.errors import Conflict, NotFound
from ops_db.orders import service as orders
from tests.conftest import Shop
from tests.loopback import Loopback, loopback_server

SECRET = "whsec_test_secret"


def _stripe_answer(path: str) -> dict[str, Any]:
    """What Stripe's API answers: a Checkout session, or a refund."""
    if path == "/v1/checkout/sessions":
        return {"id": "cs_test_1", "object": "checkout.session", "url": "https://checkout.stripe.test/1"}
    return {"id": "re_test_1", "object": "refund", "status": "succeeded"}


@pytest.fixture
def fake_stripe() -> Iterator[Loopback]:
    with loopback_server() as server:
        server.reply = _stripe_answer
        yield server


def _form(body: bytes) -> dict[str, list[str]]:
    return parse_qs(body.decode())


def _config(fake: Loopback) -> StripeConfig:
    return StripeConfig("sk_test_123", SECRET, fake.base)


def _invoice(
    shop: Shop, name: str = "Зоя Иванова", email: str = "zoya@mail.example", price: str = "100"
) -> tuple[int, int]:
    """A finished repair of ``price`` (plus 10 % tax) for a new customer, invoiced: (customer id, invoice id)."""
    customer = create_customer(shop.uow(), CustomerIn(name=name, email=email))
    receipt = orders.register_intake(
        shop.uow(), orders.IntakeIn(customer=None, customer_id=customer.id, problem_description="Screen")
    )
    orders.transition(shop.uow(), receipt.order_id, "diagnostics")
    orders.add_line(
        shop.uow(), receipt.order_id, orders.LineIn(kind="labour", description="Fit screen", unit_price=Decimal(price))
    )
    orders.send_estimate(shop.uow(), receipt.order_id)
    orders.decide_estimate(shop.uow(), receipt.order_id, True, tracking_code=receipt.tracking_code)
    for stage in ("quality_check", "ready"):
        orders.transition(shop.uow(), receipt.order_id, stage)
    return customer.id, billing.create_invoice(shop.uow(), receipt.order_id).id


def _event(shop: Shop, invoice_id: int, *, event_id: str = "evt_1", intent: str = "pi_1", cents: int = 11000) -> bytes:
    session = {
        "id": "cs_test_1",
        "object": "checkout.session",
        "payment_status": "paid",
        "amount_total": cents,
        "currency": "usd",
        "payment_intent": intent,
        "metadata": {"tenant_id": str(shop.tenant_id), "invoice_id": str(invoice_id)},
    }
    return json.dumps(
        {"id": event_id, "object": "event", "type": "checkout.session.completed", "data": {"object": session}}
    ).encode()


def _sign(payload: bytes, secret: str = SECRET, at: int | None = None) -> str:
    stamp = int(time.time()) if at is None else at
    digest = hmac.new(secret.encode(), f"{stamp}.".encode() + payload, hashlib.sha256).hexdigest()
    return f"t={stamp},v1={digest}"


def _payments(shop: Shop) -> list[tuple[object, ...]]:
    with admin_engine(shop.url).connect() as conn:
        return [
            tuple(r)
            for r in conn.execute(text("SELECT amount, method, provider, provider_reference FROM payments ORDER BY id"))
        ]


def test_pay_now_opens_a_checkout_for_what_is_due(shop: Shop, fake_stripe: Loopback) -> None:
    customer_id, invoice_id = _invoice(shop)
    own = shop.person("customer", customer_id=customer_id)
    url = checkout_url(
        shop.uow(own), _config(fake_stripe), invoice_id, success_url="https://shop/ok", cancel_url="https://shop/back"
    )
    assert url == "https://checkout.stripe.test/1"
    [call] = fake_stripe.received
    form = _form(call.body)
    assert call.path == "/v1/checkout/sessions"
    assert form["line_items[0][price_data][unit_amount]"] == ["11000"]  # 100.00 + 10 % tax, in cents
    assert form["metadata[invoice_id]"] == [str(invoice_id)] and form["mode"] == ["payment"]
    stranger = create_customer(shop.uow(), CustomerIn(name="Other", email="other@mail.example"))
    with pytest.raises(NotFound):
        checkout_url(
            shop.uow(shop.person("customer", customer_id=stranger.id)),
            _config(fake_stripe),
            invoice_id,
            success_url="https://shop/ok",
            cancel_url="https://shop/back",
        )


def test_the_signed_webhook_records_the_payment_once(shop: Shop, fake_stripe: Loopback) -> None:
    _, invoice_id = _invoice(shop)
    payload = _event(shop, invoice_id)
    with TestClient(create_app(shop.url, stripe=_config(fake_stripe))) as client:
        for _ in range(2):  # Stripe retries; a replay must not record a second payment
            reply = client.post(
                "/api/v1/webhooks/stripe", content=payload, headers={"Stripe-Signature": _sign(payload)}
            )
            assert reply.status_code == 200, reply.text
            assert reply.json()["status"].endswith("recorded")
        refused = [
            client.post(
                "/api/v1/webhooks/stripe",
                content=payload.replace(b"11000", b"1"),
                headers={"Stripe-Signature": _sign(payload)},
            ),
            client.post(
                "/api/v1/webhooks/stripe",
                content=payload,
                headers={"Stripe-Signature": _sign(payload, at=int(time.time()) - 3600)},
            ),
            client.post(
                "/api/v1/webhooks/stripe",
                content=payload,
                headers={"Stripe-Signature": _sign(payload, secret="whsec_other")},
            ),
            client.post("/api/v1/webhooks/stripe", content=payload),
        ]
        assert [r.status_code for r in refused] == [403, 403, 403, 403]
        assert all(r.json()["message"] == "The Stripe signature is missing, wrong or too old." for r in refused)
    assert _payments(shop) == [(Decimal("110.00"), "online", "stripe", "pi_1")]
    with admin_engine(shop.url).connect() as conn:
        assert conn.execute(text("SELECT status FROM invoices WHERE id = :i"), {"i": invoice_id}).scalar() == "paid"


def test_a_refund_goes_through_stripe_first(shop: Shop, fake_stripe: Loopback) -> None:
    _, invoice_id = _invoice(shop)
    payload = _event(shop, invoice_id)
    with TestClient(create_app(shop.url, stripe=_config(fake_stripe))) as client:
        client.post("/api/v1/webhooks/stripe", content=payload, headers={"Stripe-Signature": _sign(payload)})
    with admin_engine(shop.url).connect() as conn:
        payment_id = conn.execute(text("SELECT id FROM payments")).scalar_one()
    refund_online(shop.uow(shop.person("finance")), _config(fake_stripe), payment_id, "10.00", "Late", "rf-1")
    [call] = fake_stripe.received
    form = _form(call.body)
    assert call.path == "/v1/refunds" and form["amount"] == ["1000"] and form["payment_intent"] == ["pi_1"]
    with admin_engine(shop.url).connect() as conn:
        row = conn.execute(text("SELECT amount, provider_reference FROM refunds")).one()
    assert tuple(row) == (Decimal("10.00"), "re_test_1")
    _, cash_invoice = _invoice(shop, "Cash Payer", "cash@mail.example", price="50")
    cash = billing.record_payment(shop.uow(), cash_invoice, "50", "cash", "cash-1")
    with pytest.raises(Conflict, match="not made through Stripe"):
        refund_online(shop.uow(), _config(fake_stripe), cash.id, "5", "x", "rf-2")


def test_without_stripe_keys_the_webhook_says_so(shop: Shop) -> None:
    with TestClient(create_app(shop.url)) as client:
        reply = client.post("/api/v1/webhooks/stripe", content=b"{}", headers={"Stripe-Signature": "t=1,v1=x"})
    assert reply.status_code == 409
    assert reply.json()["message"] == "Online payment is not set up on this server."


COMPANY_SECRET = "whsec_companyOwnSecret1"


def test_a_company_takes_payments_into_its_own_stripe_account(shop: Shop, fake_stripe: Loopback) -> None:
    from ops_db.billing.stripe_payments import configure_stripe, stripe_account, stripe_config_for
    from ops_db.kit.errors import PermissionDenied, ValidationError

    admin = shop.person("admin")
    for key, signing, sentence in (
        ("pk_live_123456789", COMPANY_SECRET, "starts with sk_live_"),
        ("sk_live_abcdefgh1234", "secret", "starts with whsec_"),
        ("", "", "starts with sk_live_"),
    ):
        with pytest.raises(ValidationError, match=sentence):
            configure_stripe(shop.uow(admin), key, signing)
    with pytest.raises(PermissionDenied):
        configure_stripe(shop.uow(shop.person("front_desk")), "sk_live_abcdefgh1234", COMPANY_SECRET)
    assert stripe_account(shop.uow(admin)) is None
    assert configure_stripe(shop.uow(admin), " sk_live_abcdefgh1234 ", COMPANY_SECRET) == "sk_live_…1234"
    own = stripe_config_for(shop.engine, shop.tenant_id, _config(fake_stripe))
    assert own is not None and (own.secret_key, own.webhook_secret) == ("sk_live_abcdefgh1234", COMPANY_SECRET)
    with admin_engine(shop.url).connect() as conn:
        stored = conn.execute(text("SELECT secret_key_encrypted, key_hint FROM payment_providers")).one()
        audit = conn.execute(text("SELECT after::text FROM audit_log WHERE action = 'payments.configured'")).scalar()
    assert b"abcdefgh" not in bytes(stored[0]) and "abcdefgh" not in str(audit)  # kept encrypted, never logged
    customer_id, invoice_id = _invoice(shop)
    payer = shop.person("customer", customer_id=customer_id)
    with pytest.raises(PermissionDenied):  # a customer's login cannot see the company's account
        stripe_account(shop.uow(payer))
    payload = _event(shop, invoice_id, intent="pi_own")
    with TestClient(create_app(shop.url, stripe=_config(fake_stripe))) as client:
        server_signed = client.post(
            f"/api/v1/webhooks/stripe/{shop.slug}", content=payload, headers={"Stripe-Signature": _sign(payload)}
        )
        assert server_signed.status_code == 403  # the company's endpoint takes its own account's signature only
        other = Shop(shop.url, slug="other")
        foreign = _event(other, 999, intent="pi_foreign")
        refused = client.post(
            f"/api/v1/webhooks/stripe/{shop.slug}",
            content=foreign,
            headers={"Stripe-Signature": _sign(foreign, COMPANY_SECRET)},
        )
        assert (
            refused.status_code == 403 and refused.json()["message"] == "That payment is for another company's invoice."
        )
        unknown = client.post(
            "/api/v1/webhooks/stripe/nobody",
            content=payload,
            headers={"Stripe-Signature": _sign(payload, COMPANY_SECRET)},
        )
        assert unknown.status_code == 404
        for _ in range(2):
            paid = client.post(
                f"/api/v1/webhooks/stripe/{shop.slug}",
                content=payload,
                headers={"Stripe-Signature": _sign(payload, COMPANY_SECRET)},
            )
            assert paid.status_code == 200, paid.text
    assert _payments(shop) == [(Decimal("110.00"), "online", "stripe", "pi_own")]


def test_the_api_refunds_a_card_payment_through_stripe_and_checks_before_asking(
    shop: Shop, fake_stripe: Loopback
) -> None:
    _, invoice_id = _invoice(shop)
    payload = _event(shop, invoice_id, intent="pi_api")
    shop.person("finance")
    with TestClient(create_app(shop.url, stripe=_config(fake_stripe))) as client:
        client.post("/api/v1/webhooks/stripe", content=payload, headers={"Stripe-Signature": _sign(payload)})
        with admin_engine(shop.url).connect() as conn:
            payment_id = conn.execute(text("SELECT id FROM payments")).scalar_one()
        token = client.post(
            "/api/v1/auth/token",
            json={"tenant": "acme", "email": f"finance{shop._users}@acme.example", "password": "person-pass-1"},
        ).json()["access_token"]
        headers = {"Authorization": f"Bearer {token}"}
        too_much = client.post(
            "/api/v1/refunds",
            headers=headers,
            json={"payment_id": payment_id, "amount": "110.01", "reason": "x", "idempotency_key": "rf-api-0"},
        )
        assert too_much.status_code == 409 and fake_stripe.received == []  # refused before Stripe is asked
        done = client.post(
            "/api/v1/refunds",
            headers=headers,
            json={"payment_id": payment_id, "amount": "20.00", "reason": "Late", "idempotency_key": "rf-api-1"},
        )
        assert done.status_code == 201, done.text
    [call] = fake_stripe.received
    assert call.path == "/v1/refunds" and _form(call.body)["amount"] == ["2000"]
    assert call.headers["idempotency-key"] == "rf-api-1"
