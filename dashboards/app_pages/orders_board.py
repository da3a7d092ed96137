"""Orders board: columns by stage with SLA badges, and a filterable, searchable table."""

from __future__ import annotations

import streamlit as st

from dashboards.data.exports import to_csv
from dashboards.data.orders import BOARD_STAGES, MAX_SEARCH, open_orders, stage_counts
from dashboards.session import current_actor, engine

BADGE_COLOR = {"on track": "green", "at risk": "orange", "breached": "red", "paused": "gray", "met": "blue",
               "no SLA": "gray"}

actor = current_actor()
assert actor is not None
st.title("Orders board")
search = st.text_input("Search by order number, customer, phone or serial", max_chars=MAX_SEARCH, key="search")
with st.spinner("Loading orders…"):
    orders = open_orders(engine(), actor, search=search)
counts = stage_counts(orders)
columns = st.columns(len(BOARD_STAGES))
for column, stage in zip(columns, BOARD_STAGES, strict=True):
    with column:
        st.markdown(f"**{stage.replace('_', ' ').title()}** · {counts[stage]}")
        for card in orders[orders["stage"] == stage].head(8).itertuples():
            color = BADGE_COLOR.get(card.sla, "gray")
            st.markdown(f"**{card.order_number}** :{color}-badge[{card.sla}]  \n:small[{card.customer}]")
st.divider()
chosen = st.multiselect("Stages", BOARD_STAGES, default=list(BOARD_STAGES), key="stages")
table = orders[orders["stage"].isin(chosen)].drop(columns=["id", "sla_state"])
st.dataframe(table, hide_index=True)
st.download_button("Download CSV", to_csv(table), "orders.csv", "text/csv", key="orders_csv")
