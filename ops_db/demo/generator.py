"""Deterministic demo company: a repair business with history that obeys every rule of the schema.

Everything is derived from one ``random.Random(seed)`` and an ``as_of`` day, so two runs with
the same arguments write identical rows (ids, timestamps, tracking codes and password hashes
included). Rows are buffered per table and written with COPY, a chunk of days at a time, so the
``large`` scale (~1M orders, ~10M events) runs in bounded memory.
"""

from __future__ import annotations

import enum
import random
import time as _time
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal
from functools import cache
from typing import Any
from zoneinfo import ZoneInfo

import psycopg
from argon2.low_level import Type, hash_secret
from psycopg.types.range import Range
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

from ops_db.kit.db import psycopg_conninfo
from ops_db.orders.models import Stage
from ops_db.orders.stages import CUSTOMER_WAIT_STAGES, TRANSITIONS
from ops_db.sla.calendar import Calendar

DEMO_PASSWORD = "demo-pass-2026"
CENT = Decimal("0.01")
TZ = ZoneInfo("America/Chicago")
CENTER = (41.8781, -87.6298)


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

# The happy path in the order the model declares it. Every step and side exit (hold, cancel) the demo writes is one
# the orders' own stage machine (ops_db.orders.stages.TRANSITIONS) allows: see _may_move.
STAGE_PATH = [s.value for s in Stage if s not in (Stage.ON_HOLD, Stage.CANCELLED)]
ROLES = ["admin", "manager", "dispatcher", "front_desk", "technician", "inventory", "finance", "customer", "auditor"]
STAFF = [
    ("admin", "Alex Admin"),
    ("manager", "Morgan Manager"),
    ("dispatcher", "Dana Dispatcher"),
    ("front_desk", "Frankie Desk"),
    ("inventory", "Ivan Stock"),
    ("finance", "Fiona Finance"),
    ("auditor", "Avery Auditor"),
]
SKILLS = [
    ("phone", "Phone repair"),
    ("laptop", "Laptop repair"),
    ("tv", "TV and AV"),
    ("appliance", "Home appliances"),
    ("hvac", "Heating and cooling"),
    ("printer", "Printers"),
    ("console", "Game consoles"),
    ("board", "Board-level soldering"),
]
CATEGORIES = {
    "phone": ["Apple", "Samsung", "Google"],
    "laptop": ["Lenovo", "Dell", "HP"],
    "tv": ["LG", "Sony"],
    "appliance": ["Bosch", "Whirlpool"],
    "hvac": ["Carrier", "Daikin"],
    "printer": ["Brother", "Canon"],
    "console": ["Sony", "Nintendo"],
}
FAULTS = [
    "no_power",
    "broken_screen",
    "water_damage",
    "battery",
    "noise",
    "overheating",
    "no_signal",
    "leak",
    "error_code",
    "mechanical",
]
FIRST = [
    "Olivia",
    "Liam",
    "Emma",
    "Noah",
    "Ava",
    "Mateo",
    "Sofia",
    "Lucas",
    "Mia",
    "Ivan",
    "Anna",
    "Wei",
    "Li",
    "Joao",
    "Maria",
    "Aisha",
    "Omar",
    "Chloe",
    "Ethan",
    "Zoe",
]
LAST = [
    "Smith",
    "Garcia",
    "Kowalski",
    "Nguyen",
    "Ivanova",
    "Silva",
    "Chen",
    "Brown",
    "Okafor",
    "Rossi",
    "Müller",
    "Haddad",
    "Johnson",
    "Petrov",
    "Santos",
    "Wang",
]
PRIORITIES = [("emergency", 2), ("high", 13), ("normal", 70), ("low", 15)]
TAX_PCT = Decimal("8.250")


@dataclass
class SeedStats:
    """What a seed run wrote and how long it took."""

    orders: int = 0
    events: int = 0
    rows: int = 0
    seconds: float = 0.0


@dataclass
class _Buffer:
    """Rows waiting for COPY, per table, in column order."""

    columns: dict[str, Sequence[str]] = field(default_factory=dict)
    rows: dict[str, list[tuple[Any, ...]]] = field(default_factory=lambda: defaultdict(list))

    def add(self, table: str, columns: Sequence[str], row: tuple[Any, ...]) -> None:
        if self.columns.setdefault(table, columns) != columns:
            raise ValueError(f"rows for {table} must always name the same columns")
        self.rows[table].append(row)


def _money(value: Decimal | float) -> Decimal:
    return Decimal(str(value)).quantize(CENT, rounding=ROUND_HALF_UP)


def _ts(day: date, minutes: int) -> datetime:
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


def _missing_timestamps(table: str, columns: Sequence[str]) -> tuple[str, ...]:
    return _missing_timestamps_for(table, tuple(columns))


def is_empty(url: str) -> bool:
    """True when the database holds no tenant yet."""
    with psycopg.connect(psycopg_conninfo(url)) as conn:
        return conn.execute("SELECT NOT EXISTS (SELECT 1 FROM tenants)").fetchone() == (True,)


class _Generator:
    """Builds one tenant's company; ids are assigned here so foreign keys line up without lookups."""

    def __init__(self, rng: random.Random, spec: ScaleSpec, as_of: date, tenant_id: int = 1) -> None:
        self.rng = rng
        self.spec = spec
        self.as_of = as_of
        self.tenant = tenant_id
        self.buf = _Buffer()
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
        self.calendar = Calendar.from_row("America/Chicago", {str(d): ["08:00", "18:00"] for d in range(5)})
        self._cursors: dict[date, dict[int, int]] = {}  # per repair day: minute each technician is free
        self._shift_days: set[tuple[int, date]] = set()  # (technician, day) that has a shift
        self.epoch = _ts(as_of - timedelta(days=spec.days + 1), 0)

    def new_id(self, table: str) -> int:
        self.next_id[table] += 1
        return self.next_id[table]

    def add(self, table: str, columns: Sequence[str], *values: Any) -> None:
        stamps = _missing_timestamps(table, columns)
        if stamps:  # never let now() in: the same seed must give the same rows
            columns, values = (*columns, *stamps), (*values, *([self.epoch] * len(stamps)))
        self.buf.add(table, ("tenant_id", *columns), (self.tenant, *values))

    # ---- reference data -------------------------------------------------------------------------------
    def reference(self) -> None:
        rng = self.rng
        start = _ts(self.as_of - timedelta(days=self.spec.days + 1), 0)
        self.buf.add(
            "tenants",
            (
                "id",
                "slug",
                "name",
                "legal_name",
                "locale",
                "time_zone",
                "currency",
                "branding",
                "created_at",
                "updated_at",
            ),
            (
                self.tenant,
                "riverside",
                "Riverside Repair Co.",
                "Riverside Repair Company LLC",
                "en",
                "America/Chicago",
                "USD",
                psycopg.types.json.Jsonb({"primary_color": "#0f766e", "logo_text": "Riverside"}),
                start,
                start,
            ),
        )
        for i, code in enumerate(ROLES, 1):
            self.add("roles", ("id", "code", "name", "is_system"), i, code, code.replace("_", " ").title(), True)
        self.role_id = {code: i for i, code in enumerate(ROLES, 1)}
        for code, name in STAFF:
            self._user(f"{code.replace('_', '')}@riverside.example", name, code, None)
        self.add(
            "tax_rates",
            ("id", "code", "name", "rate_pct", "is_default", "valid_from"),
            1,
            "std",
            "Sales tax",
            TAX_PCT,
            True,
            date(2020, 1, 1),
        )
        for i, (code, pct) in enumerate([("bronze", 0), ("silver", 5), ("gold", 10)], 1):
            self.add(
                "customer_tiers", ("id", "code", "name", "discount_pct", "rank"), i, code, code.title(), Decimal(pct), i
            )
        self.add(
            "business_calendars",
            ("id", "name", "time_zone", "weekly_hours"),
            1,
            "Weekdays 8-18",
            "America/Chicago",
            psycopg.types.json.Jsonb({str(d): ["08:00", "18:00"] for d in range(5)}),
        )
        targets = {"emergency": (60, 480), "high": (240, 1440), "normal": (480, 4320), "low": (960, 7200)}
        self.policy = {}
        for i, (prio, (resp, res)) in enumerate(targets.items(), 1):
            self.add(
                "sla_policies",
                ("id", "name", "priority", "calendar_id", "response_minutes", "resolution_minutes"),
                i,
                f"Standard {prio}",
                prio,
                1,
                resp,
                res,
            )
            self.policy[prio] = (i, res)
            self.response_minutes[prio] = resp
        for i, (code, name) in enumerate(SKILLS, 1):
            self.add("skills", ("id", "code", "name"), i, code, name)
        self.skill_id = {code: i for i, (code, _) in enumerate(SKILLS, 1)}
        for i, (code, name) in enumerate(SKILLS, 1):
            price = _money(rng.choice([49, 69, 89, 120, 150]))
            self.add(
                "service_catalog_items",
                ("id", "code", "name", "category", "default_price", "default_minutes", "skill_id", "warranty_months"),
                i,
                f"svc-{code}",
                f"{name} service",
                code,
                price,
                rng.choice([45, 60, 90, 120]),
                i,
                3,
            )
        self.add(
            "stock_locations",
            ("id", "code", "name", "kind", "latitude", "longitude"),
            1,
            "WH1",
            "Main warehouse",
            "warehouse",
            Decimal("41.878100"),
            Decimal("-87.629800"),
        )
        self.add("suppliers", ("id", "name", "email", "lead_time_days"), 1, "PartsCo", "orders@partsco.example", 3)
        self.models: dict[str, list[int]] = defaultdict(list)
        man_ids: dict[str, int] = {}
        for category, makers in CATEGORIES.items():
            for maker in makers:
                if maker not in man_ids:
                    man_ids[maker] = self.new_id("manufacturers")
                    self.add("manufacturers", ("id", "name"), man_ids[maker], maker)
                for k in range(2):
                    mid = self.new_id("equipment_models")
                    self.add(
                        "equipment_models",
                        ("id", "manufacturer_id", "name", "category", "default_warranty_months"),
                        mid,
                        man_ids[maker],
                        f"{maker} {category.title()} {100 + 10 * k + mid}",
                        category,
                        12,
                    )
                    self.models[category].append(mid)
        for category in CATEGORIES:
            for k in range(12):
                pid = self.new_id("parts")
                cost = _money(rng.uniform(4, 180))
                self.add(
                    "parts",
                    (
                        "id",
                        "sku",
                        "name",
                        "category",
                        "unit_cost",
                        "sale_price",
                        "warranty_months",
                        "preferred_supplier_id",
                    ),
                    pid,
                    f"{category[:3].upper()}-{pid:05d}",
                    f"{category.title()} part {k + 1}",
                    category,
                    cost,
                    _money(cost * Decimal("1.8")),
                    3,
                    1,
                )
                self.part_costs.append((pid, cost, _money(cost * Decimal("1.8")), self.skill_id[category]))

    def _user(self, email: str, name: str, role: str, customer_id: int | None) -> int:
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
            _ts(self.as_of - timedelta(days=self.spec.days + 1), 0),
        )
        return uid

    # ---- people and devices ---------------------------------------------------------------------------
    def people(self) -> None:
        rng, spec = self.rng, self.spec
        self.techs: list[tuple[int, set[int]]] = []
        for t in range(1, spec.technicians + 1):
            name = f"{rng.choice(FIRST)} {rng.choice(LAST)}"
            uid = self._user(f"tech{t}@riverside.example", name, "technician", None) if t <= 50 else None
            van = self.new_id("stock_locations_van") + 1
            self.add(
                "stock_locations",
                ("id", "code", "name", "kind", "latitude", "longitude"),
                van,
                f"VAN{t}",
                f"Van of {name}",
                "van",
                None,
                None,
            )
            lat, lon = CENTER[0] + rng.uniform(-0.2, 0.2), CENTER[1] + rng.uniform(-0.2, 0.2)
            self.add(
                "technicians",
                (
                    "id",
                    "user_id",
                    "name",
                    "email",
                    "home_latitude",
                    "home_longitude",
                    "depot_location_id",
                    "van_location_id",
                    "hourly_cost",
                    "hired_on",
                ),
                t,
                uid,
                name,
                f"tech{t}@riverside.example",
                Decimal(f"{lat:.6f}"),
                Decimal(f"{lon:.6f}"),
                1,
                van,
                _money(rng.uniform(25, 45)),
                self.as_of - timedelta(days=rng.randint(200, 3000)),
            )
            skills = set(rng.sample(range(1, len(SKILLS) + 1), k=rng.randint(2, 4)))
            for s in sorted(skills):
                self.add("technician_skills", ("technician_id", "skill_id", "level"), t, s, rng.randint(1, 5))
            self.add(
                "commission_rules",
                ("id", "technician_id", "base_per_job", "labour_pct", "valid_from"),
                t,
                t,
                _money(5),
                Decimal("10.00"),
                date(2020, 1, 1),
            )
            self.techs.append((t, skills))
            self.van_of[t] = van
        self.customers: list[tuple[int, int]] = []  # (customer id, site id)
        for c in range(1, spec.customers + 1):
            company = rng.random() < 0.15
            name = (
                f"{rng.choice(LAST)} {rng.choice(['Ltd', 'Inc', 'Group'])}"
                if company
                else f"{rng.choice(FIRST)} {rng.choice(LAST)}"
            )
            tier = rng.choices([None, 1, 2, 3], weights=[60, 20, 15, 5])[0]
            self.add(
                "customers",
                ("id", "kind", "name", "email", "phone", "tier_id", "segment", "approval_threshold"),
                c,
                "company" if company else "person",
                name,
                f"customer{c}@mail.example",
                f"+1312{c:07d}",
                tier,
                "business" if company else "retail",
                _money(rng.choice([100, 200, 300])),
            )
            lat, lon = CENTER[0] + rng.uniform(-0.25, 0.25), CENTER[1] + rng.uniform(-0.25, 0.25)
            self.add(
                "customer_sites",
                ("id", "customer_id", "address_line1", "city", "postal_code", "latitude", "longitude"),
                c,
                c,
                f"{rng.randint(1, 9999)} {rng.choice(['Lake', 'Oak', 'Main', 'State'])} St",
                "Chicago",
                f"606{rng.randint(0, 99):02d}",
                Decimal(f"{lat:.6f}"),
                Decimal(f"{lon:.6f}"),
            )
            self.add(
                "customer_preferences",
                ("customer_id", "channel", "language"),
                c,
                rng.choice(["email", "sms", "whatsapp"]),
                "en",
            )
            self.customers.append((c, c))
            if c <= 3:
                self._user(f"customer{c}@mail.example", name, "customer", c)
        self.devices: dict[int, list[tuple[int, str]]] = defaultdict(list)
        categories = list(CATEGORIES)
        for d in range(1, spec.devices + 1):
            cust = (d - 1) % spec.customers + 1 if d <= spec.customers else rng.randint(1, spec.customers)
            category = rng.choice(categories)
            model = rng.choice(self.models[category])
            bought = self.as_of - timedelta(days=rng.randint(30, 1500))
            self.add(
                "equipment",
                ("id", "customer_id", "model_id", "site_id", "serial_number", "purchase_date", "purchase_price"),
                d,
                cust,
                model,
                cust,
                f"SN{d:08d}",
                bought,
                _money(rng.uniform(150, 2500)),
            )
            self.devices[cust].append((d, category))
            if (self.as_of - bought).days < 365:
                self.add(
                    "warranties",
                    ("id", "equipment_id", "order_id", "kind", "coverage", "provider", "starts_on", "ends_on"),
                    self.new_id("warranties"),
                    d,
                    None,
                    "manufacturer",
                    "full",
                    "Manufacturer",
                    bought,
                    bought + timedelta(days=365),
                )

    def initial_stock(self) -> None:
        start = _ts(self.as_of - timedelta(days=self.spec.days + 1), 0)
        scale = max(1, self.spec.orders_per_day // 30)
        for pid, cost, _price, _skill in self.part_costs:
            # each van carries a third of the catalogue (the common parts of its round); the rest waits at the warehouse
            vans = [(van, 2) for van in list(self.van_of.values())[:20] if (pid + van) % 3 == 0]
            for loc, qty in [(1, 40 * scale), *vans]:
                self._move(pid, loc, Decimal(qty), "initial", None, cost, start)
                self.add("stock_levels_pending", ("part_id", "location_id"), pid, loc)

    def _move(
        self, part: int, loc: int, delta: Decimal, reason: str, order: int | None, cost: Decimal, at: datetime
    ) -> None:
        self.add(
            "stock_movements",
            ("id", "part_id", "location_id", "quantity_delta", "reason", "order_id", "unit_cost", "occurred_at"),
            self.new_id("stock_movements"),
            part,
            loc,
            delta,
            reason,
            order,
            cost,
            at,
        )
        self.stock[(part, loc)] = self.stock.get((part, loc), Decimal(0)) + delta

    # ---- orders ---------------------------------------------------------------------------------------
    def day(self, day: date, tech_cursor: dict[int, int]) -> None:
        """All orders received on ``day`` with their whole (possibly still open) life."""
        rng = self.rng
        age = (self.as_of - day).days
        for t, _ in self.techs:
            tech_cursor[t] = 8 * 60
            if day.weekday() < 5 or day >= self.as_of:
                self._shift(t, day)
        if day > self.as_of:
            return
        self.expenses(day)
        n = max(1, int(rng.gauss(self.spec.orders_per_day, self.spec.orders_per_day * 0.15)))
        if day.weekday() >= 5:
            n //= 3
        for _ in range(n):
            self.order(day, age, tech_cursor)

    def _final_stage_index(self, age: int) -> tuple[int, str | None]:
        """How far along the happy path an order of this age got, and whether it was cancelled/held."""
        rng = self.rng
        if age > 10:
            r = rng.random()
            if r < 0.05:
                return rng.randint(1, 3), "cancelled"
            if r < 0.07:
                return rng.randint(2, 5), "on_hold"
            if r < 0.10:
                return 6, None  # ready, not collected yet
            return 7, None
        return min(7, rng.randint(0, max(0, 7 - age // 2))), (None if rng.random() > 0.05 else "on_hold")

    def expenses(self, day: date) -> None:
        """Running costs: rent and utilities on the 1st, fuel for the vans every weekday; recent bills unpaid."""
        if not self.expense_category:
            for name in EXPENSE_CATEGORIES:
                self.expense_category[name] = self.new_id("expense_categories")
                self.add("expense_categories", ("id", "name"), self.expense_category[name], name)
        bills: list[tuple[str, str, Decimal]] = []
        if day.day == 1:
            bills += [
                ("Rent", "Workshop rent", Decimal(3200)),
                ("Utilities", "Electricity and water", _money(self.rng.uniform(380, 620))),
            ]
        if day.weekday() < 5:
            bills.append(("Fuel", "Van fuel", _money(self.rng.uniform(8, 14) * len(self.techs))))
        for category, description, amount in bills:
            due = day + timedelta(days=14 if category != "Fuel" else 0)
            paid = _ts(due, 10 * 60) if due <= self.as_of - timedelta(days=3) else None
            self.add(
                "expenses",
                ("id", "category_id", "description", "amount", "incurred_on", "due_on", "paid_at"),
                self.new_id("expenses"),
                self.expense_category[category],
                description,
                amount,
                day,
                due,
                paid,
            )

    def order(self, day: date, age: int, tech_cursor: dict[int, int]) -> None:
        rng = self.rng
        oid = self.new_id("service_orders")
        cust, site = rng.choice(self.customers)
        device, category = rng.choice(self.devices[cust]) if self.devices[cust] else (None, "phone")
        skill = self.skill_id[category]
        prio = rng.choices([p for p, _ in PRIORITIES], weights=[w for _, w in PRIORITIES])[0]
        field_job = category in ("appliance", "hvac", "tv") or rng.random() < 0.1
        self.order_seq += 1
        number = f"RO-{day.year}-{self.order_seq:06d}"
        code = f"{rng.getrandbits(80):020x}"
        received = _ts(day, rng.randint(8 * 60, 18 * 60))
        last_index, side = self._final_stage_index(age)
        fault = rng.choice(FAULTS)
        # pick a technician with the skill, else anyone
        skilled = [t for t, s in self.techs if skill in s] or [t for t, _ in self.techs]
        tech = rng.choice(skilled)
        minutes = rng.choice([30, 45, 60, 90, 120])
        # events walk the path; each step 1-20 hours later
        events: list[tuple[str, str | None, str | None, datetime]] = [("created", None, "received", received)]
        at = received
        approval_needed = rng.random() < 0.4
        parts_needed = rng.random() < 0.5
        path = [
            s
            for s in STAGE_PATH[: last_index + 1]
            if (s != "awaiting_approval" or approval_needed) and (s != "awaiting_parts" or parts_needed)
        ]
        stage_times: dict[str, datetime] = {"received": received}
        prev = "received"
        for stage in path[1:]:
            assert _may_move(prev, stage), (prev, stage)
            at = at + timedelta(minutes=rng.randint(30, 20 * 60))
            if stage == "diagnostics":
                events.append(("assigned", None, None, at))
            if stage == "awaiting_approval":
                events.append(("estimate_sent", None, None, at))
            events.append(("stage_changed", prev, stage, at))
            if stage == "awaiting_approval":
                at = at + timedelta(minutes=rng.randint(30, 600))
                events.append(("estimate_approved", None, None, at))
            stage_times[stage] = at
            prev = stage
        stage = prev
        closed_at = cancelled_at = None
        before_hold = None
        if side == "cancelled" and _may_move(stage, Stage.CANCELLED):
            at = at + timedelta(hours=2)
            events.append(("stage_changed", stage, "cancelled", at))
            cancelled_at, stage = at, "cancelled"
        elif side == "on_hold" and _may_move(stage, Stage.ON_HOLD):
            at = at + timedelta(hours=1)
            events.append(("stage_changed", stage, "on_hold", at))
            before_hold, stage = stage, "on_hold"
        if stage == "closed":
            closed_at = stage_times["closed"]
        now_utc = _ts(self.as_of, 17 * 60)
        if at > now_utc:  # an order of today cannot have a future history: clamp
            shift = at - now_utc
            events = [(e, f, t, ts - shift) for e, f, t, ts in events]
            received -= shift
            stage_times = {k: v - shift for k, v in stage_times.items()}
            closed_at = closed_at - shift if closed_at else None
            cancelled_at = cancelled_at - shift if cancelled_at else None
        policy_id, resolution_minutes = self.policy[prio]
        est_amount = None
        est_status = "none"
        if approval_needed and "awaiting_approval" in stage_times:
            est_status = "approved" if any(e[0] == "estimate_approved" for e in events) else "pending"
        reached_repair = "repair" in stage_times
        # parts of an open repair are reserved at the warehouse, waiting to be picked up; later ones were used
        parts_open = stage in ("awaiting_parts", "repair", "on_hold")
        lines = self._lines(oid, skill, tech, parts_needed and (reached_repair or parts_open), category, received)
        subtotal = sum((q * p).quantize(CENT) for _k, q, p, *_ in lines) if lines else Decimal(0)
        if approval_needed:
            est_amount = _money(subtotal * Decimal("1.1")) if subtotal > 0 else _money(50)
        self.add(
            "service_orders",
            (
                "id",
                "order_number",
                "tracking_code",
                "customer_id",
                "equipment_id",
                "site_id",
                "stage",
                "stage_before_hold",
                "priority",
                "location",
                "sla_policy_id",
                "required_skill_id",
                "assigned_technician_id",
                "problem_description",
                "fault_type",
                "estimated_minutes",
                "estimate_amount",
                "estimate_status",
                "received_at",
                "due_at",
                "completed_at",
                "closed_at",
                "cancelled_at",
                "created_at",
                "updated_at",
            ),
            oid,
            number,
            code,
            cust,
            device,
            site,
            stage,
            before_hold,
            prio,
            "field" if field_job else "workshop",
            policy_id,
            skill,
            tech if len(path) > 1 else None,
            f"{fault.replace('_', ' ').capitalize()} reported",
            fault,
            minutes,
            est_amount,
            est_status,
            received,
            self.calendar.add_seconds(received, resolution_minutes * 60),
            stage_times.get("ready"),
            closed_at,
            cancelled_at,
            received,
            events[-1][3],
        )
        for etype, frm, to, ts in events:
            self._event(oid, etype, ts, frm, to)
        self.stats.orders += 1
        for kind, target in (("response", self.response_minutes[prio]), ("resolution", resolution_minutes)):
            clock = self._replay_clock(kind, received, target, events)
            self.add(
                "sla_clocks",
                (
                    "id",
                    "order_id",
                    "policy_id",
                    "kind",
                    "state",
                    "started_at",
                    "due_at",
                    "paused_at",
                    "paused_seconds",
                    "stopped_at",
                    "created_at",
                    "updated_at",
                ),
                self.new_id("sla_clocks"),
                oid,
                policy_id,
                kind,
                clock.state,
                received,
                clock.due_at,
                clock.paused_at,
                clock.paused_seconds,
                clock.stopped_at,
                received,
                events[-1][3],
            )
        line_ids = self._write_lines(oid, lines, stage_times.get("repair", received), consume=not parts_open)
        if reached_repair and stage != "cancelled":
            self._booking(oid, tech, stage_times["repair"], minutes, stage, tech_cursor, field_job)
        if "ready" in stage_times and stage != "cancelled":
            self._invoice(oid, cust, lines, line_ids, stage_times["ready"], closed_at)
        if closed_at is not None and device is not None:
            wid = self.new_id("warranties")
            self.add(
                "warranties",
                ("id", "equipment_id", "order_id", "kind", "coverage", "provider", "starts_on", "ends_on"),
                wid,
                device,
                oid,
                "repair",
                "parts",
                "Riverside Repair Co.",
                closed_at.date(),
                closed_at.date() + timedelta(days=90),
            )
            if self.rng.random() < 0.1:
                self.add(
                    "order_ratings",
                    ("id", "order_id", "score", "created_at"),
                    self.new_id("order_ratings"),
                    oid,
                    self.rng.choices([1, 2, 3, 4, 5], weights=[2, 3, 10, 35, 50])[0],
                    closed_at + timedelta(hours=3),
                )

    def _event(self, oid: int, etype: str, at: datetime, frm: str | None = None, to: str | None = None) -> None:
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

    def _replay_clock(
        self, kind: str, started: datetime, minutes: int, events: Sequence[tuple[str, str | None, str | None, datetime]]
    ) -> _Clock:
        """The clock as ``ops_db.orders.service`` would have left it after these stage changes.

        Business time of the calendar; paused while the customer is asked (awaiting approval, on hold);
        the response clock stops when the order leaves 'received', the resolution clock at 'ready';
        cancelling stops both. Open clocks are then judged at the demo's noon, as the SLA sensor would.
        """
        cal = self.calendar
        clock = _Clock(due_at=cal.add_seconds(started, minutes * 60))
        for etype, frm, to, at in events:
            if etype != "stage_changed" or clock.stopped_at is not None:
                continue
            if to == "cancelled" or (kind == "response" and frm == "received"):
                clock.stop(cal, at)
                continue
            if to in CUSTOMER_WAIT_STAGES and frm not in CUSTOMER_WAIT_STAGES:
                clock.state, clock.paused_at = "paused", at
            elif frm in CUSTOMER_WAIT_STAGES and to not in CUSTOMER_WAIT_STAGES:
                clock.resume(cal, at)
            if kind == "resolution" and to == "ready":
                clock.stop(cal, at)
        if clock.stopped_at is None and clock.state != "paused":
            now = _ts(self.as_of, 12 * 60)
            total = cal.seconds_between(started, clock.due_at) - clock.paused_seconds
            elapsed = cal.seconds_between(started, now) - clock.paused_seconds
            clock.state = (
                "breached"
                if now > clock.due_at
                else "at_risk"
                if total > 0 and elapsed * 100 >= total * 80
                else "running"
            )
        return clock

    def _lines(
        self, oid: int, skill: int, tech: int, with_parts: bool, category: str, at: datetime
    ) -> list[tuple[str, Decimal, Decimal, Decimal, int | None, str, int]]:
        rng = self.rng
        lines: list[tuple[str, Decimal, Decimal, Decimal, int | None, str, int]] = []
        lines.append(
            (
                "service",
                Decimal(1),
                _money(rng.choice([49, 69, 89, 120])),
                Decimal(0),
                None,
                "Diagnostics and service",
                3,
            )
        )
        lines.append(("labour", Decimal(rng.choice([1, 2, 3])) / 2, _money(60), _money(30), None, "Labour", 3))
        if with_parts:
            for pid, cost, price, _pskill in rng.sample(
                [p for p in self.part_costs if p[3] == skill] or self.part_costs, k=rng.randint(1, 2)
            ):
                lines.append(("part", Decimal(1), price, cost, pid, f"Part {pid}", 3))
        if rng.random() < 0.1:
            lines.append(("discount", Decimal(1), _money(-10), Decimal(0), None, "Loyalty discount", 0))
        return lines

    def _write_lines(
        self, oid: int, lines: Iterable[tuple[Any, ...]], at: datetime, *, consume: bool = True
    ) -> list[int]:
        ids = []
        for no, (kind, qty, price, cost, pid, desc, wm) in enumerate(lines, 1):
            lid = self.new_id("order_lines")
            ids.append(lid)
            self.add(
                "order_lines",
                (
                    "id",
                    "order_id",
                    "line_no",
                    "kind",
                    "description",
                    "part_id",
                    "quantity",
                    "unit_price",
                    "unit_cost",
                    "tax_rate_id",
                    "tax_rate_pct",
                    "warranty_months",
                    "created_at",
                    "updated_at",
                ),
                lid,
                oid,
                no,
                kind,
                desc,
                pid,
                qty,
                price,
                cost,
                1,
                TAX_PCT,
                wm,
                at,
                at,
            )
            if kind == "part" and pid is not None:
                held = self.reserved.get((pid, 1), Decimal(0))
                if self.stock.get((pid, 1), Decimal(0)) - held < qty:
                    self._move(pid, 1, Decimal(20), "receipt", None, cost, at - timedelta(minutes=5))
                if consume:
                    self._move(pid, 1, -qty, "consume", oid, cost, at)
                else:
                    self.reserved[(pid, 1)] = held + qty
                self.add(
                    "stock_reservations",
                    (
                        "id",
                        "order_id",
                        "order_line_id",
                        "part_id",
                        "location_id",
                        "quantity",
                        "status",
                        "created_at",
                        "updated_at",
                    ),
                    self.new_id("stock_reservations"),
                    oid,
                    lid,
                    pid,
                    1,
                    qty,
                    "consumed" if consume else "active",
                    at,
                    at,
                )
        return ids

    def _shift(self, tech: int, day: date) -> None:
        """The technician's 08:00-17:00 shift with a 30-minute break on ``day`` (once)."""
        if (tech, day) in self._shift_days:
            return
        self._shift_days.add((tech, day))
        sid = self.new_id("shifts")
        self.add(
            "shifts",
            ("id", "technician_id", "shift_date", "starts_at", "ends_at"),
            sid,
            tech,
            day,
            _ts(day, 8 * 60),
            _ts(day, 17 * 60),
        )
        self.add(
            "shift_breaks",
            ("id", "shift_id", "earliest_start", "latest_end", "duration_minutes"),
            sid,
            sid,
            _ts(day, 12 * 60),
            _ts(day, 14 * 60),
            30,
        )

    def _booking(
        self,
        oid: int,
        tech: int,
        repair_at: datetime,
        minutes: int,
        stage: str,
        cursor: dict[int, int],
        field_job: bool,
    ) -> None:
        """Book the technician on the repair day, sequentially, so bookings never overlap."""
        day = repair_at.astimezone(TZ).date()
        travel = 20 if field_job else 0
        start_min = cursor.get(tech, 8 * 60) + travel
        while True:  # a job that no longer fits the day's shift (08:00-17:00) moves to the next shift day
            cur = self._cursors.setdefault(day, {})
            start_min = max(start_min, cur.get(tech, 8 * 60) + travel)
            if start_min + minutes <= 17 * 60 and (day.weekday() < 5 or day >= self.as_of):
                break
            day, start_min = day + timedelta(days=1), 8 * 60 + travel
        cur[tech] = start_min + minutes
        # A busy technician's backlog can run past the days the calendar was laid out for: give them that shift.
        self._shift(tech, day)
        start, end = _ts(day, start_min), _ts(day, start_min + minutes)
        # Work is done only if it happened by the as-of day; a job pushed later is still just planned.
        finished = stage in ("quality_check", "ready", "closed") and day <= self.as_of
        status = "done" if finished else "confirmed"
        self.add(
            "bookings",
            (
                "id",
                "technician_id",
                "order_id",
                "planned",
                "status",
                "source",
                "travel_minutes",
                "created_at",
                "updated_at",
            ),
            self.new_id("bookings"),
            tech,
            oid,
            Range(start, end, "[)"),
            status,
            "manual",
            travel,
            repair_at,
            repair_at,
        )
        if status == "done":
            self.add(
                "time_entries",
                ("id", "technician_id", "order_id", "kind", "started_at", "ended_at", "created_at", "updated_at"),
                self.new_id("time_entries"),
                tech,
                oid,
                "on_site" if field_job else "workshop",
                start,
                end,
                end,
                end,
            )

    def _invoice(
        self,
        oid: int,
        cust: int,
        lines: list[tuple[Any, ...]],
        line_ids: list[int],
        issued: datetime,
        closed: datetime | None,
    ) -> None:
        rng = self.rng
        iid = self.new_id("invoices")
        self.invoice_seq += 1
        subtotal = tax = Decimal(0)
        for no, ((kind, qty, price, _c, _p, desc, _w), lid) in enumerate(zip(lines, line_ids, strict=True), 1):
            net = (qty * price).quantize(CENT, rounding=ROUND_HALF_UP)
            t = (net * TAX_PCT / 100).quantize(CENT, rounding=ROUND_HALF_UP)
            subtotal += net
            tax += t
            self.add(
                "invoice_lines",
                (
                    "id",
                    "invoice_id",
                    "order_line_id",
                    "line_no",
                    "description",
                    "kind",
                    "quantity",
                    "unit_price",
                    "tax_rate_pct",
                    "net_amount",
                    "tax_amount",
                    "total_amount",
                ),
                self.new_id("invoice_lines"),
                iid,
                lid,
                no,
                desc,
                kind,
                qty,
                price,
                TAX_PCT,
                net,
                t,
                net + t,
            )
        total = subtotal + tax
        paid = total if closed is not None else rng.choice([Decimal(0), _money(total / 2)]) if total > 0 else Decimal(0)
        status = "paid" if paid >= total else ("partially_paid" if paid > 0 else "issued")
        self.add(
            "invoices",
            (
                "id",
                "invoice_number",
                "order_id",
                "customer_id",
                "status",
                "currency",
                "issued_at",
                "due_on",
                "subtotal",
                "tax_total",
                "total",
                "created_at",
                "updated_at",
            ),
            iid,
            f"INV-{issued.year}-{self.invoice_seq:06d}",
            oid,
            cust,
            status,
            "USD",
            issued,
            issued.date() + timedelta(days=14),
            subtotal,
            tax,
            total,
            issued,
            issued,
        )
        self._event(oid, "invoiced", issued)
        if paid <= 0:
            return
        pay_at = closed - timedelta(minutes=1) if closed else issued
        pay_at = max(pay_at, issued)
        pid = self.new_id("payments")
        refunded = Decimal(0)
        if rng.random() < 0.02:
            refunded = _money(paid * Decimal("0.2"))
        self.add(
            "payments",
            (
                "id",
                "invoice_id",
                "customer_id",
                "method",
                "idempotency_key",
                "amount",
                "refunded_amount",
                "received_at",
                "created_at",
                "updated_at",
            ),
            pid,
            iid,
            cust,
            rng.choice(["cash", "card", "card", "bank_transfer", "online"]),
            f"demo-pay-{pid}",
            paid,
            refunded,
            pay_at,
            pay_at,
            pay_at,
        )
        self._event(oid, "payment_received", pay_at)
        if refunded > 0:
            rid = self.new_id("refunds")
            self.add(
                "refunds",
                ("id", "payment_id", "amount", "reason", "idempotency_key", "refunded_at"),
                rid,
                pid,
                refunded,
                "Goodwill partial refund",
                f"demo-refund-{rid}",
                pay_at + timedelta(days=2),
            )

    def finish_stock(self) -> None:
        """Stock levels equal the ledger's sums (the invariant analysts and tests check)."""
        pending = self.buf.rows.pop("stock_levels_pending", [])
        self.buf.columns.pop("stock_levels_pending", None)
        seen = {(r[1], r[2]) for r in pending}
        at = _ts(self.as_of, 0)
        for (pid, loc), qty in sorted(self.stock.items()):
            if (pid, loc) not in seen:
                seen.add((pid, loc))
            self.add(
                "stock_levels",
                ("part_id", "location_id", "quantity", "reserved", "reorder_point", "reorder_quantity", "updated_at"),
                pid,
                loc,
                qty,
                self.reserved.get((pid, loc), Decimal(0)),
                Decimal(5),
                Decimal(20),
                at,
            )

    def sequences(self) -> None:
        years = {self.as_of.year}
        for y in sorted(years):
            self.add("number_sequences", ("kind", "year", "last_value"), "order", y, self.order_seq)
            self.add("number_sequences", ("kind", "year", "last_value"), "invoice", y, self.invoice_seq)


EXPENSE_CATEGORIES = ("Rent", "Utilities", "Fuel")


def _may_move(frm: str, to: str) -> bool:
    """Whether the orders' stage machine lets an order go from stage ``frm`` to ``to``."""
    return Stage(to) in TRANSITIONS[Stage(frm)]


@dataclass
class _Clock:
    """An SLA clock being replayed through an order's history."""

    due_at: datetime
    state: str = "running"
    paused_at: datetime | None = None
    paused_seconds: int = 0
    stopped_at: datetime | None = None

    def resume(self, cal: Calendar, at: datetime) -> None:
        if self.state == "paused" and self.paused_at is not None:
            paused = cal.seconds_between(self.paused_at, at)
            self.paused_seconds += paused
            self.due_at = cal.add_seconds(self.due_at, paused) if paused else self.due_at
            self.state, self.paused_at = "running", None

    def stop(self, cal: Calendar, at: datetime) -> None:
        self.resume(cal, at)
        self.state, self.stopped_at = ("met" if at <= self.due_at else "breached"), at


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


def _flush(conn: psycopg.Connection[Any], buf: _Buffer, stats: SeedStats) -> None:
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


def seed(
    url: str, scale: Scale, *, seed_value: int = 42, as_of: date | None = None, progress: bool = False
) -> SeedStats:
    """Generate the demo company into an empty database; same (scale, seed, as_of) gives identical rows."""
    from ops_db.kit.errors import Conflict

    as_of = as_of or date.today()
    spec = SPECS[scale]
    if not is_empty(url):
        raise Conflict("The database already holds a company; seed into an empty database.")
    started = _time.perf_counter()
    gen = _Generator(random.Random(seed_value), spec, as_of)
    days = [as_of - timedelta(days=spec.days - i) for i in range(spec.days + 15)]
    with (
        psycopg.connect(psycopg_conninfo(url)) as conn,
        Progress(
            TextColumn("[bold]{task.description}"),
            BarColumn(),
            TextColumn("{task.completed}/{task.total} days"),
            TimeElapsedColumn(),
            disable=not progress,
        ) as bar,
    ):
        # Bulk load as the owner without per-row triggers (FK checks, append-only guards): the generator
        # builds consistent rows itself and the tests verify every rule with SQL afterwards.
        conn.execute("SET session_replication_role = replica")
        task = bar.add_task(f"Seeding {scale.value} company", total=len(days))
        gen.reference()
        gen.people()
        gen.initial_stock()
        cursor: dict[int, int] = {}
        for i, day in enumerate(days):
            gen.day(day, cursor)
            if i % 15 == 14:
                _flush(conn, gen.buf, gen.stats)
            bar.advance(task)
        gen.finish_stock()
        gen.sequences()
        _flush(conn, gen.buf, gen.stats)
        for table in LOAD_ORDER:
            has_identity = conn.execute(
                "SELECT 1 FROM information_schema.columns WHERE table_name = %s AND column_name = 'id'"
                " AND is_identity = 'YES'",
                (table,),
            ).fetchone()
            if has_identity:
                conn.execute(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                    f"(SELECT COALESCE(max(id), 0) + 1 FROM {table}), false)"
                )
        # Built-in permissions of the system roles (the catalogue itself is loaded by migration 0003).
        from ops_db.identity.tenants import sync_role_permissions_sql

        conn.execute("SELECT set_config('app.tenant_id', %s, true)", (str(gen.tenant),))
        conn.execute(sync_role_permissions_sql().encode())
        conn.commit()
    gen.stats.seconds = _time.perf_counter() - started
    return gen.stats
