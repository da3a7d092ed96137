"""Notifications into the outbox (same transaction as the change that caused them) and order threads."""

from __future__ import annotations

import re
import string
import uuid
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select, text

from ops_db import i18n
from ops_db.comms.delivery import AppriseSender, Attachment, requeue
from ops_db.comms.models import (
    InAppNotification,
    Message,
    MessageThread,
    NotificationChannel,
    NotificationTemplate,
    OutboxAttachment,
    OutboxMessage,
)
from ops_db.comms.schemas import NotificationRow
from ops_db.customers.models import Channel, Customer, CustomerPreference
from ops_db.i18n import N_
from ops_db.identity.models import Tenant, User
from ops_db.kit.errors import NotFound, ValidationError, Verbatim
from ops_db.kit.uow import UnitOfWork
from ops_db.orders.models import ServiceOrder

# Built-in texts, English as the message ids and translated into the recipient's language through the
# catalogs (ops_db/i18n); a tenant overrides them per event, channel and locale in notification_templates.
DEFAULT_TEMPLATES: dict[str, tuple[str, str]] = {
    "request_received": (
        N_("We received your repair request {order_number}"),
        N_("Hello {customer_name}, we received your request {order_number}. Track it with code {tracking_code}."),
    ),
    "order_assigned": (
        N_("Technician assigned to {order_number}"),
        N_("{technician_name} will handle your order {order_number}."),
    ),
    "technician_en_route": (
        N_("Your technician is on the way"),
        N_("{technician_name} is on the way for order {order_number}."),
    ),
    "estimate_ready": (
        N_("Estimate for {order_number}: {estimate_amount}"),
        N_("The estimate for order {order_number} is {estimate_amount}. Please approve or decline it."),
    ),
    "estimate_decided": (
        N_("Estimate {decision} for {order_number}"),
        N_("The customer {decision} the estimate for order {order_number}."),
    ),
    "ready_for_pickup": (N_("Your device is ready: {order_number}"), N_("Order {order_number} is ready for pickup.")),
    "stage_changed": (N_("Order {order_number}: {stage}"), N_("Order {order_number} is now {stage}.")),
    "payment_received": (
        N_("Payment received for {invoice_number}"),
        N_("We received {amount} for invoice {invoice_number}. Thank you."),
    ),
    "warranty_expiring": (N_("Warranty ends on {ends_on}"), N_("The warranty on your {device} ends on {ends_on}.")),
    "sla_at_risk": (
        N_("SLA at risk: {order_number}"),
        N_("Order {order_number} is at risk of missing its {kind} target."),
    ),
    "sla_breached": (N_("SLA breached: {order_number}"), N_("Order {order_number} missed its {kind} target.")),
    "message_received": (N_("New message on {order_number}"), N_("{author}: {body}")),
    "document_sent": (
        N_("{document} · {company}"),
        N_("Hello {recipient_name}, {company} sends you {document}: you will find it attached as a PDF."),
    ),
}

# Each notification event as words (translated where they are drawn).
EVENT_LABELS = {
    "request_received": N_("request received"),
    "order_assigned": N_("order assigned"),
    "technician_en_route": N_("technician on the way"),
    "estimate_ready": N_("estimate ready"),
    "estimate_decided": N_("estimate decided"),
    "ready_for_pickup": N_("ready for pickup"),
    "stage_changed": N_("stage changed"),
    "payment_received": N_("payment received"),
    "warranty_expiring": N_("warranty expiring"),
    "sla_at_risk": N_("SLA at risk"),
    "sla_breached": N_("SLA breached"),
    "message_received": N_("message received"),
    "document_sent": N_("document sent"),
}


class _SafeFields(dict[str, Any]):
    """Merge fields; a missing one renders as empty rather than failing the business action."""

    def __missing__(self, key: str) -> str:
        return ""


def render(template: str, fields: dict[str, Any], locale: str = "en") -> str:
    """Fill ``{merge_fields}`` in a template, written for a reader of ``locale`` (stored codes as words, money and
    dates in its form: :func:`ops_db.i18n.field_text`); unknown fields render empty."""
    try:
        return template.format_map(_SafeFields({k: i18n.field_text(v, locale) for k, v in fields.items()}))
    except (ValueError, IndexError, AttributeError):
        return template


def built_in_text(event: str, locale: str) -> tuple[str, str]:
    """The built-in subject and body of an event in ``locale`` (English where the language is unsupported)."""
    subject, body = DEFAULT_TEMPLATES.get(event, (event, event))
    try:
        t = i18n.gettext_for(locale)
    except ValidationError:
        return subject, body
    return t(subject), t(body)


def _template(uow: UnitOfWork, event: str, channel: str, locale: str) -> tuple[str | None, str]:
    for loc in dict.fromkeys((locale, locale.split("_")[0], "en")):
        row = uow.session.execute(
            select(NotificationTemplate.subject, NotificationTemplate.body).where(
                NotificationTemplate.event == event,
                NotificationTemplate.channel == channel,
                NotificationTemplate.locale == loc,
            )
        ).first()
        if row is not None:
            return row.subject, row.body
    return built_in_text(event, locale)


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
    uow.session.add(
        InAppNotification(
            tenant_id=uow.actor.tenant_id,
            user_id=user_id,
            title=render(subject or event, fields, locale),
            body=render(body, fields, locale),
            link=link,
            order_id=order_id,
            created_at=uow.now(),
        )
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


INBOX_LIMIT = 200


def retry_messages(uow: UnitOfWork, outbox_ids: Collection[int]) -> int:
    """Send given-up (or waiting) notifications again now, with a fresh run of attempts: after the company
    fixed a channel, say. Needs ``settings.manage``; all or nothing; audited. Returns how many."""
    with uow:
        count = requeue(uow, "notification_outbox", list(outbox_ids))
        uow.commit()
        return count


@dataclass(frozen=True)
class Inbox:
    """A staff member's newest in-app notifications and how many of all of theirs are unread."""

    items: list[NotificationRow]
    unread: int


def inbox(uow: UnitOfWork, *, limit: int = 20) -> Inbox:
    """The signed-in staff member's newest in-app notifications (at most ``limit``, up to 200), each with the
    order number it is about and whether it has been read, and the unread count: one read for the bell."""
    if not 1 <= limit <= INBOX_LIMIT:
        raise ValidationError("Ask for 1 to {limit} notifications.", limit=INBOX_LIMIT)
    with uow:
        user_id = _staff_self(uow)
        rows = (
            uow.session.execute(
                text(
                    "SELECT n.id, n.title, n.body, n.created_at, n.read_at, o.order_number FROM in_app_notifications n"
                    " LEFT JOIN service_orders o ON o.id = n.order_id WHERE n.user_id = :u"
                    " ORDER BY n.created_at DESC, n.id DESC LIMIT :n"
                ),
                {"u": user_id, "n": limit},
            )
            .mappings()
            .all()
        )
        return Inbox([NotificationRow(**row) for row in rows], _unread(uow, user_id))  # type: ignore[typeddict-item]


def unread_count(uow: UnitOfWork) -> int:
    """How many of the signed-in staff member's in-app notifications are unread."""
    with uow:
        return _unread(uow, _staff_self(uow))


def _unread(uow: UnitOfWork, user_id: int) -> int:
    return int(
        uow.session.execute(
            text("SELECT count(*) FROM in_app_notifications WHERE user_id = :u AND read_at IS NULL"), {"u": user_id}
        ).scalar_one()
    )


def mark_read(uow: UnitOfWork, notification_ids: Collection[int] | None = None) -> int:
    """Mark the signed-in staff member's notifications read: the given ones (each must be theirs) or, with
    ``None``, all of them. Returns how many were unread."""
    with uow:
        user_id = _staff_self(uow)
        if notification_ids is not None:
            wanted = sorted({int(i) for i in notification_ids})
            if not wanted:
                raise ValidationError("Choose the notifications to mark as read.")
            own = {
                int(row.id)
                for row in uow.session.execute(
                    text("SELECT id FROM in_app_notifications WHERE user_id = :u AND id = ANY(:ids)"),
                    {"u": user_id, "ids": wanted},
                )
            }
            if missing := [i for i in wanted if i not in own]:
                raise NotFound("Notification {notification} is not one of yours.", notification=missing[0])
        # Reading is personal state, not a business change: it is not written to the audit trail.
        changed = uow.session.execute(
            text(
                "UPDATE in_app_notifications SET read_at = :now WHERE user_id = :u AND read_at IS NULL"
                " AND (CAST(:ids AS bigint[]) IS NULL OR id = ANY(CAST(:ids AS bigint[]))) RETURNING id"
            ),
            {"now": uow.now(), "u": user_id, "ids": None if notification_ids is None else wanted},
        ).all()
        uow.commit()
        return len(changed)


# The events that reach staff (the rest go to customers); each can be emailed or not, per person.
STAFF_EVENTS = ("estimate_decided", "message_received", "sla_at_risk", "sla_breached")


@dataclass(frozen=True)
class EmailChoices:
    """Which notifications a staff member gets by email, and when: as they happen or in one daily digest."""

    emailed: frozenset[str]
    digest_at: time | None


def email_choices(uow: UnitOfWork) -> EmailChoices:
    """The signed-in staff member's email choices (every staff event is emailed until they turn it off)."""
    with uow:
        user_id = _staff_self(uow)
        user = uow.session.get(User, user_id)
        assert user is not None
        return EmailChoices(frozenset(STAFF_EVENTS) - _muted(uow, user_id), user.email_digest_at)


def set_email_choices(uow: UnitOfWork, emailed: Collection[str], digest_at: time | None) -> EmailChoices:
    """A staff member chooses, for themself, which notifications also come by email (the app shows them all)
    and whether emails go out as they happen (``digest_at=None``) or together once a day at ``digest_at``,
    the company's local time. Audited."""
    with uow:
        user_id = _staff_self(uow)
        unknown = sorted(set(emailed) - set(STAFF_EVENTS))
        if unknown:
            raise ValidationError("There is no staff notification called {event}.", event=Verbatim(unknown[0]))
        user = uow.session.get(User, user_id, with_for_update=True)
        assert user is not None
        before = {"digest_at": user.email_digest_at, "muted": sorted(_muted(uow, user_id))}
        for event in STAFF_EVENTS:
            uow.session.execute(
                text(
                    "INSERT INTO notification_preferences (tenant_id, user_id, event, channel, enabled)"
                    " VALUES (:t, :u, :e, 'email', :on) ON CONFLICT (user_id, event, channel)"
                    " DO UPDATE SET enabled = EXCLUDED.enabled"
                ),
                {"t": uow.actor.tenant_id, "u": user_id, "e": event, "on": event in emailed},
            )
        user.email_digest_at = digest_at.replace(second=0, microsecond=0) if digest_at is not None else None
        chosen = EmailChoices(frozenset(emailed), user.email_digest_at)
        uow.audit(
            "user.email_choices",
            "users",
            user_id,
            before=before,
            after={"digest_at": chosen.digest_at, "muted": sorted(set(STAFF_EVENTS) - chosen.emailed)},
        )
        uow.commit()
        return chosen


def _muted(uow: UnitOfWork, user_id: int) -> set[str]:
    """The events this person turned email off for."""
    rows = uow.session.execute(
        text("SELECT event FROM notification_preferences WHERE user_id = :u AND channel = 'email' AND NOT enabled"),
        {"u": user_id},
    ).all()
    return {str(row.event) for row in rows}


def _staff_self(uow: UnitOfWork) -> int:
    """The acting staff member's user id; customers and the system have no staff email choices."""
    actor = uow.actor
    if actor.user_id is None or actor.is_customer:
        raise ValidationError("Only signed-in staff have notification choices and an inbox.")
    return actor.user_id


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


def post_message(uow: UnitOfWork, order_id: int, body: str) -> Message:
    """Write in an order's message thread (staff or the order's customer); the other side is notified."""
    with uow:
        actor = uow.actor
        actor.require("comms.send")
        body = (body or "").strip()
        if not body:
            raise ValidationError("Write a message first.")
        if len(body) > 20000:
            raise ValidationError("A message can be at most 20,000 characters.")
        order = uow.get(ServiceOrder, order_id)
        thread = uow.session.execute(select(MessageThread).where(MessageThread.order_id == order_id)).scalar()
        if thread is None:
            thread = MessageThread(tenant_id=actor.tenant_id, order_id=order_id, subject=f"Order {order.order_number}")
            uow.session.add(thread)
            uow.flush()
        message = Message(
            tenant_id=actor.tenant_id,
            thread_id=thread.id,
            body=body,
            created_at=uow.now(),
            author_user_id=None if actor.is_customer else actor.user_id,
            author_customer_id=actor.customer_id if actor.is_customer else None,
        )
        if message.author_user_id is None and message.author_customer_id is None:
            raise ValidationError("Only a signed-in person can write messages.")
        uow.session.add(message)
        uow.flush()
        fields = {"order_number": order.order_number, "author": actor.label, "body": body[:500]}
        if actor.is_customer:
            if order.created_by is not None:
                notify_user(uow, "message_received", order.created_by, fields, order_id=order.id)
        else:
            notify_customer(uow, "message_received", order.customer_id, fields, order_id=order.id)
        uow.audit("message.post", "messages", message.id, after={"order_id": order_id})
        uow.commit()
        return message


def list_messages(uow: UnitOfWork, order_id: int) -> list[dict[str, Any]]:
    """The order's message thread, oldest first."""
    with uow:
        uow.actor.require("comms.read")
        rows = (
            uow.session.execute(
                text(
                    "SELECT m.id, m.body, m.created_at, m.author_user_id, m.author_customer_id FROM messages m"
                    " JOIN message_threads t ON t.id = m.thread_id WHERE t.order_id = :o ORDER BY m.created_at, m.id"
                ),
                {"o": order_id},
            )
            .mappings()
            .all()
        )
        return [dict(r) for r in rows]


TEMPLATE_CHANNELS = (Channel.EMAIL, Channel.SMS, Channel.WHATSAPP, Channel.IN_APP)
LOCALE_CODE = re.compile(r"[a-z]{2}(_[A-Z]{2})?")


def _fields_of(text_: str) -> set[str]:
    """The ``{merge_fields}`` a text uses; a stray brace is one sentence, not a broken message later."""
    try:
        return {name for _, name, _, _ in string.Formatter().parse(text_) if name is not None}
    except ValueError:
        raise ValidationError(
            "The text has an unmatched {open} or {close}; write {open}{open} or {close}{close} for a literal brace.",
            open="{",
            close="}",
        ) from None


def template_fields(event: str) -> list[str]:
    """The merge fields an event's messages can use (those its built-in text uses)."""
    subject, body = DEFAULT_TEMPLATES[event]
    return sorted(_fields_of(subject) | _fields_of(body))


def save_template(
    uow: UnitOfWork, event: str, channel: str, locale: str, subject: str | None, body: str
) -> NotificationTemplate:
    """The company's own text for one event, channel and locale (replacing the built-in one there); every
    ``{field}`` must be one the event provides. Audited."""
    with uow:
        uow.actor.require("comms.templates")
        if event not in DEFAULT_TEMPLATES:
            raise ValidationError("There is no notification event called {event}.", event=repr(event))
        if channel not in {c.value for c in TEMPLATE_CHANNELS}:
            raise ValidationError("The channel must be email, sms, whatsapp or in_app.")
        if not LOCALE_CODE.fullmatch(locale or ""):
            raise ValidationError("The language must be a code such as en, ru, pt_BR or zh_CN.")
        body = (body or "").strip()
        subject = (subject or "").strip() or None
        if not body or len(body) > 5000:
            raise ValidationError("The message text must have 1 to 5,000 characters.")
        if subject is not None and len(subject) > 300:
            raise ValidationError("The subject is too long (at most 300 characters).")
        allowed = set(template_fields(event))
        used = _fields_of(body) | (_fields_of(subject) if subject else set())
        unknown = sorted(used - allowed)
        if unknown:
            offered = ", ".join("{" + f + "}" for f in sorted(allowed))
            raise ValidationError(
                "This message cannot use {field}; it can use {allowed}.", field="{" + unknown[0] + "}", allowed=offered
            )
        template = uow.session.execute(
            select(NotificationTemplate)
            .where(
                NotificationTemplate.event == event,
                NotificationTemplate.channel == channel,
                NotificationTemplate.locale == locale,
            )
            .with_for_update()
        ).scalar_one_or_none()
        before = None if template is None else {"subject": template.subject, "body": template.body}
        if template is None:
            template = NotificationTemplate(tenant_id=uow.actor.tenant_id, event=event, channel=channel, locale=locale)
            uow.session.add(template)
        template.subject, template.body, template.merge_fields = subject, body, sorted(used)
        uow.session.flush()
        uow.audit(
            "template.saved",
            "notification_templates",
            template.id,
            before=before,
            after={"event": event, "channel": channel, "locale": locale, "subject": subject, "body": body},
        )
        uow.commit()
        return template


OWN_CHANNELS = (Channel.EMAIL, Channel.SMS, Channel.WHATSAPP)


def configure_channel(uow: UnitOfWork, channel: str, apprise_url: str, *, is_active: bool = True) -> None:
    """Give the company its own sender for a channel: an apprise URL with ``{address}`` where the recipient
    goes. The URL is checked by apprise before it is kept; the audit records the provider, not the secrets."""
    with uow:
        uow.actor.require("settings.manage")
        if channel not in {c.value for c in OWN_CHANNELS}:
            raise ValidationError("A company can configure email, sms or whatsapp.")
        url = (apprise_url or "").strip()
        if not url or len(url) > 2000:
            raise ValidationError("The channel URL must have 1 to 2,000 characters.")
        if "{address}" not in url:
            raise ValidationError("The channel URL must contain {address} where the recipient goes.")
        import apprise  # here, not at the top: loading its plugins is slow and only this call needs it

        if not apprise.Apprise().add(AppriseSender(url).url_for("+15550000000")):
            raise ValidationError("Apprise does not understand that URL; see its list of services for the form.")
        row = uow.session.execute(
            select(NotificationChannel).where(NotificationChannel.channel == channel).with_for_update()
        ).scalar_one_or_none()
        if row is None:
            row = NotificationChannel(tenant_id=uow.actor.tenant_id, channel=channel)
            uow.session.add(row)
        row.apprise_url, row.is_active = url, bool(is_active)
        uow.session.flush()
        uow.audit(
            "channel.configured",
            "notification_channels",
            row.id,
            after={"channel": channel, "provider": url.split("://", 1)[0], "is_active": row.is_active},
        )
        uow.commit()
