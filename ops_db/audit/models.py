"""Audit: who changed what, before and after; records are hash-chained per tenant to reveal tampering."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, CheckConstraint, ForeignKey, Index, SmallInteger, String
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from ops_db.kit.base import Base, IdMixin, TenantMixin, fk


class AuditRecord(IdMixin, TenantMixin, Base):
    """One change made through a service (append-only: only ``repairops_audit_append`` writes it, migration 0014)."""

    __tablename__ = "audit_log"

    actor_user_id: Mapped[int | None] = fk("users.id", nullable=True, ondelete="SET NULL", index=False)
    actor_label: Mapped[str] = mapped_column(String(200))
    action: Mapped[str] = mapped_column(String(64))
    entity: Mapped[str] = mapped_column(String(64))
    entity_id: Mapped[int | None] = mapped_column(BigInteger)
    before: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    after: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    occurred_at: Mapped[datetime]
    prev_hash: Mapped[str | None] = mapped_column(String(64))
    hash: Mapped[str | None] = mapped_column(String(64))
    # 1: hashed by the application (before migration 0014); 2: hashed by the database's append function.
    hash_format: Mapped[int] = mapped_column(SmallInteger, server_default="1")

    __table_args__ = (
        Index("ix_audit_log_entity", "entity", "entity_id"),
        CheckConstraint("hash_format IN (1, 2)", name="hash_format_known"),
    )


class AuditChainHead(Base):
    """The newest audit record's hash per tenant; its row lock serialises appends so the chain never forks.

    Only ``repairops_audit_append`` moves it: the application role may read it, not write it.
    """

    __tablename__ = "audit_chain_heads"

    tenant_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("tenants.id", ondelete="CASCADE"), primary_key=True)
    last_id: Mapped[int] = mapped_column(BigInteger)
    last_hash: Mapped[str] = mapped_column(String(64))
