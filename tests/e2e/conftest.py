"""Browser tests: the demo company seeded as of today (so shifts and bookings fall on real dates), served by
``repairops ui`` on a free loopback port, and driven by Debian's chromium through Playwright."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from pipelines.extract import run_extract
from tests.conftest import Templates, _temporary_database
from tests.dashboards.conftest import configured, ops_env  # noqa: F401  (a fixture, used by name)
from tests.e2e.driver import CHROMIUM, CHROMIUM_ARGS
from tests.pipelines.conftest import dbt_build

DEMO_TIME_ZONE = ZoneInfo("America/Chicago")  # the demo company's time zone


@pytest.fixture(scope="module")
def demo_db(server_url: str, templates: Templates) -> Iterator[str]:
    """The small demo company as of today in its own time zone: the UI runs on the real clock, so the demo's
    shifts, bookings and open orders must be around today, not around the pinned day other suites use."""
    yield from _temporary_database(server_url, templates.demo(7, datetime.now(DEMO_TIME_ZONE).date()))


@pytest.fixture(scope="module")
def ui_env(demo_db: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """This module's demo company (as of today) with a warehouse built from it, configured as RepairOps."""
    data = tmp_path_factory.mktemp("ui") / ".repairops"
    run_extract(data / "warehouse.duckdb", demo_db, full=True)
    dbt_build(data / "warehouse.duckdb", data / "dbt", tests=False)  # the pages need the marts
    yield from configured(demo_db, data)


def serve(data_dir: Path, database_url: str, command: str = "ui", health: str = "/_stcore/health") -> Iterator[str]:
    """``repairops <command>`` (ui or api) on a free loopback port until the module is done, once ``health`` answers."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = {**os.environ, "DATABASE_URL": database_url, "REPAIROPS_DATA_DIR": str(data_dir)}
    server = subprocess.Popen(
        [sys.executable, "-m", "repairops.cli", command, "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"{url}{health}", timeout=5) as answer:
                if answer.status == 200:
                    break
        except OSError:
            time.sleep(1)
    else:
        os.killpg(server.pid, signal.SIGTERM)
        pytest.fail(f"repairops {command} did not answer {health} within 90 s")
    yield url
    os.killpg(server.pid, signal.SIGTERM)
    server.wait(timeout=30)


@pytest.fixture(scope="module")
def ui_url(ui_env: Path, demo_db: str) -> Iterator[str]:
    """``repairops ui`` over the demo company with its built warehouse (every page, analytics included)."""
    yield from serve(ui_env, demo_db)


@pytest.fixture(scope="module")
def ops_ui_url(ops_env: Path, demo_db: str) -> Iterator[str]:  # noqa: F811
    """``repairops ui`` over the demo company without a warehouse (the operational pages)."""
    yield from serve(ops_env, demo_db)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """One headless Chromium per module, a fresh context per person (tests.e2e.driver.person)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()
