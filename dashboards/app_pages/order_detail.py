"""One order: header and stage moves, lines with live totals and tax, estimate, parts reservations,
notes, attachments, messages with the customer, invoices and payments, warranty, and the timeline."""

from __future__ import annotations

from functools import partial

import pandas as pd
import streamlit as st

from dashboards.data import catalog
from dashboards.session import current_actor, engine
from dashboards.widgets import document_buttons, parse_decimal, run_action
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

signed_in = current_actor()
assert signed_in is not None
actor: Actor = signed_in

st.title("Order")
number = st.text_input("Order number", value=st.session_state.get("order_number", ""), max_chars=32,
                       key="order_number_input")
if not number.strip():
    st.info("Enter an order number (the board and the intake page fill it in).")
    st.stop()
order_id = catalog.order_id_by_number(engine(), actor, number)
if order_id is None:
    st.error("No order with that number is visible to you.")
    st.stop()
try:
    order = get_order(UnitOfWork(engine(), actor), order_id)
except RepairOpsError as error:
    st.error(error.message)
    st.stop()
st.session_state["order_number"] = order["order_number"]
st.subheader(f"{order['order_number']} · {order['stage'].replace('_', ' ')} · {order['priority']}")
st.write(order["problem_description"])
totals = order["totals"]
cols = st.columns(5)
cols[0].metric("Received", f"{order['received_at']:%d %b %H:%M}")
cols[1].metric("Net", f"{totals['subtotal']:,.2f}")
cols[2].metric("Tax", f"{totals['tax']:,.2f}")
cols[3].metric("Total", f"{totals['total']:,.2f}")
cols[4].metric("Estimate", order["estimate_status"].replace("_", " "))
if actor.can("orders.transition") and order["allowed_transitions"]:
    st.write("Move to:")
    buttons = st.columns(len(order["allowed_transitions"]))
    for column, target in zip(buttons, order["allowed_transitions"], strict=True):
        if column.button(target.replace("_", " "), key=f"to_{target}"):
            run_action(partial(transition, UnitOfWork(engine(), actor), order_id, target,
                        reason="set on hold from the order page" if target == "on_hold" else None),
                f"Moved to {target.replace('_', ' ')}.")

if actor.can("orders.transition") and order["stage"] not in ("closed", "cancelled"):
    with st.expander("Triage: priority and SLA"):
        left, middle, right = st.columns([1, 2, 1])
        chosen = left.selectbox("Priority", PRIORITIES, index=PRIORITIES.index(order["priority"]),
                                key=f"triage_priority_{order_id}")
        why = middle.text_input("Why (optional)", max_chars=2000, key=f"triage_reason_{order_id}")
        if right.button("Change priority", key=f"triage_submit_{order_id}"):
            run_action(partial(set_priority, UnitOfWork(engine(), actor), order_id, chosen, reason=why or None),
                       f"Priority set to {chosen}; the SLA clocks follow the new policy.")

extras = catalog.order_extras(engine(), actor, order_id)
lines_tab, parts_tab, notes_tab, messages_tab, money_tab, documents_tab, timeline_tab = st.tabs(
    ["Lines", "Parts", "Notes and files", "Messages", "Invoice and payments", "Documents", "Timeline"])

with lines_tab:
    st.dataframe(pd.DataFrame(order["lines"]).drop(columns=["id", "part_id"], errors="ignore"), hide_index=True)
    if actor.can("orders.edit_lines"):
        with st.form("add_line"):
            left, middle, right = st.columns(3)
            kind = left.selectbox("Kind", LINE_KINDS, key="line_kind")
            services, parts = catalog.services(engine(), actor), catalog.parts(engine(), actor)
            service = middle.selectbox("Catalogue service", ["(none)", *services], key="line_service")
            part = right.selectbox("Part", ["(none)", *parts], key="line_part")
            left, middle, right = st.columns(3)
            description = left.text_input("Description (else from the catalogue)", max_chars=300,
                                          key="line_description")
            quantity = middle.text_input("Quantity", value="1", max_chars=20, key="line_quantity")
            price = right.text_input("Unit price (else the list price)", max_chars=20, key="line_price")
            if st.form_submit_button("Add line", key="add_line_submit"):
                qty = parse_decimal(quantity, "quantity")
                unit = parse_decimal(price, "unit price") if price.strip() else None
                if qty is not None and (unit is not None or not price.strip()):
                    run_action(partial(add_line, UnitOfWork(engine(), actor), order_id, LineIn(
                        kind=kind, quantity=qty, description=description or None, unit_price=unit,
                        service_item_id=services.get(service), part_id=parts.get(part))), "Line added.")
    if actor.can("orders.estimate") and order["stage"] == "diagnostics" and st.button(
            f"Send the estimate ({totals['total']:,.2f}) to the customer", key="send_estimate"):
        run_action(partial(send_estimate, UnitOfWork(engine(), actor), order_id), "Estimate sent.")

with parts_tab:
    st.dataframe(pd.DataFrame(extras["reservations"]), hide_index=True)
    if actor.can("inventory.reserve"):
        with st.form("reserve"):
            left, middle, right = st.columns([3, 1, 2])
            parts = catalog.parts(engine(), actor)
            part = left.selectbox("Part", list(parts), key="reserve_part")
            reserve_qty = middle.number_input("Quantity", min_value=1, max_value=1000, value=1, key="reserve_qty")
            places = catalog.stock_locations(engine(), actor)
            place = right.selectbox("From", ["(most free stock)", *places], key="reserve_location")
            if st.form_submit_button("Reserve", key="reserve_submit") and part is not None:
                run_action(partial(reserve, UnitOfWork(engine(), actor), order_id, parts[part], int(reserve_qty),
                            places.get(place)), "Part reserved.")

with notes_tab:
    for note in extras["notes"]:
        st.caption(f"{note['created_at']:%Y-%m-%d %H:%M} · {'internal' if note['is_internal'] else 'to customer'}")
        st.write(note["body"])
    if actor.can("orders.note"):
        body = st.text_area("New note", max_chars=20000, key="note_body")
        internal = st.checkbox("Internal (the customer does not see it)", value=True, key="note_internal")
        if st.button("Add note", key="add_note"):
            run_action(partial(add_note, UnitOfWork(engine(), actor), order_id, body, internal=internal), "Note added.")
        upload = st.file_uploader("Attach a photo or document", key="attach_file")
        if upload is not None and st.button("Attach", key="attach"):
            run_action(partial(add_attachment, UnitOfWork(engine(), actor), order_id,
                        FileIn(upload.name, upload.type or "application/octet-stream", upload.getvalue())),
                "Attached.")
    st.dataframe(pd.DataFrame(extras["attachments"]), hide_index=True)

with messages_tab:
    if actor.can("comms.read"):
        for message in list_messages(UnitOfWork(engine(), actor), order_id):
            st.chat_message("user" if message["author_customer_id"] else "assistant").write(message["body"])
    if actor.can("comms.send"):
        message_body = st.text_area("Message to the customer", max_chars=20000, key="message_body")
        if st.button("Send", key="send_message"):
            run_action(partial(post_message, UnitOfWork(engine(), actor), order_id, message_body), "Message sent.")

with money_tab:
    st.dataframe(pd.DataFrame(extras["invoices"]).drop(columns=["id"], errors="ignore"), hide_index=True)
    st.dataframe(pd.DataFrame(extras["payments"]), hide_index=True)
    st.caption("Invoices are issued and payments taken on the Billing page.")
    st.subheader("Warranty")
    st.dataframe(pd.DataFrame(extras["warranties"]).drop(columns=["id"], errors="ignore"), hide_index=True)

with documents_tab:
    language = st.selectbox("Language", LOCALES, index=None, placeholder="The company's language",
                            key="document_locale")
    for kind, label in (("intake_receipt", "Intake receipt"), ("estimate", "Estimate"),
                        ("work_order", "Work order"), ("release_act", "Release certificate")):
        document_buttons(engine(), actor, kind, order_id, label, key=f"doc_{kind}", locale=language)
    if actor.can("billing.read"):
        for row in extras["invoices"]:
            document_buttons(engine(), actor, "invoice", int(str(row["id"])), f"Invoice {row['invoice_number']}",
                             key=f"doc_invoice_{row['id']}", locale=language, formats=("pdf", "docx", "xlsx"))
        for row in extras["refunds"]:
            document_buttons(engine(), actor, "refund_note", int(str(row["id"])), f"Refund note {row['id']}",
                             key=f"doc_refund_{row['id']}", locale=language)
    if actor.can("warranty.read"):
        for row in extras["warranties"]:
            document_buttons(engine(), actor, "warranty_certificate", int(str(row["id"])),
                             f"Warranty certificate ({row['kind']}, until {row['ends_on']})",
                             key=f"doc_warranty_{row['id']}", locale=language)

with timeline_tab:
    st.dataframe(pd.DataFrame(order["events"]), hide_index=True)
