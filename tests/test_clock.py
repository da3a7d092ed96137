"""The test clock: ``REPAIROPS_TEST_CLOCK`` names an instant, and every clock of the run (this process, the Python
processes it starts, the test database) reads it; ``TZ`` becomes the database's zone too."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import psycopg
import pytest

from tests import clock
from tests.conftest import conninfo

pytestmark = pytest.mark.clock

NOW = datetime(2026, 12, 6, 4, 55, tzinfo=UTC)  # 22:55 on 5 December in Chicago


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        ("02:00 UTC", datetime(2026, 12, 6, 2, 0, tzinfo=UTC)),
        ("23:30 America/Chicago", datetime(2026, 12, 6, 5, 30, tzinfo=UTC)),  # that day is still the 5th in Chicago
        ("2031-03-04T09:15:00+02:00", datetime(2031, 3, 4, 7, 15, tzinfo=UTC)),
        ("2031-03-04T09:15:00Z", datetime(2031, 3, 4, 9, 15, tzinfo=UTC)),
    ],
)
def test_an_instant_is_a_wall_time_today_in_a_zone_or_an_iso_instant(spec: str, expected: datetime) -> None:
    assert clock.pinned_instant(spec, NOW) == expected


@pytest.mark.parametrize("spec", ["2031-03-04T09:15", "25:00 UTC", "02:00 Mars/Olympus", "soon"])
def test_an_instant_without_a_zone_or_that_is_no_time_is_refused(spec: str) -> None:
    with pytest.raises(clock.ClockError):
        clock.pinned_instant(spec, NOW)


def test_the_database_and_every_process_read_the_runs_clock(migrated_db: str) -> None:
    """Whatever the run's clock is (the real one, or the pinned one), the database and a Python process this run
    starts agree with this process to the minute, and the database's zone is the machine's (TZ)."""
    with psycopg.connect(conninfo(migrated_db)) as conn:
        database_now, zone = conn.execute("SELECT now(), current_setting('TimeZone')").fetchone()  # type: ignore[misc]
    child = subprocess.run(
        [sys.executable, "-c", "import time; print(time.time())"],
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    here = datetime.now(UTC)
    assert abs(database_now - here) < timedelta(minutes=1)
    assert abs(datetime.fromtimestamp(float(child.stdout), UTC) - here) < timedelta(minutes=1)
    if os.environ.get("TZ"):
        assert ZoneInfo(zone).key == ZoneInfo(os.environ["TZ"]).key
    spec = os.environ.get(clock.CLOCK_ENV)
    if spec:  # the run started at the pinned instant and has ticked on since (the clock subset takes minutes)
        started = max(c for c in (clock.pinned_instant(spec, here - timedelta(days=d)) for d in (0, 1)) if c <= here)
        assert here - started < timedelta(hours=1), (spec, here)
