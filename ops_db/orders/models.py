"""Orders: service requests and service orders with their lines, append-only events and paperwork."""

from __future__ import annotations

import enum
from datetime import datetime
from decimal import Decimal
from typing import Any, ClassVar

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Index,
    Integer,
    Numeric,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from ops_db.i18n import N_
from ops_db.kit.base import (
    Base,
    IdMixin,
    Money,
    Quantity,
    TenantMixin,
    TimestampMixin,
    fk,
    str_enum,
)


class Stage(enum.StrEnum):
    """Where a service order is in its life; the happy path is in declaration order."""

    RECEIVED = "received"
    DIAGNOSTICS = "diagnostics"
    AWAITING_APPROVAL = "awaiting_approval"
    AWAITING_PARTS = "awaiting_parts"
    REPAIR = "repair"
    QUALITY_CHECK = "quality_check"
    READY = "ready"
    CLOSED = "closed"
    ON_HOLD = "on_hold"
    CANCELLED = "cancelled"


OPEN_STAGES = frozenset(s for s in Stage if s not in (Stage.CLOSED, Stage.CANCELLED))


class Priority(enum.StrEnum):
    """How urgent an order is (drives SLA targets and the optimizer's weights)."""

    EMERGENCY = "emergency"
    HIGH = "high"
    NORMAL = "normal"
    LOW = "low"


class RequestChannel(enum.StrEnum):
    """How a service request reached the company."""

    WEB = "web"
    PHONE = "phone"
    WALK_IN = "walk_in"
    MESSAGING = "messaging"
    EMAIL = "email"


class RequestStatus(enum.StrEnum):
    """A request is triaged into an order, or rejected."""

    NEW = "new"
    CONVERTED = "converted"
    REJECTED = "rejected"


class ServiceLocation(enum.StrEnum):
    """Repairs happen at the workshop bench or on the customer's site."""

    WORKSHOP = "workshop"
    FIELD = "field"


class EstimateStatus(enum.StrEnum):
    """The customer's answer to a cost estimate."""

    NONE = "none"
    PENDING = "pending"
    APPROVED = "approved"
    DECLINED = "declined"


class LineKind(enum.StrEnum):
    """What an order line charges for."""

    SERVICE = "service"
    LABOUR = "labour"
    PART = "part"
    GOODS = "goods"
    CONSUMABLE = "consumable"
    DISCOUNT = "discount"


class EventType(enum.StrEnum):
    """What an order event records."""

    CREATED = "created"
    STAGE_CHANGED = "stage_changed"
    ASSIGNED = "assigned"
    ESTIMATE_SENT = "estimate_sent"
    ESTIMATE_APPROVED = "estimate_approved"
    ESTIMATE_DECLINED = "estimate_declined"
    PARTS_RESERVED = "parts_reserved"
    NOTE_ADDED = "note_added"
    INVOICED = "invoiced"
    PAYMENT_RECEIVED = "payment_received"


class ServiceCatalogItem(IdMixin, TenantMixin, TimestampMixin, Base):
    """A service the company sells (diagnostics, screen replacement, boiler service)."""

    __tablename__ = "service_catalog_items"
    not_found: ClassVar[str] = N_("Service {service} does not exist.")  # what uow.get says when there is none

    code: Mapped[str] = mapped_column(String(32))
    name: Mapped[str] = mapped_column(String(200))
    category: Mapped[str] = mapped_column(String(64))
    default_price: Mapped[Money]
    default_minutes: Mapped[int] = mapped_column(Integer, server_default="60")
    skill_id: Mapped[int | None] = fk("skills.id", nullable=True, ondelete="SET NULL")
    warranty_months: Mapped[int] = mapped_column(SmallInteger, server_default="3")
    is_active: Mapped[bool] = mapped_column(Boolean, server_default="true")

    __table_args__ = (
        UniqueConstraint("tenant_id", "code"),
        CheckConstraint("default_price >= 0", name="price_nonnegative"),
        CheckConstraint("default_minutes > 0", name="minutes_positive"),
    )


class ServiceRequest(IdMixin, TenantMixin, TimestampMixin, Base):
    """A request as the customer sent it (web form, call, walk-in, message), before triage."""

    __tablename__ = "service_requests"
    not_found: ClassVar[str] = N_("Request {request} does not exist.")  # what uow.get says when there is none

    channel: Mapped[RequestChannel] = mapped_column(str_enum(RequestChannel, "request_channel"))
    status: Mapped[RequestStatus] = mapped_column(str_enum(RequestStatus, "request_status"), server_default="new")
    customer_id: Mapped[int | None] = fk("customers.id", nullable=True, ondelete="SET NULL")
    contact_name: Mapped[str] = mapped_column(String(200))
    contact_email: Mapped[str | None] = mapped_column(String(254))
    contact_phone: Mapped[str | None] = mapped_column(String(32))
    item_type: Mapped[str] = mapped_column(String(100))
    item_description: Mapped[str | None] = mapped_column(Text)
    problem_description: Mapped[str] = mapped_column(Text)
    preferred_time: Mapped[str | None] = mapped_column(Text)
    submitted_at: Mapped[datetime]

    __table_args__ = (
        CheckConstraint("contact_email IS NOT NULL OR contact_phone IS NOT NULL", name="has_contact"),
        CheckConstraint("length(problem_description) BETWEEN 1 AND 10000", name="problem_length"),
    )


class ServiceOrder(IdMixin, TenantMixin, TimestampMixin, Base):
    """A repair job: the unit the front desk, technicians, dispatchers and finance work on."""

    __tablename__ = "service_orders"
    not_found: ClassVar[str] = N_("Order {order} does not exist.")  # what uow.get says when there is none

    order_number: Mapped[str] = mapped_column(String(32))
    tracking_code: Mapped[str] = mapped_column(String(32), unique=True)
    request_id: Mapped[int | None] = fk("service_requests.id", nullable=True, ondelete="SET NULL")
    customer_id: Mapped[int] = fk("customers.id")
    equipment_id: Mapped[int | None] = fk("equipment.id", nullable=True)
    site_id: Mapped[int | None] = fk("customer_sites.id", nullable=True, index=False)
    stage: Mapped[Stage] = mapped_column(str_enum(Stage, "order_stage"), server_default="received", index=True)
    stage_before_hold: Mapped[Stage | None] = mapped_column(str_enum(Stage, "order_stage_before_hold"))
    priority: Mapped[Priority] = mapped_column(str_enum(Priority, "order_priority"), server_default="normal")
    location: Mapped[ServiceLocation] = mapped_column(
        str_enum(ServiceLocation, "service_location"), server_default="workshop"
    )
    sla_policy_id: Mapped[int | None] = fk("sla_policies.id", nullable=True)
    maintenance_plan_id: Mapped[int | None] = fk("maintenance_plans.id", nullable=True)
    required_skill_id: Mapped[int | None] = fk("skills.id", nullable=True, index=False)
    assigned_technician_id: Mapped[int | None] = fk("technicians.id", nullable=True)
    problem_description: Mapped[str] = mapped_column(Text)
    diagnosis: Mapped[str | None] = mapped_column(Text)
    fault_type: Mapped[str | None] = mapped_column(String(64))
    estimated_minutes: Mapped[int | None] = mapped_column(Integer)
    estimate_amount: Mapped[Money | None]
    estimate_status: Mapped[EstimateStatus] = mapped_column(
        str_enum(EstimateStatus, "estimate_status"), server_default="none"
    )
    estimate_sent_at: Mapped[datetime | None]
    estimate_decided_at: Mapped[datetime | None]
    is_warranty_repair: Mapped[bool] = mapped_column(Boolean, server_default="false")
    # use_alter: warranties also point at the order that created them (a cycle Alembic must break).
    warranty_id: Mapped[int | None] = fk("warranties.id", nullable=True, index=False, use_alter=True)
    hold_reason: Mapped[str | None] = mapped_column(Text)
    received_at: Mapped[datetime]
    promised_at: Mapped[datetime | None]
    due_at: Mapped[datetime | None]
    completed_at: Mapped[datetime | None]
    closed_at: Mapped[datetime | None]
    cancelled_at: Mapped[datetime | None]
    created_by: Mapped[int | None] = fk("users.id", nullable=True, ondelete="SET NULL", index=False)

    __table_args__ = (
        UniqueConstraint("tenant_id", "order_number"),
        CheckConstraint("estimate_amount >= 0", name="estimate_nonnegative"),
        CheckConstraint("estimated_minutes > 0", name="estimated_minutes_positive"),
        CheckConstraint("(stage = 'closed') = (closed_at IS NOT NULL)", name="closed_at_iff_closed"),
        CheckConstraint("(stage = 'cancelled') = (cancelled_at IS NOT NULL)", name="cancelled_at_iff_cancelled"),
        CheckConstraint("(stage = 'on_hold') = (stage_before_hold IS NOT NULL)", name="hold_remembers_stage"),
        CheckConstraint("length(tracking_code) >= 12", name="tracking_code_unguessable"),
        Index(
            "ix_service_orders_open",
            "tenant_id",
            "stage",
            postgresql_where=text("stage NOT IN ('closed', 'cancelled')"),
        ),
        Index("ix_service_orders_received_at", "tenant_id", "received_at"),
    )


class OrderLine(IdMixin, TenantMixin, TimestampMixin, Base):
    """A charge on an order: a service, labour, a part used, goods sold, a consumable, or a discount."""

    __tablename__ = "order_lines"

    order_id: Mapped[int] = fk("service_orders.id", ondelete="CASCADE")
    line_no: Mapped[int] = mapped_column(SmallInteger)
    kind: Mapped[LineKind] = mapped_column(str_enum(LineKind, "line_kind"))
    description: Mapped[str] = mapped_column(String(300))
    service_item_id: Mapped[int | None] = fk("service_catalog_items.id", nullable=True, index=False)
    part_id: Mapped[int | None] = fk("parts.id", nullable=True)
    technician_id: Mapped[int | None] = fk("technicians.id", nullable=True, index=False)
    quantity: Mapped[Quantity]
    unit_price: Mapped[Money]
    unit_cost: Mapped[Money] = mapped_column(Numeric(12, 2), server_default="0")
    tax_rate_id: Mapped[int | None] = fk("tax_rates.id", nullable=True, index=False)
    tax_rate_pct: Mapped[Decimal] = mapped_column(Numeric(6, 3), server_default="0")
    warranty_months: Mapped[int] = mapped_column(SmallInteger, server_default="0")

    __table_args__ = (
        UniqueConstraint("order_id", "line_no"),
        CheckConstraint("quantity > 0", name="quantity_positive"),
        CheckConstraint("(kind = 'discount') = (unit_price < 0) OR unit_price = 0", name="discount_sign"),
        CheckConstraint("unit_cost >= 0", name="cost_nonnegative"),
        CheckConstraint("tax_rate_pct >= 0 AND tax_rate_pct <= 100", name="tax_rate_range"),
        CheckConstraint("kind <> 'part' OR part_id IS NOT NULL", name="part_line_has_part"),
    )


class OrderEvent(IdMixin, TenantMixin, Base):
    """Append-only history of an order: every stage change with actor and time (a trigger refuses edits)."""

    __tablename__ = "order_events"

    order_id: Mapped[int] = fk("service_orders.id", ondelete="CASCADE")
    event_type: Mapped[EventType] = mapped_column(str_enum(EventType, "event_type"))
    from_stage: Mapped[Stage | None] = mapped_column(str_enum(Stage, "event_from_stage"))
    to_stage: Mapped[Stage | None] = mapped_column(str_enum(Stage, "event_to_stage"))
    actor_user_id: Mapped[int | None] = fk("users.id", nullable=True, ondelete="SET NULL", index=False)
    actor_label: Mapped[str] = mapped_column(String(200), server_default="system")
    occurred_at: Mapped[datetime]
    payload: Mapped[dict[str, Any]] = mapped_column(JSONB, server_default=text("'{}'::jsonb"))

    __table_args__ = (
        CheckConstraint("event_type <> 'stage_changed' OR to_stage IS NOT NULL", name="stage_change_has_target"),
        Index("ix_order_events_order_time", "order_id", "occurred_at"),
    )


class OrderNote(IdMixin, TenantMixin, Base):
    """A note on an order (internal, or visible to the customer)."""

    __tablename__ = "order_notes"

    order_id: Mapped[int] = fk("service_orders.id", ondelete="CASCADE")
    author_id: Mapped[int | None] = fk("users.id", nullable=True, ondelete="SET NULL", index=False)
    body: Mapped[str] = mapped_column(Text)
    is_internal: Mapped[bool] = mapped_column(Boolean, server_default="true")
    created_at: Mapped[datetime]


class Attachment(IdMixin, TenantMixin, Base):
    """A file (photo, document) stored by content hash; attached to a request and/or an order."""

    __tablename__ = "attachments"

    request_id: Mapped[int | None] = fk("service_requests.id", nullable=True, ondelete="SET NULL")
    order_id: Mapped[int | None] = fk("service_orders.id", nullable=True, ondelete="CASCADE")
    sha256: Mapped[str] = mapped_column(String(64))
    filename: Mapped[str] = mapped_column(String(255))
    content_type: Mapped[str] = mapped_column(String(100))
    size_bytes: Mapped[int] = mapped_column(BigInteger)
    storage_path: Mapped[str] = mapped_column(Text)
    uploaded_by: Mapped[int | None] = fk("users.id", nullable=True, ondelete="SET NULL", index=False)
    created_at: Mapped[datetime]

    __table_args__ = (
        CheckConstraint("sha256 ~ '^[0-9a-f]{64}$'", name="sha256_hex"),
        CheckConstraint("size_bytes >= 0", name="size_nonnegative"),
        CheckConstraint("request_id IS NOT NULL OR order_id IS NOT NULL", name="has_owner"),
    )


class OrderSignoff(IdMixin, TenantMixin, Base):
    """The customer's signature at intake or release (handover)."""

    __tablename__ = "order_signoffs"

    order_id: Mapped[int] = fk("service_orders.id", ondelete="CASCADE")
    kind: Mapped[str] = mapped_column(String(16))
    signed_by_name: Mapped[str] = mapped_column(String(200))
    signature_attachment_id: Mapped[int | None] = fk("attachments.id", nullable=True, index=False)
    comment: Mapped[str | None] = mapped_column(Text)
    signed_at: Mapped[datetime]

    __table_args__ = (CheckConstraint("kind IN ('intake', 'completion', 'release')", name="kind_known"),)


class OrderRating(IdMixin, TenantMixin, Base):
    """The customer's rating of a finished order."""

    __tablename__ = "order_ratings"

    order_id: Mapped[int] = fk("service_orders.id", ondelete="CASCADE")
    score: Mapped[int] = mapped_column(SmallInteger)
    comment: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime]

    __table_args__ = (
        UniqueConstraint("order_id"),
        CheckConstraint("score BETWEEN 1 AND 5", name="score_range"),
    )
