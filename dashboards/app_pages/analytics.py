"""Analytics from the DuckDB marts: a period filter, charts, every table (CSV, XLSX), drill-down to the orders
behind the figures, and each area as a PDF.

Only the open area's tab is drawn (switching areas reruns the page for that one), its reads come from the cache
until the warehouse file changes (see ``dashboards.caching``), and the drill-down reruns alone when its choice
changes. Downloads do not rerun the page: each file is built when its button is clicked."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from functools import partial

import pandas as pd
import streamlit as st

from dashboards.caching import warehouse_cached
from dashboards.data import analytics
from dashboards.data.analytics import Period
from dashboards.data.catalog import tenant_zone
from dashboards.data.exports import to_csv, to_xlsx
from dashboards.i18n import _, column_label, number_text, stage_words, ui_locale
from dashboards.session import current_actor, engine
from dashboards.widgets import table
from ops_db.analytics.queries import area_report, drill_choices, table_report
from ops_db.analytics.warehouse import WarehouseMissing, reading
from ops_db.documents.pdf import tenant_brand
from ops_db.i18n import gettext_for, number
from ops_db.kit.uow import UnitOfWork

actor = current_actor()
assert actor is not None
# Each read is cached per company, reader's rights and warehouse file (the reader is in the key: one person's
# permitted figures are never served to another).
_table = warehouse_cached(analytics.table)
_monthly_finance = warehouse_cached(analytics.monthly_finance)
_sla_compliance = warehouse_cached(analytics.sla_compliance)
_drill_choices = warehouse_cached(drill_choices)
_drill_orders = warehouse_cached(analytics.drill_orders)


def _area_table(spec: analytics.Table, period: Period) -> pd.DataFrame:
    assert actor is not None
    return _table(actor, spec, period)


def _area_pdf(area: str, period: Period, locale: str, headings: dict[str, str]) -> bytes:
    """Built only when someone downloads it (outside the page's run, so the language and the column headings
    are the ones the page had)."""
    assert actor is not None
    return area_report(
        actor,
        area,
        period,
        tenant_brand(UnitOfWork(engine(), actor)),
        t=gettext_for(locale),
        headings=lambda name: headings.get(name, name),
        number=partial(number, locale=locale),
    )


def _table_pdf(spec: analytics.Table, period: Period, locale: str, headings: dict[str, str]) -> bytes:
    """One table as a PDF, built only when someone downloads it."""
    assert actor is not None
    return table_report(
        actor,
        spec,
        period,
        tenant_brand(UnitOfWork(engine(), actor)),
        t=gettext_for(locale),
        headings=lambda name: headings.get(name, name),
        number=partial(number, locale=locale),
    )


def _labelled(frame: pd.DataFrame) -> pd.DataFrame:
    """A chart's data with its columns named in the reader's language (axis and legend titles)."""
    return frame.rename(columns={c: column_label(str(c)) for c in frame.columns})


def _chart(area: str, period: Period) -> None:
    assert actor is not None
    if area == "Finance":
        monthly = _monthly_finance(actor, period)
        st.bar_chart(
            _labelled(monthly),
            x=column_label("month"),
            y=[column_label(c) for c in ("invoiced_total", "payments_received", "receivables_end")],
            stack=False,
        )
    if area == "SLA":
        sla = _sla_compliance(actor, period)
        sla = sla.assign(priority=sla["priority"].map(stage_words))
        st.bar_chart(
            _labelled(sla),
            x=column_label("month"),
            y=column_label("compliance_pct"),
            color=column_label("priority"),
            stack=False,
        )


def _tables(area: str, period: Period) -> dict[str, str]:
    """The area's tables with their downloads; returns the headings of their columns (for the PDF)."""
    headings: dict[str, str] = {}
    for spec in analytics.AREAS[area]:
        frame = _area_table(spec, period)
        own = {str(c): column_label(str(c)) for c in frame.columns}
        headings |= own
        st.subheader(_(spec.title))
        table(frame)
        name = spec.relation.replace(".", "_")
        left, middle, right = st.columns(3)
        # Every export is built when someone clicks, not on each rerun for every table.
        left.download_button(
            "CSV", partial(to_csv, frame), f"{name}.csv", "text/csv", key=f"{name}_csv", on_click="ignore"
        )
        middle.download_button(
            "XLSX",
            partial(to_xlsx, frame, spec.title),
            f"{name}.xlsx",
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            key=f"{name}_xlsx",
            on_click="ignore",
        )
        right.download_button(
            "PDF",
            partial(_table_pdf, spec, period, ui_locale(), own),
            f"{name}.pdf",
            "application/pdf",
            key=f"{name}_pdf",
            on_click="ignore",
        )
    return headings


def _choice_label(drill: analytics.Drill, choices: dict[object, str]) -> Callable[[object], str]:
    """How a drill's choice reads: stored codes as words, fixed choices translated, names as they are."""

    def label(value: object) -> str:
        if drill.codes:
            return stage_words(str(value))
        shown = choices.get(value, str(value))
        return _(shown) if isinstance(drill.choices, dict) else shown

    return label


@st.fragment
def _drill(area: str, period: Period) -> None:
    """Pick one value of the area's dimension, see the orders behind it, open one (a new choice reruns only
    this part)."""
    assert actor is not None
    with reading():
        _drill_part(area, period)


def _drill_part(area: str, period: Period) -> None:
    assert actor is not None
    drill = analytics.DRILLS[area]
    st.subheader(_("Drill down to orders"))
    choices = _drill_choices(actor, area)
    value = st.selectbox(_(drill.label), list(choices), format_func=_choice_label(drill, choices), key=f"drill_{area}")
    if value is None:
        return
    found = _drill_orders(actor, area, value, period)
    if len(found) >= 1000:
        st.caption(
            _("{count} orders (the first {limit}) in {period}.").format(
                count=number_text(len(found)), limit=number_text(1000), period=period.label(_)
            )
        )  # markdown: ours
    else:
        st.caption(
            _("{count} orders in {period}.").format(
                count=number_text(len(found)),  # markdown: ours (dates)
                period=period.label(_),
            )
        )
    table(found)
    if actor.can("orders.read") and not found.empty:
        left, right = st.columns([3, 1], vertical_alignment="bottom")
        chosen = left.selectbox(_("Order"), found["order_number"], key=f"drill_order_{area}")
        if right.button(_("Open the order"), key=f"drill_open_{area}"):
            st.session_state["order_number"] = chosen
            st.switch_page("app_pages/order_detail.py")


st.title(_("Analytics"))
months = analytics.recent_months(datetime.now(tenant_zone(engine(), actor)).date())
since, until = st.select_slider(
    _("Period"),
    options=months,
    value=(months[-12], months[-1]),
    format_func=lambda month: f"{month:%Y-%m}",
    key="analytics_period",
)
period = Period(since, until)
areas = [a for a in analytics.AREA_PERMISSION if analytics.may_read(actor, a)]
try:
    # Only the open tab is drawn: choosing another area reruns the page for that one.
    tabs = st.tabs([_(area) for area in areas], key=analytics.AREA_KEY, on_change="rerun")
    for tab, area in zip(tabs, areas, strict=True):
        if not tab.open:
            continue
        with tab, reading():
            _chart(area, period)
            headings = _tables(area, period)
            if analytics.may_drill(actor, area):
                _drill(area, period)
            st.download_button(
                _("{area} as PDF").format(area=_(area)),
                partial(_area_pdf, area, period, ui_locale(), headings),
                f"{area.lower()}-{period.since:%Y-%m}-{period.until:%Y-%m}.pdf",
                "application/pdf",
                key=f"{area}_pdf",
                icon=":material/picture_as_pdf:",
                on_click="ignore",
            )
except WarehouseMissing as missing:
    st.warning(_(str(missing)))
