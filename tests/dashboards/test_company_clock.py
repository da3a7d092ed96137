"""Everything a person reads is in the company's time zone: no page shows UTC, an offset ("+00:00") or an ISO
instant. The demo company is in Chicago; `make test-clock` runs this at 02:00 UTC (the evening before there) on a
machine in UTC+14."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pandas as pd
import pytest
from sqlalchemy import text
from streamlit.testing.v1 import AppTest

from ops_db.kit import db
from tests.dashboards.conftest import signed_in

pytestmark = pytest.mark.clock

COMPANY_ZONE = ZoneInfo("America/Chicago")
# UTC named, an offset after a time, or an ISO instant: what a person should never read.
LEAK = re.compile(r"\bUTC\b|\d{1,2}:\d{2}(:\d{2})?(\.\d+)?([+-]\d{2}:\d{2}|Z\b)|\d{4}-\d{2}-\d{2}T\d{2}:\d{2}")
TEXT_KINDS = ("title", "header", "subheader", "markdown", "caption", "text", "info", "success", "warning", "error")


def _texts(app: AppTest) -> Iterator[str]:
    """Every sentence, label and value the page shows (tables cell by cell)."""
    for kind in TEXT_KINDS:
        for element in getattr(app, kind):
            yield str(element.value)
    for metric in app.metric:
        yield f"{metric.label} {metric.value}"
    for choice in [*app.selectbox, *app.radio]:
        yield from (str(option) for option in choice.options)
    for frame in [*app.dataframe, *app.table]:
        shown: pd.DataFrame = frame.value
        for column in shown.columns:
            if isinstance(shown[column].dtype, pd.DatetimeTZDtype):
                yield f"column {column} holds instants with an offset ({shown[column].dtype})"
            elif shown[column].dtype == object:
                yield from (str(v) for v in shown[column].dropna())


def _leaks(app: AppTest) -> list[str]:
    return sorted({t[:160] for t in _texts(app) if LEAK.search(t)})


def _pages(app: AppTest) -> list[str]:
    from dashboards.session import visible_pages

    return [p.path for p in visible_pages(app.session_state["actor"])]


@pytest.mark.parametrize("login", ["admin@riverside.example", "tech1@riverside.example", "customer1@mail.example"])
def test_no_page_shows_utc_or_an_offset(ui_env: Path, demo_db: str, login: str) -> None:
    with db.admin_engine(demo_db).begin() as conn:  # Admin lists a locked account with the time it opens again
        conn.execute(
            text("UPDATE users SET locked_until = now() + interval '1 hour' WHERE email = :e"),
            {"e": "frontdesk@riverside.example"},
        )
    app = signed_in(demo_db, login, timeout=180)
    assert not app.exception
    found: dict[str, list[str]] = {}
    for page in _pages(app):
        app.switch_page(page).run()
        assert not app.exception, (page, app.exception)
        if leaks := _leaks(app):
            found[page] = leaks
    assert found == {}


def test_an_order_reads_the_companys_hours(ui_env: Path, demo_db: str) -> None:
    with db.admin_engine(demo_db).connect() as conn:
        number, promised = (
            conn.execute(
                text("SELECT order_number, coalesce(promised_at, due_at) FROM service_orders ORDER BY id DESC LIMIT 1")
            )
            .tuples()
            .one()
        )
    app = signed_in(demo_db, "manager@riverside.example", timeout=180)
    app.session_state["order_number"] = number
    app.switch_page("app_pages/order_detail.py").run()
    assert not app.exception and _leaks(app) == []
    wall = f"{promised.astimezone(COMPANY_ZONE):%Y-%m-%d %H:%M}"  # "Promised by", on Chicago's clock
    shown = [t.replace("\\", "") for t in _texts(app)]
    assert any(wall in t for t in shown), (wall, [t for t in shown if ":" in t])


def test_intake_takes_purchase_dates_up_to_the_companys_today(ui_env: Path, demo_db: str) -> None:
    """At 02:00 UTC on a machine in UTC+14 it is already the 25th there, but still the 24th in Chicago."""
    import time_machine

    machine_afternoon = datetime(2026, 11, 25, 16, 0, tzinfo=ZoneInfo("Pacific/Kiritimati"))  # 02:00 UTC
    with time_machine.travel(machine_afternoon, tick=True):
        # the manager: the front desk's account is locked by the test above (its 'locked until' line)
        app = signed_in(demo_db, "manager@riverside.example", timeout=180)
        app.switch_page("app_pages/intake.py").run()
        assert not app.exception
        assert app.date_input(key="purchased").proto.max == "2026-11-24"
