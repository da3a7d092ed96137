"""Analytics from the DuckDB marts: a period filter, charts, every table (CSV, XLSX), drill-down to the orders
behind the figures, and each area as a PDF."""

from __future__ import annotations

from datetime import date, datetime
from functools import partial

import pandas as pd
import streamlit as st

from dashboards.data import analytics
from dashboards.data.analytics import Period
from dashboards.data.catalog import tenant_zone
from dashboards.data.exports import to_csv, to_xlsx
from dashboards.data.warehouse import WarehouseMissing
from dashboards.session import current_actor, engine
from ops_db.documents.pdf import tenant_brand
from ops_db.kit.uow import UnitOfWork

actor = current_actor()
assert actor is not None


@st.cache_data(ttl=300, show_spinner="Reading the warehouse…")
def _table(tenant_id: int, title: str, relation: str, order_by: str, period_column: str | None,
           since: date, until: date) -> pd.DataFrame:
    return analytics.table(tenant_id, analytics.Table(title, relation, order_by, period_column), Period(since, until))


def _area_table(spec: analytics.Table, period: Period) -> pd.DataFrame:
    assert actor is not None
    return _table(actor.tenant_id, spec.title, spec.relation, spec.order_by, spec.period, period.since, period.until)


def _area_pdf(area: str, period: Period) -> bytes:
    """Built only when someone downloads it."""
    assert actor is not None
    return analytics.area_report(actor.tenant_id, area, period, tenant_brand(UnitOfWork(engine(), actor)))


def _chart(area: str, period: Period) -> None:
    assert actor is not None
    if area == "Finance":
        monthly = analytics.monthly_finance(actor.tenant_id, period)
        st.bar_chart(monthly, x="month", y=["invoiced_total", "payments_received", "receivables_end"], stack=False)
    if area == "SLA":
        sla = analytics.sla_compliance(actor.tenant_id, period)
        st.bar_chart(sla, x="month", y="compliance_pct", color="priority", stack=False)


def _tables(area: str, period: Period) -> None:
    for spec in analytics.AREAS[area]:
        frame = _area_table(spec, period)
        st.subheader(spec.title)
        st.dataframe(frame, hide_index=True)
        name = spec.relation.replace(".", "_")
        left, right = st.columns(2)
        left.download_button("CSV", to_csv(frame), f"{name}.csv", "text/csv", key=f"{name}_csv")
        right.download_button("XLSX", to_xlsx(frame, spec.title), f"{name}.xlsx",
                              "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                              key=f"{name}_xlsx")


def _drill(area: str, period: Period) -> None:
    """Pick one value of the area's dimension, see the orders behind it, open one."""
    assert actor is not None
    drill = analytics.DRILLS[area]
    st.subheader("Drill down to orders")
    choices = analytics.drill_choices(actor.tenant_id, drill)
    value = st.selectbox(drill.label, list(choices), format_func=choices.__getitem__, key=f"drill_{area}")
    if value is None:
        return
    found = analytics.drill_orders(actor.tenant_id, drill, value, period)
    capped = " (the first 1,000)" if len(found) >= 1000 else ""
    st.caption(f"{len(found):,} orders{capped} in {period.label()}.")
    st.dataframe(found, hide_index=True)
    if actor.can("orders.read") and not found.empty:
        left, right = st.columns([3, 1], vertical_alignment="bottom")
        number = left.selectbox("Order", found["order_number"], key=f"drill_order_{area}")
        if right.button("Open the order", key=f"drill_open_{area}"):
            st.session_state["order_number"] = number
            st.switch_page("app_pages/order_detail.py")


st.title("Analytics")
months = analytics.recent_months(datetime.now(tenant_zone(engine(), actor)).date())
since, until = st.select_slider("Period", options=months, value=(months[-12], months[-1]),
                                format_func=lambda month: f"{month:%Y-%m}", key="analytics_period")
period = Period(since, until)
areas = [a for a, permission in analytics.AREA_PERMISSION.items() if actor.can(permission)]
try:
    tabs = st.tabs(areas)
    for tab, area in zip(tabs, areas, strict=True):
        with tab:
            _chart(area, period)
            _tables(area, period)
            if area in analytics.DRILLS:
                _drill(area, period)
            st.download_button(f"{area} as PDF", partial(_area_pdf, area, period),
                               f"{area.lower()}-{period.since:%Y-%m}-{period.until:%Y-%m}.pdf", "application/pdf",
                               key=f"{area}_pdf", icon=":material/picture_as_pdf:")
except WarehouseMissing as missing:
    st.warning(str(missing))
