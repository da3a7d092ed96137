"""Lane G (speed) in a real browser: Analytics draws only the area whose tab is open (a click on another tab
brings that one), and a payment recorded inside Billing's payments tab (a fragment) is taken once and shown."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import text

from ops_db.kit import db
from tests.e2e.driver import CHROMIUM, CHROMIUM_ARGS, Screen, eventually

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        CHROMIUM is None, reason="Debian's chromium is not installed (.ci/run installs it: apt-get install chromium)"
    ),
]


def _open_invoice(demo_db: str) -> tuple[int, str, int]:
    """An issued invoice with money still due: its id, number and how many payments it has."""
    with db.admin_engine(demo_db).connect() as conn:
        row = conn.execute(
            text(
                "SELECT i.id, i.invoice_number, (SELECT count(*) FROM payments p WHERE p.invoice_id = i.id) "
                "FROM invoices i WHERE i.status = 'issued' AND i.total > 5 ORDER BY i.id LIMIT 1"
            )
        ).one()
    return int(row[0]), str(row[1]), int(row[2])


def _payments(demo_db: str, invoice_id: int) -> list[Decimal]:
    with db.admin_engine(demo_db).connect() as conn:
        found = conn.execute(text("SELECT amount FROM payments WHERE invoice_id = :i"), {"i": invoice_id}).scalars()
        return [Decimal(str(amount)) for amount in found]


def test_analytics_tabs_and_a_payment_in_its_fragment(ui_url: str, demo_db: str) -> None:
    from playwright.sync_api import sync_playwright

    invoice_id, number, before = _open_invoice(demo_db)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        screen = Screen(browser.new_page(viewport={"width": 1500, "height": 1000}), "speed")
        screen.sign_in(ui_url, "manager@riverside.example")

        screen.go("Analytics")
        screen.see("Monthly summary")
        screen.no_error("analytics, finance")
        screen.tab("SLA")
        screen.settle()
        screen.see("Compliance by month")
        # The open area is the one shown (that only it is drawn is test_analytics' AppTest check).
        assert screen.page.get_by_text("Monthly summary", exact=True).filter(visible=True).count() == 0
        screen.no_error("analytics, SLA")
        screen.shot("speed-analytics-sla")

        screen.go("Billing")
        screen.tab("Payments")
        screen.choose("Invoice", number)
        screen.fill("Amount", "1.00", commit=False)
        screen.click("Record the payment")
        screen.see(f"Payment of $1.00 (cash) recorded on {number}")
        screen.no_error("billing, payment")
        screen.shot("speed-billing-payment")
        browser.close()
    assert len(eventually(lambda: _payments(demo_db, invoice_id), "the payment")) == before + 1
    assert Decimal("1.00") in _payments(demo_db, invoice_id)
