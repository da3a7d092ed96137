"""Nothing happens twice, in a real headless Chromium: a double click on Refund refunds once, on Intake's "Open the
order" and on the portal's "Send the request" opens one order, on the Order page's "Add note" adds one note; a
click on the form again after it succeeded does nothing more either (the form is empty and has a new submission
key), and the result is shown beside the form. Screenshots in test-artifacts/e2e/once-*.png."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import text

from ops_db.kit import db
from tests.e2e.driver import CHROMIUM, Screen, person

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        CHROMIUM is None, reason="Debian's chromium is not installed (.ci/run installs it: apt-get install chromium)"
    ),
]


def _rows(demo_db: str, sql: str, **params: Any) -> list[Any]:
    with db.admin_engine(demo_db).connect() as conn:
        return list(conn.execute(text(sql), params).all())


def _double_click(screen: Screen, button: str) -> None:
    """Two clicks 60 ms apart, as an impatient person gives them, then wait for the page to settle."""
    screen.page.get_by_role("button", name=button, exact=True).dblclick(delay=60)
    screen.settle()
    screen.page.wait_for_timeout(1500)  # a second rerun may start after the first has settled
    screen.settle()


def _click_again(screen: Screen, button: str) -> None:
    """One more click on the same button once the page shows the result."""
    screen.page.get_by_role("button", name=button, exact=True).click()
    screen.settle()
    screen.page.wait_for_timeout(1500)  # whatever the click started has finished before the database is read
    screen.settle()


def test_a_double_click_on_refund_refunds_once(ops_ui_url: str, demo_db: str, browser: Any) -> None:
    payment = _rows(
        demo_db,
        """SELECT p.id, i.invoice_number FROM payments p JOIN invoices i ON i.id = p.invoice_id
            WHERE p.amount - p.refunded_amount >= 20 AND p.provider IS NULL ORDER BY p.id DESC LIMIT 1""",
    )[0]
    finance = person(browser, "once-finance")
    finance.sign_in(ops_ui_url, "finance@riverside.example")
    finance.go("Billing")
    finance.tab("Payments")
    finance.fill("Find payments by invoice number or customer", payment.invoice_number)
    finance.choose("Payment (newest first)", f"#{payment.id} ·")
    finance.fill("Amount", "5.00", within=finance.page.get_by_test_id("stForm").last, commit=False)
    finance.fill("Why", "Scratched case (double click)", commit=False)
    _double_click(finance, "Refund")
    finance.shot("once-refund-double-click")
    refunds = _rows(
        demo_db, "SELECT amount FROM refunds WHERE payment_id = :p AND reason LIKE '%double click%'", p=payment.id
    )
    assert [r.amount for r in refunds] == [5], f"a double click on Refund gave {len(refunds)} refunds"
    finance.see(f"Refunded $5.00 of payment #{payment.id}")  # the result, beside the form
    _click_again(finance, "Refund")
    finance.shot("once-refund-click-again")
    again = _rows(demo_db, "SELECT 1 FROM refunds WHERE payment_id = :p AND reason LIKE '%double click%'", p=payment.id)
    assert len(again) == 1, "a click on the emptied form refunded again"


def test_a_double_click_on_open_the_order_opens_one_order(ops_ui_url: str, demo_db: str, browser: Any) -> None:
    problem = "Fan grinds at start-up (intake double click)"
    desk = person(browser, "once-desk")
    desk.sign_in(ops_ui_url, "frontdesk@riverside.example")
    desk.go("Intake")
    desk.fill("Name", "Dana Doubleclick", commit=False)
    desk.fill("Phone", "+1 312 555 0142", commit=False)
    desk.fill("What is wrong", problem, commit=False)
    _double_click(desk, "Open the order")
    desk.shot("once-intake-double-click")
    opened = _rows(demo_db, "SELECT order_number FROM service_orders WHERE problem_description = :p", p=problem)
    assert len(opened) == 1, f"a double click on Open the order opened {len(opened)} orders"
    desk.see(f"Order {opened[0].order_number} opened")
    assert desk.page.get_by_role("textbox", name="What is wrong").input_value() == ""  # the form is empty again
    _click_again(desk, "Open the order")
    desk.shot("once-intake-click-again")
    again = _rows(demo_db, "SELECT 1 FROM service_orders WHERE problem_description = :p", p=problem)
    assert len(again) == 1, "a click on the emptied intake form opened another order"

    # On the order itself: a double click on Add note adds the note once, and the box is empty again.
    desk.page.get_by_text(f"Open order {opened[0].order_number}").click()
    desk.settle()
    desk.see(f"{opened[0].order_number} · received")
    desk.tab("Notes and files")
    desk.fill("New note", "Customer will call back (note double click)", commit=False)
    _double_click(desk, "Add note")
    desk.shot("once-note-double-click")
    notes = _rows(demo_db, "SELECT 1 FROM order_notes WHERE body LIKE '%note double click%'")
    assert len(notes) == 1, f"a double click on Add note added {len(notes)} notes"
    assert desk.page.get_by_role("textbox", name="New note").input_value() == ""


def test_a_double_click_on_send_the_request_sends_one(ops_ui_url: str, demo_db: str, browser: Any) -> None:
    problem = "The drum does not turn (portal double click)"
    visitor = person(browser, "once-portal")
    visitor.open(ops_ui_url)
    visitor.go("Request a repair")
    visitor.fill("What is wrong", problem, commit=False)
    visitor.fill("Your name", "Pat Portal", commit=False)
    visitor.fill("Email", "pat.portal@example.com", commit=False)
    _double_click(visitor, "Send the request")
    visitor.shot("once-request-double-click")
    sent = _rows(demo_db, "SELECT 1 FROM service_requests WHERE problem_description = :p", p=problem)
    assert len(sent) == 1, f"a double click on Send the request sent {len(sent)} requests"
    visitor.see("Your order number is")
    _click_again(visitor, "Send the request")
    again = _rows(demo_db, "SELECT 1 FROM service_requests WHERE problem_description = :p", p=problem)
    assert len(again) == 1, "a click on the emptied request form sent another request"
