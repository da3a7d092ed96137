"""Online payments in the UI (AppTest, real Postgres, Stripe's API as a loopback server): an admin gives the
company its own Stripe account; a customer's Pay now opens a Checkout page on that account; finance refunds a
card payment back through Stripe from Billing. The server itself has no Stripe keys here, so everything that
works, works through the company's own account."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import pytest
from sqlalchemy import text
from streamlit.testing.v1 import AppTest

from ops_db.billing.service import record_payment
from ops_db.identity.service import authenticate, create_user, resolve_tenant
from ops_db.kit import db
from ops_db.kit.uow import Actor, UnitOfWork
from ops_db.settings import get_settings
from tests.dashboards.conftest import APP, signed_in
from tests.loopback import Loopback, loopback_server

COMPANY_KEY = "sk_test_riversideOwn1234"


def _stripe_answer(path: str) -> dict[str, Any]:
    if path == "/v1/checkout/sessions":
        return {"id": "cs_test_9", "object": "checkout.session", "url": "https://checkout.stripe.test/riverside"}
    return {"id": "re_test_9", "object": "refund", "status": "succeeded"}


@pytest.fixture(scope="module")
def fake_stripe(ops_env: Path) -> Iterator[Loopback]:
    """Stripe's API on loopback, where this process's RepairOps sends its Stripe calls."""
    with loopback_server() as server:
        server.reply = _stripe_answer
        patch = pytest.MonkeyPatch()
        patch.setenv("REPAIROPS_STRIPE_API_BASE", server.base)
        patch.delenv("REPAIROPS_STRIPE_SECRET_KEY", raising=False)
        get_settings.cache_clear()
        yield server
        patch.undo()
        get_settings.cache_clear()


def _one(demo_db: str, sql: str, **params: Any) -> Any:
    with db.admin_engine(demo_db).connect() as conn:
        return conn.execute(text(sql), params).first()


def _system(demo_db: str) -> UnitOfWork:
    engine = db.app_engine(demo_db)
    return UnitOfWork(engine, Actor.system(resolve_tenant(engine, "riverside")))


def _configure_through_admin(demo_db: str) -> None:
    app = signed_in(demo_db, "admin@riverside.example")
    app.switch_page("app_pages/admin.py").run()
    app.text_input(key="stripe_key").input("pk_test_notASecretKey")
    app.text_input(key="stripe_signing").input("whsec_riversideSigning1")
    app.button(key="stripe_submit").click().run()
    assert [e.value for e in app.error] == [
        "A Stripe secret key starts with sk_live_ or sk_test_ (rk_ for a restricted key)."
    ]
    assert _one(demo_db, "SELECT count(*) FROM payment_providers")[0] == 0
    app.text_input(key="stripe_key").input(COMPANY_KEY)
    app.button(key="stripe_submit").click().run()
    assert not app.exception and not app.error, [e.value for e in app.error]
    assert "`sk_test_…1234` (active)" in " ".join(c.value for c in app.caption)


def test_the_company_account_takes_pay_now_and_card_refunds(fake_stripe: Loopback, demo_db: str) -> None:
    _configure_through_admin(demo_db)

    # A customer with an open invoice signs in and pays online.
    invoice_id, customer_id, order_number, due = _one(
        demo_db,
        (
            "SELECT i.id, i.customer_id, o.order_number, i.total FROM invoices i JOIN service_orders"
            " o ON o.id = i.order_id"
            " WHERE i.status = 'issued' AND NOT EXISTS (SELECT 1 FROM payments p WHERE p.invoice_id = i.id)"
            " AND NOT EXISTS (SELECT 1 FROM credit_notes n WHERE n.invoice_id = i.id) ORDER BY i.id LIMIT 1"
        ),
    )
    email = f"payer-{uuid.uuid4().hex[:6]}@mail.example"
    create_user(_system(demo_db), email, "Paying Customer", "payer-pass-1", ["customer"], customer_id=customer_id)
    engine = db.app_engine(demo_db)
    app = AppTest.from_file(APP, default_timeout=120)
    app.session_state["actor"] = authenticate(engine, resolve_tenant(engine, "riverside"), email, "payer-pass-1").actor
    app.run()
    app.selectbox(key="portal_order").select(order_number).run()
    app.button(key="portal_pay").click().run()
    assert not app.exception and not app.error, [e.value for e in app.error]
    assert [b.proto.url for b in app.link_button] == ["https://checkout.stripe.test/riverside"]
    [checkout] = fake_stripe.received
    assert checkout.headers["authorization"] == f"Bearer {COMPANY_KEY}"  # the company's account, not the server's
    assert parse_qs(checkout.body.decode())["line_items[0][price_data][unit_amount]"] == [str(int(due * 100))]

    # Stripe's webhook recorded the payment (as the API would); finance refunds part of it from Billing.
    payment = record_payment(
        _system(demo_db),
        invoice_id,
        str(due),
        "online",
        "stripe:pi_riverside_1",
        provider="stripe",
        provider_reference="pi_riverside_1",
    )
    finance = signed_in(demo_db, "finance@riverside.example")
    finance.switch_page("app_pages/billing.py").run()
    finance.session_state["billing_tab"] = "Payments"  # only the open tab is drawn, as a click opens it
    finance.run()
    number = _one(demo_db, "SELECT invoice_number FROM invoices WHERE id = :i", i=invoice_id)[0]
    finance.text_input(key="refund_search").input(number).run()
    finance.selectbox(key="refund_payment").select(payment.id).run()
    assert any("through Stripe" in c.value for c in finance.caption)
    finance.text_input(key="refund_amount").input("5.00")
    finance.text_input(key="refund_reason").input("Late by a day")
    finance.button(key="refund_submit").click().run()
    assert not finance.exception and not finance.error, [e.value for e in finance.error]
    refund_call = fake_stripe.received[-1]
    form = parse_qs(refund_call.body.decode())
    assert refund_call.path == "/v1/refunds" and form["payment_intent"] == ["pi_riverside_1"]
    assert form["amount"] == ["500"] and refund_call.headers["authorization"] == f"Bearer {COMPANY_KEY}"
    assert tuple(
        _one(demo_db, "SELECT amount, provider_reference FROM refunds WHERE payment_id = :p", p=payment.id)
    ) == (Decimal("5.00"), "re_test_9")


def test_a_card_refund_over_what_remains_never_reaches_stripe(fake_stripe: Loopback, demo_db: str) -> None:
    invoice_id, total = _one(
        demo_db,
        "SELECT id, total FROM invoices WHERE status = 'issued' AND NOT EXISTS ("
        "SELECT 1 FROM payments p WHERE p.invoice_id = invoices.id) ORDER BY id DESC "
        "LIMIT 1",
    )
    payment = record_payment(
        _system(demo_db),
        invoice_id,
        str(total),
        "online",
        "stripe:pi_riverside_2",
        provider="stripe",
        provider_reference="pi_riverside_2",
    )
    calls = len(fake_stripe.received)
    finance = signed_in(demo_db, "finance@riverside.example")
    finance.switch_page("app_pages/billing.py").run()
    finance.session_state["billing_tab"] = "Payments"  # only the open tab is drawn, as a click opens it
    finance.run()
    number = _one(demo_db, "SELECT invoice_number FROM invoices WHERE id = :i", i=invoice_id)[0]
    finance.text_input(key="refund_search").input(number).run()
    finance.selectbox(key="refund_payment").select(payment.id).run()
    finance.text_input(key="refund_amount").input(str(total + 1))
    finance.text_input(key="refund_reason").input("Too much")
    finance.button(key="refund_submit").click().run()
    assert [e.value for e in finance.error] == [
        f"A refund cannot exceed what was paid: at most {total} remains of this payment."
    ]
    assert len(fake_stripe.received) == calls  # Stripe was never asked
    assert _one(demo_db, "SELECT count(*) FROM refunds WHERE payment_id = :p", p=payment.id)[0] == 0
