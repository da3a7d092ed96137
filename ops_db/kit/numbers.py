"""Human document numbers per tenant, kind and year (``RO-2026-000123``) without gaps from races."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import text
from sqlalchemy.orm import Session


def next_number(session: Session, tenant_id: int, kind: str, prefix: str, when: datetime) -> str:
    """Allocate the next number; the upsert's row lock serialises concurrent allocations."""
    value: int = session.execute(
        text(
            "INSERT INTO number_sequences (tenant_id, kind, year, last_value) VALUES (:t, :k, :y, 1)"
            " ON CONFLICT (tenant_id, kind, year) DO UPDATE SET last_value = number_sequences.last_value + 1"
            " RETURNING last_value"
        ),
        {"t": tenant_id, "k": kind, "y": when.year},
    ).scalar_one()
    return f"{prefix}-{when.year}-{value:06d}"
