"""Assets: manufacturers, equipment models, the customers' equipment and its meter readings."""

from __future__ import annotations

import enum
from datetime import date, datetime
from decimal import Decimal
from typing import ClassVar

from sqlalchemy import (
    CheckConstraint,
    Date,
    Numeric,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from ops_db.i18n import N_
from ops_db.kit.base import (
    Base,
    IdMixin,
    Money,
    TenantMixin,
    TimestampMixin,
    fk,
    str_enum,
)


class EquipmentStatus(enum.StrEnum):
    """Where a piece of equipment is in its life."""

    ACTIVE = "active"
    IN_REPAIR = "in_repair"
    RETIRED = "retired"
    LOST = "lost"


class Manufacturer(IdMixin, TenantMixin, TimestampMixin, Base):
    """A maker of equipment."""

    __tablename__ = "manufacturers"

    name: Mapped[str] = mapped_column(String(200))

    __table_args__ = (UniqueConstraint("tenant_id", "name"),)


class EquipmentModel(IdMixin, TenantMixin, TimestampMixin, Base):
    """A product model (reliability marts aggregate per model)."""

    __tablename__ = "equipment_models"
    not_found: ClassVar[str] = N_("Device model {model} does not exist.")  # what uow.get says when there is none

    manufacturer_id: Mapped[int] = fk("manufacturers.id", ondelete="CASCADE")
    name: Mapped[str] = mapped_column(String(200))
    category: Mapped[str] = mapped_column(String(64))
    default_warranty_months: Mapped[int] = mapped_column(SmallInteger, server_default="12")

    __table_args__ = (
        UniqueConstraint("tenant_id", "manufacturer_id", "name"),
        CheckConstraint("default_warranty_months >= 0", name="warranty_nonnegative"),
    )


class Equipment(IdMixin, TenantMixin, TimestampMixin, Base):
    """A customer's device or installed unit, identified by serial number."""

    __tablename__ = "equipment"
    not_found: ClassVar[str] = N_("Device {device} does not exist.")  # what uow.get says when there is none

    customer_id: Mapped[int] = fk("customers.id", ondelete="CASCADE")
    model_id: Mapped[int] = fk("equipment_models.id")
    site_id: Mapped[int | None] = fk("customer_sites.id", nullable=True, ondelete="SET NULL")
    serial_number: Mapped[str | None] = mapped_column(String(100), index=True)
    purchase_date: Mapped[date | None] = mapped_column(Date)
    purchase_price: Mapped[Money | None]
    location_note: Mapped[str | None] = mapped_column(Text)
    status: Mapped[EquipmentStatus] = mapped_column(
        str_enum(EquipmentStatus, "equipment_status"), server_default="active"
    )

    __table_args__ = (
        UniqueConstraint("tenant_id", "model_id", "serial_number"),
        CheckConstraint("purchase_price >= 0", name="purchase_price_nonnegative"),
    )


class MeterReading(IdMixin, TenantMixin, Base):
    """A reading of a usage meter (hours, cycles, pages) for meter-based maintenance."""

    __tablename__ = "meter_readings"

    equipment_id: Mapped[int] = fk("equipment.id", ondelete="CASCADE")
    meter: Mapped[str] = mapped_column(String(32))
    value: Mapped[Decimal] = mapped_column(Numeric(14, 2))
    read_at: Mapped[datetime]

    __table_args__ = (CheckConstraint("value >= 0", name="value_nonnegative"),)
