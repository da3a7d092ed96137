"""A company's own channels through apprise, against a real HTTP endpoint on loopback (apprise's ``json://``
service, which posts the message as JSON): delivered, refused then retried, bad configuration refused."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from sqlalchemy import text

from ops_db.comms.delivery import deliver_due
from ops_db.comms.service import configure_channel, notify_customer
from ops_db.customers.schemas import CustomerIn
from ops_db.customers.service import create_customer
from ops_db.kit.db import admin_engine
from ops_db.kit.errors import PermissionDenied, ValidationError
from tests.conftest import Shop
from tests.loopback import Loopback, loopback_server


@pytest.fixture
def gateway() -> Iterator[Loopback]:
    with loopback_server() as server:
        yield server


def _sms_to(shop: Shop, phone: str) -> int:
    customer = create_customer(shop.uow(), CustomerIn(name="Ана Лима", phone=phone))
    uow = shop.uow()
    with uow:
        message = notify_customer(uow, "ready_for_pickup", customer.id, {"order_number": "RO-7"})
        uow.commit()
    assert message is not None and message.channel == "sms"
    return message.id


def _status(shop: Shop, message_id: int) -> tuple[str, int]:
    with admin_engine(shop.url).connect() as conn:
        row = conn.execute(
            text("SELECT status, attempts FROM notification_outbox WHERE id = :i"), {"i": message_id}
        ).one()
    return str(row.status), int(row.attempts)


def test_an_sms_goes_through_the_companys_apprise_channel(shop: Shop, gateway: Loopback) -> None:
    configure_channel(shop.uow(shop.person("admin")), "sms", f"json://127.0.0.1:{gateway.port}/sms/{{address}}")
    message_id = _sms_to(shop, "+15551234567")
    report = deliver_due(shop.engine, [shop.tenant_id], {})  # no server-wide sender: the company's own
    assert (report.sent, report.failed) == (1, 0)
    [request] = gateway.received
    payload = json.loads(request.body)
    assert request.path == "/sms/+15551234567"
    assert payload["title"] == "Your device is ready: RO-7" and "RO-7 is ready for pickup" in payload["message"]
    assert _status(shop, message_id) == ("sent", 1)
    with admin_engine(shop.url).connect() as conn:
        audit = conn.execute(text("SELECT after::text FROM audit_log WHERE action = 'channel.configured'")).scalar()
    assert '"provider": "json"' in str(audit) and "127.0.0.1" not in str(audit)  # no URL, no secrets


def test_a_refusing_gateway_means_a_retry_later(shop: Shop, gateway: Loopback) -> None:
    configure_channel(shop.uow(), "sms", f"json://127.0.0.1:{gateway.port}/sms/{{address}}")
    message_id = _sms_to(shop, "+15557654321")
    gateway.status = 503
    report = deliver_due(shop.engine, [shop.tenant_id], {})
    assert (report.sent, report.failed) == (0, 1) and "json" in report.errors[0]
    assert _status(shop, message_id) == ("failed", 1)
    with admin_engine(shop.url).connect() as conn:
        conn.execute(text("UPDATE notification_outbox SET not_before = now() - interval '1 second'"))
        conn.commit()
    gateway.status = 200
    assert deliver_due(shop.engine, [shop.tenant_id], {}).sent == 1
    assert _status(shop, message_id) == ("sent", 2)


def test_bad_channel_settings_are_one_sentence_and_keep_nothing(shop: Shop) -> None:
    for channel, url, message in (
        ("fax", "json://h/{address}", "email, sms or whatsapp"),
        ("sms", "json://127.0.0.1/sms", "must contain {address}"),
        ("sms", "nonsense://x/{address}", "Apprise does not understand"),
        ("sms", " ", "1 to 2,000"),
        ("sms", "json://h/{address}" + "x" * 2000, "1 to 2,000"),
    ):
        with pytest.raises(ValidationError, match=message):
            configure_channel(shop.uow(), channel, url)
    with pytest.raises(PermissionDenied):
        configure_channel(shop.uow(shop.person("front_desk")), "sms", "json://h/{address}")
    with admin_engine(shop.url).connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM notification_channels")).scalar() == 0


def test_customer_logins_never_see_channel_credentials(shop: Shop) -> None:
    configure_channel(shop.uow(), "whatsapp", "json://token@127.0.0.1/wa/{address}")
    customer = create_customer(shop.uow(), CustomerIn(name="Curious", email="c@mail.example"))
    for actor, seen in ((shop.person("customer", customer_id=customer.id), 0), (shop.person("admin"), 1)):
        uow = shop.uow(actor)
        with uow:
            count = uow.session.execute(text("SELECT count(*) FROM notification_channels")).scalar()
        assert count == seen
