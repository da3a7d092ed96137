"""Notifications into the outbox, in the same transaction as the change that caused them: to customers on their
channel outside quiet hours, to staff in the app and by email, documents by email; and sending again."""

from __future__ import annotations

import uuid
from collections.abc import Collection, Sequence
from datetime import datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select, text

from ops_db.comms.delivery import Attachment, requeue
from ops_db.comms.models import OutboxAttachment, OutboxMessage
from ops_db.comms.templates import _template, render
from ops_db.customers.models import Channel, Customer, CustomerPreference
from ops_db.identity.models import Tenant, User
from ops_db.kit.uow import UnitOfWork


def _next_local(now: datetime, at: time, tz: str) -> datetime:
    """The next moment, from ``now`` on, that the company's clock shows ``at``."""
    local = now.astimezone(ZoneInfo(tz))
    moment = local.replace(hour=at.hour, minute=at.minute, second=0, microsecond=0)
    if moment < local:
        moment += timedelta(days=1)
    return moment


def _quiet_until(now: datetime, start: time | None, end: time | None, tz: str) -> datetime:
    """When the message may go out: now, or the end of the recipient's quiet hours."""
    if start is None or end is None or start == end:
        return now
    t = now.astimezone(ZoneInfo(tz)).time()
    inside = (start <= t < end) if start < end else (t >= start or t < end)
    return _next_local(now, end, tz) if inside else now


def notify_customer(
    uow: UnitOfWork,
    event: str,
    customer_id: int,
    fields: dict[str, Any],
    *,
    order_id: int | None = None,
    dedupe_key: str | None = None,
) -> OutboxMessage | None:
    """Queue a message to a customer on their preferred channel, in their language, outside quiet hours."""
    session = uow.session
    customer = session.get(Customer, customer_id)
    if customer is None:
        return None
    pref = session.get(CustomerPreference, customer_id)
    tenant = session.get(Tenant, uow.actor.tenant_id)
    assert tenant is not None
    channel = pref.channel if pref else Channel.EMAIL
    locale = pref.language if pref else tenant.locale
    address = _address(channel, customer.email, customer.phone)
    if address is None:  # fall back to whatever contact exists
        for alt in (Channel.EMAIL, Channel.SMS):
            address = _address(alt, customer.email, customer.phone)
            if address is not None:
                channel = alt
                break
    now = uow.now()
    not_before = _quiet_until(
        now, pref.quiet_hours_start if pref else None, pref.quiet_hours_end if pref else None, tenant.time_zone
    )
    return _enqueue(
        uow,
        event,
        channel,
        locale,
        address,
        fields,
        order_id=order_id,
        customer_id=customer_id,
        user_id=None,
        not_before=not_before,
        dedupe_key=dedupe_key,
    )


def notify_user(
    uow: UnitOfWork,
    event: str,
    user_id: int,
    fields: dict[str, Any],
    *,
    order_id: int | None = None,
    link: str | None = None,
    dedupe_key: str | None = None,
) -> None:
    """Tell a staff member in their language: always in the app, and by email unless they turned that event
    off; with a daily digest time set, the email waits for it and goes out with the day's others as one."""
    tenant = uow.session.get(Tenant, uow.actor.tenant_id)
    assert tenant is not None
    # A customer's session cannot read staff rows (contact details, language): the company's language then.
    user = None if uow.actor.is_customer else uow.session.get(User, user_id)
    locale = (user.locale if user is not None else None) or tenant.locale or "en"
    subject, body = _template(uow, event, "in_app", locale)
    # Written without RETURNING: a customer may add a notification for the shop (a message on their order) but
    # never read one back (row security), and an ORM insert would read the new row's id back.
    uow.session.execute(
        text(
            "INSERT INTO in_app_notifications (tenant_id, user_id, title, body, link, order_id, created_at)"
            " VALUES (:t, :u, :title, :body, :link, :o, :at)"
        ),
        {
            "t": uow.actor.tenant_id,
            "u": user_id,
            "title": render(subject or event, fields, locale),
            "body": render(body, fields, locale),
            "link": link,
            "o": order_id,
            "at": uow.now(),
        },
    )
    if user is None or not user.is_active:
        return
    disabled = uow.session.execute(
        text(
            "SELECT 1 FROM notification_preferences WHERE user_id = :u AND event = :e AND channel = 'email'"
            " AND NOT enabled"
        ),
        {"u": user_id, "e": event},
    ).first()
    if disabled is None:
        now = uow.now()
        not_before = now if user.email_digest_at is None else _next_local(now, user.email_digest_at, tenant.time_zone)
        _enqueue(
            uow,
            event,
            Channel.EMAIL,
            locale,
            user.email,
            fields,
            order_id=order_id,
            customer_id=None,
            user_id=user_id,
            not_before=not_before,
            dedupe_key=dedupe_key,
        )


def retry_messages(uow: UnitOfWork, outbox_ids: Collection[int]) -> int:
    """Send given-up (or waiting) notifications again now, with a fresh run of attempts: after the company
    fixed a channel, say. Needs ``settings.manage``; all or nothing; audited. Returns how many."""
    with uow:
        count = requeue(uow, "notification_outbox", list(outbox_ids))
        uow.commit()
        return count


def queue_email(
    uow: UnitOfWork,
    event: str,
    address: str,
    locale: str,
    fields: dict[str, Any],
    *,
    attachments: Sequence[Attachment] = (),
    customer_id: int | None = None,
    order_id: int | None = None,
) -> OutboxMessage:
    """Inside an open unit: one email to ``address`` in ``locale`` from the event's text, with files attached
    (a document sent to a customer or a supplier); delivered by the worker like every message."""
    message = _enqueue(
        uow,
        event,
        Channel.EMAIL,
        locale,
        address,
        fields,
        order_id=order_id,
        customer_id=customer_id,
        user_id=None,
        not_before=uow.now(),
        dedupe_key=None,
    )
    assert message is not None  # a fresh key: never a duplicate
    uow.flush()
    for item in attachments:
        uow.session.add(
            OutboxAttachment(
                tenant_id=uow.actor.tenant_id,
                outbox_id=message.id,
                filename=item.filename,
                media_type=item.media_type,
                content=item.content,
            )
        )
    return message


def _address(channel: str, email: str | None, phone: str | None) -> str | None:
    if channel == Channel.EMAIL:
        return email
    if channel in (Channel.SMS, Channel.WHATSAPP, Channel.PHONE):
        return phone
    return None


def _enqueue(
    uow: UnitOfWork,
    event: str,
    channel: str,
    locale: str,
    address: str | None,
    fields: dict[str, Any],
    *,
    order_id: int | None,
    customer_id: int | None,
    user_id: int | None,
    not_before: datetime,
    dedupe_key: str | None,
) -> OutboxMessage | None:
    subject, body = _template(uow, event, channel, locale)
    key = dedupe_key or f"{event}:{uuid.uuid4().hex}"
    exists = uow.session.execute(select(OutboxMessage.id).where(OutboxMessage.dedupe_key == key)).first()
    if exists is not None:
        return None
    message = OutboxMessage(
        tenant_id=uow.actor.tenant_id,
        event=event,
        channel=channel if channel != Channel.PHONE else Channel.SMS,
        recipient_user_id=user_id,
        recipient_customer_id=customer_id,
        address=address or "",
        locale=locale,
        subject=render(subject, fields, locale) if subject else None,
        body=render(body, fields, locale),
        order_id=order_id,
        dedupe_key=key,
        status="pending" if address else "suppressed",
        not_before=not_before,
        created_at=uow.now(),
    )
    uow.session.add(message)
    return message
