"""Reads of the company's messaging set-up and what did not go out: each checks ``comms.read`` first, then
reads under row-level security. A sender's URL is never read whole: only its scheme (the provider)."""

from __future__ import annotations

from ops_db.comms.service import DEFAULT_TEMPLATES
from ops_db.kit.rows import Rows, fetch_rows
from ops_db.kit.uow import UnitOfWork

UNDELIVERED_SHOWN = 200
TEMPLATE_COLUMNS = ("event", "channel", "locale", "subject", "body", "merge_fields", "source")


def notification_templates(uow: UnitOfWork) -> Rows:
    """Every event's template: the company's own texts (source "tenant"), then the built-in English ones no text
    overrides (source "built-in", channel "any"), by event, source and channel."""
    uow.actor.require("comms.read")
    found = fetch_rows(
        uow,
        "SELECT event, channel, locale, subject, body, merge_fields FROM notification_templates "
        "ORDER BY event, channel, locale",
    )
    own = [{**r, "merge_fields": ", ".join(r["merge_fields"] or []), "source": "tenant"} for r in found.records]
    overridden = {r["event"] for r in own}
    built_in = [
        {
            "event": event,
            "channel": "any",
            "locale": "en",
            "subject": subject,
            "body": body,
            "merge_fields": "",
            "source": "built-in",
        }
        for event, (subject, body) in DEFAULT_TEMPLATES.items()
        if event not in overridden
    ]
    # A stable sort keeps each event's own texts in the order read (channel, then locale).
    ordered = sorted(own + built_in, key=lambda r: (r["event"], r["source"], r["channel"]))
    return Rows(TEMPLATE_COLUMNS, ordered)


def channels(uow: UnitOfWork) -> Rows:
    """The company's own senders: channel, provider (the URL's scheme, never its credentials), active."""
    uow.actor.require("comms.read")
    return fetch_rows(
        uow,
        "SELECT channel, split_part(apprise_url, '://', 1) AS provider, is_active AS active, "
        "updated_at FROM notification_channels ORDER BY channel",
        columns=("channel", "provider", "active", "updated_at"),
    )


def webhook_endpoints(uow: UnitOfWork) -> Rows:
    """The company's webhook endpoints with what was delivered to each."""
    uow.actor.require("comms.read")
    return fetch_rows(
        uow,
        (
            "SELECT e.url, e.is_active AS active, count(d.id) FILTER (WHERE d.status = 'sent') AS sent, "
            "count(d.id) FILTER (WHERE d.status IN ('pending', 'sending', 'failed')) AS waiting, "
            "count(d.id) FILTER (WHERE d.status = 'dead') AS given_up, max(d.delivered_at) AS last_delivered "
            "FROM webhook_endpoints e LEFT JOIN webhook_deliveries d ON d.endpoint_id = e.id "
            "GROUP BY e.id ORDER BY e.id"
        ),
        columns=("url", "active", "sent", "waiting", "given_up", "last_delivered"),
    )


def undelivered_messages(uow: UnitOfWork) -> Rows:
    """Notifications that did not go out: waiting for their next try (failed) or given up (dead), newest first,
    with the last error the provider gave."""
    uow.actor.require("comms.read")
    return fetch_rows(
        uow,
        (
            "SELECT m.id, m.created_at, m.channel, m.event, m.address, m.status, m.attempts, m.not_before AS next_try,"
            " a.error AS last_error FROM notification_outbox m LEFT JOIN LATERAL (SELECT error FROM delivery_attempts"
            " WHERE outbox_id = m.id ORDER BY attempted_at DESC LIMIT 1) a ON true"
            " WHERE m.status IN ('failed', 'dead') ORDER BY m.created_at DESC LIMIT :n"
        ),
        {"n": UNDELIVERED_SHOWN},
        ("id", "created_at", "channel", "event", "address", "status", "attempts", "next_try", "last_error"),
    )


def undelivered_webhooks(uow: UnitOfWork) -> Rows:
    """Webhook deliveries that did not go through (failed, waiting to retry, or given up), newest first."""
    uow.actor.require("comms.read")
    return fetch_rows(
        uow,
        (
            "SELECT d.id, d.created_at, e.url, d.event, d.status, d.attempts, d.not_before AS next_try, d.last_error"
            " FROM webhook_deliveries d JOIN webhook_endpoints e ON e.id = d.endpoint_id"
            " WHERE d.status IN ('failed', 'dead') ORDER BY d.created_at DESC LIMIT :n"
        ),
        {"n": UNDELIVERED_SHOWN},
        ("id", "created_at", "url", "event", "status", "attempts", "next_try", "last_error"),
    )
