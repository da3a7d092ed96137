"""Warranty: coverage per device (manufacturer, extended) and per repair (parts/labour), and claims."""

from __future__ import annotations

import enum
from datetime import date, datetime
from typing import ClassVar

from sqlalchemy import CheckConstraint, Date, String, Text
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


class WarrantyKind(enum.StrEnum):
    """Who gives the warranty."""

    MANUFACTURER = "manufacturer"
    EXTENDED = "extended"
    REPAIR = "repair"


class Coverage(enum.StrEnum):
    """What the warranty pays for."""

    PARTS = "parts"
    LABOUR = "labour"
    FULL = "full"


class ClaimStatus(enum.StrEnum):
    """Life of a warranty claim."""

    SUBMITTED = "submitted"
    APPROVED = "approved"
    REJECTED = "rejected"
    PAID = "paid"


class Warranty(IdMixin, TenantMixin, TimestampMixin, Base):
    """Coverage of one device, from the manufacturer or from one of our repairs."""

    __tablename__ = "warranties"
    not_found: ClassVar[str] = N_("Warranty {warranty} does not exist.")  # what uow.get says when there is none

    equipment_id: Mapped[int] = fk("equipment.id", ondelete="CASCADE")
    order_id: Mapped[int | None] = fk("service_orders.id", nullable=True, ondelete="SET NULL")
    kind: Mapped[WarrantyKind] = mapped_column(str_enum(WarrantyKind, "warranty_kind"))
    coverage: Mapped[Coverage] = mapped_column(str_enum(Coverage, "warranty_coverage"))
    provider: Mapped[str | None] = mapped_column(String(200))
    starts_on: Mapped[date] = mapped_column(Date)
    ends_on: Mapped[date] = mapped_column(Date, index=True)
    terms: Mapped[str | None] = mapped_column(Text)

    __table_args__ = (
        CheckConstraint("ends_on >= starts_on", name="ends_after_start"),
        CheckConstraint("kind <> 'repair' OR order_id IS NOT NULL", name="repair_warranty_has_order"),
    )


class WarrantyClaim(IdMixin, TenantMixin, TimestampMixin, Base):
    """A claim that a repair is covered by a warranty."""

    __tablename__ = "warranty_claims"
    not_found: ClassVar[str] = N_("Claim {claim} does not exist.")  # what uow.get says when there is none

    warranty_id: Mapped[int] = fk("warranties.id", ondelete="CASCADE")
    order_id: Mapped[int] = fk("service_orders.id", ondelete="CASCADE")
    status: Mapped[ClaimStatus] = mapped_column(str_enum(ClaimStatus, "claim_status"), server_default="submitted")
    claimed_amount: Mapped[Money]
    approved_amount: Mapped[Money | None]
    reason: Mapped[str | None] = mapped_column(Text)
    submitted_at: Mapped[datetime]
    decided_at: Mapped[datetime | None]

    __table_args__ = (
        CheckConstraint("claimed_amount >= 0", name="claimed_nonnegative"),
        CheckConstraint("approved_amount IS NULL OR approved_amount <= claimed_amount", name="approved_within"),
    )
