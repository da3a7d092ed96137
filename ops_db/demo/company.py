"""The company under construction: its size, the state every part shares, and the writes they all use.

The parts of the company (catalogue, people, stock, schedule, finance, history) are classes over this one, joined
into a single generator in ``ops_db.demo.generator``; they share one random stream, so the order of the calls is
part of the data.
"""

from __future__ import annotations

import enum
import random
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from argon2.low_level import Type, hash_secret

from ops_db.demo.rows import RowBuffer, SeedStats, local_time, missing_timestamps
from ops_db.demo.vocabulary import DEMO_PASSWORD, TIME_ZONE
from ops_db.sla.calendar import Calendar


class Scale(enum.StrEnum):
    """How big a company to generate."""

    SMALL = "small"
    MEDIUM = "medium"
    LARGE = "large"


@dataclass(frozen=True)
class ScaleSpec:
    """Sizes for one scale."""

    technicians: int
    customers: int
    devices: int
    days: int
    orders_per_day: int


SPECS = {
    Scale.SMALL: ScaleSpec(technicians=12, customers=400, devices=800, days=90, orders_per_day=42),
    Scale.MEDIUM: ScaleSpec(technicians=60, customers=20_000, devices=40_000, days=365, orders_per_day=300),
    Scale.LARGE: ScaleSpec(technicians=400, customers=200_000, devices=400_000, days=730, orders_per_day=1660),
}


class Company:
    """One tenant's company being built: ids are assigned here so foreign keys line up without lookups."""

    # Filled by the catalogue and the people, read by the later parts.
    role_id: dict[str, int]
    skill_id: dict[str, int]
    policy: dict[str, tuple[int, int]]  # priority: (SLA policy id, resolution minutes)
    models: dict[str, list[int]]  # category: equipment model ids
    techs: list[tuple[int, set[int]]]  # (technician id, skill ids)
    customers: list[tuple[int, int]]  # (customer id, site id)
    devices: dict[int, list[tuple[int, str]]]  # customer id: (equipment id, category)

    def __init__(self, rng: random.Random, spec: ScaleSpec, as_of: date, tenant_id: int = 1) -> None:
        self.rng = rng
        self.spec = spec
        self.as_of = as_of
        self.tenant = tenant_id
        self.buf = RowBuffer()
        self.next_id: dict[str, int] = defaultdict(int)
        self.stats = SeedStats()
        self.stock: dict[tuple[int, int], Decimal] = {}
        self.reserved: dict[tuple[int, int], Decimal] = {}  # active reservations of open orders
        self.van_of: dict[int, int] = {}
        self.part_costs: list[tuple[int, Decimal, Decimal, int]] = []
        self.order_seq = 0
        self.invoice_seq = 0
        self.expense_category: dict[str, int] = {}
        self.response_minutes: dict[str, int] = {}
        self.calendar = Calendar.from_row(TIME_ZONE, {str(d): ["08:00", "18:00"] for d in range(5)})
        self._cursors: dict[date, dict[int, int]] = {}  # per repair day: minute each technician is free
        self._shift_days: set[tuple[int, date]] = set()  # (technician, day) that has a shift
        self.epoch = local_time(as_of - timedelta(days=spec.days + 1), 0)

    def new_id(self, table: str) -> int:
        """The next id of ``table``."""
        self.next_id[table] += 1
        return self.next_id[table]

    def add(self, table: str, columns: Sequence[str], *values: Any) -> None:
        """Queue one row of this tenant, its unnamed timestamps set to the company's first day."""
        stamps = missing_timestamps(table, columns)
        if stamps:  # never let now() in: the same seed must give the same rows
            columns, values = (*columns, *stamps), (*values, *([self.epoch] * len(stamps)))
        self.buf.add(table, ("tenant_id", *columns), (self.tenant, *values))

    def user(self, email: str, name: str, role: str, customer_id: int | None) -> int:
        """A login with the demo password and one role; its id."""
        uid = self.new_id("users")
        salt = self.rng.getrandbits(128).to_bytes(16, "big")
        pw = hash_secret(
            DEMO_PASSWORD.encode(), salt, time_cost=2, memory_cost=19456, parallelism=1, hash_len=32, type=Type.ID
        ).decode()
        self.add(
            "users", ("id", "email", "full_name", "password_hash", "customer_id"), uid, email, name, pw, customer_id
        )
        self.add(
            "role_grants",
            ("user_id", "role_id", "granted_at"),
            uid,
            self.role_id[role],
            local_time(self.as_of - timedelta(days=self.spec.days + 1), 0),
        )
        return uid

    def event(self, oid: int, etype: str, at: datetime, frm: str | None = None, to: str | None = None) -> None:
        """One entry of an order's history (orders, invoices and payments all write them)."""
        self.add(
            "order_events",
            ("id", "order_id", "event_type", "from_stage", "to_stage", "actor_label", "occurred_at"),
            self.new_id("order_events"),
            oid,
            etype,
            frm,
            to,
            "demo",
            at,
        )
        self.stats.events += 1
