"""The UI in a real headless Chromium: each role signs in, sees only its pages, and every page renders
without an error; screenshots as artifacts."""

from __future__ import annotations

import pytest

from tests.e2e.driver import CHROMIUM, CHROMIUM_ARGS, Screen

pytestmark = [pytest.mark.slow, pytest.mark.skipif(
    CHROMIUM is None, reason="Debian's chromium is not installed (.ci/run installs it: apt-get install chromium)")]


@pytest.mark.parametrize(("email", "pages"), [
    ("manager@riverside.example", ["Home", "Intake", "Orders board", "Order", "Dispatch", "Inventory", "Billing",
                                   "Analytics", "Admin", "Request a repair", "Track a repair"]),
    ("tech1@riverside.example", ["Home", "Orders board", "Order", "My day", "Track a repair"]),
])
def test_a_person_signs_in_and_every_page_renders_without_an_error(ui_url: str, email: str,
                                                                    pages: list[str]) -> None:
    from playwright.sync_api import sync_playwright

    who = email.split("@")[0]
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        screen = Screen(browser.new_page(viewport={"width": 1500, "height": 1000}), who)
        screen.sign_in(ui_url, email)
        nav = screen.page.get_by_test_id("stSidebarNavLink").all()
        links = [link.inner_text().strip().splitlines()[-1] for link in nav]  # the icon's name comes first
        assert links == pages
        for title in pages:
            screen.go(title)
            screen.page.wait_for_timeout(1000)
            screen.settle()
            screen.shot(f"{who}-{title.lower().replace(' ', '-')}")
            assert screen.page.get_by_test_id("stException").count() == 0, f"{title} shows an error for {email}"
        browser.close()
