"""A thin Playwright driver for the Streamlit UI: sign in, open a page, fill and choose by visible label,
wait for each rerun to finish, and save numbered screenshots of every step."""

from __future__ import annotations

import shutil
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

CHROMIUM = shutil.which("chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-quic",
    "--no-first-run",
    "--disable-component-update",
    "--disable-sync",
]
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "e2e"
PASSWORD = "demo-pass-2026"  # every demo login's password
RERUN_TIMEOUT_MS = 120_000


class Screen:
    """One person's browser tab on the running UI."""

    def __init__(self, page: Any, who: str, shots: Path = ARTIFACTS) -> None:
        self.page, self.who, self.shots = page, who, shots
        shots.mkdir(parents=True, exist_ok=True)

    # ---- waiting -------------------------------------------------------------------------------------
    def settle(self) -> None:
        """Wait until Streamlit has finished the rerun the last interaction started."""
        self.page.wait_for_timeout(600)  # the rerun's status widget appears a moment after the click
        self.page.wait_for_function(
            "!document.querySelector('[data-testid=\"stStatusWidget\"]')", timeout=RERUN_TIMEOUT_MS
        )
        self.page.wait_for_timeout(300)

    def see(self, text: str, timeout: int = RERUN_TIMEOUT_MS) -> str:
        """Wait for ``text`` to be visible; return the whole text of the element that shows it."""
        element = self.page.get_by_text(text).first
        try:
            element.wait_for(timeout=timeout)
        except Exception as error:
            self.shot(f"failed-{self.who}-see")  # what the page showed instead
            shown = (
                self.page.get_by_test_id("stMain").inner_text(timeout=5_000)
                if self.page.get_by_test_id("stMain").count()
                else "(no page)"
            )
            raise AssertionError(f"{self.who} never saw {text!r}; the page showed:\n{shown[:2000]}") from error
        return str(element.inner_text())

    def no_error(self, step: str) -> None:
        exceptions = self.page.get_by_test_id("stException")
        assert exceptions.count() == 0, f"{step}: {exceptions.first.inner_text()}"
        errors = self.page.get_by_test_id("stAlertContentError")
        assert errors.count() == 0, f"{step}: {errors.first.inner_text()}"

    def shot(self, step: str) -> None:
        self.page.screenshot(path=str(self.shots / f"{step}.png"), full_page=True)

    # ---- navigation ----------------------------------------------------------------------------------
    def open(self, url: str) -> None:
        self.page.goto(url)
        self.page.wait_for_selector('[data-testid="stApp"]')
        self.page.get_by_test_id("stSidebarNavLink").first.wait_for(timeout=RERUN_TIMEOUT_MS)
        self.settle()

    def sign_in(self, url: str, email: str) -> None:
        self.open(url)
        self.page.get_by_label("Email").fill(email)
        self.page.get_by_role("textbox", name="Password").fill(PASSWORD)
        self.page.get_by_role("button", name="Sign in").click()
        self.see("Today")
        self.settle()

    def go(self, title: str) -> None:
        self.page.get_by_test_id("stSidebarNavLink").and_(self.page.get_by_role("link", name=title, exact=True)).click()
        self.settle()

    def tab(self, name: str) -> None:
        self.page.get_by_role("tab", name=name).click()
        self.page.wait_for_timeout(300)

    # ---- widgets -------------------------------------------------------------------------------------
    def fill(self, label: str, value: str, *, within: Any = None, commit: bool = True) -> None:
        """Type into a text input or area; ``commit`` presses Tab so Streamlit takes the value (outside forms)."""
        scope = within or self.page
        widget = scope.locator(
            '[data-testid="stTextInput"], [data-testid="stTextArea"], [data-testid="stNumberInput"]'
        ).filter(has=self.page.get_by_text(label, exact=True))
        box = widget.filter(visible=True).first.locator("input, textarea").first
        try:
            box.fill(value)
        except Exception:
            self.shot(f"failed-{self.who}-fill-{label}")
            raise
        if commit:
            box.press("Tab")
            self.settle()

    def choose(self, label: str, option: str, *, within: Any = None) -> None:
        """Pick the first option of a selectbox whose text contains ``option`` (typed to filter the list)."""
        scope = within or self.page
        box = (
            scope.get_by_test_id("stSelectbox")
            .filter(has=self.page.get_by_text(label, exact=True))
            .filter(visible=True)
            .first
        )
        box.scroll_into_view_if_needed()
        box.click()
        try:
            self.page.keyboard.type(option)
            self.page.get_by_role("option").filter(has_text=option).first.click()
        except Exception:
            self.shot(f"failed-{self.who}-choose-{label}")
            raise
        self.settle()

    def set_date(self, label: str, day: date) -> None:
        """Type a day into a date input: each segment found by what it holds (year, month, day), not by where it
        sits (the order follows the format and the browser's locale), and checked before Streamlit gets it."""
        field = self.page.get_by_role("group", name=label, exact=True)
        wanted = {"year": day.year, "month": day.month, "day": day.day}
        for kind, value in wanted.items():
            segment = field.locator(f'[role="spinbutton"][data-type="{kind}"]')
            segment.click()
            segment.press_sequentially(f"{value:02d}")
        shown = {
            kind: field.locator(f'[role="spinbutton"][data-type="{kind}"]').inner_text().strip() for kind in wanted
        }
        if {kind: int(text) if text.isdigit() else text for kind, text in shown.items()} != wanted:
            self.shot(f"failed-{self.who}-date-{label}")
            raise AssertionError(f"the {label} field shows {shown}, not {day}")
        self.page.keyboard.press("Enter")
        self.page.get_by_role("heading").first.click()  # leaving the field hands the value to Streamlit
        self.settle()

    def click(self, name: str, *, within: Any = None) -> None:
        (within or self.page).get_by_role("button", name=name, exact=True).click()
        self.settle()


def eventually(check: Callable[[], Any], what: str, timeout: float = 60.0) -> Any:
    """Poll ``check`` until it returns something truthy (the database catching up with a click)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = check()
        if result:
            return result
        time.sleep(0.5)
    raise AssertionError(f"timed out waiting for {what}")


def person(browser: Any, who: str) -> Screen:
    """A fresh desktop browser context per person: nobody shares a session."""
    context = browser.new_context(viewport={"width": 1500, "height": 1100})
    return Screen(context.new_page(), who)


def sign(page: Any, canvas: Any) -> None:
    """The customer's finger on the signature box: a few strokes with the pointer."""
    canvas.scroll_into_view_if_needed()
    box = canvas.bounding_box()
    assert box is not None
    x, y, w, h = box["x"], box["y"], box["width"], box["height"]
    page.mouse.move(x + 0.1 * w, y + 0.7 * h)
    page.mouse.down()
    for i in range(1, 12):
        page.mouse.move(x + (0.1 + 0.07 * i) * w, y + (0.7 - 0.4 * (i % 2)) * h, steps=3)
    page.mouse.up()
