"""The shared calendar and colour rules of ops_db.kit."""

from __future__ import annotations

from datetime import date

import pytest

from ops_db.kit.colors import hex_color_or, is_hex_color
from ops_db.kit.dates import add_months


@pytest.mark.parametrize(
    ("day", "months", "expected"),
    [
        (date(2026, 1, 15), 1, date(2026, 2, 15)),
        (date(2026, 1, 31), 1, date(2026, 2, 28)),  # February has no 31st: its last day
        (date(2028, 1, 31), 1, date(2028, 2, 29)),  # leap year
        (date(2026, 3, 31), 1, date(2026, 4, 30)),
        (date(2026, 11, 30), 2, date(2027, 1, 30)),  # across the year
        (date(2026, 5, 10), 24, date(2028, 5, 10)),
        (date(2026, 5, 10), 0, date(2026, 5, 10)),
        (date(2026, 3, 31), -1, date(2026, 2, 28)),  # backwards too
        (date(2026, 1, 10), -13, date(2024, 12, 10)),
    ],
)
def test_add_months_keeps_the_day_or_takes_the_months_last(day: date, months: int, expected: date) -> None:
    assert add_months(day, months) == expected


@pytest.mark.parametrize("value", ["#0f766e", "#ABCDEF", "#000000"])
def test_six_hex_digits_are_a_colour(value: str) -> None:
    assert is_hex_color(value)
    assert hex_color_or(value, "#111111") == value


@pytest.mark.parametrize(
    "value", ["0f766e", "#0f766", "#0f766e0", "#0g766e", " #0f766e", "#0f766e\n", "", None, 123, "red"]
)
def test_anything_else_is_not_and_falls_back(value: object) -> None:
    assert not is_hex_color(value)
    assert hex_color_or(value, "#111111") == "#111111"
