"""Rules the issue found written twice or more stay written once."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
PRODUCT = ("ops_db", "api", "dashboards", "pipelines", "repairops", "optimizer")


def _product_sources() -> list[Path]:
    return [p for package in PRODUCT for p in (ROOT / package).rglob("*.py") if "migrations" not in p.parts]


def test_the_colour_and_month_rules_are_written_once() -> None:
    """A second copy of either rule (the issue found four colour checks and two month additions) is refused."""
    twins = [
        str(p.relative_to(ROOT))
        for p in _product_sources()
        if p.name not in ("colors.py", "dates.py")
        and ("[0-9a-fA-F]{6}" in (text := p.read_text()) or "def _add_months" in text)
    ]
    assert twins == []
