"""Maintenance: preventive plans, by calendar interval or by meter, that create orders when due."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import Boolean, CheckConstraint, Date, Integer, Numeric, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from ops_db.kit.base import Base, IdMixin, TenantMixin, TimestampMixin, fk, str_enum
from ops_db.orders.models import Priority


class MaintenancePlan(IdMixin, TenantMixin, TimestampMixin, Base):
    """A recurring service for one piece of equipment (every N days, or every N meter units)."""

    __tablename__ = "maintenance_plans"

    customer_id: Mapped[int] = fk("customers.id", ondelete="CASCADE")
    equipment_id: Mapped[int] = fk("equipment.id", ondelete="CASCADE")
    name: Mapped[str] = mapped_column(String(200))
    task_description: Mapped[str] = mapped_column(Text)
    priority: Mapped[Priority] = mapped_column(str_enum(Priority, "maintenance_priority"), server_default="normal")
    required_skill_id: Mapped[int | None] = fk("skills.id", nullable=True, index=False)
    interval_days: Mapped[int | None] = mapped_column(Integer)
    meter: Mapped[str | None] = mapped_column(String(32))
    meter_interval: Mapped[Decimal | None] = mapped_column(Numeric(14, 2))
    next_due_on: Mapped[date | None] = mapped_column(Date, index=True)
    next_due_meter: Mapped[Decimal | None] = mapped_column(Numeric(14, 2))
    last_generated_at: Mapped[datetime | None]
    is_active: Mapped[bool] = mapped_column(Boolean, server_default="true")

    __table_args__ = (
        CheckConstraint("interval_days > 0 OR (meter IS NOT NULL AND meter_interval > 0)", name="has_trigger"),
    )
