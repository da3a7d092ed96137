"""Orders board: columns by stage with SLA badges, and a filterable, searchable table."""

from __future__ import annotations

from functools import partial

import pandas as pd
import streamlit as st

from dashboards.data.catalog import tenant_zone
from dashboards.data.exports import to_csv
from dashboards.data.orders import BOARD_STAGES, MAX_SEARCH, board_cards, open_order_counts, open_orders
from dashboards.i18n import _, number_text, stage_words
from dashboards.session import current_actor, engine
from dashboards.widgets import local_times, plain, run_action, table
from ops_db.i18n import N_
from ops_db.kit.uow import UnitOfWork
from ops_db.orders.models import Priority, Stage
from ops_db.orders.service import MAX_BULK, bulk_set_priority, bulk_transition

BADGE_COLOR = {
    "on track": "green",
    "at risk": "orange",
    "breached": "red",
    "paused": "gray",
    "met": "blue",
    "no SLA": "gray",
}
# The bulk actions' choices: fixed English ids (what the code compares), shown translated.
MOVE, TRIAGE = N_("Move to stage"), N_("Set priority")

TABLE_LIMIT = 2000


def _heading(stage: str) -> str:
    """A kanban column's heading: the stage in words, first letter upper-cased ("Awaiting parts")."""
    words = stage_words(stage)
    return words[:1].upper() + words[1:]


def bulk_actions(listed: pd.DataFrame) -> None:
    """Move or triage several listed orders at once; all or none, and the refusal names its order."""
    assert actor is not None
    numbers = dict(zip(listed["id"].astype(int), listed["order_number"], strict=True))
    with st.expander(_("Bulk actions")):
        picked = st.multiselect(
            _("Orders"),
            list(numbers),
            format_func=numbers.__getitem__,
            key="bulk_orders",
            max_selections=MAX_BULK,
            placeholder=_("Choose orders from the table"),
        )
        what = st.radio(_("Action"), [MOVE, TRIAGE], format_func=_, horizontal=True, key="bulk_action")
        if what == MOVE:
            target = st.selectbox(
                _("Stage"), [s.value for s in Stage if s != Stage.RECEIVED], format_func=stage_words, key="bulk_stage"
            )
        else:
            target = st.selectbox(
                _("Priority"), [p.value for p in Priority], format_func=stage_words, key="bulk_priority"
            )
        reason = st.text_input(_("Reason (optional, kept with the change)"), max_chars=2000, key="bulk_reason")
        if st.button(_("Apply to {count} orders").format(count=len(picked)), key="bulk_apply", disabled=not picked):
            service = bulk_transition if what == MOVE else bulk_set_priority
            done = (
                _("Move to stage for {count} orders: done.")
                if what == MOVE
                else _("Set priority for {count} orders: done.")
            )
            run_action(
                partial(service, UnitOfWork(engine(), actor), picked, target, reason=reason or None),
                done.format(count=len(picked)),
            )  # markdown: ours (one of the two sentences above)


actor = current_actor()
assert actor is not None
zone = tenant_zone(engine(), actor)
st.title(_("Orders board"))
search = st.text_input(_("Search by order number, customer, phone or serial"), max_chars=MAX_SEARCH, key="search")
with st.spinner(_("Loading orders…")):
    counts = open_order_counts(engine(), actor, search=search)
    cards = board_cards(engine(), actor, search=search)
    orders = open_orders(engine(), actor, search=search, limit=TABLE_LIMIT)
columns = st.columns(len(BOARD_STAGES))
for column, stage in zip(columns, BOARD_STAGES, strict=True):
    with column:
        st.markdown(f"**{_heading(stage)}** · {number_text(counts[stage])}")
        for card in cards[cards["stage"] == stage].itertuples():
            badge = f":{BADGE_COLOR.get(card.sla, 'gray')}-badge[{stage_words(card.sla)}]"  # Streamlit markdown
            st.markdown(f"**{plain(card.order_number)}** {badge}  \n:small[{plain(card.customer)}]")  # markdown: ours
st.divider()
chosen = st.multiselect(_("Stages"), BOARD_STAGES, default=list(BOARD_STAGES), format_func=stage_words, key="stages")
listed = orders[orders["stage"].isin(chosen)].drop(columns=["id", "sla_state"])
if counts["total"] > len(orders):
    st.caption(
        _("The table lists the oldest {shown} of {total} open orders; search to narrow it.").format(
            shown=number_text(len(orders)), total=number_text(counts["total"])
        )
    )
table(local_times(listed, zone))
st.download_button(_("Download CSV"), to_csv(listed), "orders.csv", "text/csv", key="orders_csv")
if actor.can("orders.transition") and not orders.empty:
    bulk_actions(orders[orders["stage"].isin(chosen)])
