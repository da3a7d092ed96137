"""Issue 17 §5, in a real browser: text escaped with ``dashboards.widgets.plain`` is drawn by Streamlit's own
markdown (GFM autolinks, directives such as ``:small[…]``, ``:material/…:`` icons, maths) as exactly that text.

A tiny Streamlit script shows hostile text the ways the pages do (a board card, a caption, an expander, a button,
a chat message); Chromium then finds no link, image, icon, heading or formula in it, and every word still there.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e.driver import CHROMIUM, CHROMIUM_ARGS

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        CHROMIUM is None, reason="Debian's chromium is not installed (.ci/run installs it: apt-get install chromium)"
    ),
]

HOSTILE = [
    "![x](http://x.example/y.png) [click](http://evil.example)",
    "# Big\n- item\n1. one\n> quote",
    "see www.evil.example or https://evil.example/a?b=c <http://evil.example>",
    ":material/lock: :smile: :red[red] :small[x] $x^2$ **bold** _it_ ~~gone~~ `code` <b>tag</b> | a | b |",
]
SCRIPT = f"""
import streamlit as st
from dashboards.widgets import plain
HOSTILE = {HOSTILE!r}
for text in HOSTILE:
    st.markdown("**RO-1** :green-badge[on track]  \\n:small[" + plain(text) + "]")
    st.caption(plain(text))
    st.chat_message("user").write(plain(text))
with st.expander(plain(HOSTILE[0])):
    st.write("inside")
st.button(plain(HOSTILE[0]))
st.write("done-marker")
"""


@pytest.fixture(scope="module")
def hostile_page(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    script = tmp_path_factory.mktemp("markdown") / "hostile.py"
    script.write_text(SCRIPT)
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])}
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "streamlit",
            "run",
            str(script),
            "--server.headless",
            "true",
            "--server.port",
            str(port),
            "--browser.gatherUsageStats",
            "false",
        ],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(f"{url}/_stcore/health", timeout=5):
                    break
            except OSError:
                time.sleep(0.5)
        else:
            pytest.fail("streamlit did not answer /_stcore/health within 60 s")
        yield url
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)


def test_escaped_user_text_is_drawn_as_text_by_streamlit(hostile_page: str) -> None:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page()
        page.goto(hostile_page)
        page.get_by_text("done-marker").wait_for(timeout=60_000)
        app = page.get_by_test_id("stMain")
        drawn = app.inner_text()
        found = {
            what: app.locator(selector).count()
            for what, selector in {
                "links": "a[href]",
                "images": "img",
                "icons": "span[role=img]",
                "headings": "h1, h2, h3",
                "lists": "li",
                "quotes": "blockquote",
                "code": "code",
                "bold": "strong:not(:text('RO-1'))",
                "maths": ".katex",
                "tables": "table",
            }.items()
        }
        browser.close()
    assert found == dict.fromkeys(found, 0)
    for words in (
        "![x](http",
        "[click](http",
        "# Big",
        "www",
        "evil.example",
        ":material/lock:",
        ":red[red]",
        "$x^2$",
        "**bold**",
        "<b>tag</b>",
        "| a | b |",
    ):
        assert words in drawn.replace("\u2060", ""), words
