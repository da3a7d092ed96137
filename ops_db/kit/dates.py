"""Calendar arithmetic the areas share (warranty ends, plan renewals) and the company's "today"."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo


def add_months(day: date, months: int) -> date:
    """``day`` moved by ``months`` calendar months; a day the target month lacks becomes its last day
    (31 January + 1 month is 28 or 29 February)."""
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    for d in (day.day, 30, 29, 28):
        try:
            return date(year, month, d)
        except ValueError:
            continue
    raise ValueError("unreachable: every month has a 28th")


def company_now(time_zone: str, now: datetime | None = None) -> datetime:
    """``now`` (default: this moment) as the company's wall clock: the hour its people read."""
    return (now or datetime.now(UTC)).astimezone(ZoneInfo(time_zone))


def company_today(time_zone: str, now: datetime | None = None) -> date:
    """The company's today: its date where it works, whatever zone the server runs in (at 02:00 UTC it is
    still yesterday in Chicago)."""
    return company_now(time_zone, now).date()
