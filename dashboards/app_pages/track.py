"""Public tracking: order number and code show the stage, the timeline and what is owed."""

from __future__ import annotations

import streamlit as st

from dashboards.session import DEFAULT_TENANT, TENANT_KEY, engine
from ops_db.identity.service import resolve_tenant
from ops_db.kit.errors import RepairOpsError
from ops_db.kit.uow import Actor, UnitOfWork
from ops_db.orders.service import track

st.title("Track a repair")
with st.form("track"):
    company = st.text_input("Company", value=st.session_state.get(TENANT_KEY, DEFAULT_TENANT), max_chars=64)
    number = st.text_input("Order number", placeholder="RO-2026-000123", max_chars=32)
    code = st.text_input("Tracking code (from your receipt)", max_chars=64)
    submitted = st.form_submit_button("Track", type="primary")
if submitted:
    try:
        tenant_id = resolve_tenant(engine(), company.strip().lower())
        found = track(UnitOfWork(engine(), Actor.public(tenant_id)), number.strip(), code.strip())
    except RepairOpsError as error:
        st.error(error.message)
    else:
        st.subheader(f"{found['order_number']}: {found['stage'].replace('_', ' ')}")
        cols = st.columns(3)
        cols[0].metric("Received", f"{found['received_at']:%Y-%m-%d}")
        cols[1].metric("Total", f"{found['total']:,.2f}")
        invoice = found["invoice"]
        status = f"{invoice['number']} ({invoice['status'].replace('_', ' ')})" if invoice else "none yet"
        cols[2].metric("Invoice", status)
        st.dataframe([{"stage": e["stage"].replace("_", " "), "at": e["at"]} for e in found["timeline"]],
                     hide_index=True)
