"""The UI in a real headless Chromium: sign in, open every page, no page error; screenshots as artifacts."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

CHROMIUM = shutil.which("chromium")
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "e2e"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-quic",
                 "--no-first-run", "--disable-component-update", "--disable-sync"]

pytestmark = pytest.mark.skipif(
    CHROMIUM is None, reason="Debian's chromium is not installed (.ci/run installs it: apt-get install chromium)")


@pytest.fixture(scope="module")
def ui_url(ui_env: Path, demo_db: str) -> Iterator[str]:
    """``repairops ui`` running against the demo company, on a free loopback port."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = {**os.environ, "DATABASE_URL": demo_db, "REPAIROPS_DATA_DIR": str(ui_env)}
    server = subprocess.Popen([sys.executable, "-m", "repairops.cli", "ui", "--port", str(port)], env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=5) as answer:
                if answer.status == 200:
                    break
        except OSError:
            time.sleep(1)
    else:
        pytest.fail("the UI did not answer /_stcore/health within 90 s")
    yield url
    os.killpg(server.pid, signal.SIGTERM)
    server.wait(timeout=30)


@pytest.mark.parametrize(("email", "pages"), [
    ("manager@riverside.example", ["Home", "Orders board", "Analytics", "Track a repair"]),
    ("tech1@riverside.example", ["Home", "Orders board", "Track a repair"]),
])
def test_a_person_signs_in_and_every_page_renders_without_an_error(ui_url: str, email: str,
                                                                    pages: list[str]) -> None:
    from playwright.sync_api import sync_playwright

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    who = email.split("@")[0]
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1500, "height": 1000})
        page.goto(ui_url)
        page.wait_for_selector('[data-testid="stApp"]')
        page.get_by_text("Sign in to RepairOps").wait_for(timeout=60_000)
        page.get_by_label("Email").fill(email)
        page.get_by_role("textbox", name="Password").fill("demo-pass-2026")
        page.get_by_role("button", name="Sign in").click()
        page.get_by_text("Today").first.wait_for(timeout=60_000)
        nav = page.get_by_test_id("stSidebarNavLink").all()
        links = [link.inner_text().strip().splitlines()[-1] for link in nav]  # the icon's name comes first
        assert links == pages
        for title in pages:
            page.get_by_test_id("stSidebarNavLink").filter(has_text=title).click()
            page.wait_for_timeout(1500)
            page.wait_for_function("!document.querySelector('[data-testid=\"stStatusWidget\"]')", timeout=60_000)
            page.screenshot(path=str(ARTIFACTS / f"{who}-{title.lower().replace(' ', '-')}.png"))
            assert page.get_by_test_id("stException").count() == 0, f"{title} shows an error for {email}"
        browser.close()
