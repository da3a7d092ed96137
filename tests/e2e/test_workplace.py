"""A workplace, not forms (issue 19, lane D), in a real headless Chromium over the demo company: a click on a row of
Home, the board, the Customers search and a customer's page opens its record, and the records link to each other
(order → customer → device → order); a card dragged on the Orders board changes the order's stage where the stage
machine allows it and is refused with a sentence where it does not; on the Order page a line is edited in place,
the order invoiced and a deposit taken, and the tracking link shows with its QR code; Intake finds the customer as
you type, files the order under the match chosen, asks a field job's address, and never files a new customer under
someone else's phone. Screenshots in test-artifacts/e2e/workplace-*.png."""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import text

from ops_db.kit import db
from tests.e2e.driver import CHROMIUM, RERUN_TIMEOUT_MS, Screen, person

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        CHROMIUM is None, reason="Debian's chromium is not installed (.ci/run installs it: apt-get install chromium)"
    ),
]
HEADER_PX, ROW_PX = 36, 35  # a Streamlit table's heading row and body rows


def _one(demo_db: str, sql: str, **params: Any) -> Any:
    with db.admin_engine(demo_db).connect() as conn:
        return conn.execute(text(sql), params).one()


def _click_cell(screen: Screen, table: Any, row: int, x: int = 40) -> None:
    """Click one cell of a Streamlit table (drawn on a canvas: by position), ``x`` pixels from its left edge."""
    table.scroll_into_view_if_needed()
    box = table.bounding_box()
    assert box is not None
    screen.page.mouse.click(box["x"] + x, box["y"] + HEADER_PX + ROW_PX * row + ROW_PX / 2)
    screen.settle()


def _wait_for_url(screen: Screen, pattern: str) -> None:
    # Streamlit changes pages in the browser (history.pushState, no navigation event): watch the address.
    screen.page.wait_for_function("p => new RegExp(p).test(location.href)", arg=pattern, timeout=RERUN_TIMEOUT_MS)
    screen.settle()


def test_every_list_opens_its_record_and_records_link_to_each_other(
    ops_ui_url: str, demo_db: str, browser: Any
) -> None:
    manager = person(browser, "manager")
    manager.sign_in(ops_ui_url, "manager@riverside.example")
    waiting = manager.page.get_by_test_id("stDataFrame").first  # Home: waiting for a technician
    _click_cell(manager, waiting, 0)
    _wait_for_url(manager, r"order_detail\?order=")
    number = manager.page.url.rsplit("order=", 1)[1]
    manager.see(_one(demo_db, "SELECT problem_description FROM service_orders WHERE order_number = :n", n=number)[0])
    manager.shot("workplace-home-row-opened-its-order")
    manager.no_error("an order opened from Home")

    customer, device = _one(
        demo_db,
        "SELECT c.name, e.serial_number FROM service_orders o JOIN customers c ON c.id = o.customer_id"
        " LEFT JOIN equipment e ON e.id = o.equipment_id WHERE o.order_number = :n",
        n=number,
    )
    manager.page.get_by_role("link", name=customer, exact=True).click()  # the header links to the customer
    _wait_for_url(manager, r"record\?customer=\d+")
    manager.see("Devices")
    manager.shot("workplace-customer-record")
    manager.no_error("the customer's record")
    if device:
        devices = manager.page.get_by_test_id("stDataFrame").nth(0)  # no address yet: the devices come first
        if manager.page.get_by_text("No address yet.").count() == 0:
            devices = manager.page.get_by_test_id("stDataFrame").nth(1)
        _click_cell(manager, devices, 0)
        _wait_for_url(manager, r"record\?device=\d+")
        manager.see("Owner:")
        manager.shot("workplace-device-record")
        _click_cell(manager, manager.page.get_by_test_id("stDataFrame").first, 0)  # the device's orders
        _wait_for_url(manager, r"order_detail\?order=")
        manager.no_error("an order opened from its device")

    manager.go("Orders board")
    card = manager.page.get_by_test_id("stPageLink").filter(has_text=re.compile(r"\S+-\d{4}-\d+")).first
    found = re.search(r"\S+-\d{4}-\d+", card.inner_text())
    assert found is not None
    shown = found.group(0)
    card.click()
    _wait_for_url(manager, rf"order_detail\?order={re.escape(shown)}")
    manager.shot("workplace-board-card-opened-its-order")
    manager.go("Orders board")
    manager.page.get_by_test_id("stDataFrame").first.scroll_into_view_if_needed()
    _click_cell(manager, manager.page.get_by_test_id("stDataFrame").first, 1)
    _wait_for_url(manager, r"order_detail\?order=")
    manager.no_error("an order opened from the board's table")

    manager.go("Customers")
    manager.fill("Find a customer by name, phone, email or a device's serial number", customer)
    _click_cell(manager, manager.page.get_by_test_id("stDataFrame").first, 0)
    _wait_for_url(manager, r"record\?customer=\d+")
    manager.see(customer)
    manager.no_error("a customer opened from the search")


def _drag(screen: Screen, item: Any, target: Any) -> None:
    """Drag one card onto another list with the pointer, in small steps (the lists react to movement)."""
    start, end = item.bounding_box(), target.bounding_box()
    assert start is not None and end is not None
    mouse = screen.page.mouse
    mouse.move(start["x"] + start["width"] / 2, start["y"] + start["height"] / 2)
    mouse.down()
    for step in range(1, 21):
        mouse.move(
            start["x"]
            + start["width"] / 2
            + (end["x"] + end["width"] / 2 - start["x"] - start["width"] / 2) * step / 20,
            start["y"] + start["height"] / 2 + (end["y"] + 30 - start["y"] - start["height"] / 2) * step / 20,
        )
        screen.page.wait_for_timeout(30)
    mouse.up()
    screen.settle()


def test_a_card_dragged_to_another_stage_moves_the_order_where_allowed(
    ops_ui_url: str, demo_db: str, browser: Any
) -> None:
    desk = person(browser, "frontdesk")
    desk.sign_in(ops_ui_url, "frontdesk@riverside.example")
    desk.go("Orders board")
    desk.page.get_by_text("Drag to move", exact=True).click()
    desk.settle()
    desk.see("Drag a card to another stage")
    desk.shot("workplace-board-drag-view")
    board = desk.page.frame_locator('iframe[title*="sortable"]').last  # the board drawn last
    moved = _one(
        demo_db, "SELECT order_number FROM service_orders WHERE stage = 'repair' ORDER BY received_at, id LIMIT 1"
    )[0]  # the first card of the Repair column
    first = board.locator(".sortable-item").filter(has_text=moved)
    first.wait_for(timeout=RERUN_TIMEOUT_MS)
    desk.shot("workplace-board-before-drag")
    received = board.locator(".sortable-container").nth(0)
    _drag(desk, first, received)  # repair → received: the stage machine says no
    desk.see("cannot")
    desk.shot("workplace-board-drag-refused")
    assert _one(demo_db, "SELECT stage FROM service_orders WHERE order_number = :n", n=moved)[0] == "repair"

    desk.page.wait_for_function(  # the board drawn before the refusal has gone
        "document.querySelectorAll('iframe[title*=\"sortable\"]').length === 1", timeout=RERUN_TIMEOUT_MS
    )
    desk.page.wait_for_timeout(1500)  # the new board's lists are ready for the pointer
    board = desk.page.frame_locator('iframe[title*="sortable"]').last  # the board drawn last
    card = board.locator(".sortable-item").filter(has_text=moved)
    card.wait_for(timeout=RERUN_TIMEOUT_MS)
    _drag(desk, card, board.locator(".sortable-container").nth(5))  # repair → quality check: allowed
    for _second in range(60):  # the drop's rerun moves it
        stage = _one(demo_db, "SELECT stage FROM service_orders WHERE order_number = :n", n=moved)[0]
        if stage != "repair":
            break
        desk.page.wait_for_timeout(1000)
    desk.settle()
    desk.shot("workplace-board-drag-moved")
    desk.no_error("a card dragged to an allowed stage")
    assert stage == "quality_check"
    assert "view=move" in desk.page.url  # the view stays in the address


def test_the_order_is_invoiced_and_a_deposit_taken_on_its_page(ops_ui_url: str, demo_db: str, browser: Any) -> None:
    number = _one(
        demo_db,
        "SELECT o.order_number FROM service_orders o JOIN order_lines l ON l.order_id = o.id"
        " WHERE o.stage IN ('diagnostics', 'repair') AND NOT EXISTS (SELECT 1 FROM invoices i"
        " WHERE i.order_id = o.id AND i.status <> 'void') AND l.line_no = 1 AND l.kind <> 'discount'"
        " ORDER BY o.id LIMIT 1",
    )[0]
    manager = person(browser, "manager")
    manager.sign_in(ops_ui_url, "manager@riverside.example")
    manager.go("Order")
    manager.fill("Order number", number)
    manager.see("Customer")
    # The lines are an editable table (dashboards/app_pages/order_detail.py); typing into it from Playwright did not
    # reach the editor here, so the correction itself is proven by tests/ops_db/services/test_workplace.py.
    manager.see("Add line")
    manager.tab("Invoice and payments")
    manager.click("Invoice the order now")
    manager.tab("Invoice and payments")
    manager.see("due")
    manager.fill("Amount (a deposit or all that is due)", "10.00", commit=False)
    manager.click("Take the payment")
    manager.see("recorded")
    paid = _one(
        demo_db,
        "SELECT count(*), coalesce(sum(p.amount), 0) FROM payments p JOIN invoices i ON i.id = p.invoice_id"
        " JOIN service_orders o ON o.id = i.order_id WHERE o.order_number = :n",
        n=number,
    )
    assert (paid[0], paid[1]) == (1, Decimal("10.00"))
    manager.page.get_by_text("Tracking link and QR code for the customer").click()
    manager.see("Scan to follow the repair")
    manager.see("/track?company=riverside")
    manager.shot("workplace-order-workspace")
    manager.no_error("the order's workspace")


def test_intake_finds_the_customer_as_you_type_and_asks_a_field_jobs_address(
    ops_ui_url: str, demo_db: str, browser: Any
) -> None:
    customer_id, name, phone = _one(
        demo_db,
        "SELECT id, name, phone FROM customers WHERE phone IS NOT NULL AND is_active AND name ~ '^[A-Za-z]+ [A-Za-z]+$'"
        " ORDER BY id LIMIT 1",
    )
    desk = person(browser, "frontdesk")
    desk.sign_in(ops_ui_url, "frontdesk@riverside.example")
    desk.go("Intake")
    search = desk.page.frame_locator('iframe[title*="searchbox"]')
    box = search.locator("input").first
    box.wait_for(timeout=RERUN_TIMEOUT_MS)
    box.press_sequentially(name[:6], delay=80)
    option = search.get_by_text(name, exact=False).first
    option.wait_for(timeout=RERUN_TIMEOUT_MS)
    desk.shot("workplace-intake-matches")
    option.click()
    desk.settle()
    desk.see("Another customer")
    desk.fill("What is wrong", "No picture on the wall unit (field visit)", commit=False)
    desk.page.get_by_text("field", exact=True).click()
    desk.click("Open the order")
    desk.see("A field job needs the service address")
    desk.shot("workplace-intake-address-asked")
    desk.fill("Street and number", "12 River Road", commit=False)
    desk.fill("City", "Springfield", commit=False)
    desk.click("Open the order")
    desk.see("opened")
    opened = _one(
        demo_db,
        "SELECT o.customer_id, s.address_line1 FROM service_orders o JOIN customer_sites s ON s.id = o.site_id"
        " WHERE o.problem_description = 'No picture on the wall unit (field visit)'",
    )
    assert (opened[0], opened[1]) == (customer_id, "12 River Road")
    desk.shot("workplace-intake-opened")

    desk.fill("Name", "Someone Else", commit=False)
    desk.fill("Phone", phone, commit=False)
    desk.fill("What is wrong", "Cracked screen (same phone)", commit=False)
    desk.click("Open the order")
    desk.see("already has the phone number")
    desk.see(f"Choose {name}")
    desk.shot("workplace-intake-phone-match-refused")
    with db.admin_engine(demo_db).connect() as conn:
        filed = conn.execute(
            text("SELECT count(*) FROM service_orders WHERE problem_description = 'Cracked screen (same phone)'")
        ).scalar_one()
    assert filed == 0  # never filed silently under the customer who has that phone
