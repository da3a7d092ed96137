"""Order lines and the stock ledger they move: opening stock, the lines of a repair with their reservations and
consumption, and the stock levels that equal the ledger's sums."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from ops_db.demo.company import Company
from ops_db.demo.rows import local_time, money
from ops_db.demo.vocabulary import TAX_PCT


class Stock(Company):
    """Writes stock movements, levels, order lines and reservations."""

    def initial_stock(self) -> None:
        """Opening stock: every part at the warehouse, and on up to twenty vans a third of the catalogue each."""
        start = local_time(self.as_of - timedelta(days=self.spec.days + 1), 0)
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

    def _lines(
        self, oid: int, skill: int, tech: int, with_parts: bool, category: str, at: datetime
    ) -> list[tuple[str, Decimal, Decimal, Decimal, int | None, str, int]]:
        rng = self.rng
        lines: list[tuple[str, Decimal, Decimal, Decimal, int | None, str, int]] = []
        lines.append(
            (
                "service",
                Decimal(1),
                money(rng.choice([49, 69, 89, 120])),
                Decimal(0),
                None,
                "Diagnostics and service",
                3,
            )
        )
        lines.append(("labour", Decimal(rng.choice([1, 2, 3])) / 2, money(60), money(30), None, "Labour", 3))
        if with_parts:
            for pid, cost, price, _pskill in rng.sample(
                [p for p in self.part_costs if p[3] == skill] or self.part_costs, k=rng.randint(1, 2)
            ):
                lines.append(("part", Decimal(1), price, cost, pid, f"Part {pid}", 3))
        if rng.random() < 0.1:
            lines.append(("discount", Decimal(1), money(-10), Decimal(0), None, "Loyalty discount", 0))
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

    def finish_stock(self) -> None:
        """Stock levels equal the ledger's sums (the invariant analysts and tests check)."""
        pending = self.buf.rows.pop("stock_levels_pending", [])
        self.buf.columns.pop("stock_levels_pending", None)
        seen = {(r[1], r[2]) for r in pending}
        at = local_time(self.as_of, 0)
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
