"""Rows waiting for COPY: the per-table buffer, money and local-time helpers, the load order, the flush."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal
from functools import cache
from typing import Any
from zoneinfo import ZoneInfo

import psycopg

from ops_db.demo.vocabulary import TIME_ZONE

CENT = Decimal("0.01")
TZ = ZoneInfo(TIME_ZONE)


@dataclass
class SeedStats:
    """What a seed run wrote and how long it took."""

    orders: int = 0
    events: int = 0
    rows: int = 0
    seconds: float = 0.0


@dataclass
class RowBuffer:
    """Rows waiting for COPY, per table, in column order."""

    columns: dict[str, Sequence[str]] = field(default_factory=dict)
    rows: dict[str, list[tuple[Any, ...]]] = field(default_factory=lambda: defaultdict(list))

    def add(self, table: str, columns: Sequence[str], row: tuple[Any, ...]) -> None:
        """Queue ``row`` for ``table``; every row of a table names the same columns."""
        if self.columns.setdefault(table, columns) != columns:
            raise ValueError(f"rows for {table} must always name the same columns")
        self.rows[table].append(row)


def money(value: Decimal | float) -> Decimal:
    """``value`` rounded half up to the cent."""
    return Decimal(str(value)).quantize(CENT, rounding=ROUND_HALF_UP)


def local_time(day: date, minutes: int) -> datetime:
    """A UTC timestamp ``minutes`` after local midnight of ``day`` in the tenant's time zone."""
    return (datetime.combine(day, time(0), TZ) + timedelta(minutes=minutes)).astimezone(UTC)


@cache
def _missing_timestamps_for(table: str, columns: tuple[str, ...]) -> tuple[str, ...]:
    from ops_db.models import metadata

    if table not in metadata.tables:
        return ()
    known = metadata.tables[table].c
    stamps = ("created_at", "updated_at", "granted_at", "attempted_at")
    return tuple(c for c in stamps if c in known and c not in columns)


def missing_timestamps(table: str, columns: Sequence[str]) -> tuple[str, ...]:
    """The timestamp columns of ``table`` that ``columns`` leave out (the database would fill them with now())."""
    return _missing_timestamps_for(table, tuple(columns))


# Tables in an order that satisfies foreign keys when loaded chunk by chunk.
LOAD_ORDER = [
    "tenants",
    "roles",
    "tax_rates",
    "customer_tiers",
    "business_calendars",
    "sla_policies",
    "skills",
    "service_catalog_items",
    "stock_locations",
    "suppliers",
    "manufacturers",
    "equipment_models",
    "parts",
    "customers",
    "users",
    "role_grants",
    "technicians",
    "technician_skills",
    "commission_rules",
    "customer_sites",
    "customer_preferences",
    "equipment",
    "shifts",
    "shift_breaks",
    "service_orders",
    "order_events",
    "order_lines",
    "stock_reservations",
    "sla_clocks",
    "bookings",
    "time_entries",
    "invoices",
    "invoice_lines",
    "payments",
    "refunds",
    "warranties",
    "order_ratings",
    "stock_movements",
    "stock_levels",
    "expense_categories",
    "expenses",
    "number_sequences",
]


def flush(conn: psycopg.Connection[Any], buf: RowBuffer, stats: SeedStats) -> None:
    """COPY every buffered row into its table, parents before children, and empty the buffer."""
    for table in LOAD_ORDER:
        rows = buf.rows.pop(table, None)
        if not rows:
            continue
        cols = buf.columns[table]
        with conn.cursor() as cur, cur.copy(f"COPY {table} ({', '.join(cols)}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
        stats.rows += len(rows)
    leftover = [t for t, r in buf.rows.items() if r and t != "stock_levels_pending"]
    if leftover:
        raise RuntimeError(f"generator produced rows for tables not in LOAD_ORDER: {leftover}")
