"""Workforce: technicians and their skills and shifts, time tracking, bookings and optimizer plans.

``bookings.planned`` is a ``tstzrange``; an exclusion constraint (added in the security
migration) makes two active bookings of one technician overlap impossible. The embedded server
has no btree_gist, so the technician is compared as a one-point ``int8range`` with ``&&``.
"""

from __future__ import annotations

import enum
from datetime import date, datetime
from decimal import Decimal
from typing import Any, ClassVar

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Date,
    Integer,
    Numeric,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB, TSTZRANGE, Range
from sqlalchemy.orm import Mapped, mapped_column

from ops_db.i18n import N_
from ops_db.kit.base import (
    Base,
    Coordinate,
    IdMixin,
    Money,
    TenantMixin,
    TimestampMixin,
    fk,
    str_enum,
)


class BookingStatus(enum.StrEnum):
    """A booking is active until done or cancelled."""

    TENTATIVE = "tentative"
    CONFIRMED = "confirmed"
    IN_PROGRESS = "in_progress"
    DONE = "done"
    CANCELLED = "cancelled"


ACTIVE_BOOKING_STATUSES = (BookingStatus.TENTATIVE, BookingStatus.CONFIRMED, BookingStatus.IN_PROGRESS)


class TimeEntryKind(enum.StrEnum):
    """What a span of a technician's time was spent on."""

    SHIFT = "shift"
    TRAVEL = "travel"
    ON_SITE = "on_site"
    WORKSHOP = "workshop"
    BREAK = "break"


class PlanStatus(enum.StrEnum):
    """Life of an optimizer proposal."""

    PROPOSED = "proposed"
    ACCEPTED = "accepted"
    PARTIALLY_ACCEPTED = "partially_accepted"
    SUPERSEDED = "superseded"
    DISCARDED = "discarded"


class Skill(IdMixin, TenantMixin, TimestampMixin, Base):
    """A skill a job can require (``hvac``, ``laptop_board``, ``iphone_screen``)."""

    __tablename__ = "skills"
    not_found: ClassVar[str] = N_("Skill {skill} does not exist.")  # what uow.get says when there is none

    code: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(200))

    __table_args__ = (UniqueConstraint("tenant_id", "code"),)


class Technician(IdMixin, TenantMixin, TimestampMixin, Base):
    """A technician: home base, costs, limits; optionally a user account and a van (stock location)."""

    __tablename__ = "technicians"
    not_found: ClassVar[str] = N_("Technician {technician} does not exist.")  # what uow.get says when there is none

    user_id: Mapped[int | None] = fk("users.id", nullable=True, ondelete="SET NULL")
    name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str | None] = mapped_column(String(254))
    phone: Mapped[str | None] = mapped_column(String(32))
    home_latitude: Mapped[Coordinate | None]
    home_longitude: Mapped[Coordinate | None]
    depot_location_id: Mapped[int | None] = fk("stock_locations.id", nullable=True, index=False)
    van_location_id: Mapped[int | None] = fk("stock_locations.id", nullable=True, index=False)
    hourly_cost: Mapped[Money]
    max_daily_minutes: Mapped[int] = mapped_column(Integer, server_default="600")
    max_travel_minutes: Mapped[int] = mapped_column(Integer, server_default="240")
    works_in_field: Mapped[bool] = mapped_column(Boolean, server_default="true")
    is_active: Mapped[bool] = mapped_column(Boolean, server_default="true")
    hired_on: Mapped[date | None] = mapped_column(Date)

    __table_args__ = (
        CheckConstraint("hourly_cost >= 0", name="hourly_cost_nonnegative"),
        CheckConstraint("max_daily_minutes > 0 AND max_travel_minutes >= 0", name="limits_positive"),
    )


class TechnicianSkill(TenantMixin, Base):
    """A technician's level (1 = junior … 5 = expert) in a skill; higher levels work faster."""

    __tablename__ = "technician_skills"

    technician_id: Mapped[int] = fk("technicians.id", ondelete="CASCADE", primary_key=True, index=False)
    skill_id: Mapped[int] = fk("skills.id", ondelete="CASCADE", primary_key=True, index=False)
    level: Mapped[int] = mapped_column(SmallInteger)

    __table_args__ = (CheckConstraint("level BETWEEN 1 AND 5", name="level_range"),)


class Certification(IdMixin, TenantMixin, TimestampMixin, Base):
    """A certificate a technician holds (gas safe, manufacturer authorised)."""

    __tablename__ = "certifications"

    technician_id: Mapped[int] = fk("technicians.id", ondelete="CASCADE")
    name: Mapped[str] = mapped_column(String(200))
    issuer: Mapped[str | None] = mapped_column(String(200))
    issued_on: Mapped[date] = mapped_column(Date)
    expires_on: Mapped[date | None] = mapped_column(Date)

    __table_args__ = (CheckConstraint("expires_on IS NULL OR expires_on >= issued_on", name="dates_ordered"),)


class CommissionRule(IdMixin, TenantMixin, TimestampMixin, Base):
    """How a technician earns: base per completed job, a share of labour revenue, a bonus over a target."""

    __tablename__ = "commission_rules"

    technician_id: Mapped[int | None] = fk("technicians.id", nullable=True, ondelete="CASCADE")
    base_per_job: Mapped[Money] = mapped_column(Numeric(12, 2), server_default="0")
    labour_pct: Mapped[Decimal] = mapped_column(Numeric(5, 2), server_default="0")
    bonus_jobs_threshold: Mapped[int | None] = mapped_column(Integer)
    bonus_amount: Mapped[Money] = mapped_column(Numeric(12, 2), server_default="0")
    valid_from: Mapped[date] = mapped_column(Date)
    valid_to: Mapped[date | None] = mapped_column(Date)

    __table_args__ = (
        CheckConstraint("base_per_job >= 0 AND bonus_amount >= 0", name="amounts_nonnegative"),
        CheckConstraint("labour_pct BETWEEN 0 AND 100", name="labour_pct_range"),
    )


class Shift(IdMixin, TenantMixin, TimestampMixin, Base):
    """A technician's working time on a day."""

    __tablename__ = "shifts"

    technician_id: Mapped[int] = fk("technicians.id", ondelete="CASCADE")
    shift_date: Mapped[date] = mapped_column(Date)
    starts_at: Mapped[datetime]
    ends_at: Mapped[datetime]

    __table_args__ = (
        UniqueConstraint("technician_id", "shift_date"),
        CheckConstraint("ends_at > starts_at", name="ends_after_start"),
    )


class ShiftBreak(IdMixin, TenantMixin, Base):
    """A break to be taken within a window during a shift (lunch)."""

    __tablename__ = "shift_breaks"

    shift_id: Mapped[int] = fk("shifts.id", ondelete="CASCADE")
    earliest_start: Mapped[datetime]
    latest_end: Mapped[datetime]
    duration_minutes: Mapped[int] = mapped_column(SmallInteger)

    __table_args__ = (
        CheckConstraint("duration_minutes > 0", name="duration_positive"),
        CheckConstraint("latest_end >= earliest_start + make_interval(mins => duration_minutes)", name="window_fits"),
    )


class TimeOff(IdMixin, TenantMixin, TimestampMixin, Base):
    """Leave, sickness or training: the technician is unavailable for this range."""

    __tablename__ = "time_off"

    technician_id: Mapped[int] = fk("technicians.id", ondelete="CASCADE")
    period: Mapped[Range[datetime]] = mapped_column(TSTZRANGE)
    reason: Mapped[str] = mapped_column(String(32))
    approved: Mapped[bool] = mapped_column(Boolean, server_default="false")

    __table_args__ = (CheckConstraint("NOT isempty(period)", name="period_not_empty"),)


class TimeEntry(IdMixin, TenantMixin, TimestampMixin, Base):
    """Recorded time: clock in/out of a shift, travel, on-site or bench work, breaks (with location)."""

    __tablename__ = "time_entries"

    technician_id: Mapped[int] = fk("technicians.id", ondelete="CASCADE")
    order_id: Mapped[int | None] = fk("service_orders.id", nullable=True, ondelete="SET NULL")
    booking_id: Mapped[int | None] = fk("bookings.id", nullable=True, ondelete="SET NULL", index=False)
    kind: Mapped[TimeEntryKind] = mapped_column(str_enum(TimeEntryKind, "time_entry_kind"))
    started_at: Mapped[datetime]
    ended_at: Mapped[datetime | None]
    latitude: Mapped[Coordinate | None]
    longitude: Mapped[Coordinate | None]
    note: Mapped[str | None] = mapped_column(Text)

    __table_args__ = (CheckConstraint("ended_at IS NULL OR ended_at >= started_at", name="ends_after_start"),)


class Booking(IdMixin, TenantMixin, TimestampMixin, Base):
    """A technician reserved for an order over a planned time range."""

    __tablename__ = "bookings"
    not_found: ClassVar[str] = N_("Booking {booking} does not exist.")  # what uow.get says when there is none

    technician_id: Mapped[int] = fk("technicians.id")
    order_id: Mapped[int] = fk("service_orders.id", ondelete="CASCADE")
    planned: Mapped[Range[datetime]] = mapped_column(TSTZRANGE)
    status: Mapped[BookingStatus] = mapped_column(str_enum(BookingStatus, "booking_status"), server_default="confirmed")
    source: Mapped[str] = mapped_column(String(16), server_default="manual")
    plan_item_id: Mapped[int | None] = fk("plan_items.id", nullable=True, ondelete="SET NULL", index=False)
    travel_minutes: Mapped[int] = mapped_column(Integer, server_default="0")
    technician_response: Mapped[str | None] = mapped_column(String(16))
    started_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]

    __table_args__ = (
        CheckConstraint(
            "NOT isempty(planned) AND NOT lower_inf(planned) AND NOT upper_inf(planned)", name="planned_bounded"
        ),
        CheckConstraint("source IN ('manual', 'optimizer', 'import')", name="source_known"),
        CheckConstraint("technician_response IN ('accepted', 'declined')", name="response_known"),
    )


class OptimizerPlan(IdMixin, TenantMixin, TimestampMixin, Base):
    """A proposal of the dispatch optimizer for one day, with its KPIs."""

    __tablename__ = "optimizer_plans"
    not_found: ClassVar[str] = N_("Plan {plan} does not exist.")  # what uow.get says when there is none

    plan_date: Mapped[date] = mapped_column(Date, index=True)
    status: Mapped[PlanStatus] = mapped_column(str_enum(PlanStatus, "plan_status"), server_default="proposed")
    solver: Mapped[str] = mapped_column(String(32))
    time_limit_seconds: Mapped[Decimal] = mapped_column(Numeric(8, 2))
    seed: Mapped[int] = mapped_column(Integer)
    kpis: Mapped[dict[str, Any]] = mapped_column(JSONB, server_default=text("'{}'::jsonb"))
    created_by: Mapped[int | None] = fk("users.id", nullable=True, ondelete="SET NULL", index=False)
    decided_at: Mapped[datetime | None]


class PlanItem(IdMixin, TenantMixin, Base):
    """One job in a proposal: assigned (technician, sequence, time) or unassigned with a reason."""

    __tablename__ = "plan_items"
    not_found: ClassVar[str] = N_("Plan item {item} does not exist.")  # what uow.get says when there is none

    plan_id: Mapped[int] = fk("optimizer_plans.id", ondelete="CASCADE")
    order_id: Mapped[int] = fk("service_orders.id", ondelete="CASCADE")
    technician_id: Mapped[int | None] = fk("technicians.id", nullable=True, index=False)
    sequence: Mapped[int | None] = mapped_column(SmallInteger)
    planned: Mapped[Range[datetime] | None] = mapped_column(TSTZRANGE)
    travel_seconds: Mapped[int] = mapped_column(Integer, server_default="0")
    travel_meters: Mapped[int] = mapped_column(Integer, server_default="0")
    unassigned_reason: Mapped[str | None] = mapped_column(String(32))
    explanation: Mapped[dict[str, Any]] = mapped_column(JSONB, server_default=text("'{}'::jsonb"))
    decision: Mapped[str] = mapped_column(String(16), server_default="proposed")

    __table_args__ = (
        UniqueConstraint("plan_id", "order_id"),
        CheckConstraint("(technician_id IS NULL) = (unassigned_reason IS NOT NULL)", name="assigned_or_reason"),
        CheckConstraint("decision IN ('proposed', 'accepted', 'rejected')", name="decision_known"),
    )
