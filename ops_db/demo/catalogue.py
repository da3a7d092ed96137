"""The reference data of the company: tenant, roles and staff, tax, tiers, calendar, SLA policies, skills and
services, warehouse and supplier, makers, equipment models and parts."""

from __future__ import annotations

from collections import defaultdict
from datetime import date, timedelta
from decimal import Decimal

import psycopg

from ops_db.demo.company import Company
from ops_db.demo.rows import local_time, money
from ops_db.demo.vocabulary import CATEGORIES, ROLES, SKILLS, STAFF, TAX_PCT, TIME_ZONE


class Catalogue(Company):
    """Writes what every order refers to."""

    def reference(self) -> None:
        """Tenant, roles and staff logins, tax, tiers, calendar, SLA policies, skills, services, stock places, makers,
        models and parts."""
        rng = self.rng
        start = local_time(self.as_of - timedelta(days=self.spec.days + 1), 0)
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
                TIME_ZONE,
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
            self.user(f"{code.replace('_', '')}@riverside.example", name, code, None)
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
            TIME_ZONE,
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
            price = money(rng.choice([49, 69, 89, 120, 150]))
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
        self.models = defaultdict(list)
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
                cost = money(rng.uniform(4, 180))
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
                    money(cost * Decimal("1.8")),
                    3,
                    1,
                )
                self.part_costs.append((pid, cost, money(cost * Decimal("1.8")), self.skill_id[category]))
