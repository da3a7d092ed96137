"""SLA: business calendars, policies (targets per priority and tier), and one clock per order and target."""

from __future__ import annotations

import enum
from datetime import date, datetime
from typing import Any, ClassVar

from sqlalchemy import (
    ARRAY,
    Boolean,
    CheckConstraint,
    Date,
    Integer,
    SmallInteger,
    String,
    UniqueConstraint,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from ops_db.i18n import N_
from ops_db.kit.base import Base, IdMixin, TenantMixin, TimestampMixin, fk, str_enum
from ops_db.orders.models import Priority


class ClockKind(enum.StrEnum):
    """Which promise the clock measures."""

    RESPONSE = "response"
    RESOLUTION = "resolution"


class ClockState(enum.StrEnum):
    """Where the clock stands."""

    RUNNING = "running"
    PAUSED = "paused"
    AT_RISK = "at_risk"
    BREACHED = "breached"
    MET = "met"


class BusinessCalendar(IdMixin, TenantMixin, TimestampMixin, Base):
    """Working hours per weekday (``{"0": ["09:00", "18:00"], ...}``, Monday = 0) and holidays."""

    __tablename__ = "business_calendars"

    name: Mapped[str] = mapped_column(String(100))
    time_zone: Mapped[str] = mapped_column(String(64))
    weekly_hours: Mapped[dict[str, Any]] = mapped_column(JSONB)
    holidays: Mapped[list[date]] = mapped_column(ARRAY(Date), server_default="{}")


class SlaPolicy(IdMixin, TenantMixin, TimestampMixin, Base):
    """Response and resolution targets (business minutes) for a priority and, optionally, a tier."""

    __tablename__ = "sla_policies"
    not_found: ClassVar[str] = N_("SLA policy {policy} does not exist.")  # what uow.get says when there is none

    name: Mapped[str] = mapped_column(String(100))
    priority: Mapped[Priority] = mapped_column(str_enum(Priority, "sla_priority"))
    customer_tier_id: Mapped[int | None] = fk("customer_tiers.id", nullable=True, ondelete="CASCADE")
    calendar_id: Mapped[int] = fk("business_calendars.id")
    response_minutes: Mapped[int] = mapped_column(Integer)
    resolution_minutes: Mapped[int] = mapped_column(Integer)
    at_risk_pct: Mapped[int] = mapped_column(SmallInteger, server_default="80")
    is_active: Mapped[bool] = mapped_column(Boolean, server_default="true")

    __table_args__ = (
        CheckConstraint("response_minutes > 0 AND resolution_minutes >= response_minutes", name="targets_ordered"),
        CheckConstraint("at_risk_pct BETWEEN 1 AND 99", name="at_risk_range"),
    )


class SlaClock(IdMixin, TenantMixin, TimestampMixin, Base):
    """One SLA promise on one order: started, paused while waiting for the customer, met or breached."""

    __tablename__ = "sla_clocks"

    order_id: Mapped[int] = fk("service_orders.id", ondelete="CASCADE")
    policy_id: Mapped[int] = fk("sla_policies.id", index=False)
    kind: Mapped[ClockKind] = mapped_column(str_enum(ClockKind, "clock_kind"))
    state: Mapped[ClockState] = mapped_column(str_enum(ClockState, "clock_state"), server_default="running")
    started_at: Mapped[datetime]
    due_at: Mapped[datetime]
    paused_at: Mapped[datetime | None]
    paused_seconds: Mapped[int] = mapped_column(Integer, server_default="0")
    stopped_at: Mapped[datetime | None]

    __table_args__ = (
        UniqueConstraint("order_id", "kind"),
        CheckConstraint("due_at >= started_at", name="due_after_start"),
        CheckConstraint("paused_seconds >= 0", name="paused_nonnegative"),
        CheckConstraint("stopped_at IS NULL OR stopped_at >= started_at", name="stopped_after_start"),
        CheckConstraint("(state = 'paused') = (paused_at IS NOT NULL)", name="paused_iff_paused_at"),
    )
