"""Row counts of the main tables, for the demo summary."""

from __future__ import annotations

from sqlalchemy import text

from ops_db.kit.db import admin_engine

SUMMARY_TABLES = (
    "tenants",
    "customers",
    "equipment",
    "technicians",
    "service_orders",
    "order_events",
    "order_lines",
    "bookings",
    "invoices",
    "payments",
    "refunds",
    "warranties",
    "stock_movements",
)


def counts(url: str) -> dict[str, int]:
    """Rows per main table (as admin, across tenants)."""
    with admin_engine(url).connect() as conn:
        return {t: int(conn.execute(text(f"SELECT count(*) FROM {t}")).scalar_one()) for t in SUMMARY_TABLES}
