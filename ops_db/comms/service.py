"""Comms, the one public door: what the API, the pages, the tests and the other areas use of notifications and
order threads, re-exported from the modules that do the work.

- ``outbox``: notifications into the outbox in the same transaction as the change (customers, staff, documents);
- ``templates``: the built-in texts, the company's own texts and filling in their merge fields;
- ``inbox``: a staff member's in-app notifications and email choices;
- ``threads``: an order's message thread; ``channels``: the company's own senders;
- ``delivery`` (the worker that sends), ``webhooks`` and ``queries`` are used directly.
"""

from __future__ import annotations

from ops_db.comms.channels import OWN_CHANNELS, configure_channel
from ops_db.comms.inbox import (
    INBOX_LIMIT,
    STAFF_EVENTS,
    EmailChoices,
    Inbox,
    email_choices,
    inbox,
    mark_read,
    set_email_choices,
    unread_count,
)
from ops_db.comms.outbox import notify_customer, notify_user, queue_email, retry_messages
from ops_db.comms.templates import (
    DEFAULT_TEMPLATES,
    EVENT_LABELS,
    LOCALE_CODE,
    TEMPLATE_CHANNELS,
    built_in_text,
    render,
    save_template,
    template_fields,
)
from ops_db.comms.threads import list_messages, post_message

__all__ = [
    "DEFAULT_TEMPLATES",
    "EVENT_LABELS",
    "INBOX_LIMIT",
    "LOCALE_CODE",
    "OWN_CHANNELS",
    "STAFF_EVENTS",
    "TEMPLATE_CHANNELS",
    "EmailChoices",
    "Inbox",
    "built_in_text",
    "configure_channel",
    "email_choices",
    "inbox",
    "list_messages",
    "mark_read",
    "notify_customer",
    "notify_user",
    "post_message",
    "queue_email",
    "render",
    "retry_messages",
    "save_template",
    "set_email_choices",
    "template_fields",
    "unread_count",
]
