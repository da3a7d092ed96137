"""One repair from request to payment, every step done by its person in a real headless Chromium.

A customer requests a repair online → the front desk triages it, starts diagnostics, prices it and reserves a part →
the dispatcher runs the optimizer and accepts the plan → the technician checks in, records the part and
completes with the customer's sign-off → the front desk passes the quality check → finance invoices and
takes the payment → the customer, tracking by number and code, sees "ready" with the invoice paid.
Each step leaves a screenshot in test-artifacts/e2e/flow-*.png.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import text

from ops_db.kit import db
from tests.e2e.conftest import DEMO_TIME_ZONE
from tests.e2e.driver import CHROMIUM, eventually, person, sign

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        CHROMIUM is None, reason="Debian's chromium is not installed (.ci/run installs it: apt-get install chromium)"
    ),
]

CUSTOMER = "Zoë Ångström"  # accents on purpose: names are not ASCII


def _one(demo_db: str, sql: str, **params: Any) -> Any:
    with db.admin_engine(demo_db).connect() as conn:
        return conn.execute(text(sql), params).first()


def test_a_repair_goes_from_online_request_to_paid_and_ready(ops_ui_url: str, demo_db: str, browser: Any) -> None:
    # 1. The customer asks for a repair, without an account.
    customer = person(browser, "customer")
    customer.open(ops_ui_url)
    customer.go("Request a repair")
    customer.fill("Make and model (if you know it)", "Pixel 8", commit=False)
    customer.fill("What is wrong", "The screen is cracked and touch stops working on the left side.", commit=False)
    customer.fill("Your name", CUSTOMER, commit=False)
    customer.fill("Email", "zoe.angstrom@example.com", commit=False)
    customer.fill("Phone", "+1 312 555 0199", commit=False)
    customer.click("Send the request")
    receipt = customer.see("Your order number is")
    found = re.search(r"order number is (\S+) and your tracking code is (\S+?):", receipt)
    assert found, receipt
    number, code = found.groups()
    customer.shot("flow-1-customer-request")
    order = _one(demo_db, "SELECT id, tracking_code FROM service_orders WHERE order_number = :n", n=number)
    order_id = order.id
    assert code == order.tracking_code, f"the receipt shows {code!r}, the order's code is {order.tracking_code!r}"

    # 2. The front desk triages it (emergency: the SLA tightens and the optimizer weighs it so), starts
    #    diagnostics, adds the service, reserves the part and sends it to repair.
    desk = person(browser, "front desk")
    desk.sign_in(ops_ui_url, "frontdesk@riverside.example")
    desk.go("Order")
    desk.fill("Order number", number)
    desk.see(f"{number} · received")
    desk.page.get_by_text("Triage: priority and SLA").click()
    desk.choose("Priority", "emergency")
    desk.fill("Why (optional)", "The customer's only phone")
    desk.click("Change priority")
    desk.see(f"{number} · received · emergency")
    desk.click("diagnostics")
    desk.see(f"{number} · diagnostics")
    desk.choose("Catalogue service", "Phone repair")
    desk.click("Add line")
    eventually(lambda: _one(demo_db, "SELECT 1 FROM order_lines WHERE order_id = :o", o=order_id), "the line")
    desk.tab("Parts")
    reserve_form = desk.page.get_by_test_id("stForm").filter(has=desk.page.get_by_role("button", name="Reserve"))
    desk.choose("Part", "Phone part", within=reserve_form)
    desk.click("Reserve")
    eventually(
        lambda: _one(demo_db, "SELECT 1 FROM stock_reservations WHERE order_id = :o AND status = 'active'", o=order_id),
        "the reservation",
    )
    desk.click("repair")
    desk.see(f"{number} · repair")
    desk.no_error("front desk")
    desk.tab("Parts")
    desk.shot("flow-2-front-desk-order")

    # 3. The dispatcher plans tomorrow with the optimizer and accepts the proposal.
    dispatcher = person(browser, "dispatcher")
    dispatcher.sign_in(ops_ui_url, "dispatcher@riverside.example")
    dispatcher.go("Dispatch")
    dispatcher.tab("Proposal")
    dispatcher.click("Run the optimizer")
    dispatcher.see("jobs placed")
    dispatcher.no_error("optimizer")
    placed = _one(
        demo_db,
        "SELECT i.technician_id, i.unassigned_reason FROM plan_items i"
        " JOIN optimizer_plans p ON p.id = i.plan_id"
        " WHERE p.status = 'proposed' AND i.order_id = :o",
        o=order_id,
    )
    assert placed is not None and placed.technician_id is not None, f"the optimizer left the order out: {placed}"
    dispatcher.shot("flow-3-dispatch-proposal")
    dispatcher.click("Accept all")
    dispatcher.see("booked,")
    booking = eventually(
        lambda: _one(
            demo_db,
            "SELECT b.id, lower(b.planned) AS start, u.email FROM bookings b"
            " JOIN technicians t ON t.id = b.technician_id JOIN users u ON u.id = t.user_id"
            " WHERE b.order_id = :o AND b.status = 'confirmed'",
            o=order_id,
        ),
        "the booking",
    )
    dispatcher.shot("flow-4-dispatch-accepted")

    # 4. The technician opens that day, checks in, records the part and completes with sign-off.
    tech = person(browser, "technician")
    tech.sign_in(ops_ui_url, booking.email)
    tech.go("My day")
    if tech.page.get_by_role("button", name="Clock in").count():
        tech.click("Clock in")
    day = booking.start.astimezone(DEMO_TIME_ZONE).date()
    tech.set_date("Day", day)
    tech.shot("flow-5-technician-day")
    job = tech.page.get_by_test_id("stExpander").filter(has_text=number)
    job.locator("summary").click()
    tech.click("Check in", within=job)
    eventually(
        lambda: _one(demo_db, "SELECT 1 FROM bookings WHERE id = :b AND status = 'in_progress'", b=booking.id),
        "the check-in",
    )
    job = tech.page.get_by_test_id("stExpander").filter(has_text=number)
    tech.click("Record part", within=job)
    eventually(
        lambda: _one(
            demo_db, "SELECT 1 FROM stock_reservations WHERE order_id = :o AND status = 'consumed'", o=order_id
        ),
        "the part recorded",
    )
    job = tech.page.get_by_test_id("stExpander").filter(has_text=number)
    tech.fill("Customer's name (sign-off)", CUSTOMER, within=job)
    tech.fill("What was done", "Replaced the screen; touch tested on every edge.", within=job)
    for item in job.get_by_test_id("stCheckbox").all():  # the job type's checklist
        item.locator("label").click()
        tech.settle()
    sign(tech.page, job.locator('canvas[aria-label="Signature"]'))
    tech.see("Signature captured.")
    tech.settle()
    tech.shot("flow-6-technician-visit")
    tech.click("Complete with sign-off", within=job)
    eventually(
        lambda: _one(demo_db, "SELECT 1 FROM service_orders WHERE id = :o AND stage = 'quality_check'", o=order_id),
        "quality check",
    )
    signature = _one(
        demo_db,
        "SELECT a.content_type FROM order_signoffs s JOIN attachments a ON a.id = s.signature_attachment_id"
        " WHERE s.order_id = :o AND s.kind = 'completion'",
        o=order_id,
    )
    assert signature is not None and signature[0] == "image/png"  # drawn on screen, kept as an image
    tech.no_error("technician")

    # 5. The front desk passes the quality check: the device is ready.
    desk.go("Order")
    desk.fill("Order number", number)
    desk.click("ready")
    desk.see(f"{number} · ready")
    desk.shot("flow-7-ready")

    # 6. Finance invoices the order and takes the payment.
    finance = person(browser, "finance")
    finance.sign_in(ops_ui_url, "finance@riverside.example")
    finance.go("Billing")
    finance.choose("Ready or closed order without an invoice", number)
    finance.click("Issue the invoice")
    finance.see("issued for")
    invoice = _one(demo_db, "SELECT invoice_number, total FROM invoices WHERE order_id = :o", o=order_id)
    finance.tab("Payments")
    finance.choose("Invoice", invoice.invoice_number)
    finance.fill("Amount", f"{invoice.total:.2f}", commit=False)
    finance.click("Record the payment")
    eventually(
        lambda: _one(demo_db, "SELECT 1 FROM invoices WHERE order_id = :o AND status = 'paid'", o=order_id),
        "the invoice paid",
    )
    finance.no_error("finance")
    finance.shot("flow-8-payment")

    # 7. The customer tracks the repair: ready, the technician named, the invoice paid with nothing due.
    customer.go("Track a repair")
    customer.fill("Order number", number, commit=False)
    customer.fill("Tracking code (from your receipt)", code, commit=False)
    customer.click("Track")
    customer.see(f"{number}: ready")
    customer.see("ready for pickup")
    assert customer.page.get_by_text("not yet").count() == 0  # the technician who did the work is named
    paid = customer.see(f"Invoice {invoice.invoice_number}")
    assert "paid" in paid and "due $0.00" in paid, paid
    customer.no_error("tracking")
    customer.shot("flow-9-customer-tracking")
    assert booking.start > datetime.now(DEMO_TIME_ZONE) - timedelta(days=1)  # planned on a real, current day
