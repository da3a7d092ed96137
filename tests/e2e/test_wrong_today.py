"""Issue 19, "wrong today" (lane C), in a real browser: text longer than its field is refused with a sentence,
never cut; an order number is found whatever the case it is typed in.

Before, every text box carried the field's limit as the browser's ``maxlength``: a pasted note one character too
long was cut to the limit without a word and saved so; an order number typed in lower case found nothing.
"""

from __future__ import annotations

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

NOTE_LIMIT = 20_000  # ops_db.orders.notes.add_note


def _open_order(demo_db: str) -> str:
    with db.admin_engine(demo_db).connect() as conn:
        return str(
            conn.execute(
                text("SELECT order_number FROM service_orders WHERE stage = 'repair' ORDER BY id LIMIT 1")
            ).scalar_one()
        )


def _notes(demo_db: str, number: str) -> list[int]:
    with db.admin_engine(demo_db).connect() as conn:
        return [
            int(n)
            for n in conn.execute(
                text(
                    "SELECT length(n.body) FROM order_notes n JOIN service_orders o ON o.id = n.order_id"
                    " WHERE o.order_number = :n ORDER BY n.id"
                ),
                {"n": number},
            ).scalars()
        ]


def test_a_note_too_long_is_refused_and_an_order_number_is_found_in_any_case(ops_ui_url: str, demo_db: str) -> None:
    from playwright.sync_api import sync_playwright

    number = _open_order(demo_db)
    before = _notes(demo_db, number)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        screen = Screen(browser.new_page(viewport={"width": 1500, "height": 1000}), "lane-c-text-limits")
        screen.sign_in(ops_ui_url, "frontdesk@riverside.example")
        screen.go("Order")
        screen.fill("Order number", number.lower())  # typed as people type it
        screen.see(number)
        screen.no_error("the order opens by its number in lower case")
        screen.tab("Notes and files")
        screen.fill("New note", "x" * (NOTE_LIMIT + 1), commit=False)
        box = screen.page.get_by_test_id("stTextArea").filter(visible=True).first.locator("textarea")
        assert len(box.input_value()) == NOTE_LIMIT + 1  # the browser kept every character
        box.press("Tab")
        screen.settle()
        screen.click("Add note")
        screen.see("The note can be at most 20,000 characters.")
        screen.shot("lane-c-note-too-long")
        assert _notes(demo_db, number) == before  # nothing cut, nothing saved
        screen.fill("New note", "y" * NOTE_LIMIT, commit=True)
        screen.click("Add note")
        eventually(lambda: _notes(demo_db, number) == [*before, NOTE_LIMIT], "the note at the limit to be saved")
        browser.close()
