"""Analytics from the DuckDB marts: charts and every table, exportable to CSV and XLSX."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from dashboards.data import analytics
from dashboards.data.exports import to_csv, to_xlsx
from dashboards.data.warehouse import WarehouseMissing
from dashboards.session import current_actor

actor = current_actor()
assert actor is not None


@st.cache_data(ttl=300, show_spinner="Reading the warehouse…")
def _table(tenant_id: int, title: str, relation: str, order_by: str) -> pd.DataFrame:
    return analytics.table(tenant_id, analytics.Table(title, relation, order_by))


st.title("Analytics")
areas = [a for a, permission in analytics.AREA_PERMISSION.items() if actor.can(permission)]
try:
    tabs = st.tabs(areas)
    for tab, area in zip(tabs, areas, strict=True):
        with tab:
            if area == "Finance":
                monthly = analytics.monthly_finance(actor.tenant_id)
                st.bar_chart(monthly, x="month", y=["invoiced_total", "payments_received", "receivables_end"],
                             stack=False)
            if area == "SLA":
                sla = analytics.sla_compliance(actor.tenant_id)
                st.bar_chart(sla, x="month", y="compliance_pct", color="priority", stack=False)
            for spec in analytics.AREAS[area]:
                frame = _table(actor.tenant_id, spec.title, spec.relation, spec.order_by)
                st.subheader(spec.title)
                st.dataframe(frame, hide_index=True)
                name = spec.relation.replace(".", "_")
                left, right = st.columns(2)
                left.download_button("CSV", to_csv(frame), f"{name}.csv", "text/csv", key=f"{name}_csv")
                right.download_button("XLSX", to_xlsx(frame, spec.title), f"{name}.xlsx",
                                      "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                                      key=f"{name}_xlsx")
except WarehouseMissing as missing:
    st.warning(str(missing))
