"""What notifications say: the built-in texts (translated through the catalogs), the company's own texts per event,
channel and locale, and filling in their ``{merge_fields}``."""

from __future__ import annotations

import re
import string
from typing import Any

from sqlalchemy import select

from ops_db import i18n
from ops_db.comms.models import NotificationTemplate
from ops_db.customers.models import Channel
from ops_db.i18n import N_
from ops_db.kit.errors import ValidationError
from ops_db.kit.uow import UnitOfWork

# Built-in texts, English as the message ids and translated into the recipient's language through the
# catalogs (ops_db/i18n); a tenant overrides them per event, channel and locale in notification_templates.
DEFAULT_TEMPLATES: dict[str, tuple[str, str]] = {
    "request_received": (
        N_("We received your repair request {order_number}"),
        N_(
            "Hello {customer_name}, we received your request {order_number}. Follow it at {tracking_link} "
            "(tracking code {tracking_code})."
        ),
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
