"""Calendar arithmetic the areas share (warranty ends, plan renewals)."""

from __future__ import annotations

from datetime import date


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
