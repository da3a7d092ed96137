"""Orders board: columns by stage with SLA badges, and a filterable, searchable table."""

from __future__ import annotations

from functools import partial

import pandas as pd
import streamlit as st

from dashboards.data.catalog import tenant_zone
from dashboards.data.exports import to_csv
from dashboards.data.orders import BOARD_STAGES, MAX_SEARCH, board_cards, open_order_counts, open_orders
from dashboards.session import current_actor, engine
from dashboards.widgets import local_times, run_action
from ops_db.kit.uow import UnitOfWork
from ops_db.orders.models import Priority, Stage
from ops_db.orders.service import MAX_BULK, bulk_set_priority, bulk_transition

BADGE_COLOR = {"on track": "green", "at risk": "orange", "breached": "red", "paused": "gray", "met": "blue",
               "no SLA": "gray"}

TABLE_LIMIT = 2000


def bulk_actions(listed: pd.DataFrame) -> None:
    """Move or triage several listed orders at once; all or none, and the refusal names its order."""
    assert actor is not None
    numbers = dict(zip(listed["id"].astype(int), listed["order_number"], strict=True))
    with st.expander("Bulk actions"):
        picked = st.multiselect("Orders", list(numbers), format_func=numbers.__getitem__, key="bulk_orders",
                                max_selections=MAX_BULK, placeholder="Choose orders from the table")
        what = st.radio("Action", ["Move to stage", "Set priority"], horizontal=True, key="bulk_action")
        if what == "Move to stage":
            target = st.selectbox("Stage", [s.value for s in Stage if s != Stage.RECEIVED], key="bulk_stage")
        else:
            target = st.selectbox("Priority", [p.value for p in Priority], key="bulk_priority")
        reason = st.text_input("Reason (optional, kept with the change)", max_chars=2000, key="bulk_reason")
        if st.button(f"Apply to {len(picked)} orders", key="bulk_apply", disabled=not picked):
            service = bulk_transition if what == "Move to stage" else bulk_set_priority
            run_action(partial(service, UnitOfWork(engine(), actor), picked, target, reason=reason or None),
                       f"{what} for {len(picked)} orders: done.")


actor = current_actor()
assert actor is not None
zone = tenant_zone(engine(), actor)
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
st.dataframe(local_times(table, zone), hide_index=True)
st.download_button("Download CSV", to_csv(table), "orders.csv", "text/csv", key="orders_csv")
if actor.can("orders.transition") and not orders.empty:
    bulk_actions(orders[orders["stage"].isin(chosen)])
