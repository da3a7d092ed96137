"""Orders board: every open order, a page of cards per stage with SLA badges (a click opens the order), cards
dragged to another stage where the move is allowed, and a paged, searchable table. The search, the stages shown,
the view and the page live in the address, so they stay when an order is opened and the browser goes back."""

from __future__ import annotations

from functools import partial

import pandas as pd
import streamlit as st
from streamlit_sortables import sort_items

from dashboards.data.catalog import tenant_zone
from dashboards.data.exports import to_csv
from dashboards.data.orders import (
    BOARD_STAGES,
    board_cards,
    board_pages,
    moved_card,
    open_order_counts,
    open_orders,
)
from dashboards.i18n import _, error_text, number_text, stage_words
from dashboards.records import ORDER_PAGE, record_table
from dashboards.session import current_actor, engine
from dashboards.widgets import action_button, local_times, plain, run_action
from ops_db.i18n import N_
from ops_db.kit.errors import RepairOpsError
from ops_db.kit.uow import UnitOfWork
from ops_db.orders.models import Priority, Stage
from ops_db.orders.service import MAX_BULK, bulk_set_priority, bulk_transition, transition

BADGE_COLOR = {
    "on track": "green",
    "at risk": "orange",
    "breached": "red",
    "paused": "gray",
    "met": "blue",
    "no SLA": "gray",
}
BADGE_MARK = {"at risk": "⚠ ", "breached": "⚠⚠ "}  # a drag card is plain text: the SLA as a sign
# The bulk actions' choices: fixed English ids (what the code compares), shown translated.
MOVE, TRIAGE = N_("Move to stage"), N_("Set priority")
OPEN, DRAG = "open", "move"  # the board's two views, as the address names them
CARDS_PER_PAGE = 10
ROWS_PER_PAGE = 50
CSV_LIMIT = 5000
BULK_CHOICES = 2000  # the bulk actions choose among every listed order, not only the table's page
CARD_KEY = " · "  # a drag card reads "RO-2026-000123 · Jane Doe"; the number before it names the order


def _heading(stage: str) -> str:
    """A kanban column's heading: the stage in words, first letter upper-cased ("Awaiting parts")."""
    words = stage_words(stage)
    return words[:1].upper() + words[1:]


def _page_param(name: str) -> int:
    """A page number from the address (1 and up; anything else is the first page)."""
    raw = str(st.query_params.get(name, "1"))
    return max(int(raw), 1) if raw.isdigit() else 1


def _asked_stages() -> list[str]:
    raw = st.query_params.get("stages")
    if raw is None:
        return list(BOARD_STAGES)
    return [s for s in str(raw).split(",") if s in BOARD_STAGES]


def _keep_filters() -> None:
    """The filters just changed go into the address, back to the first page."""
    search = str(st.session_state.get("search", "")).strip()
    if search:
        st.query_params["q"] = search
    else:
        st.query_params.pop("q", None)
    chosen = st.session_state.get("stages", list(BOARD_STAGES))
    if list(chosen) == list(BOARD_STAGES):
        st.query_params.pop("stages", None)
    else:
        st.query_params["stages"] = ",".join(chosen)
    st.query_params["view"] = str(st.session_state.get("board_view", OPEN))
    for name in ("page", "rows"):
        st.query_params.pop(name, None)


def _pager(name: str, page: int, pages: int, label: str) -> int:
    """Previous / "page x of y" / next, kept in the address under ``name``; returns the page shown (from 1)."""
    page = min(page, pages)
    left, middle, right = st.columns([1, 2, 1])
    if left.button(_("Previous"), key=f"{name}_previous", disabled=page <= 1, icon=":material/chevron_left:"):
        st.query_params[name] = str(page - 1)
        st.rerun()
    middle.caption(label.format(page=number_text(page), pages=number_text(pages)))  # markdown: ours
    if right.button(_("Next"), key=f"{name}_next", disabled=page >= pages, icon=":material/chevron_right:"):
        st.query_params[name] = str(page + 1)
        st.rerun()
    return page


def _cards(cards: pd.DataFrame, stages: list[str], counts: dict[str, int]) -> None:
    """The cards of this page, a column per stage; a click on a card opens its order."""
    columns = st.columns(max(len(stages), 1))
    for column, stage in zip(columns, stages, strict=False):
        with column:
            st.markdown(f"**{_heading(stage)}** · {number_text(counts[stage])}")  # markdown: ours
            for card in cards[cards["stage"] == stage].itertuples():
                with st.container(border=True):
                    st.page_link(
                        ORDER_PAGE,
                        label=plain(card.order_number),
                        query_params={"order": str(card.order_number)},
                        icon=":material/description:",
                    )
                    badge = f":{BADGE_COLOR.get(str(card.sla), 'gray')}-badge[{stage_words(str(card.sla))}]"
                    st.markdown(f"{badge}  \n:small[{plain(card.customer)}]")  # markdown: ours (plain customer)


def _drag_board(cards: pd.DataFrame, stages: list[str], counts: dict[str, int]) -> None:
    """The cards as lists to drag between stages; a drop moves the order when the stage machine allows it, and
    says why not otherwise (the card goes back)."""
    headers = {stage: f"{_heading(stage)} · {number_text(counts[stage])}" for stage in stages}
    before = {
        headers[stage]: [
            f"{BADGE_MARK.get(str(c.sla), '')}{c.order_number}{CARD_KEY}{c.customer}"
            for c in cards[cards["stage"] == stage].itertuples()
        ]
        for stage in stages
    }
    version = int(st.session_state.get("board_drag_version", 0))
    after = sort_items(
        [{"header": header, "items": items} for header, items in before.items()],
        multi_containers=True,
        key=f"board_drag_{version}",
    )
    moved = moved_card(before, {str(c["header"]): list(c["items"]) for c in after})
    if moved is None:
        return
    card, header = moved
    number = card.split(CARD_KEY)[0].lstrip("⚠ ")
    target = next(stage for stage, shown in headers.items() if shown == header)
    order_id = int(cards.loc[cards["order_number"] == number, "id"].iloc[0])
    st.session_state["board_drag_version"] = version + 1  # the next board is drawn afresh, from the database
    assert actor is not None
    try:
        reason = "set on hold on the orders board" if target == Stage.ON_HOLD.value else None
        transition(UnitOfWork(engine(), actor), order_id, target, reason=reason)
    except RepairOpsError as error:
        st.session_state["board_refusal"] = error_text(error)
    else:
        st.toast(_("{number} moved to {stage}.").format(number=plain(number), stage=stage_words(target)))
    st.rerun()


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
        reason = st.text_input(_("Reason (optional, kept with the change)"), key="bulk_reason")
        applied = action_button(
            _("Apply to {count} orders").format(count=len(picked)), key="bulk_apply", disabled=not picked
        )
        if applied:
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
st.session_state["search"] = str(st.query_params.get("q", ""))
st.session_state["stages"] = _asked_stages()
may_move = actor.can("orders.transition")
st.session_state["board_view"] = DRAG if st.query_params.get("view") == DRAG and may_move else OPEN
left, right = st.columns([3, 1])
search = left.text_input(_("Search by order number, customer, phone or serial"), key="search", on_change=_keep_filters)
view = right.radio(
    _("Cards"),
    [OPEN, DRAG] if may_move else [OPEN],
    format_func=lambda v: _("Click to open") if v == OPEN else _("Drag to move"),
    horizontal=True,
    key="board_view",
    on_change=_keep_filters,
)
chosen = st.multiselect(
    _("Stages"), BOARD_STAGES, format_func=stage_words, key="stages", on_change=_keep_filters
) or list(BOARD_STAGES)
stages = [s for s in BOARD_STAGES if s in chosen]
with st.spinner(_("Loading orders…")):
    counts = open_order_counts(engine(), actor, search=search)
    pages = board_pages(counts, tuple(stages), CARDS_PER_PAGE)
    page = min(_page_param("page"), pages)
    cards = board_cards(engine(), actor, search=search, per_stage=CARDS_PER_PAGE, page=page - 1, stages=tuple(stages))
if refusal := st.session_state.pop("board_refusal", None):
    st.error(refusal)  # markdown: ours (the service's sentence, escaped)
_pager("page", page, pages, _("Cards page {page} of {pages}"))
if view == DRAG and may_move:
    st.caption(_("Drag a card to another stage; a move the stage machine does not allow is refused and says why."))
    _drag_board(cards, stages, counts)
else:
    _cards(cards, stages, counts)
st.divider()
listed_total = sum(counts[s] for s in stages)
rows_pages = max(1, -(-listed_total // ROWS_PER_PAGE))
rows_page = min(_page_param("rows"), rows_pages)
orders = open_orders(
    engine(), actor, search=search, stages=tuple(stages), limit=ROWS_PER_PAGE, offset=(rows_page - 1) * ROWS_PER_PAGE
)
st.subheader(_("Open orders ({count})").format(count=number_text(listed_total)))
record_table(local_times(orders.drop(columns=["sla_state"]), zone), actor, key="orders_table")
_pager("rows", rows_page, rows_pages, _("Table page {page} of {pages}"))
if st.toggle(_("Prepare a CSV of every listed order"), key="orders_csv_ready"):
    everything = open_orders(engine(), actor, search=search, stages=tuple(stages), limit=CSV_LIMIT)
    st.download_button(
        _("Download CSV"),
        to_csv(everything.drop(columns=["id", "sla_state", "customer_id", "equipment_id", "technician_id"])),
        "orders.csv",
        "text/csv",
        key="orders_csv",
    )
if may_move and not orders.empty:
    bulk_actions(open_orders(engine(), actor, search=search, stages=tuple(stages), limit=BULK_CHOICES))
