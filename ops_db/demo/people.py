"""The people of the company and their things: technicians with vans, skills and commission; customers with
sites, preferences and portal users; their devices with manufacturer warranties."""

from __future__ import annotations

from collections import defaultdict
from datetime import date, timedelta
from decimal import Decimal

from ops_db.demo.company import Company
from ops_db.demo.rows import money
from ops_db.demo.vocabulary import CATEGORIES, CENTER, FIRST, LAST


class People(Company):
    """Writes the technicians, the customers and their devices (after the catalogue)."""

    def _trades(self, tech: int) -> set[int]:
        """The skill ids of technician number ``tech``: two trades, spread so that every kind of device has about
        the same number of technicians (random picks left TV repairs to one person and most jobs unplaceable),
        and board-level soldering for some."""
        kinds = list(CATEGORIES)
        trades = {kinds[(tech - 1) % len(kinds)], kinds[(tech + 2) % len(kinds)]}
        if self.rng.random() < 0.3:
            trades.add("board")
        return {self.skill_id[code] for code in trades}

    def people(self) -> None:
        """Technicians with vans, skills and commission; customers with sites, preferences and a few portal logins;
        their devices."""
        rng, spec = self.rng, self.spec
        self.techs = []
        for t in range(1, spec.technicians + 1):
            name = f"{rng.choice(FIRST)} {rng.choice(LAST)}"
            uid = self.user(f"tech{t}@riverside.example", name, "technician", None) if t <= 50 else None
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
                money(rng.uniform(25, 45)),
                self.as_of - timedelta(days=rng.randint(200, 3000)),
            )
            skills = self._trades(t)
            for s in sorted(skills):
                self.add("technician_skills", ("technician_id", "skill_id", "level"), t, s, rng.randint(1, 5))
            self.add(
                "commission_rules",
                ("id", "technician_id", "base_per_job", "labour_pct", "valid_from"),
                t,
                t,
                money(5),
                Decimal("10.00"),
                date(2020, 1, 1),
            )
            self.techs.append((t, skills))
            self.van_of[t] = van
        self.customers = []
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
                money(rng.choice([100, 200, 300])),
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
                self.user(f"customer{c}@mail.example", name, "customer", c)
        self.devices = defaultdict(list)
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
                money(rng.uniform(150, 2500)),
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
