"""Inventory: stock by location, reservations, transfers, reorder suggestions, and purchase orders from draft
to delivery."""

from __future__ import annotations

from functools import partial

import streamlit as st

from dashboards.caching import cached
from dashboards.data import inventory
from dashboards.data.catalog import tenant_currency
from dashboards.data.exports import to_csv
from dashboards.i18n import _, money_text, number_text
from dashboards.session import current_actor, engine
from dashboards.widgets import (
    action_button,
    chosen_id,
    document_picker,
    empty_inputs,
    finish,
    plain,
    show_done,
    show_flash,
    stepper_decimal,
    submission_form,
    submit,
    submit_button,
    table,
    typed_amount,
)
from ops_db.inventory.schemas import PurchaseLineIn
from ops_db.inventory.service import (
    create_purchase_order,
    receive,
    send_purchase_order,
    transfer,
)
from ops_db.kit.uow import UnitOfWork

PO_LINE_ROWS = 4
QTY = st.column_config.NumberColumn(format="%g")
MONEY = st.column_config.NumberColumn(format="%.2f")
STOCK_FORMAT = {"quantity": QTY, "reserved": QTY, "available": QTY, "reorder_point": QTY}


# The page's reads, from the cache while the company's data and the reader's rights are the same
# (dashboards.caching): a click that changes nothing redraws from memory.
_locations = cached(inventory.locations)
_parts = cached(inventory.parts)
_stock = cached(inventory.stock)
_active_reservations = cached(inventory.active_reservations)
_purchase_orders = cached(inventory.purchase_orders)
_suppliers = cached(inventory.suppliers)

actor = current_actor()
assert actor is not None
st.title(_("Inventory"))
show_flash()
currency = tenant_currency(engine(), actor)
places = _locations(engine(), actor)
part_labels = _parts(engine(), actor)


def place(location_id: int) -> str:
    """A location's label for the selectboxes."""
    return places.get(location_id) or _("location {id}").format(id=location_id)


def part_label(part_id: int) -> str:
    """A part's label for the selectboxes."""
    return part_labels.get(part_id) or _("part {id}").format(id=part_id)


# Tabs are keyed by a fixed id; only their labels are in the reader's language.
tab_labels = {
    "stock": _("Stock"),
    "reservations": _("Reservations"),
    "transfer": _("Transfer"),
    "reorder": _("Reorder"),
    "purchase_orders": _("Purchase orders"),
}
tab_ids = [
    "stock",
    "reservations",
    *(["transfer"] if actor.can("inventory.transfer") else []),
    "reorder",
    "purchase_orders",
]
tabs = dict(zip(tab_ids, st.tabs([tab_labels[i] for i in tab_ids]), strict=True))  # markdown: ours


@st.fragment
def _stock_part() -> None:
    """The stock tab (a click inside it reruns only this part, then what the action asks for)."""
    assert actor is not None
    left, right = st.columns(2)
    where = left.selectbox(
        _("Location"), list(places), index=None, format_func=place, placeholder=_("All locations"), key="stock_location"
    )
    search = right.text_input(_("Search part SKU or name"), key="stock_search")
    with st.spinner(_("Loading stock…")):
        levels = _stock(engine(), actor, location_id=where, search=search)
    shown = levels.drop(columns=["part_id", "location_id"])
    if len(shown) == inventory.STOCK_LIMIT:
        st.caption(
            _("Showing the first {count} rows; choose a location or search to narrow.").format(
                count=number_text(inventory.STOCK_LIMIT)
            )
        )
    table(shown, column_config=STOCK_FORMAT)
    st.download_button(_("Download CSV"), to_csv(shown), "stock.csv", "text/csv", key="stock_csv")


with tabs["stock"]:
    _stock_part()


@st.fragment
def _reservations_part() -> None:
    """The reservations tab (a click inside it reruns only this part, then what the action asks for)."""
    assert actor is not None
    with st.spinner(_("Loading reservations…")):
        held = _active_reservations(engine(), actor)
    st.caption(
        _("{count} active reservations: parts held for orders, not yet used or released.").format(
            count=number_text(len(held))
        )
    )
    table(held, column_config={"quantity": QTY})


with tabs["reservations"]:
    _reservations_part()


if "transfer" in tabs:
    with tabs["transfer"]:
        with submission_form("transfer"):
            left, right = st.columns(2)
            source = left.selectbox(_("From"), list(places), format_func=place, key="transfer_from")
            target = right.selectbox(
                _("To"),
                list(places),
                index=None,
                format_func=place,
                placeholder=_("Choose a location"),
                key="transfer_to",
            )
            left, right = st.columns([3, 1])
            part = left.selectbox(
                _("Part"),
                list(part_labels),
                index=None,
                format_func=part_label,
                placeholder=_("Choose a part"),
                key="transfer_part",
            )
            quantity = right.number_input(_("Quantity"), value=1.0, step=1.0, format="%g", key="transfer_qty")
            moved = submit_button("transfer", _("Move the stock"), type="primary", key="transfer_submit")
        show_done("transfer")
        if moved:
            if source is None or target is None or part is None:
                st.error(_("Choose both locations and the part to move."))
            else:
                moving = partial(
                    transfer, UnitOfWork(engine(), actor), source, target, [(part, stepper_decimal(quantity))]
                )
                if submit("transfer", moving, busy=_("Moving the stock…")) is not None:
                    finish(
                        "transfer",
                        _("Moved {quantity} × {part} from {source} to {target}.").format(
                            quantity=number_text(quantity),
                            part=plain(part_label(part)),
                            source=plain(place(source)),
                            target=plain(place(target)),
                        ),
                        empty={"transfer_part": None},
                    )


@st.fragment
def _reorder_part() -> None:
    """The reorder tab (a click inside it reruns only this part, then what the action asks for)."""
    assert actor is not None
    with st.spinner(_("Working out what to reorder…")):
        suggestions = inventory.reorder(engine(), actor, t=_)
    st.caption(
        _(
            "Free stock (on hand − reserved + already on order) at or below the reorder point; the suggestion "
            "brings it back above the point by the reorder quantity."
        )
    )
    table(
        suggestions, column_config={c: QTY for c in ("quantity", "reserved", "on_order", "reorder_point", "suggested")}
    )


with tabs["reorder"]:
    _reorder_part()


@st.fragment
def _purchase_orders_part() -> None:
    """The purchase orders tab (a click inside it reruns only this part, then what the action asks for)."""
    assert actor is not None
    with st.spinner(_("Loading purchase orders…")):
        orders = _purchase_orders(engine(), actor)
    table(orders.drop(columns=["id"]), column_config={"total": MONEY})
    document_picker(
        engine(),
        actor,
        "purchase_order",
        {int(r.id): f"{r.po_number} · {r.supplier}" for r in orders.head(500).itertuples()},
        _("Purchase order"),
        key="po",
    )

    if actor.can("inventory.purchase"):
        st.subheader(_("New purchase order"))
        sources = _suppliers(engine(), actor)
        with submission_form("new_po"):
            left, middle, right = st.columns(3)
            supplier = left.selectbox(
                _("Supplier"), list(sources), format_func=lambda i: sources.get(i, str(i)), key="po_supplier"
            )
            deliver_to = middle.selectbox(_("Deliver to"), list(places), format_func=place, key="po_location")
            expected = right.date_input(_("Expected on"), value=None, key="po_expected")
            st.caption(_("Leave a unit cost empty to use the part's catalogue cost; rows without a part are skipped."))
            rows = []
            for row in range(PO_LINE_ROWS):
                left, middle, right = st.columns([3, 1, 1])
                rows.append(
                    (
                        left.selectbox(
                            _("Part {number}").format(number=row + 1),
                            list(part_labels),
                            index=None,
                            format_func=part_label,
                            placeholder=_("(no part)"),
                            key=f"po_part_{row}",
                        ),
                        middle.number_input(
                            _("Quantity {number}").format(number=row + 1),
                            value=1.0,
                            step=1.0,
                            format="%g",
                            key=f"po_qty_{row}",
                        ),
                        right.text_input(
                            _("Unit cost {number}").format(number=row + 1),
                            placeholder=_("catalogue cost"),
                            key=f"po_cost_{row}",
                        ),
                    )
                )
            drafted = submit_button("new_po", _("Draft the purchase order"), type="primary", key="po_create")
        show_done("new_po")
        if drafted:
            lines = [PurchaseLineIn(p, stepper_decimal(q), typed_amount(c)) for p, q, c in rows if p is not None]
            if supplier is None or deliver_to is None:
                st.error(_("Choose the supplier and where the goods go."))
            else:
                drafting = partial(
                    create_purchase_order,
                    UnitOfWork(engine(), actor),
                    supplier,
                    deliver_to,
                    lines,
                    expected_on=expected,
                )
                if (drafted_po := submit("new_po", drafting, busy=_("Drafting the purchase order…"))) is not None:
                    po = drafted_po.value
                    finish(
                        "new_po",
                        _("Purchase order {number} drafted for {total}; send it when it is right.").format(
                            number=plain(po.po_number), total=money_text(po.total, currency)
                        ),
                        *(f"po_qty_{r}" for r in range(PO_LINE_ROWS)),
                        empty={
                            f"po_{field}_{r}": v
                            for field, v in (("part", None), ("cost", ""))
                            for r in range(PO_LINE_ROWS)
                        },
                    )

        st.subheader(_("Send a draft"))
        drafts = inventory.po_choices(orders, inventory.SENDABLE, keep=chosen_id("po_send"))
        if not drafts:
            st.info(_("No draft purchase order to send."))
        else:
            left, right = st.columns([3, 1], vertical_alignment="bottom")
            empty_inputs("button:send_po")  # the draft just sent
            to_send = left.selectbox(
                _("Draft"),
                list(drafts),
                index=None,
                format_func=lambda i: drafts.get(i, str(i)),
                placeholder=_("Choose a purchase order"),
                key="po_send",
            )
            if action_button(_("Send to the supplier"), key="send_po", container=right):
                if to_send is None:
                    st.error(_("Choose a purchase order to send."))
                else:
                    sending = partial(send_purchase_order, UnitOfWork(engine(), actor), to_send)
                    if (sent := submit("button:send_po", sending, busy=_("Sending…"))) is not None:
                        finish(
                            "button:send_po",
                            _("Purchase order {number} is sent.").format(number=plain(sent.value.po_number)),
                            empty={"po_send": None},
                        )
            show_done("button:send_po")

    if actor.can("inventory.receive"):
        st.subheader(_("Receive a delivery"))
        waiting = inventory.po_choices(orders, inventory.RECEIVABLE, keep=chosen_id("po_receive"))
        if not waiting:
            st.info(_("No sent purchase order is waiting for goods."))
        else:
            empty_inputs("receive")  # the purchase order just booked in
            po_id = st.selectbox(
                _("Purchase order"),
                list(waiting),
                index=None,
                format_func=lambda i: waiting.get(i, str(i)),
                placeholder=_("Choose a purchase order"),
                key="po_receive",
            )
            if po_id is not None:
                lines_in = inventory.purchase_order_lines(engine(), actor, po_id)
                qty_keys = {int(line.line_id): f"receive_qty_{line.line_id}" for line in lines_in.itertuples()}
                with submission_form("receive"):
                    st.caption(_("What arrived of each line (0 when nothing came)."))
                    for line in lines_in.itertuples():
                        st.number_input(
                            _("{sku} · {part} — ordered {ordered}, still to come {outstanding}").format(
                                sku=plain(line.sku),
                                part=plain(line.part),
                                ordered=number_text(line.quantity),
                                outstanding=number_text(line.outstanding),
                            ),
                            value=float(line.outstanding),
                            step=1.0,
                            format="%g",
                            key=qty_keys[int(line.line_id)],
                        )
                    booked = submit_button("receive", _("Book the delivery in"), type="primary", key="receive_po")
                if booked:
                    amounts = [(line_id, stepper_decimal(st.session_state[key])) for line_id, key in qty_keys.items()]
                    # A zero line means nothing of it came; anything else (even negative) is the service's to judge.
                    arrived = [(line_id, qty) for line_id, qty in amounts if qty is not None and qty != 0]
                    booking = partial(receive, UnitOfWork(engine(), actor), po_id, arrived)
                    if submit("receive", booking, busy=_("Booking the delivery in…")) is not None:
                        finish(
                            "receive",
                            _("Delivery on {order} booked in at its location.").format(order=plain(waiting[po_id])),
                            *qty_keys.values(),
                            empty={"po_receive": None},
                        )
        show_done("receive")


with tabs["purchase_orders"]:
    _purchase_orders_part()
