"""'Today' on the command line is the company's today: at 02:00 UTC it is still the evening before in the demo
company's Chicago, whatever zone the machine runs in (here UTC+14, where it is already the afternoon after)."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta

import psycopg
import pytest

from tests import clock
from tests.conftest import Templates, _temporary_database, conninfo

pytestmark = pytest.mark.clock

AS_OF = date(2026, 11, 24)
# 02:00 UTC on the 25th: 20:00 on the 24th in Chicago, 16:00 on the 25th in Kiritimati (UTC+14).
EVENING_IN_CHICAGO = datetime(2026, 11, 25, 2, 0, tzinfo=UTC)
MACHINE_ZONE = "Pacific/Kiritimati"


def _cli(url: str, *args: str) -> subprocess.CompletedProcess[str]:
    """``repairops ARGS`` against ``url``, its clock at EVENING_IN_CHICAGO on a machine in MACHINE_ZONE."""
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "COLUMNS": "200",
        **clock.child_environment(EVENING_IN_CHICAGO, MACHINE_ZONE),
    }
    return subprocess.run(
        [sys.executable, "-m", "repairops.cli", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
        check=False,
    )


@pytest.fixture
def demo(server_url: str, templates: Templates) -> Iterator[str]:
    """A copy of the demo company seeded with 42 as of AS_OF."""
    yield from _temporary_database(server_url, templates.demo(42, AS_OF))


def _planned_days(url: str) -> list[date]:
    with psycopg.connect(conninfo(url)) as conn:
        return [r[0] for r in conn.execute("SELECT plan_date FROM optimizer_plans ORDER BY id")]


def test_plan_without_a_date_plans_the_companys_tomorrow_and_replan_its_today(demo: str) -> None:
    done = _cli(demo, "plan", "--time-limit", "0.5")
    assert done.returncode == 0, done.stdout + done.stderr
    replanned = _cli(demo, "plan", "--replan", "--time-limit", "0.5")
    assert replanned.returncode == 0, replanned.stdout + replanned.stderr
    # Chicago's 24 November is today: the machine's date (the 25th) would have planned the 26th and the 25th.
    assert _planned_days(demo) == [AS_OF + timedelta(days=1), AS_OF]


def test_demo_seed_without_a_date_seeds_the_companys_today(migrated_db: str) -> None:
    done = _cli(migrated_db, "demo", "seed")
    assert done.returncode == 0, done.stdout + done.stderr
    with psycopg.connect(conninfo(migrated_db)) as conn:
        newest = conn.execute(
            "SELECT max((received_at AT TIME ZONE 'America/Chicago')::date) FROM service_orders"
        ).fetchone()
    # Orders arrive up to the company's today (the machine's date would have been the 25th).
    assert newest == (AS_OF,)
