"""Business-hours arithmetic over a weekly schedule with holidays, in the calendar's time zone."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo


@dataclass(frozen=True)
class Calendar:
    """Working hours per weekday (Monday = 0) as (open, close) local times, plus holidays."""

    tz: ZoneInfo
    hours: Mapping[int, tuple[time, time]]
    holidays: frozenset[date] = frozenset()

    @classmethod
    def from_row(cls, time_zone: str, weekly_hours: Mapping[str, Any], holidays: Sequence[date] = ()) -> Calendar:
        """Build from the ``business_calendars`` columns (``{"0": ["08:00", "18:00"], ...}``)."""
        hours = {
            int(day): (time.fromisoformat(span[0]), time.fromisoformat(span[1]))
            for day, span in weekly_hours.items()
            if span
        }
        return cls(ZoneInfo(time_zone), hours, frozenset(holidays))

    @classmethod
    def always(cls) -> Calendar:
        """Round the clock, every day (for policies without a calendar)."""
        return cls(ZoneInfo("UTC"), {d: (time(0), time(23, 59, 59, 999999)) for d in range(7)})

    def _windows(self, start: datetime) -> Iterator[tuple[datetime, datetime]]:
        """Working intervals from the day of ``start`` onwards (at most ten years ahead)."""
        day = start.astimezone(self.tz).date()
        for _ in range(3660):
            span = self.hours.get(day.weekday())
            if span is not None and day not in self.holidays:
                opens = datetime.combine(day, span[0], self.tz)
                closes = datetime.combine(day, span[1], self.tz)
                if closes > opens:
                    yield opens.astimezone(UTC), closes.astimezone(UTC)
            day += timedelta(days=1)

    def seconds_between(self, start: datetime, end: datetime) -> int:
        """Working seconds in [start, end)."""
        if end <= start:
            return 0
        total = 0.0
        for opens, closes in self._windows(start):
            if opens >= end:
                break
            lo, hi = max(opens, start), min(closes, end)
            if hi > lo:
                total += (hi - lo).total_seconds()
        return int(total)

    def add_seconds(self, start: datetime, seconds: int) -> datetime:
        """The moment ``seconds`` of working time after ``start``."""
        remaining = float(max(seconds, 0))
        for opens, closes in self._windows(start):
            lo = max(opens, start)
            if closes <= lo:
                continue
            available = (closes - lo).total_seconds()
            if remaining <= available:
                return lo + timedelta(seconds=remaining)
            remaining -= available
        raise ValueError("the calendar has no working time in the next ten years")
