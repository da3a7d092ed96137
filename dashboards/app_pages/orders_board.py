"""Orders board: columns by stage with SLA badges, and a filterable, searchable table."""

from __future__ import annotations

import streamlit as st

from dashboards.data.exports import to_csv
from dashboards.data.orders import BOARD_STAGES, MAX_SEARCH, board_cards, open_order_counts, open_orders
from dashboards.session import current_actor, engine

BADGE_COLOR = {"on track": "green", "at risk": "orange", "breached": "red", "paused": "gray", "met": "blue",
               "no SLA": "gray"}

TABLE_LIMIT = 2000

actor = current_actor()
assert actor is not None
st.title("Orders board")
search = st.text_input("Search by order number, customer, phone or serial", max_chars=MAX_SEARCH, key="search")
with st.spinner("Loading orders…"):
    counts = open_order_counts(engine(), actor, search=search)
    cards = board_cards(engine(), actor, search=search)
    orders = open_orders(engine(), actor, search=search, limit=TABLE_LIMIT)
columns = st.columns(len(BOARD_STAGES))
for column, stage in zip(columns, BOARD_STAGES, strict=True):
    with column:
        st.markdown(f"**{stage.replace('_', ' ').title()}** · {counts[stage]:,}")
        for card in cards[cards["stage"] == stage].itertuples():
            color = BADGE_COLOR.get(card.sla, "gray")
            st.markdown(f"**{card.order_number}** :{color}-badge[{card.sla}]  \n:small[{card.customer}]")
st.divider()
chosen = st.multiselect("Stages", BOARD_STAGES, default=list(BOARD_STAGES), key="stages")
table = orders[orders["stage"].isin(chosen)].drop(columns=["id", "sla_state"])
if counts["total"] > len(orders):
    st.caption(f"The table lists the oldest {len(orders):,} of {counts['total']:,} open orders; search to narrow it.")
st.dataframe(table, hide_index=True)
st.download_button("Download CSV", to_csv(table), "orders.csv", "text/csv", key="orders_csv")
