"""Knowledge base: repair guides and known faults, linked to models and fault types."""

from __future__ import annotations

from sqlalchemy import ARRAY, Boolean, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from ops_db.kit.base import Base, IdMixin, TenantMixin, TimestampMixin, fk


class KbArticle(IdMixin, TenantMixin, TimestampMixin, Base):
    """An article technicians consult (and write) about a model or fault."""

    __tablename__ = "kb_articles"

    title: Mapped[str] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text)
    tags: Mapped[list[str]] = mapped_column(ARRAY(String(64)), server_default="{}")
    equipment_model_id: Mapped[int | None] = fk("equipment_models.id", nullable=True, ondelete="SET NULL")
    fault_type: Mapped[str | None] = mapped_column(String(64))
    author_id: Mapped[int | None] = fk("users.id", nullable=True, ondelete="SET NULL", index=False)
    is_published: Mapped[bool] = mapped_column(Boolean, server_default="false")
