"""Analytics: the period filter narrows every time-based table, drill-down reaches the orders behind a figure
and opens one, and each area downloads as a PDF that holds its tables."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pandas as pd
from streamlit.testing.v1 import AppTest

from dashboards.data.analytics import AREA_KEY
from ops_db.analytics import queries as analytics
from ops_db.documents.pdf import Brand
from tests.dashboards.conftest import demo_actor, signed_in
from tests.ops_db.documents.test_receipts import pdf_text


def _analytics(demo_db: str) -> AppTest:
    app = signed_in(demo_db, "manager@riverside.example")
    app.switch_page("app_pages/analytics.py").run()
    assert not app.exception
    return app


def _monthly_summary(app: AppTest) -> pd.DataFrame:
    frame = app.dataframe[0].value  # Finance is the first tab, its monthly summary the first table
    assert "month_start" in frame.columns
    return frame


def test_the_period_filter_narrows_the_time_based_tables(ui_env: Path, demo_db: str) -> None:
    app = _analytics(demo_db)
    since, until = app.select_slider(key="analytics_period").value
    everything = _monthly_summary(app)
    assert len(everything) >= 3
    assert everything["month_start"].min() >= since and everything["month_start"].max() <= until
    previous = (until - timedelta(days=1)).replace(day=1)
    app.select_slider(key="analytics_period").set_range(previous, until).run()
    assert not app.exception
    narrowed = _monthly_summary(app)
    assert 1 <= len(narrowed) <= 2 < len(everything)


def _open_area(app: AppTest, area: str) -> AppTest:
    """Choose the area's tab, as a click on it does (only the open tab is drawn)."""
    app.session_state[AREA_KEY] = area
    app.run()
    assert not app.exception
    return app


def test_drill_down_lists_a_models_repairs_and_opens_one(ui_env: Path, demo_db: str) -> None:
    app = _open_area(_analytics(demo_db), "Reliability")
    model = app.selectbox(key="drill_Reliability")
    assert model.value is not None
    number = app.selectbox(key="drill_order_Reliability").value
    assert number and number.startswith("RO-")
    app.button(key="drill_open_Reliability").click().run()
    assert not app.exception
    assert app.subheader[0].value.startswith(f"{number} · ")  # the Order page, showing that order


def test_an_area_as_pdf_holds_its_tables_for_the_period(ui_env: Path, demo_db: str) -> None:
    manager = demo_actor(demo_db, "manager@riverside.example")
    period = analytics.Period(date(2000, 1, 1), date(2100, 1, 1))
    data = analytics.area_report(
        manager, "Finance", period, Brand("Riverside Repair Co."), path=ui_env / "warehouse.duckdb"
    )
    text = pdf_text(data)
    assert "Finance analytics" in text and "Period 2000-01 to 2100-01" in text
    for spec in analytics.AREAS["Finance"]:
        assert spec.title in text
    assert "month start" in text  # column headings


def test_one_table_as_pdf_in_russian_holds_its_rows(ui_env: Path, demo_db: str) -> None:
    from ops_db.i18n import gettext_for

    finance = demo_actor(demo_db, "finance@riverside.example")
    period = analytics.Period(date(2000, 1, 1), date(2100, 1, 1))
    spec = analytics.AREAS["Finance"][0]
    rows = analytics.table(finance, spec, period, path=ui_env / "warehouse.duckdb")
    ru = gettext_for("ru")
    data = analytics.table_report(
        finance,
        spec,
        period,
        Brand("Ремонт «Риверсайд»"),
        t=ru,
        headings=lambda name: ru(name.replace("_", " ")),
        path=ui_env / "warehouse.duckdb",
    )
    text = pdf_text(data)
    assert ru(spec.title) in text and ru(spec.title) != spec.title and "Ремонт «Риверсайд»" in text
    other_titles = [s.title for s in analytics.AREAS["Finance"][1:]]
    assert not any(ru(title) in text for title in other_titles)  # just this table
    assert str(rows.records[0][rows.columns[0]])[:7] in text  # its first row's first value


def test_only_the_open_area_is_drawn(ui_env: Path, demo_db: str) -> None:
    app = _analytics(demo_db)
    keys = {button.key for button in app.get("download_button")}
    assert "Finance_pdf" in keys and "SLA_pdf" not in keys
    keys = {button.key for button in _open_area(app, "SLA").get("download_button")}
    assert "SLA_pdf" in keys and "Finance_pdf" not in keys


def test_every_analytics_table_offers_csv_xlsx_and_pdf(ui_env: Path, demo_db: str) -> None:
    app = _analytics(demo_db)
    for area, specs in analytics.AREAS.items():
        keys = {button.key for button in _open_area(app, area).get("download_button")}
        for spec in specs:
            name = spec.relation.replace(".", "_")
            assert {f"{name}_csv", f"{name}_xlsx", f"{name}_pdf"} <= keys, name
