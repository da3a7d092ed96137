"""Communication: templates, the notification outbox (written in the same transaction as the event),
delivery attempts, per-user preferences, order-linked message threads and in-app notifications."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import (
    ARRAY,
    Boolean,
    CheckConstraint,
    Index,
    LargeBinary,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from ops_db.customers.models import Channel
from ops_db.kit.base import Base, IdMixin, TenantMixin, TimestampMixin, fk, str_enum


class OutboxStatus(enum.StrEnum):
    """Delivery state of one outgoing notification."""

    PENDING = "pending"
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"
    DEAD = "dead"
    SUPPRESSED = "suppressed"


class NotificationTemplate(IdMixin, TenantMixin, TimestampMixin, Base):
    """Subject and body with ``{merge_fields}`` for one event, channel and locale."""

    __tablename__ = "notification_templates"

    event: Mapped[str] = mapped_column(String(64))
    channel: Mapped[Channel] = mapped_column(str_enum(Channel, "template_channel"))
    locale: Mapped[str] = mapped_column(String(16))
    subject: Mapped[str | None] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text)
    merge_fields: Mapped[list[str]] = mapped_column(ARRAY(String(64)), server_default="{}")

    __table_args__ = (UniqueConstraint("tenant_id", "event", "channel", "locale"),)


class NotificationPreference(IdMixin, TenantMixin, Base):
    """A staff user's choice of channel per event (absent = the tenant default)."""

    __tablename__ = "notification_preferences"

    user_id: Mapped[int] = fk("users.id", ondelete="CASCADE")
    event: Mapped[str] = mapped_column(String(64))
    channel: Mapped[Channel] = mapped_column(str_enum(Channel, "preference_channel"))
    enabled: Mapped[bool] = mapped_column(Boolean, server_default="true")

    __table_args__ = (UniqueConstraint("user_id", "event", "channel"),)


class OutboxMessage(IdMixin, TenantMixin, Base):
    """A rendered notification waiting for (or past) delivery; never deleted, so nothing is lost."""

    __tablename__ = "notification_outbox"

    event: Mapped[str] = mapped_column(String(64))
    channel: Mapped[Channel] = mapped_column(str_enum(Channel, "outbox_channel"))
    recipient_user_id: Mapped[int | None] = fk("users.id", nullable=True, ondelete="SET NULL", index=False)
    recipient_customer_id: Mapped[int | None] = fk("customers.id", nullable=True, ondelete="SET NULL", index=False)
    address: Mapped[str] = mapped_column(String(254))
    locale: Mapped[str] = mapped_column(String(16))
    subject: Mapped[str | None] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text)
    order_id: Mapped[int | None] = fk("service_orders.id", nullable=True, ondelete="SET NULL")
    dedupe_key: Mapped[str] = mapped_column(String(200))
    status: Mapped[OutboxStatus] = mapped_column(str_enum(OutboxStatus, "outbox_status"), server_default="pending")
    attempts: Mapped[int] = mapped_column(SmallInteger, server_default="0")
    not_before: Mapped[datetime] = mapped_column(server_default=text("now()"))
    created_at: Mapped[datetime] = mapped_column(server_default=text("now()"))
    sent_at: Mapped[datetime | None]

    __table_args__ = (
        UniqueConstraint("tenant_id", "dedupe_key"),
        CheckConstraint("attempts >= 0", name="attempts_nonnegative"),
        Index(
            "ix_notification_outbox_due",
            "status",
            "not_before",
            postgresql_where=text("status IN ('pending', 'failed')"),
        ),
        Index(
            "ix_notification_outbox_undelivered",
            "tenant_id",
            "created_at",
            postgresql_where=text("status IN ('failed', 'dead')"),
        ),
    )


class OutboxAttachment(IdMixin, TenantMixin, Base):
    """A file that goes with an outgoing message (a document sent by email), kept exactly as it was sent."""

    __tablename__ = "notification_attachments"

    outbox_id: Mapped[int] = fk("notification_outbox.id", ondelete="CASCADE")
    filename: Mapped[str] = mapped_column(String(200))
    media_type: Mapped[str] = mapped_column(String(100))
    content: Mapped[bytes] = mapped_column(LargeBinary)


class DeliveryAttempt(IdMixin, TenantMixin, Base):
    """One try at delivering an outbox message, with the provider's answer."""

    __tablename__ = "delivery_attempts"

    outbox_id: Mapped[int] = fk("notification_outbox.id", ondelete="CASCADE")
    attempted_at: Mapped[datetime]
    succeeded: Mapped[bool] = mapped_column(Boolean)
    error: Mapped[str | None] = mapped_column(Text)
    provider_response: Mapped[dict[str, Any] | None] = mapped_column(JSONB)


class MessageThread(IdMixin, TenantMixin, TimestampMixin, Base):
    """A conversation between staff and customer about an order."""

    __tablename__ = "message_threads"

    order_id: Mapped[int] = fk("service_orders.id", ondelete="CASCADE")
    subject: Mapped[str] = mapped_column(String(300))


class Message(IdMixin, TenantMixin, Base):
    """One message in a thread, from a staff user or the customer."""

    __tablename__ = "messages"

    thread_id: Mapped[int] = fk("message_threads.id", ondelete="CASCADE")
    author_user_id: Mapped[int | None] = fk("users.id", nullable=True, ondelete="SET NULL", index=False)
    author_customer_id: Mapped[int | None] = fk("customers.id", nullable=True, ondelete="SET NULL", index=False)
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime]
    read_at: Mapped[datetime | None]

    __table_args__ = (
        CheckConstraint("(author_user_id IS NULL) <> (author_customer_id IS NULL)", name="one_author"),
        CheckConstraint("length(body) BETWEEN 1 AND 20000", name="body_length"),
    )


class InAppNotification(IdMixin, TenantMixin, Base):
    """A notification shown in the UI's bell."""

    __tablename__ = "in_app_notifications"

    user_id: Mapped[int] = fk("users.id", ondelete="CASCADE")
    title: Mapped[str] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text)
    link: Mapped[str | None] = mapped_column(String(500))
    order_id: Mapped[int | None] = fk("service_orders.id", nullable=True, ondelete="SET NULL", index=False)
    created_at: Mapped[datetime]
    read_at: Mapped[datetime | None]

    __table_args__ = (Index("ix_in_app_notifications_inbox", "user_id", "created_at"),)


class NotificationChannel(IdMixin, TenantMixin, TimestampMixin, Base):
    """How one company sends one channel: an apprise URL with ``{address}`` where the recipient goes
    (``twilio://SID:TOKEN@+15550001111/{address}`` for SMS, ``whatsapp://TOKEN@PHONE_ID/{address}``,
    ``mailtos://user:pass@smtp.example.com?to={address}`` for email through the company's own server)."""

    __tablename__ = "notification_channels"

    channel: Mapped[Channel] = mapped_column(str_enum(Channel, "configured_channel"))
    apprise_url: Mapped[str] = mapped_column(Text)
    is_active: Mapped[bool] = mapped_column(Boolean, server_default="true")

    __table_args__ = (
        UniqueConstraint("tenant_id", "channel"),
        CheckConstraint("position('{address}' in apprise_url) > 0", name="url_has_address"),
    )


class WebhookEndpoint(IdMixin, TenantMixin, TimestampMixin, Base):
    """A company's integration that wants its order events: where to POST them and the secret that signs them."""

    __tablename__ = "webhook_endpoints"

    url: Mapped[str] = mapped_column(Text)
    secret: Mapped[str] = mapped_column(String(100))
    is_active: Mapped[bool] = mapped_column(Boolean, server_default="true")

    __table_args__ = (CheckConstraint("url ~ '^https?://'", name="url_is_http"),)


class WebhookDelivery(IdMixin, TenantMixin, Base):
    """One order event for one endpoint: sent at least once (receivers dedupe on ``event_id``)."""

    __tablename__ = "webhook_deliveries"

    endpoint_id: Mapped[int] = fk("webhook_endpoints.id", ondelete="CASCADE")
    event_id: Mapped[str] = mapped_column(String(64), unique=True)
    event: Mapped[str] = mapped_column(String(64))
    payload: Mapped[dict[str, Any]] = mapped_column(JSONB)
    status: Mapped[str] = mapped_column(String(16), server_default="pending")
    attempts: Mapped[int] = mapped_column(SmallInteger, server_default="0")
    not_before: Mapped[datetime] = mapped_column(server_default=text("now()"))
    created_at: Mapped[datetime] = mapped_column(server_default=text("now()"))
    delivered_at: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(Text)

    __table_args__ = (
        CheckConstraint("status IN ('pending', 'sending', 'sent', 'failed', 'dead')", name="status_known"),
        Index(
            "ix_webhook_deliveries_due",
            "tenant_id",
            "not_before",
            postgresql_where=text("status IN ('pending', 'failed', 'sending')"),
        ),
    )
