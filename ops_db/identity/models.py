"""Identity: tenants (white-label settings), users, roles, permissions, grants, logins, TOTP."""

from __future__ import annotations

import enum
import uuid
from datetime import datetime, time
from typing import Any, ClassVar

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    ForeignKey,
    Index,
    LargeBinary,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB, UUID
from sqlalchemy.orm import Mapped, mapped_column

from ops_db.i18n import N_
from ops_db.kit.base import Base, IdMixin, TenantMixin, TimestampMixin, fk


class RoleCode(enum.StrEnum):
    """The built-in roles every tenant starts with."""

    ADMIN = "admin"
    MANAGER = "manager"
    DISPATCHER = "dispatcher"
    FRONT_DESK = "front_desk"
    TECHNICIAN = "technician"
    INVENTORY = "inventory"
    FINANCE = "finance"
    CUSTOMER = "customer"
    AUDITOR = "auditor"


class Tenant(IdMixin, TimestampMixin, Base):
    """A repair company using RepairOps, with its branding and locale, currency and tax settings."""

    __tablename__ = "tenants"

    slug: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    legal_name: Mapped[str | None] = mapped_column(String(200))
    tax_number: Mapped[str | None] = mapped_column(String(64))
    branding: Mapped[dict[str, Any]] = mapped_column(JSONB, server_default=text("'{}'::jsonb"))
    locale: Mapped[str] = mapped_column(String(16), server_default="en")
    time_zone: Mapped[str] = mapped_column(String(64), server_default="UTC")
    currency: Mapped[str] = mapped_column(String(3), server_default="USD")
    prices_include_tax: Mapped[bool] = mapped_column(Boolean, server_default="false")
    order_number_prefix: Mapped[str] = mapped_column(String(8), server_default="RO")
    invoice_number_prefix: Mapped[str] = mapped_column(String(8), server_default="INV")
    require_totp: Mapped[bool] = mapped_column(Boolean, server_default="false")
    max_failed_logins: Mapped[int] = mapped_column(SmallInteger, server_default="5")
    is_active: Mapped[bool] = mapped_column(Boolean, server_default="true")

    __table_args__ = (
        CheckConstraint("currency ~ '^[A-Z]{3}$'", name="currency_iso"),
        CheckConstraint("slug ~ '^[a-z0-9][a-z0-9-]*$'", name="slug_format"),
    )


class User(IdMixin, TenantMixin, TimestampMixin, Base):
    """A person who signs in: staff member or customer (``customer_id`` set)."""

    __tablename__ = "users"
    not_found: ClassVar[str] = N_("User {user} does not exist.")  # what uow.get says when there is none

    email: Mapped[str] = mapped_column(String(254))
    full_name: Mapped[str] = mapped_column(String(200))
    password_hash: Mapped[str | None] = mapped_column(Text)
    locale: Mapped[str | None] = mapped_column(String(16))
    time_zone: Mapped[str | None] = mapped_column(String(64))
    phone: Mapped[str | None] = mapped_column(String(32))
    # Local time (company zone) at which the day's emails go out as one digest; None sends each at once.
    email_digest_at: Mapped[time | None]
    customer_id: Mapped[int | None] = fk("customers.id", nullable=True, ondelete="SET NULL")
    is_active: Mapped[bool] = mapped_column(Boolean, server_default="true")
    failed_logins: Mapped[int] = mapped_column(SmallInteger, server_default="0")
    locked_until: Mapped[datetime | None]
    last_login_at: Mapped[datetime | None]

    __table_args__ = (
        Index("uq_users_tenant_email", "tenant_id", func.lower(text("email")), unique=True),
        CheckConstraint("failed_logins >= 0", name="failed_logins_nonnegative"),
    )


class Permission(IdMixin, Base):
    """A fine-grained permission ``area.action`` (e.g. ``orders.transition``); a global catalogue."""

    __tablename__ = "permissions"

    code: Mapped[str] = mapped_column(String(64), unique=True)
    area: Mapped[str] = mapped_column(String(32))
    action: Mapped[str] = mapped_column(String(32))
    description: Mapped[str] = mapped_column(Text, server_default="")


class Role(IdMixin, TenantMixin, TimestampMixin, Base):
    """A named set of permissions within a tenant."""

    __tablename__ = "roles"

    code: Mapped[str] = mapped_column(String(32))
    name: Mapped[str] = mapped_column(String(100))
    description: Mapped[str] = mapped_column(Text, server_default="")
    is_system: Mapped[bool] = mapped_column(Boolean, server_default="false")

    __table_args__ = (UniqueConstraint("tenant_id", "code"),)


class RolePermission(TenantMixin, Base):
    """Which permissions a role carries."""

    __tablename__ = "role_permissions"

    role_id: Mapped[int] = fk("roles.id", ondelete="CASCADE", primary_key=True, index=False)
    permission_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("permissions.id", ondelete="CASCADE"), primary_key=True
    )


class RoleGrant(TenantMixin, Base):
    """A role given to a user."""

    __tablename__ = "role_grants"

    user_id: Mapped[int] = fk("users.id", ondelete="CASCADE", primary_key=True, index=False)
    role_id: Mapped[int] = fk("roles.id", ondelete="CASCADE", primary_key=True, index=False)
    granted_by: Mapped[int | None] = fk("users.id", nullable=True, ondelete="SET NULL", index=False)
    granted_at: Mapped[datetime] = mapped_column(server_default=func.now())


class LoginAttempt(IdMixin, TenantMixin, Base):
    """Every sign-in attempt, successful or not (lockout and security review)."""

    __tablename__ = "login_attempts"

    user_id: Mapped[int | None] = fk("users.id", nullable=True, ondelete="SET NULL")
    email: Mapped[str] = mapped_column(String(254))
    succeeded: Mapped[bool] = mapped_column(Boolean)
    reason: Mapped[str | None] = mapped_column(String(64))
    ip_address: Mapped[str | None] = mapped_column(String(64))
    user_agent: Mapped[str | None] = mapped_column(Text)
    attempted_at: Mapped[datetime] = mapped_column(server_default=func.now(), index=True)


class TotpSecret(TenantMixin, Base):
    """A user's TOTP second factor; the secret is stored encrypted (never in clear)."""

    __tablename__ = "totp_secrets"

    user_id: Mapped[int] = fk("users.id", ondelete="CASCADE", primary_key=True, index=False)
    secret_encrypted: Mapped[bytes] = mapped_column(LargeBinary)
    confirmed_at: Mapped[datetime | None]
    last_used_step: Mapped[int | None] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())


class AuthSession(TenantMixin, Base):
    """One sign-in (web app or API) until it expires or ends: signed out, or ended by the database when the
    person is locked, switched off or changes password, or the company is switched off or starts requiring a
    second factor (migration 0011). Its refresh token is one-use: ``refresh_generation`` counts rotations."""

    __tablename__ = "auth_sessions"

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    user_id: Mapped[int] = fk("users.id", ondelete="CASCADE", index=False)
    second_factor: Mapped[bool] = mapped_column(Boolean, server_default="false")
    refresh_generation: Mapped[int] = mapped_column(server_default="0")
    password_failures: Mapped[int] = mapped_column(SmallInteger, server_default="0")
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())
    refreshed_at: Mapped[datetime | None]
    expires_at: Mapped[datetime]
    revoked_at: Mapped[datetime | None]
    revoked_reason: Mapped[str | None] = mapped_column(String(32))


class SignInThrottle(Base):
    """Recent failed sign-ins for one key: an account (``email``), a client ``address``, or an account from one
    address (both); past its free failures a key is refused until ``blocked_until``; an hour without failures
    starts it again (migration 0013, see ``identity.service.authenticate``)."""

    __tablename__ = "sign_in_throttles"

    tenant_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("tenants.id", ondelete="CASCADE"), primary_key=True)
    email: Mapped[str] = mapped_column(String(254), primary_key=True, server_default="")
    address: Mapped[str] = mapped_column(String(64), primary_key=True, server_default="")
    failures: Mapped[int] = mapped_column(server_default="0")
    last_failure_at: Mapped[datetime]
    blocked_until: Mapped[datetime | None]

    __table_args__ = (
        CheckConstraint("failures >= 0", name="failures_nonnegative"),
        CheckConstraint("email <> '' OR address <> ''", name="has_key"),
        Index("ix_sign_in_throttles_last_failure_at", "tenant_id", "last_failure_at"),
    )
