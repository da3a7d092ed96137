"""Customers: people and companies (with hierarchy), contacts, sites, preferences, loyalty tiers."""

from __future__ import annotations

import enum
from datetime import datetime, time
from decimal import Decimal
from typing import ClassVar

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Index,
    Numeric,
    SmallInteger,
    String,
    Text,
    Time,
    func,
    text,
)
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


class CustomerKind(enum.StrEnum):
    """A private person or a company (which may have parent companies)."""

    PERSON = "person"
    COMPANY = "company"


class Channel(enum.StrEnum):
    """Ways of reaching a person."""

    EMAIL = "email"
    SMS = "sms"
    WHATSAPP = "whatsapp"
    IN_APP = "in_app"
    PHONE = "phone"


class CustomerTier(IdMixin, TenantMixin, TimestampMixin, Base):
    """A loyalty tier: its discount applies to order lines; SLA policies can target it."""

    __tablename__ = "customer_tiers"

    code: Mapped[str] = mapped_column(String(32))
    name: Mapped[str] = mapped_column(String(100))
    discount_pct: Mapped[Decimal] = mapped_column(Numeric(5, 2), server_default="0")
    rank: Mapped[int] = mapped_column(SmallInteger, server_default="0")

    __table_args__ = (CheckConstraint("discount_pct >= 0 AND discount_pct <= 100", name="discount_range"),)


class Customer(IdMixin, TenantMixin, TimestampMixin, Base):
    """A customer of the repair company."""

    __tablename__ = "customers"
    not_found: ClassVar[str] = N_("Customer {customer} does not exist.")  # what uow.get says when there is none

    kind: Mapped[CustomerKind] = mapped_column(str_enum(CustomerKind, "customer_kind"))
    name: Mapped[str] = mapped_column(String(200))
    parent_id: Mapped[int | None] = fk("customers.id", nullable=True, ondelete="SET NULL")
    email: Mapped[str | None] = mapped_column(String(254), index=True)
    phone: Mapped[str | None] = mapped_column(String(32), index=True)
    tax_number: Mapped[str | None] = mapped_column(String(64))
    tier_id: Mapped[int | None] = fk("customer_tiers.id", nullable=True, ondelete="SET NULL")
    segment: Mapped[str] = mapped_column(String(32), server_default="retail")
    internal_rating: Mapped[int | None] = mapped_column(SmallInteger)
    approval_threshold: Mapped[Money | None] = mapped_column(
        Numeric(12, 2), comment="Estimates above this need the customer's explicit approval before repair."
    )
    is_active: Mapped[bool] = mapped_column(Boolean, server_default="true")

    __table_args__ = (
        CheckConstraint("internal_rating BETWEEN 1 AND 5", name="internal_rating_range"),
        CheckConstraint("approval_threshold >= 0", name="approval_threshold_nonnegative"),
        CheckConstraint("parent_id IS NULL OR parent_id <> id", name="not_own_parent"),
        CheckConstraint("length(btrim(name)) > 0", name="name_not_blank"),
        # One customer per normalised email within a company (migration 0013): the database, not a lookup that
        # two parallel requests both pass, keeps a second one out.
        Index(
            "uq_customers_tenant_email",
            "tenant_id",
            func.lower(func.btrim(text("email"))),
            unique=True,
            postgresql_where=text("email IS NOT NULL"),
        ),
    )


class CustomerContact(IdMixin, TenantMixin, TimestampMixin, Base):
    """A contact person at a customer (for companies: several)."""

    __tablename__ = "customer_contacts"

    customer_id: Mapped[int] = fk("customers.id", ondelete="CASCADE")
    name: Mapped[str] = mapped_column(String(200))
    role: Mapped[str | None] = mapped_column(String(100))
    email: Mapped[str | None] = mapped_column(String(254))
    phone: Mapped[str | None] = mapped_column(String(32))
    is_primary: Mapped[bool] = mapped_column(Boolean, server_default="false")


class CustomerSite(IdMixin, TenantMixin, TimestampMixin, Base):
    """An address where equipment stands and technicians go, with coordinates and access notes."""

    __tablename__ = "customer_sites"

    customer_id: Mapped[int] = fk("customers.id", ondelete="CASCADE")
    label: Mapped[str] = mapped_column(String(100), server_default="Main")
    address_line1: Mapped[str] = mapped_column(String(200))
    address_line2: Mapped[str | None] = mapped_column(String(200))
    city: Mapped[str] = mapped_column(String(100))
    region: Mapped[str | None] = mapped_column(String(100))
    postal_code: Mapped[str | None] = mapped_column(String(20))
    country: Mapped[str] = mapped_column(String(2), server_default="US")
    latitude: Mapped[Coordinate | None]
    longitude: Mapped[Coordinate | None]
    access_notes: Mapped[str | None] = mapped_column(Text)

    __table_args__ = (
        CheckConstraint("latitude BETWEEN -90 AND 90", name="latitude_range"),
        CheckConstraint("longitude BETWEEN -180 AND 180", name="longitude_range"),
    )


class CustomerPreference(TenantMixin, TimestampMixin, Base):
    """How and when a customer wants to be contacted."""

    __tablename__ = "customer_preferences"

    customer_id: Mapped[int] = fk("customers.id", ondelete="CASCADE", primary_key=True, index=False)
    channel: Mapped[Channel] = mapped_column(str_enum(Channel, "preferred_channel"), server_default="email")
    language: Mapped[str] = mapped_column(String(16), server_default="en")
    quiet_hours_start: Mapped[time | None] = mapped_column(Time)
    quiet_hours_end: Mapped[time | None] = mapped_column(Time)
    marketing_opt_in: Mapped[bool] = mapped_column(Boolean, server_default="false")


class CustomerNote(IdMixin, TenantMixin, Base):
    """A free-text note about a customer."""

    __tablename__ = "customer_notes"

    customer_id: Mapped[int] = fk("customers.id", ondelete="CASCADE")
    author_id: Mapped[int | None] = fk("users.id", nullable=True, ondelete="SET NULL", index=False)
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime]


class CustomerReminder(IdMixin, TenantMixin, TimestampMixin, Base):
    """A dated reminder about a customer (call back, planned work)."""

    __tablename__ = "customer_reminders"

    customer_id: Mapped[int] = fk("customers.id", ondelete="CASCADE")
    assigned_to: Mapped[int | None] = fk("users.id", nullable=True, ondelete="SET NULL")
    due_at: Mapped[datetime]
    body: Mapped[str] = mapped_column(Text)
    done_at: Mapped[datetime | None]
