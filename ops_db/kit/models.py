"""Cross-area bookkeeping tables: per-tenant document number sequences and the deletion log."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    ForeignKey,
    Index,
    SmallInteger,
    String,
    func,
)
from sqlalchemy.orm import Mapped, mapped_column

from ops_db.kit.base import Base, IdMixin


class NumberSequence(Base):
    """The last number used per tenant, document kind and year (``RO-2026-000123``, ``INV-2026-000045``)."""

    __tablename__ = "number_sequences"

    tenant_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("tenants.id", ondelete="CASCADE"), primary_key=True)
    kind: Mapped[str] = mapped_column(String(16), primary_key=True)
    year: Mapped[int] = mapped_column(SmallInteger, primary_key=True)
    last_value: Mapped[int] = mapped_column(BigInteger, server_default="0")

    __table_args__ = (CheckConstraint("last_value >= 0", name="last_value_nonnegative"),)


class RowDeletion(IdMixin, Base):
    """A deleted row of a business table, recorded by trigger so incremental extracts can delete it too."""

    __tablename__ = "row_deletions"

    tenant_id: Mapped[int | None] = mapped_column(BigInteger)
    table_name: Mapped[str] = mapped_column(String(64))
    row_key: Mapped[str] = mapped_column(String(200))
    deleted_at: Mapped[datetime] = mapped_column(server_default=func.clock_timestamp())

    __table_args__ = (Index("ix_row_deletions_table_id", "table_name", "id"),)
