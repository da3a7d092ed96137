"""Least privilege over real HTTP (issue 17, section 2): a customer cannot record money as received, a read-only
auditor cannot approve an estimate nor send a document, each role reads only what its job needs, and an
anonymous portal request never joins an existing customer's account."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text

from api.app import create_app
from dashboards.data.orders import requests_to_link
from ops_db.billing import service as billing
from ops_db.customers.schemas import CustomerIn
from ops_db.customers.service import create_customer
from ops_db.documents.send import send_document
from ops_db.kit.db import admin_engine
from ops_db.kit.errors import PermissionDenied
from ops_db.kit.uow import Actor, UnitOfWork
from ops_db.orders import service as orders
from tests.conftest import Shop

ADMIN = {"tenant": "acme", "email": "admin@acme.example", "password": "admin-pass-1"}


@pytest.fixture
def client(shop: Shop) -> Iterator[TestClient]:
    with TestClient(create_app(shop.url, public_burst=1000, public_per_second=1000)) as c:
        yield c


def _login(client: TestClient, shop: Shop, role: str, **links: int) -> dict[str, str]:
    """A new person of ``role`` (linked to a customer or technician), signed in over the API."""
    shop.person(role, **links)
    reply = client.post(
        "/api/v1/auth/token",
        json={"tenant": shop.slug, "email": f"{role}{shop._users}@acme.example", "password": "person-pass-1"},
    )
    assert reply.status_code == 200, reply.text
    return {"Authorization": f"Bearer {reply.json()['access_token']}"}


def _refused(reply: Any) -> None:
    assert reply.status_code == 403, reply.text
    body = reply.json()
    assert body["error"] == "permission_denied" and body["message"].endswith(".")


def _customer_with_invoice(shop: Shop, email: str) -> tuple[int, int]:
    """A customer whose finished repair is invoiced: (customer id, invoice id)."""
    customer = create_customer(shop.uow(), CustomerIn(name="Zoya", email=email))
    receipt = orders.register_intake(
        shop.uow(),
        orders.IntakeIn(customer=None, customer_id=customer.id, problem_description="Screen"),
    )
    orders.add_line(
        shop.uow(),
        receipt.order_id,
        orders.LineIn(kind="labour", description="Fit", unit_price=Decimal("100")),
    )
    for stage in ("diagnostics", "repair", "quality_check", "ready"):
        orders.transition(shop.uow(), receipt.order_id, stage)
    invoice = billing.create_invoice(shop.uow(), receipt.order_id)
    return customer.id, invoice.id


def _order_waiting_for_approval(shop: Shop, email: str) -> orders.Receipt:
    customer = create_customer(shop.uow(), CustomerIn(name="Ivo", email=email))
    receipt = orders.register_intake(
        shop.uow(),
        orders.IntakeIn(customer=None, customer_id=customer.id, problem_description="No power"),
    )
    orders.transition(shop.uow(), receipt.order_id, "diagnostics")
    orders.send_estimate(shop.uow(), receipt.order_id, Decimal("80.00"))
    return receipt


def _estimate_status(shop: Shop, order_id: int) -> str:
    with admin_engine(shop.url).connect() as conn:
        return str(
            conn.execute(text("SELECT estimate_status FROM service_orders WHERE id = :o"), {"o": order_id}).scalar_one()
        )


def test_a_customer_cannot_record_a_payment_on_their_own_invoice(client: TestClient, shop: Shop) -> None:
    customer_id, invoice_id = _customer_with_invoice(shop, "zoya@mail.example")
    zoya = _login(client, shop, "customer", customer_id=customer_id)
    assert client.get(f"/api/v1/invoices/{invoice_id}", headers=zoya).status_code == 200  # they see it
    _refused(
        client.post(
            "/api/v1/payments",
            headers={**zoya, "Idempotency-Key": "mine-1"},
            json={"invoice_id": invoice_id, "amount": "110.00", "method": "cash"},
        )
    )
    after = client.get(f"/api/v1/invoices/{invoice_id}", headers=zoya).json()
    assert after["status"] == "issued" and Decimal(after["paid"]) == 0
    # The front desk takes the cash at the counter.
    desk = _login(client, shop, "front_desk")
    paid = client.post(
        "/api/v1/payments",
        headers={**desk, "Idempotency-Key": "desk-1"},
        json={"invoice_id": invoice_id, "amount": "110.00", "method": "cash"},
    )
    assert paid.status_code == 201, paid.text
    assert client.get(f"/api/v1/invoices/{invoice_id}", headers=zoya).json()["status"] == "paid"


def test_a_read_only_auditor_cannot_approve_an_estimate_even_holding_the_code(client: TestClient, shop: Shop) -> None:
    receipt = _order_waiting_for_approval(shop, "ivo@mail.example")
    auditor = _login(client, shop, "auditor")
    decision = f"/api/v1/orders/{receipt.order_id}/estimate/decision"
    assert client.get(f"/api/v1/orders/{receipt.order_id}", headers=auditor).status_code == 200  # reads it
    _refused(client.post(decision, headers=auditor, json={"approve": True}))
    _refused(client.post(decision, headers=auditor, json={"approve": True, "tracking_code": receipt.tracking_code}))
    # Who prices the work does not also say the customer agreed.
    technician = _login(client, shop, "technician")
    _refused(client.post(decision, headers=technician, json={"approve": True}))
    assert _estimate_status(shop, receipt.order_id) == "pending"
    # The front desk records the answer the customer gave by phone.
    desk = _login(client, shop, "front_desk")
    recorded = client.post(decision, headers=desk, json={"approve": False})
    assert recorded.status_code == 200, recorded.text
    assert _estimate_status(shop, receipt.order_id) == "declined"


def test_the_customer_decides_their_own_estimate_signed_in(client: TestClient, shop: Shop) -> None:
    receipt = _order_waiting_for_approval(shop, "eva@mail.example")
    with admin_engine(shop.url).connect() as conn:
        customer_id: int = conn.execute(
            text("SELECT customer_id FROM service_orders WHERE id = :o"), {"o": receipt.order_id}
        ).scalar_one()
    eva = _login(client, shop, "customer", customer_id=customer_id)
    approved = client.post(f"/api/v1/orders/{receipt.order_id}/estimate/decision", headers=eva, json={"approve": True})
    assert approved.status_code == 200 and approved.json()["estimate_status"] == "approved", approved.text


def test_a_read_only_auditor_cannot_send_a_document_by_email(shop: Shop) -> None:
    _customer_id, invoice_id = _customer_with_invoice(shop, "sent@mail.example")
    auditor = shop.person("auditor")
    assert isinstance(auditor, Actor)
    with pytest.raises(PermissionDenied, match=r"not allowed to send documents"):
        send_document(UnitOfWork(shop.engine, auditor), "invoice", invoice_id)
    with admin_engine(shop.url).connect() as conn:
        assert (
            conn.execute(text("SELECT count(*) FROM notification_outbox WHERE event = 'document_sent'")).scalar_one()
            == 0
        )
    finance = shop.person("finance")
    assert isinstance(finance, Actor)
    send_document(UnitOfWork(shop.engine, finance), "invoice", invoice_id)
    with admin_engine(shop.url).connect() as conn:
        assert (
            conn.execute(text("SELECT count(*) FROM notification_outbox WHERE event = 'document_sent'")).scalar_one()
            == 1
        )


def test_read_routes_check_the_readers_permission(client: TestClient, shop: Shop) -> None:
    _customer_with_invoice(shop, "reads@mail.example")
    dispatcher = _login(client, shop, "dispatcher")
    assert client.get("/api/v1/orders", headers=dispatcher).status_code == 200
    _refused(client.get("/api/v1/invoices", headers=dispatcher))  # the order, not its money
    clerk = _login(client, shop, "inventory")
    assert client.get("/api/v1/stock", headers=clerk).status_code == 200
    for path in ("/api/v1/customers", "/api/v1/invoices", "/api/v1/technicians", "/api/v1/bookings"):
        _refused(client.get(path, headers=clerk))


def test_an_anonymous_request_with_a_customers_email_does_not_join_their_account(
    client: TestClient, shop: Shop
) -> None:
    known = create_customer(
        shop.uow(),
        CustomerIn(
            name="Ann Known",
            email="ann@mail.example",
            phone="+1 555 0100",
        ),
    )
    ann = _login(client, shop, "customer", customer_id=known.id)
    stranger = client.post(
        "/api/v1/requests",
        headers={"X-Tenant": "acme"},
        json={
            "contact_name": "Not Ann",
            "contact_email": "ANN@mail.example",
            "contact_phone": "+1 555 0100",
            "item_type": "laptop",
            "problem_description": "Please call me",
        },
    )
    assert stranger.status_code == 201, stranger.text
    order_id = stranger.json()["order_id"]
    # Nothing of the stranger's reaches Ann: not the order, not a message about it.
    assert order_id not in [o["id"] for o in client.get("/api/v1/orders", headers=ann).json()["items"]]
    assert client.get(f"/api/v1/orders/{order_id}", headers=ann).status_code == 404
    with admin_engine(shop.url).connect() as conn:
        owner = conn.execute(
            text(
                "SELECT c.id, c.name, c.email, c.phone FROM service_orders o JOIN customers c"
                " ON c.id = o.customer_id WHERE o.id = :o"
            ),
            {"o": order_id},
        ).one()
        to_ann: int = conn.execute(
            text(
                "SELECT count(*) FROM notification_outbox WHERE recipient_customer_id = :c"
                " OR lower(address) = 'ann@mail.example'"
            ),
            {"c": known.id},
        ).scalar_one()
    assert owner.id != known.id and owner.name == "Not Ann" and owner.email is None and owner.phone is None
    assert to_ann == 0
    # Staff see it among the requests to link, and link it once they know it is Ann.
    desk = shop.person("front_desk")
    assert isinstance(desk, Actor)
    candidates = requests_to_link(shop.engine, desk)
    assert list(candidates["customer_id"]) == [known.id] and list(candidates["contact_name"]) == ["Not Ann"]
    request_id = int(candidates["request_id"][0])
    orders.link_request(UnitOfWork(shop.engine, desk), request_id, known.id)
    assert client.get(f"/api/v1/orders/{order_id}", headers=ann).status_code == 200
    assert requests_to_link(shop.engine, desk).empty
    with admin_engine(shop.url).connect() as conn:
        assert (
            conn.execute(text("SELECT is_active FROM customers WHERE id = :c"), {"c": owner.id}).scalar_one() is False
        )
    # A signed-in customer's request is their own, whatever contact they type.
    own = orders.submit_request(
        UnitOfWork(shop.engine, shop.person("customer", customer_id=known.id)),
        orders.RequestIn(
            contact_name="Ann", contact_email="other@mail.example", item_type="phone", problem_description="Cracked"
        ),
    )
    with admin_engine(shop.url).connect() as conn:
        assert (
            conn.execute(text("SELECT customer_id FROM service_orders WHERE id = :o"), {"o": own.order_id}).scalar_one()
            == known.id
        )
