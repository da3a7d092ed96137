"""The technician's phone in a real Chromium at 390×844: the installable app (/tech/) served by ``repairops api``
over the demo company of today. The technician signs in, sees today's route with a number to call and a way
there, goes offline (the app still starts, from its service worker), checks in, ticks the checklist, writes a
note, attaches a "photo" that is really a text file, has the customer sign on screen and finishes; nothing
reaches the server until the phone is back online, then the queue is sent and the visit is done on the server,
the signature kept as an image, and the text file refused by its content."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text

from ops_db.kit import db
from tests.e2e.conftest import DEMO_TIME_ZONE, serve
from tests.e2e.driver import CHROMIUM, CHROMIUM_ARGS, PASSWORD, Screen, eventually, sign

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        CHROMIUM is None, reason="Debian's chromium is not installed (.ci/run installs it: apt-get install chromium)"
    ),
]
PHONE: Any = {"width": 390, "height": 844}  # playwright's ViewportSize
LOAD_MS = 60_000


@pytest.fixture(scope="module")
def api_url(demo_db: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """``repairops api`` over the demo company of today, on a free loopback port."""
    yield from serve(tmp_path_factory.mktemp("api") / ".repairops", demo_db, "api", "/health")


def _one(demo_db: str, sql: str, **params: Any) -> Any:
    with db.admin_engine(demo_db).connect() as conn:
        return conn.execute(text(sql), params).one()


def _todays_field_job(demo_db: str, skip: int = 0) -> tuple[str, int, str]:
    """A technician login with a booked (not started) field job today, at a site with coordinates and a customer
    with a phone: (their email, the booking, its order number); ``skip``: take another technician's."""
    start = datetime.now(DEMO_TIME_ZONE).replace(hour=0, minute=0, second=0, microsecond=0)
    row = _one(
        demo_db,
        "SELECT DISTINCT ON (u.email) u.email, b.id, o.order_number FROM bookings b"
        " JOIN technicians t ON t.id = b.technician_id JOIN users u ON u.id = t.user_id"
        " JOIN service_orders o ON o.id = b.order_id"
        " JOIN customers c ON c.id = o.customer_id JOIN customer_sites s ON s.id = o.site_id"
        " WHERE b.status = 'confirmed' AND o.location = 'field' AND s.latitude IS NOT NULL AND c.phone IS NOT NULL"
        " AND lower(b.planned) >= :s AND lower(b.planned) < :e ORDER BY u.email, lower(b.planned)"
        " OFFSET :skip LIMIT 1",
        s=start,
        e=start + timedelta(days=1),
        skip=skip,
    )
    return str(row[0]), int(row[1]), str(row[2])


def test_a_technician_works_offline_and_the_queue_syncs_when_back_online(
    api_url: str, demo_db: str, tmp_path: Path
) -> None:
    from playwright.sync_api import expect, sync_playwright

    email, booking, number = _todays_field_job(demo_db)
    not_a_photo = tmp_path / "damage.jpg"
    not_a_photo.write_text("this is a text file, not a photo\n")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        context = browser.new_context(viewport=PHONE, device_scale_factor=2, has_touch=True, is_mobile=True)
        page = context.new_page()
        screen = Screen(page, "tech-phone")
        page.goto(f"{api_url}/tech/")
        page.get_by_label("Company").fill("riverside")
        page.get_by_label("Email").fill(email)
        page.get_by_label("Password").fill(PASSWORD)
        screen.shot("tech-phone-1-sign-in")
        page.get_by_role("button", name="Sign in").click()
        card = page.locator(f'article.job[data-order="{number}"]')
        card.wait_for(timeout=LOAD_MS)
        assert str(card.get_by_role("link", name="Call").get_attribute("href", timeout=5_000)).startswith("tel:")
        assert "google.com/maps/dir/" in str(card.get_by_role("link", name="Navigate").get_attribute("href"))
        call_box = card.get_by_role("link", name="Call").bounding_box()
        assert call_box is not None and call_box["height"] >= 48  # a target a thumb hits
        screen.shot("tech-phone-2-route")
        page.wait_for_function(
            "navigator.serviceWorker && navigator.serviceWorker.controller !== null", timeout=LOAD_MS
        )

        # Offline: the app starts from its service worker with the day it kept; the work is queued.
        context.set_offline(True)
        page.reload()
        card.wait_for(timeout=LOAD_MS)
        card.get_by_role("button", name="Check in").click()
        expect(page.get_by_role("status")).to_have_text("Offline · 1 waiting")
        for box in card.get_by_role("checkbox").all():
            box.check()
        card.get_by_label("Note").fill("Compressor noisy; fan replaced.")
        card.get_by_role("button", name="Add note").click()
        card.get_by_label("Photo").set_input_files(str(not_a_photo))
        expect(page.get_by_role("status")).to_have_text("Offline · 3 waiting")
        card = page.locator(f'article.job[data-order="{number}"]')  # drawn again with each queued action
        card.get_by_label("What was done").fill("Fan replaced")
        card.get_by_label("Customer's name").fill("Pat Customer")
        for box in card.get_by_role("checkbox").all():
            box.check()
        sign(page, card.locator("canvas.signature"))
        screen.shot("tech-phone-3-signed-offline")
        card.get_by_role("button", name="Finish with signature").click()
        expect(page.get_by_role("status")).to_have_text("Offline · 4 waiting")
        expect(page.locator(f'article.job[data-order="{number}"]')).to_have_attribute("data-status", "done")
        screen.shot("tech-phone-4-queued-offline")
        status = _one(demo_db, "SELECT status FROM bookings WHERE id = :b", b=booking)[0]
        assert status == "confirmed"  # nothing reached the server

        # Back online: the queue goes out in order, once, and the day is read again.
        context.set_offline(False)
        expect(page.get_by_role("status")).to_have_text("All sent", timeout=LOAD_MS)
        eventually(
            lambda: _one(demo_db, "SELECT status FROM bookings WHERE id = :b", b=booking)[0] == "done",
            "the visit finished on the server",
        )
        signed = _one(
            demo_db,
            "SELECT s.signed_by_name, a.content_type, a.size_bytes FROM order_signoffs s JOIN bookings b"
            " ON b.order_id = s.order_id JOIN attachments a ON a.id = s.signature_attachment_id"
            " WHERE b.id = :b AND s.kind = 'completion'",
            b=booking,
        )
        assert (signed[0], signed[1]) == ("Pat Customer", "image/png") and signed[2] > 1000  # strokes, not blank
        notes = _one(
            demo_db,
            "SELECT count(*) FROM order_notes n JOIN bookings b ON b.order_id = n.order_id WHERE b.id = :b"
            " AND n.body = 'Compressor noisy; fan replaced.'",
            b=booking,
        )
        assert notes[0] == 1
        problems = page.locator("section.problems")
        expect(problems).to_contain_text("is not a photo")
        expect(page.locator(f'article.job[data-order="{number}"]')).to_contain_text("Done ✓")
        screen.shot("tech-phone-5-synced")
        browser.close()


def test_a_technician_signs_off_on_the_streamlit_page_with_a_drawn_signature(ops_ui_url: str, demo_db: str) -> None:
    """The same visit on the Streamlit page at 390×844: Call and Navigate on the job, the checklist, and the
    customer's signature drawn in the box (a custom component): without it the visit is not finished."""
    from playwright.sync_api import sync_playwright

    email, booking, number = _todays_field_job(demo_db, skip=1)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        screen = Screen(browser.new_page(viewport={"width": 1200, "height": 900}), "tech-streamlit")
        screen.sign_in(ops_ui_url, email)
        screen.go("My day")
        screen.page.set_viewport_size(PHONE)  # the sidebar folds away on a phone; the page is already open
        screen.settle()
        job = screen.page.get_by_test_id("stExpander").filter(has_text=number)
        job.locator("summary").click()
        assert str(job.get_by_role("link", name="Call").get_attribute("href")).startswith("tel:")
        assert "google.com/maps/dir/" in str(job.get_by_role("link", name="Navigate").get_attribute("href"))
        screen.click("Check in", within=job)
        eventually(
            lambda: _one(demo_db, "SELECT status FROM bookings WHERE id = :b", b=booking)[0] == "in_progress",
            "the check-in",
        )
        job = screen.page.get_by_test_id("stExpander").filter(has_text=number)
        screen.fill("Customer's name (sign-off)", "Pat Customer", within=job)
        for item in job.get_by_test_id("stCheckbox").all():
            item.locator("label").click()
            screen.settle()
        screen.click("Complete with sign-off", within=job)
        screen.see("Ask the customer to sign in the box.")
        job = screen.page.get_by_test_id("stExpander").filter(has_text=number)
        sign(screen.page, job.locator('canvas[aria-label="Signature"]'))
        screen.see("Signature captured.")  # the drawing reached the server
        screen.settle()
        screen.shot("tech-streamlit-1-signed")
        screen.click("Complete with sign-off", within=job)
        try:
            eventually(
                lambda: _one(demo_db, "SELECT status FROM bookings WHERE id = :b", b=booking)[0] == "done",
                "the visit finished",
            )
        except AssertionError:
            screen.shot("failed-tech-streamlit-finish")
            alerts = [a.inner_text() for a in screen.page.get_by_test_id("stAlert").all()]
            toasts = [a.inner_text() for a in screen.page.get_by_test_id("stToast").all()]
            raise AssertionError(f"not finished; alerts {alerts}, toasts {toasts}") from None
        kind = _one(
            demo_db,
            "SELECT a.content_type FROM order_signoffs s JOIN bookings b ON b.order_id = s.order_id"
            " JOIN attachments a ON a.id = s.signature_attachment_id WHERE b.id = :b",
            b=booking,
        )[0]
        assert kind == "image/png"
        screen.shot("tech-streamlit-2-done")
        browser.close()
