"""The dispatcher's schedule in a real Chromium: the optimizer proposes tomorrow, the proposal shows as a calendar
with a row per technician, and dragging a job re-checks the day with the optimizer's checker: a drop that breaks
a rule (before the customer's hours) is refused with its reason, a sound one is stored. The proposed routes draw
on a map without internet tiles. Screenshots land in test-artifacts/e2e/dispatch-*.png."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import text

from ops_db.kit import db
from tests.e2e.conftest import DEMO_TIME_ZONE
from tests.e2e.driver import CHROMIUM, CHROMIUM_ARGS, Screen

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        CHROMIUM is None, reason="Debian's chromium is not installed (.ci/run installs it: apt-get install chromium)"
    ),
]


@pytest.fixture(scope="module")
def dispatcher(ops_ui_url: str) -> Iterator[Screen]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = chromium.new_context(viewport={"width": 1500, "height": 1100}).new_page()
        screen = Screen(page, "dispatcher")
        screen.sign_in(ops_ui_url, "dispatcher@riverside.example")
        screen.go("Dispatch")
        screen.tab("Proposal")
        screen.click("Run the optimizer")
        screen.see("jobs placed")
        screen.no_error("optimizer")
        yield screen
        chromium.close()


def _item(demo_db: str, order_number: str) -> Any:
    """The newest proposal's item of an order: technician and planned start."""
    with db.admin_engine(demo_db).connect() as conn:
        return conn.execute(
            text(
                "SELECT i.technician_id, lower(i.planned) AS start, i.explanation FROM plan_items i"
                " JOIN optimizer_plans p ON p.id = i.plan_id JOIN service_orders o ON o.id = i.order_id"
                " WHERE o.order_number = :n ORDER BY p.id DESC LIMIT 1"
            ),
            {"n": order_number},
        ).one()


def _last_jobs(demo_db: str) -> list[str]:
    """Each technician's last job of the newest proposal, earliest first (the likeliest to move later freely)."""
    with db.admin_engine(demo_db).connect() as conn:
        rows = conn.execute(
            text(
                "SELECT DISTINCT ON (i.technician_id) o.order_number, lower(i.planned) AS start FROM plan_items i"
                " JOIN service_orders o ON o.id = i.order_id WHERE i.plan_id = (SELECT max(id) FROM optimizer_plans)"
                " AND i.technician_id IS NOT NULL ORDER BY i.technician_id, lower(i.planned) DESC"
            )
        ).all()
    return [r.order_number for r in sorted(rows, key=lambda r: r.start)]


def _calendar(screen: Screen) -> Any:
    # a rerun may leave the previous calendar's frame collapsed beside the new one for a moment
    frame = screen.page.frame_locator('iframe[title="streamlit_calendar.calendar"]:not([height="0"])')
    try:
        frame.locator(".fc-timeline-event").first.wait_for(timeout=120_000)
    except Exception:
        screen.shot("failed-dispatch-calendar")
        raise
    return frame


def _drag(screen: Screen, event: Any, to: Any, *, dx: float = 0.0) -> None:
    """Drag a calendar event onto a point of another element (its left edge plus ``dx`` pixels, mid-height)."""
    event.scroll_into_view_if_needed()
    start, target = event.bounding_box(), to.bounding_box()
    assert start is not None and target is not None
    mouse = screen.page.mouse
    mouse.move(start["x"] + 4, start["y"] + start["height"] / 2)
    mouse.down()
    mouse.move(start["x"] + 20, start["y"] + start["height"] / 2, steps=5)
    mouse.move(target["x"] + dx, target["y"] + target["height"] / 2, steps=15)
    mouse.up()
    screen.settle()


def test_a_drop_before_the_customers_hours_is_refused_and_a_sound_one_is_kept(dispatcher: Screen, demo_db: str) -> None:
    screen = dispatcher
    screen.tab("Schedule")
    frame = _calendar(screen)
    screen.shot("dispatch-1-schedule")
    events = frame.locator(".fc-timeline-event")
    assert events.count() > 0
    # 1. onto 06:30, before every customer's hours (08:00): the checker refuses, nothing moves
    first = events.first
    number = first.locator(".fc-event-title").inner_text().strip()
    before = _item(demo_db, number)
    lane = frame.locator(".fc-timeline-lane[data-resource-id]").first
    slot = frame.locator('.fc-timeline-slot-lane[data-date$="T06:30:00"]').first
    box = slot.bounding_box()
    assert box is not None
    _drag(screen, first, lane, dx=box["x"] - (lane.bounding_box() or {"x": 0})["x"] + 4)
    refused = screen.see(f"{number} stays where it was")
    screen.shot("dispatch-2-refused")
    assert "outside the hours agreed with the customer" in refused or "cannot" in refused, refused
    assert _item(demo_db, number)[:2] == before[:2]
    # 2. a technician's last job of the day dragged half an hour later on its own row: the checker finds the day
    #    still sound (nothing after it but the way home), and the move is stored
    kept = None
    for number in _last_jobs(demo_db)[:5]:
        before = _item(demo_db, number)
        later = before.start.astimezone(DEMO_TIME_ZONE) + timedelta(minutes=30)
        frame = _calendar(screen)
        event = frame.locator(".fc-timeline-event", has_text=number).first
        lane = frame.locator(f'.fc-timeline-lane[data-resource-id="{before.technician_id}"]').first
        slot = frame.locator(
            f'.fc-timeline-slot-lane[data-date$="T{later:%H}:{30 if later.minute >= 30 else 0:02d}:00"]'
        )
        box, row = slot.first.bounding_box(), lane.bounding_box()
        assert box is not None and row is not None
        # the event's left edge goes where its start should be; FullCalendar snaps to 5 minutes
        minutes_in = later.minute % 30
        _drag(screen, event, lane, dx=box["x"] - row["x"] + box["width"] * minutes_in / 30 + 2)
        if _item(demo_db, number).explanation == {"by_hand": True}:
            kept = number
            screen.see(f"{number} now goes to")  # and the page says so
            break
    screen.shot("dispatch-3-moved")
    assert kept is not None, "no job could be moved a little later"
    after = _item(demo_db, kept)
    assert after.technician_id == before.technician_id and after.start > before.start
    assert after.explanation == {"by_hand": True}
    screen.no_error("after the drop")
    # 3. the proposal says why, in full; the map draws the routes with no tile server
    screen.tab("Proposal")
    screen.choose("Why, in full, for order", kept)
    screen.page.get_by_test_id("stAlert").filter(has_text="Placed by hand on the schedule").wait_for(timeout=60_000)
    screen.tab("Map")
    screen.page.get_by_test_id("stDeckGlJsonChart").first.wait_for(timeout=60_000)
    screen.shot("dispatch-4-map")
    screen.no_error("map")


def test_the_day_shown_is_the_companys_tomorrow(dispatcher: Screen) -> None:
    tomorrow = datetime.now(DEMO_TIME_ZONE).date() + timedelta(days=1)
    screen = dispatcher
    screen.tab("Schedule")
    frame = _calendar(screen)
    assert frame.locator(f'.fc-timeline-slot-lane[data-date^="{tomorrow.isoformat()}"]').count() > 0
