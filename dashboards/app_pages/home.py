"""Home: the numbers and alerts this person acts on today, by role."""

from __future__ import annotations

import streamlit as st

from dashboards.caching import cached
from dashboards.data.catalog import tenant_zone
from dashboards.data.home import alerts_for
from dashboards.data.orders import open_order_counts, open_orders
from dashboards.i18n import _
from dashboards.records import record_table
from dashboards.session import current_actor, engine
from dashboards.widgets import local_times, plain

# Home's reads from the cache while the company's data and the reader's rights are the same (dashboards.caching):
# a rerun that changes nothing (a row opened and back) redraws from memory; what only the clock changes (an SLA
# turning "at risk") is at most a minute old.
open_order_counts, open_orders, alerts_for = cached(open_order_counts), cached(open_orders), cached(alerts_for)

actor = current_actor()
assert actor is not None
zone = tenant_zone(engine(), actor)
st.title(_("Today"))
if actor.technician_id is not None:
    st.page_link(
        "app_pages/my_day.py", label=_("Open my day: jobs in route order, parts to bring"), icon=":material/today:"
    )
if actor.can("orders.read") and not actor.is_technician_only:
    with st.spinner(_("Loading open orders…")):
        counts = open_order_counts(engine(), actor)
        # The Dispatch queue's definition (ops_db.orders.queries.TECHNICIAN_STAGES): the same number on both pages.
        unassigned = open_orders(engine(), actor, waiting_for_technician=True, limit=50)
    cols = st.columns(4)
    cols[0].metric(_("Open orders"), f"{counts['total']:,}")
    cols[1].metric(_("Ready, not collected"), f"{counts['ready']:,}")
    cols[2].metric(_("SLA at risk"), f"{counts['at_risk']:,}")
    cols[3].metric(_("SLA breached"), f"{counts['breached']:,}")
    st.subheader(_("Waiting for a technician ({count})").format(count=plain(f"{counts['waiting']:,}")))
    listed = [
        "order_number",
        "stage",
        "priority",
        "customer",
        "device",
        "received_at",
        "sla",
        "customer_id",
        "equipment_id",
    ]
    record_table(local_times(unassigned[listed], zone), actor, key="home_waiting")
with st.spinner(_("Checking what needs attention…")):
    alerts = [] if actor.is_technician_only else alerts_for(engine(), actor)
for title, rows, total in alerts:
    with st.expander(f"{_(title)} ({total:,})", expanded=0 < total <= 10):  # markdown: ours
        if rows.empty:
            st.caption(_("Nothing here."))
        else:
            if total > len(rows):
                shown, every = f"{len(rows):,}", f"{total:,}"
                st.caption(_("The first {shown} of {total}.").format(shown=shown, total=every))  # markdown: ours
            record_table(local_times(rows, zone), actor, key=f"home_alert_{title}")
if not alerts and actor.technician_id is None and not actor.can("orders.read"):
    st.info(_("Nothing to act on here for your role."))
