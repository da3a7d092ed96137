"""One order: header and stage moves, lines with live totals and tax, estimate, parts reservations,
notes, attachments, messages with the customer, invoices and payments, warranty, and the timeline."""

from __future__ import annotations

from datetime import date, datetime
from functools import partial

import pandas as pd
import streamlit as st

from dashboards.data import catalog
from dashboards.i18n import NATIVE_NAMES, _, day_text, error_text, money_text, stage_words
from dashboards.session import current_actor, engine
from dashboards.widgets import document_buttons, parse_decimal, plain, run_action, table
from ops_db.comms.service import list_messages, post_message
from ops_db.i18n import LOCALES
from ops_db.inventory.service import reserve
from ops_db.kit.errors import RepairOpsError
from ops_db.kit.uow import Actor, UnitOfWork
from ops_db.orders.service import (
    FileIn,
    LineIn,
    add_attachment,
    add_line,
    add_note,
    get_order,
    send_estimate,
    set_priority,
    transition,
)

LINE_KINDS = ("service", "labour", "part", "goods", "consumable", "discount")
PRIORITIES = ("emergency", "high", "normal", "low")
NONE = ""  # the "(none)" choice of the catalogue, part and stock location lists (no label is empty)


def _or_none(label: str) -> str:
    """A catalogue or part choice as shown: its label, or "(none)"."""
    return label or _("(none)")


def _place(label: str) -> str:
    """A stock location choice as shown: "Main warehouse (warehouse)" with the kind in the reader's language."""
    if label == NONE:
        return _("(most free stock)")
    name, separator, kind = label.rpartition(" (")
    return f"{name} ({stage_words(kind[:-1])})" if separator and kind.endswith(")") else label


def _day(value: object) -> str:
    """A date cell of the order's extras in the reader's language."""
    return day_text(value) if isinstance(value, date) else str(value)


signed_in = current_actor()
assert signed_in is not None
actor: Actor = signed_in

st.title(_("Order"))
number = st.text_input(
    _("Order number"), value=st.session_state.get("order_number", ""), max_chars=32, key="order_number_input"
)
if not number.strip():
    st.info(_("Enter an order number (the board and the intake page fill it in)."))
    st.stop()
order_id = catalog.order_id_by_number(engine(), actor, number)
if order_id is None:
    st.error(_("No order with that number is visible to you."))
    st.stop()
try:
    order = get_order(UnitOfWork(engine(), actor), order_id)
except RepairOpsError as error:
    st.error(error_text(error))
    st.stop()
currency = catalog.tenant_currency(engine(), actor)
zone = catalog.tenant_zone(engine(), actor)
st.session_state["order_number"] = order["order_number"]
st.subheader(f"{plain(order['order_number'])} · {stage_words(order['stage'])} · {stage_words(order['priority'])}")
st.write(plain(order["problem_description"]))
totals = order["totals"]
received = order["received_at"].astimezone(zone)
cols = st.columns(5)
cols[0].metric(_("Received"), f"{day_text(received.date())} {received:%H:%M}")
cols[1].metric(_("Net"), money_text(totals["subtotal"], currency))
cols[2].metric(_("Tax"), money_text(totals["tax"], currency))
cols[3].metric(_("Total"), money_text(totals["total"], currency))
cols[4].metric(_("Estimate"), stage_words(order["estimate_status"]))
if actor.can("orders.transition") and order["allowed_transitions"]:
    st.write(_("Move to:"))
    buttons = st.columns(len(order["allowed_transitions"]))
    for column, target in zip(buttons, order["allowed_transitions"], strict=True):
        if column.button(stage_words(target), key=f"to_{target}"):
            run_action(
                partial(
                    transition,
                    UnitOfWork(engine(), actor),
                    order_id,
                    target,
                    reason="set on hold from the order page" if target == "on_hold" else None,
                ),
                _("Moved to {stage}.").format(stage=stage_words(target)),
            )

if actor.can("orders.transition") and order["stage"] not in ("closed", "cancelled"):
    with st.expander(_("Triage: priority and SLA")):
        left, middle, right = st.columns([1, 2, 1])
        chosen = left.selectbox(
            _("Priority"),
            PRIORITIES,
            index=PRIORITIES.index(order["priority"]),
            format_func=stage_words,
            key=f"triage_priority_{order_id}",
        )
        why = middle.text_input(_("Why (optional)"), max_chars=2000, key=f"triage_reason_{order_id}")
        if right.button(_("Change priority"), key=f"triage_submit_{order_id}"):
            run_action(
                partial(set_priority, UnitOfWork(engine(), actor), order_id, chosen, reason=why or None),
                _("Priority set to {priority}; the SLA clocks follow the new policy.").format(
                    priority=stage_words(chosen)
                ),
            )

extras = catalog.order_extras(engine(), actor, order_id)
lines_tab, parts_tab, notes_tab, messages_tab, money_tab, documents_tab, timeline_tab = st.tabs(
    [
        _("Lines"),
        _("Parts"),
        _("Notes and files"),
        _("Messages"),
        _("Invoice and payments"),
        _("Documents"),
        _("Timeline"),
    ]
)

with lines_tab:
    table(pd.DataFrame(order["lines"]).drop(columns=["id", "part_id"], errors="ignore"))
    if actor.can("orders.edit_lines"):
        with st.form("add_line"):
            left, middle, right = st.columns(3)
            kind = left.selectbox(_("Kind"), LINE_KINDS, format_func=stage_words, key="line_kind")
            services, parts = catalog.services(engine(), actor), catalog.parts(engine(), actor)
            service = middle.selectbox(
                _("Catalogue service"), [NONE, *services], format_func=_or_none, key="line_service"
            )
            part = right.selectbox(_("Part"), [NONE, *parts], format_func=_or_none, key="line_part")
            left, middle, right = st.columns(3)
            description = left.text_input(
                _("Description (else from the catalogue)"), max_chars=300, key="line_description"
            )
            quantity = middle.text_input(_("Quantity"), value="1", max_chars=20, key="line_quantity")
            price = right.text_input(_("Unit price (else the list price)"), max_chars=20, key="line_price")
            if st.form_submit_button(_("Add line"), key="add_line_submit"):
                qty = parse_decimal(quantity, _("The quantity must be a number."))
                unit = parse_decimal(price, _("The unit price must be a number.")) if price.strip() else None
                if qty is not None and (unit is not None or not price.strip()):
                    run_action(
                        partial(
                            add_line,
                            UnitOfWork(engine(), actor),
                            order_id,
                            LineIn(
                                kind=kind,
                                quantity=qty,
                                description=description or None,
                                unit_price=unit,
                                service_item_id=services.get(service),
                                part_id=parts.get(part),
                            ),
                        ),
                        _("Line added."),
                    )
    if (
        actor.can("orders.estimate")
        and order["stage"] == "diagnostics"
        and st.button(
            _("Send the estimate ({amount}) to the customer").format(amount=money_text(totals["total"], currency)),
            key="send_estimate",
        )
    ):
        run_action(partial(send_estimate, UnitOfWork(engine(), actor), order_id), _("Estimate sent."))

with parts_tab:
    table(pd.DataFrame(extras["reservations"]))
    if actor.can("inventory.reserve"):
        with st.form("reserve"):
            left, middle, right = st.columns([3, 1, 2])
            parts = catalog.parts(engine(), actor)
            part = left.selectbox(_("Part"), list(parts), key="reserve_part")
            reserve_qty = middle.number_input(_("Quantity"), min_value=1, max_value=1000, value=1, key="reserve_qty")
            places = catalog.stock_locations(engine(), actor)
            place = right.selectbox(_("From"), [NONE, *places], format_func=_place, key="reserve_location")
            if st.form_submit_button(_("Reserve"), key="reserve_submit") and part is not None:
                run_action(
                    partial(
                        reserve, UnitOfWork(engine(), actor), order_id, parts[part], int(reserve_qty), places.get(place)
                    ),
                    _("Part reserved."),
                )

with notes_tab:
    for note in extras["notes"]:
        audience = _("internal") if note["is_internal"] else _("to customer")
        written = note["created_at"]
        when = f"{written.astimezone(zone):%Y-%m-%d %H:%M}" if isinstance(written, datetime) else str(written)
        st.caption(f"{when} · {audience}")  # markdown: ours (a time and our words)
        st.write(plain(note["body"]))
    if actor.can("orders.note"):
        body = st.text_area(_("New note"), max_chars=20000, key="note_body")
        internal = st.checkbox(_("Internal (the customer does not see it)"), value=True, key="note_internal")
        if st.button(_("Add note"), key="add_note"):
            run_action(
                partial(add_note, UnitOfWork(engine(), actor), order_id, body, internal=internal), _("Note added.")
            )
        upload = st.file_uploader(_("Attach a photo or document"), key="attach_file")
        if upload is not None and st.button(_("Attach"), key="attach"):
            run_action(
                partial(
                    add_attachment,
                    UnitOfWork(engine(), actor),
                    order_id,
                    FileIn(upload.name, upload.type or "application/octet-stream", upload.getvalue()),
                ),
                _("Attached."),
            )
    table(pd.DataFrame(extras["attachments"]))

with messages_tab:
    if actor.can("comms.read"):
        for message in list_messages(UnitOfWork(engine(), actor), order_id):
            st.chat_message("user" if message["author_customer_id"] else "assistant").write(plain(message["body"]))
    if actor.can("comms.send"):
        message_body = st.text_area(_("Message to the customer"), max_chars=20000, key="message_body")
        if st.button(_("Send"), key="send_message"):
            run_action(partial(post_message, UnitOfWork(engine(), actor), order_id, message_body), _("Message sent."))

with money_tab:
    table(pd.DataFrame(extras["invoices"]).drop(columns=["id"], errors="ignore"))
    table(pd.DataFrame(extras["payments"]))
    st.caption(_("Invoices are issued and payments taken on the Billing page."))
    st.subheader(_("Warranty"))
    table(pd.DataFrame(extras["warranties"]).drop(columns=["id"], errors="ignore"))

with documents_tab:
    language = st.selectbox(
        _("Language"),
        LOCALES,
        index=None,
        format_func=NATIVE_NAMES.__getitem__,
        placeholder=_("The company's language (emails: the customer's)"),
        key="document_locale",
    )
    for kind, label in (
        ("intake_receipt", _("Intake receipt")),
        ("estimate", _("Estimate")),
        ("work_order", _("Work order")),
        ("release_act", _("Release certificate")),
    ):
        document_buttons(
            engine(),
            actor,
            kind,
            order_id,
            label,
            key=f"doc_{kind}",
            locale=language,  # markdown: ours
            send=True,
        )
    if actor.can("billing.read"):
        for row in extras["invoices"]:
            document_buttons(
                engine(),
                actor,
                "invoice",
                int(str(row["id"])),
                _("Invoice {number}").format(number=plain(row["invoice_number"])),
                key=f"doc_invoice_{row['id']}",
                locale=language,
                formats=("pdf", "docx", "xlsx"),
                send=True,
            )
        for row in extras["refunds"]:
            document_buttons(
                engine(),
                actor,
                "refund_note",
                int(str(row["id"])),
                _("Refund note {number}").format(number=plain(row["id"])),
                key=f"doc_refund_{row['id']}",
                locale=language,
                send=True,
            )
    if actor.can("warranty.read"):
        for row in extras["warranties"]:
            document_buttons(
                engine(),
                actor,
                "warranty_certificate",
                int(str(row["id"])),
                _("Warranty certificate ({kind}, until {day})").format(
                    kind=stage_words(str(row["kind"])), day=_day(row["ends_on"])
                ),
                key=f"doc_warranty_{row['id']}",
                locale=language,
                send=True,
            )

with timeline_tab:
    table(pd.DataFrame(order["events"]))
