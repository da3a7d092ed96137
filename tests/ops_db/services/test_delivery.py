"""Outbox delivery against a real SMTP server on loopback (aiosmtpd): sent, refused and retried, crashed."""

from __future__ import annotations

import email
import email.header
from datetime import UTC, datetime, timedelta
from typing import Any

import dagster as dg
import pytest
from sqlalchemy import text

from ops_db import i18n
from ops_db.comms.delivery import MAX_ATTEMPTS, SmtpEmailSender, deliver_due
from ops_db.comms.service import notify_customer
from ops_db.customers.schemas import CustomerIn
from ops_db.customers.service import create_customer
from ops_db.kit.db import admin_engine
from tests.conftest import Inbox, Shop


def _queue(shop: Shop, names: list[str]) -> list[int]:
    ids = []
    for i, name in enumerate(names):
        customer = create_customer(shop.uow(), CustomerIn(name=name, email=f"c{i}@mail.example"))
        uow = shop.uow()
        with uow:
            message = notify_customer(
                uow,
                "ready_for_pickup",
                customer.id,
                {"order_number": f"RO-{i:04d}"},
            )
            uow.commit()
            assert message is not None
            ids.append(message.id)
    return ids


def _database_now(shop: Shop) -> datetime:
    """The database's clock, which stamps a queued message's ``not_before``: "now" for the delivery run must not
    be earlier than that. (Under the test clock, Python's moved clock and the database's can differ by a few
    milliseconds, and a message queued "now" would then not yet be due.)"""
    with admin_engine(shop.url).connect() as conn:
        value = conn.execute(text("SELECT now()")).scalar_one()
    assert isinstance(value, datetime)
    return value.astimezone(UTC)


def _rows(shop: Shop) -> dict[int, tuple[str, int, datetime | None]]:
    with admin_engine(shop.url).connect() as conn:
        rows = conn.execute(text("SELECT id, status, attempts, sent_at FROM notification_outbox")).all()
    return {r[0]: (r[1], r[2], r[3]) for r in rows}


def test_due_messages_are_sent_once_with_their_rendered_text(shop: Shop, smtp: tuple[Inbox, int]) -> None:
    inbox, port = smtp
    ids = _queue(shop, ["Анна Петрова", "王小明"])
    sender = SmtpEmailSender("127.0.0.1", port, "Acme <desk@acme.example>")
    report = deliver_due(shop.engine, [shop.tenant_id], {"email": sender})
    assert (report.sent, report.failed, report.claimed) == (2, 0, 2)
    assert inbox.sessions == 1  # one SMTP session carries the whole run
    assert sorted(m["To"] for m in inbox.messages) == ["c0@mail.example", "c1@mail.example"]
    assert {m["Subject"] for m in inbox.messages} == {"Your device is ready: RO-0000", "Your device is ready: RO-0001"}
    rows = _rows(shop)
    assert all(rows[i][0] == "sent" and rows[i][1] == 1 and rows[i][2] is not None for i in ids)
    again = deliver_due(shop.engine, [shop.tenant_id], {"email": sender})
    assert again.claimed == 0 and len(inbox.messages) == 2  # nothing is sent twice
    with admin_engine(shop.url).connect() as conn:
        attempts = conn.execute(text("SELECT count(*) FROM delivery_attempts WHERE succeeded")).scalar()
    assert attempts == 2


def test_a_refusing_server_means_retries_with_backoff_then_dead(shop: Shop, smtp: tuple[Inbox, int]) -> None:
    inbox, port = smtp
    inbox.refuse = True
    (message_id,) = _queue(shop, ["Refused Customer"])
    sender = SmtpEmailSender("127.0.0.1", port)
    now = _database_now(shop)
    first = deliver_due(shop.engine, [shop.tenant_id], {"email": sender}, now=now)
    assert first.failed == 1 and "550" in first.errors[0]
    assert _rows(shop)[message_id][:2] == ("failed", 1)
    assert deliver_due(shop.engine, [shop.tenant_id], {"email": sender}, now=now).claimed == 0  # backing off
    for hours in range(1, MAX_ATTEMPTS + 2):
        deliver_due(shop.engine, [shop.tenant_id], {"email": sender}, now=now + timedelta(hours=7 * hours))
    assert _rows(shop)[message_id][:2] == ("dead", MAX_ATTEMPTS)
    assert not inbox.messages
    # The mail server works again: an admin sends the given-up message again, and it goes out.
    from ops_db.comms.service import retry_messages
    from ops_db.kit.errors import Conflict, NotFound, PermissionDenied, ValidationError

    with pytest.raises(PermissionDenied):
        retry_messages(shop.uow(shop.person("front_desk")), [message_id])
    with pytest.raises(NotFound, match=r"There is no message 999999 to send again\."):
        retry_messages(shop.uow(shop.person("admin")), [message_id, 999999])
    with pytest.raises(ValidationError, match=r"Choose what to send again\."):
        retry_messages(shop.uow(shop.person("admin")), [])
    assert _rows(shop)[message_id][:2] == ("dead", MAX_ATTEMPTS)  # refusals changed nothing
    assert retry_messages(shop.uow(shop.person("admin")), [message_id]) == 1
    assert _rows(shop)[message_id][:2] == ("pending", 0)
    inbox.refuse = False
    assert deliver_due(shop.engine, [shop.tenant_id], {"email": sender}).sent == 1
    assert _rows(shop)[message_id][0] == "sent" and len(inbox.messages) == 1
    with pytest.raises(Conflict, match=f"Message {message_id} is sent; only failed or given-up"):
        retry_messages(shop.uow(shop.person("admin")), [message_id])
    with admin_engine(shop.url).connect() as conn:
        attempts = conn.execute(
            text("SELECT count(*) FROM delivery_attempts WHERE outbox_id = :m"), {"m": message_id}
        ).scalar()
    assert attempts == MAX_ATTEMPTS + 1  # the history keeps every try


def test_a_worker_that_dies_after_claiming_leaves_messages_that_are_sent_later(
    shop: Shop, smtp: tuple[Inbox, int]
) -> None:
    inbox, port = smtp
    (message_id,) = _queue(shop, ["Crash Test"])

    class Crashing:
        def send(self, message: object) -> dict[str, Any]:
            raise KeyboardInterrupt  # the process dies between claim and mark

    now = _database_now(shop)
    with pytest.raises(KeyboardInterrupt):
        deliver_due(shop.engine, [shop.tenant_id], {"email": Crashing()}, now=now)
    assert _rows(shop)[message_id][0] == "sending"
    sender = SmtpEmailSender("127.0.0.1", port)
    assert deliver_due(shop.engine, [shop.tenant_id], {"email": sender}, now=now).claimed == 0  # lease held
    later = deliver_due(shop.engine, [shop.tenant_id], {"email": sender}, now=now + timedelta(minutes=11))
    assert later.sent == 1 and len(inbox.messages) == 1
    assert _rows(shop)[message_id][:2] == ("sent", 2)


def test_a_worker_that_dies_between_sending_and_marking_sends_again_with_the_same_message_id(
    shop: Shop, smtp: tuple[Inbox, int]
) -> None:
    inbox, port = smtp
    (message_id,) = _queue(shop, ["Sent Then Crashed"])
    real = SmtpEmailSender("127.0.0.1", port)

    class SendsThenDies:
        def send(self, message: Any) -> dict[str, Any]:
            real.send(message)  # the customer has it ...
            raise KeyboardInterrupt  # ... and the process dies before the outbox row says so

    now = _database_now(shop)
    with pytest.raises(KeyboardInterrupt):
        deliver_due(shop.engine, [shop.tenant_id], {"email": SendsThenDies()}, now=now)
    assert len(inbox.messages) == 1 and _rows(shop)[message_id][0] == "sending"
    later = deliver_due(shop.engine, [shop.tenant_id], {"email": real}, now=now + timedelta(minutes=11))
    assert later.sent == 1 and _rows(shop)[message_id][0] == "sent"
    # At least once, never lost: the copy carries the same Message-ID, so a mail client shows one message.
    first, again = inbox.messages
    assert first["Message-ID"] == again["Message-ID"] and first["Subject"] == again["Subject"]


def test_the_dagster_sensor_and_job_deliver_through_the_configured_smtp(
    shop: Shop, smtp: tuple[Inbox, int], monkeypatch: pytest.MonkeyPatch
) -> None:
    from ops_db.settings import get_settings
    from pipelines.defs.notifications.delivery import deliver_notifications_job, notification_delivery_sensor
    from pipelines.resources import OpsDatabase

    inbox, port = smtp
    _queue(shop, ["Sensor Customer"])
    resource = OpsDatabase(url=shop.url)
    with dg.build_sensor_context(resources={"ops_db": resource}) as context:
        assert isinstance(notification_delivery_sensor(context), dg.SkipReason)  # no channel configured yet
    monkeypatch.setenv("REPAIROPS_SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("REPAIROPS_SMTP_PORT", str(port))
    get_settings.cache_clear()
    try:
        with dg.build_sensor_context(resources={"ops_db": resource}) as context:
            assert isinstance(notification_delivery_sensor(context), dg.RunRequest)
        result = deliver_notifications_job.execute_in_process(resources={"ops_db": resource})
        assert result.success and result.output_for_node("deliver_notifications")["sent"] == 1
        assert len(inbox.messages) == 1
    finally:
        get_settings.cache_clear()


def test_alerts_due_together_for_one_staff_member_arrive_as_one_digest(shop: Shop, smtp: tuple[Inbox, int]) -> None:
    from ops_db.comms.service import notify_user

    inbox, port = smtp
    manager = shop.person("manager")
    assert manager.user_id is not None
    uow = shop.uow()
    with uow:
        for n in range(3):
            notify_user(
                uow,
                "sla_at_risk",
                manager.user_id,
                {"order_number": f"RO-{n}", "kind": "resolution"},
                dedupe_key=f"risk-{n}",
            )
        uow.commit()
    customer_ids = _queue(shop, ["Ana", "Bo"])  # customers still get one message each
    report = deliver_due(shop.engine, [shop.tenant_id], {"email": SmtpEmailSender("127.0.0.1", port)})
    assert (report.sent, report.failed) == (5, 0)
    digests = [m for m in inbox.messages if m["Subject"] == "Updates from Acme Repairs (3)"]
    assert len(digests) == 1 and len(inbox.messages) == 3
    assert all(m["From"] == "Acme Repairs <no-reply@localhost>" for m in inbox.messages)  # the company writes
    text_of = digests[0].get_payload()
    assert all(f"SLA at risk: RO-{n}" in text_of for n in range(3))
    assert all(status == "sent" for status, _, _ in _rows(shop).values()) and len(customer_ids) == 2


def test_a_staff_member_with_a_digest_time_gets_the_days_emails_together_then_in_their_language(
    shop: Shop, smtp: tuple[Inbox, int]
) -> None:
    from datetime import time

    from ops_db.comms.service import email_choices, notify_user, set_email_choices
    from ops_db.identity.service import set_language

    inbox, port = smtp
    manager = shop.person("manager")
    set_language(shop.uow(manager), "ru")
    set_email_choices(shop.uow(manager), {"sla_at_risk", "sla_breached"}, time(7, 30))
    assert email_choices(shop.uow(manager)).digest_at == time(7, 30)
    alerts = [("sla_at_risk", "resolution"), ("sla_breached", "response"), ("message_received", None)]
    uow = shop.uow()
    with uow:
        for n, (event, kind) in enumerate(alerts):
            fields = {"order_number": f"RO-{n}", "kind": i18n.Word(kind or ""), "author": "Ана", "body": "?"}
            notify_user(uow, event, manager.user_id, fields, dedupe_key=f"alert-{n}")  # type: ignore[arg-type]
        uow.commit()
    sender = {"email": SmtpEmailSender("127.0.0.1", port)}
    with admin_engine(shop.url).connect() as conn:
        due = conn.execute(text("SELECT DISTINCT not_before FROM notification_outbox")).scalars().all()
        in_app = conn.execute(text("SELECT title FROM in_app_notifications ORDER BY id")).scalars().all()
    assert len(due) == 1 and due[0].astimezone(UTC).time() == time(7, 30)  # the company's zone is UTC
    assert in_app == [
        "Угроза нарушения SLA: RO-0",
        "SLA нарушен: RO-1",  # the app: at once, in Russian
        "Новое сообщение по заказу RO-2",
    ]
    assert deliver_due(shop.engine, [shop.tenant_id], sender, now=due[0] - timedelta(minutes=1)).claimed == 0
    report = deliver_due(shop.engine, [shop.tenant_id], sender, now=due[0])
    assert (report.claimed, report.sent) == (2, 2) and len(inbox.messages) == 1  # the muted event: no email
    digest = inbox.messages[0]
    assert (
        str(email.header.make_header(email.header.decode_header(digest["Subject"]))) == "Обновления от Acme Repairs (2)"
    )
    payload = digest.get_payload(decode=True)
    assert isinstance(payload, bytes)  # a single-part message decodes to bytes
    body = payload.decode()
    assert "Заказ RO-0 может не уложиться в срок (решение)." in body
    assert "Заказ RO-1 не уложился в срок (реакция)." in body
    assert "resolution" not in body and "response" not in body  # the SLA kind is a word, not a code


def test_email_choices_refuse_unknown_events_and_customers_and_change_nothing(shop: Shop) -> None:
    from datetime import time

    from ops_db.comms.service import STAFF_EVENTS, email_choices, set_email_choices
    from ops_db.kit.errors import ValidationError

    manager = shop.person("manager")
    with pytest.raises(ValidationError, match="no staff notification called nonsense"):
        set_email_choices(shop.uow(manager), {"sla_breached", "nonsense"}, time(8, 0))
    assert email_choices(shop.uow(manager)).emailed == frozenset(STAFF_EVENTS)
    assert email_choices(shop.uow(manager)).digest_at is None
    customer = create_customer(shop.uow(), CustomerIn(name="Ana", email="ana@mail.example"))
    own = shop.person("customer", customer_id=customer.id)
    with pytest.raises(ValidationError, match="Only signed-in staff"):
        set_email_choices(shop.uow(own), set(), None)


def test_a_connection_the_server_dropped_is_opened_again_once() -> None:
    from aiosmtpd.controller import Controller

    from ops_db.comms.delivery import OutgoingMessage
    from tests.conftest import free_port

    port = free_port()
    inbox = Inbox()
    server = Controller(inbox, hostname="127.0.0.1", port=port)
    server.start()
    sender = SmtpEmailSender("127.0.0.1", port)
    first = OutgoingMessage(1, 1, "email", "a@mail.example", "One", "first", "k:1", 1)
    second = OutgoingMessage(2, 1, "email", "b@mail.example", "Two", "second", "k:2", 1)
    try:
        sender.send(first)
        server.stop()  # the server restarts: the open connection is gone
        server = Controller(inbox, hostname="127.0.0.1", port=port)
        server.start()
        sender.send(second)
    finally:
        sender.close()
        server.stop()
    assert [m["Subject"] for m in inbox.messages] == ["One", "Two"] and inbox.sessions == 2
