"""The money: running expenses, invoices with their lines, payments and refunds, and the number sequences."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from ops_db.demo.company import Company
from ops_db.demo.rows import CENT, local_time, money
from ops_db.demo.vocabulary import EXPENSE_CATEGORIES, TAX_PCT


class Finance(Company):
    """Writes expenses, invoices, payments, refunds and number sequences."""

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
                ("Utilities", "Electricity and water", money(self.rng.uniform(380, 620))),
            ]
        if day.weekday() < 5:
            bills.append(("Fuel", "Van fuel", money(self.rng.uniform(8, 14) * len(self.techs))))
        for category, description, amount in bills:
            due = day + timedelta(days=14 if category != "Fuel" else 0)
            paid = local_time(due, 10 * 60) if due <= self.as_of - timedelta(days=3) else None
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
        paid = total if closed is not None else rng.choice([Decimal(0), money(total / 2)]) if total > 0 else Decimal(0)
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
        self.event(oid, "invoiced", issued)
        if paid <= 0:
            return
        pay_at = closed - timedelta(minutes=1) if closed else issued
        pay_at = max(pay_at, issued)
        pid = self.new_id("payments")
        refunded = Decimal(0)
        if rng.random() < 0.02:
            refunded = money(paid * Decimal("0.2"))
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
        self.event(oid, "payment_received", pay_at)
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

    def sequences(self) -> None:
        """The order and invoice number sequences, so that new numbers follow the demo's last ones."""
        years = {self.as_of.year}
        for y in sorted(years):
            self.add("number_sequences", ("kind", "year", "last_value"), "order", y, self.order_seq)
            self.add("number_sequences", ("kind", "year", "last_value"), "invoice", y, self.invoice_seq)
