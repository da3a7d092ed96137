"""Home: the numbers this person acts on today."""

from __future__ import annotations

import streamlit as st

from dashboards.data.orders import open_orders, stage_counts
from dashboards.session import current_actor, engine

actor = current_actor()
assert actor is not None
st.title("Today")
if not actor.can("orders.read"):
    st.info("Nothing to act on here yet for your role.")
    st.stop()
with st.spinner("Loading open orders…"):
    orders = open_orders(engine(), actor)
counts = stage_counts(orders)
cols = st.columns(4)
cols[0].metric("Open orders", f"{len(orders):,}")
cols[1].metric("Ready, not collected", f"{counts['ready']:,}")
cols[2].metric("SLA at risk", f"{int((orders['sla'] == 'at risk').sum()):,}")
cols[3].metric("SLA breached", f"{int((orders['sla'] == 'breached').sum()):,}")
unassigned = orders[orders["technician"].isna() & orders["stage"].isin(["received", "diagnostics"])]
st.subheader(f"Waiting for a technician ({len(unassigned):,})")
st.dataframe(unassigned[["order_number", "priority", "customer", "device", "received_at", "sla"]].head(50),
             hide_index=True)
