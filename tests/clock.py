"""Run the tests as if it were another hour: ``REPAIROPS_TEST_CLOCK`` moves the clock of the whole test system.

``REPAIROPS_TEST_CLOCK="02:00 UTC"`` (today at that time in that zone), ``"23:30 America/Chicago"`` or an ISO
instant (``2026-12-06T02:00:00+00:00``) starts every clock of the run there, and lets it tick on:

- this pytest process, through time-machine (``datetime.now``, ``date.today``, ``time.time``; monotonic
  clocks are left alone, so timeouts still measure real time);
- every Python process it starts (the UI server, the command line, dbt), through ``clockhook/sitecustomize.py``
  on their ``PYTHONPATH``;
- the test Postgres server (``now()``, ``current_date``), started under libfaketime (Debian: ``apt-get install
  faketime``).

All three move by one offset, computed once and handed down in ``REPAIROPS_TEST_CLOCK_OFFSET``, so they agree
with each other to the second. The time zone is the ordinary ``TZ`` variable: the server takes it as its own
zone when it is created. ``make test-clock`` runs the hour- and zone-sensitive tests this way.
"""

from __future__ import annotations

import glob
import os
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

CLOCK_ENV = "REPAIROPS_TEST_CLOCK"
OFFSET_ENV = "REPAIROPS_TEST_CLOCK_OFFSET"  # whole seconds from the real clock to the pinned one
LIBFAKETIME_ENV = "REPAIROPS_LIBFAKETIME"  # where libfaketime.so.1 is, when it is not where Debian puts it
HOOK_DIR = Path(__file__).resolve().parent / "clockhook"


class ClockError(Exception):
    """The pinned clock cannot be set up; the message is one sentence for the person running the tests."""


def pinned_instant(spec: str, now: datetime) -> datetime:
    """The instant ``spec`` names: ``HH:MM ZONE`` is that wall time on ``now``'s day in ZONE, else ISO 8601."""
    spec = spec.strip()
    parts = spec.split()
    if len(parts) == 2 and ":" in parts[0] and "-" not in parts[0]:
        wall, zone_name = parts
        try:
            zone = ZoneInfo(zone_name)
            hours, minutes = (int(p) for p in wall.split(":"))
            today = now.astimezone(zone).date()
            return datetime(today.year, today.month, today.day, hours, minutes, tzinfo=zone)
        except (ValueError, KeyError) as exc:
            raise ClockError(f"{CLOCK_ENV}={spec!r} is not 'HH:MM Zone' ({exc}).") from None
    try:
        instant = datetime.fromisoformat(spec.replace("Z", "+00:00"))
    except ValueError:
        raise ClockError(f"{CLOCK_ENV}={spec!r} is neither 'HH:MM Zone' nor an ISO instant with an offset.") from None
    if instant.tzinfo is None:
        raise ClockError(f"{CLOCK_ENV}={spec!r} needs an offset or a zone: which 02:00 is meant?")
    return instant


def offset_seconds() -> int | None:
    """Seconds from the real clock to the pinned one (None: the real clock), fixed once for the whole run."""
    known = os.environ.get(OFFSET_ENV)
    if known:
        return int(known)
    spec = os.environ.get(CLOCK_ENV, "").strip()
    if not spec:
        return None
    real = time.time()
    offset = round(pinned_instant(spec, datetime.fromtimestamp(real, UTC)).timestamp() - real)
    os.environ[OFFSET_ENV] = str(offset)  # the processes this one starts inherit the same offset
    return offset


def activate() -> int | None:
    """Move this process's clock by the run's offset and make the Python processes it starts follow; the offset."""
    offset = offset_seconds()
    if offset is None:
        return None
    import time_machine

    if not time_machine.escape_hatch.is_travelling():  # a worker started by this run travels from its start
        time_machine.travel(time.time() + offset, tick=True).start()
    paths = [str(HOOK_DIR), *filter(None, os.environ.get("PYTHONPATH", "").split(os.pathsep))]
    os.environ["PYTHONPATH"] = os.pathsep.join(dict.fromkeys(paths))
    return offset


def libfaketime() -> Path:
    """The libfaketime library to preload into the test Postgres server."""
    candidates = [
        os.environ.get(LIBFAKETIME_ENV, ""),
        *glob.glob("/usr/lib/*/faketime/libfaketime.so.1"),
        "/usr/lib/faketime/libfaketime.so.1",
        "/usr/local/lib/faketime/libfaketime.so.1",
    ]
    for candidate in candidates:
        if candidate and Path(candidate).is_file():
            return Path(candidate)
    raise ClockError(
        f"{CLOCK_ENV} is set but libfaketime is not installed (apt-get install faketime, or set "
        f"{LIBFAKETIME_ENV}), so the database would keep the real time."
    )


def server_environment(offset: int) -> dict[str, str]:
    """Environment that starts a Postgres server whose clock runs ``offset`` seconds from the real one."""
    # Monotonic clocks stay real: Postgres measures timeouts with them, and a negative offset would underflow.
    return {"LD_PRELOAD": str(libfaketime()), "FAKETIME": f"{offset:+d}", "FAKETIME_DONT_FAKE_MONOTONIC": "1"}


def check_agreement(database_now: datetime, offset: int) -> None:
    """Refuse a run whose clocks are not where the offset puts them (a clock that was not moved after all)."""
    import time_machine

    python_now = datetime.now(UTC)
    real = time_machine.escape_hatch.time.time()
    if abs(python_now.timestamp() - (real + offset)) > 5:
        raise ClockError(
            f"{CLOCK_ENV} is set but this process's clock reads {python_now.isoformat()}, "
            f"not the real time moved by {offset} s."
        )
    if abs(database_now.astimezone(UTC) - python_now) > timedelta(seconds=60):
        raise ClockError(
            f"The test database's clock reads {database_now.isoformat()} but this process's reads "
            f"{python_now.isoformat()}: the server was not started under the pinned clock."
        )


def child_environment(instant: datetime, zone: str = "UTC") -> dict[str, str]:
    """Environment for a Python process (the command line, the UI server) whose clock starts at ``instant`` and
    ticks on, on a machine in ``zone``: a test of "today" at a chosen hour, whatever the real hour is."""
    import time_machine

    real = time_machine.escape_hatch.time.time() if time_machine.escape_hatch.is_travelling() else time.time()
    paths = [str(HOOK_DIR), *filter(None, os.environ.get("PYTHONPATH", "").split(os.pathsep))]
    return {
        OFFSET_ENV: str(round(instant.timestamp() - real)),
        "PYTHONPATH": os.pathsep.join(dict.fromkeys(paths)),
        "TZ": zone,
    }
