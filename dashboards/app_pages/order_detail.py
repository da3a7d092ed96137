"""One order as a workspace: who, what, where, who does it and by when at the top, each linked to its record;
stage moves; lines edited and deleted in place with live totals; the invoice and payments taken right here; the
tracking link and its QR code for the customer; parts, notes, messages, documents and the timeline.

The address names the order (``?order=RO-2026-000123``), so every list opens it in one click and it can be
bookmarked or shared."""

from __future__ import annotations

import io
from datetime import date, datetime
from decimal import Decimal
from functools import partial
from typing import Any

import pandas as pd
import segno
import streamlit as st

from dashboards.data import catalog
from dashboards.data.orders import order_header
from dashboards.i18n import NATIVE_NAMES, _, day_text, error_text, money_text, stage_words
from dashboards.records import Link, record_link, record_table
from dashboards.session import current_actor, engine
from dashboards.widgets import (
    action_button,
    document_buttons,
    empty_inputs,
    finish,
    parse_decimal,
    plain,
    run_action,
    show_done,
    submission_form,
    submission_key,
    submit,
    submit_button,
    table,
    typed_amount,
)
from ops_db.billing.models import PaymentMethod
from ops_db.billing.service import create_invoice, record_payment
from ops_db.comms.service import list_messages, post_message
from ops_db.documents.kinds import order_document_issued
from ops_db.i18n import LOCALES
from ops_db.inventory.service import reserve
from ops_db.kit.errors import RepairOpsError
from ops_db.kit.uow import Actor, UnitOfWork
from ops_db.orders.lines import change_line
from ops_db.orders.links import tracking_link
from ops_db.orders.service import (
    FileIn,
    LineIn,
    add_attachment,
    add_line,
    add_note,
    get_order,
    remove_line,
    send_estimate,
    set_priority,
    transition,
)

LINE_KINDS = ("service", "labour", "part", "goods", "consumable", "discount")
PRIORITIES = ("emergency", "high", "normal", "low")
NONE = ""  # the "(none)" choice of the catalogue, part and stock location lists (no label is empty)
LINE_EDIT_COLUMNS = ("description", "quantity", "unit_price")


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


def _when(value: object) -> str:
    """A moment in the company's zone ("2026-11-21 09:00"), or a dash."""
    return f"{value.astimezone(zone):%Y-%m-%d %H:%M}" if isinstance(value, datetime) else "—"


def _asked_number() -> str:
    """The order the address asks for (``?order=``), else the one opened last in this browser."""
    return str(st.query_params.get("order") or st.session_state.get("order_number", "")).strip()


def _typed_number() -> None:
    """The number typed in the box becomes the address, so the page (and a bookmark) shows that order."""
    typed = str(st.session_state.get("order_number_input", "")).strip()
    st.session_state["order_number"] = typed
    if typed:
        st.query_params["order"] = typed
    else:
        st.query_params.pop("order", None)


KIND_ICONS = {"customer": ":material/person:", "device": ":material/devices:", "technician": ":material/engineering:"}


def _fact(column: Any, label: str, kind: str | None = None, record: object = None, text: object = None) -> None:
    """One fact of the header: a caption over its value, the value linking to its record where there is one."""
    column.caption(label)  # markdown: ours
    with column:
        shown = plain(text) if text not in (None, "") else "—"
        if kind is not None and record is not None and not pd.isna(record):
            record_link(actor, kind, record, shown, icon=KIND_ICONS.get(kind))
        else:
            st.markdown(shown)  # markdown: ours (plain() above)


def _header(header: dict[str, Any]) -> None:
    """Who, what, where, who does it and by when, each linked to its record."""
    top = st.columns(3)
    _fact(top[0], _("Customer"), "customer", header["customer_id"], header["customer"])
    contact = " · ".join(str(v) for v in (header["customer_phone"], header["customer_email"]) if v)
    _fact(top[1], _("Contact"), text=contact)
    device = " · ".join(str(v) for v in (header["device"], header["serial_number"]) if v)
    _fact(top[2], _("Device"), "device", header["equipment_id"], device)
    bottom = st.columns(3)
    where = header["address"] if header["address"] else stage_words(str(header["location"]))
    _fact(bottom[0], _("Address"), text=where)
    _fact(bottom[1], _("Technician"), "technician", header["technician_id"], header["technician"] or _("not yet"))
    promised = header["promised_at"] or header["due_at"]
    _fact(bottom[2], _("Promised by"), text=_when(promised) if promised else _("not promised"))
    if header["customer_phone"]:
        st.link_button(_("Call the customer"), f"tel:{header['customer_phone']}", icon=":material/call:")


def _tracking(header: dict[str, Any]) -> None:
    """The customer's tracking link and its QR code, to scan at the counter or send."""
    link = tracking_link(str(header["company"]), str(header["order_number"]), str(header["tracking_code"]))
    with st.expander(_("Tracking link and QR code for the customer"), icon=":material/qr_code_2:"):
        picture = io.BytesIO()
        segno.make(link, error="m").save(picture, kind="png", scale=5, border=2)
        left, right = st.columns([1, 3])
        left.image(picture.getvalue(), caption=_("Scan to follow the repair"))
        right.code(link, language=None)
        right.caption(_("The same link is printed on the intake receipt and sent in the first message."))


@st.fragment
def _lines(order: dict[str, Any]) -> None:
    """The lines as an editable table (description, quantity, unit price; a row deleted with its checkbox and the
    bin), saved with one click; then a form to add one. Editing reruns only this part of the page."""
    lines = pd.DataFrame(order["lines"])
    editable = actor.can("orders.edit_lines") and order["stage"] not in ("ready", "closed", "cancelled")
    if lines.empty:
        st.caption(_("No lines yet."))
    elif not editable:
        table(lines.drop(columns=["id", "part_id"], errors="ignore"))
    else:
        shown = lines.drop(columns=["part_id"], errors="ignore").set_index("id")
        shown["kind"] = shown["kind"].map(stage_words)
        editor_key = f"lines_editor_{order['id']}"
        st.data_editor(
            shown,
            key=editor_key,
            num_rows="delete",
            disabled=[c for c in shown.columns if c not in LINE_EDIT_COLUMNS],
            column_config={
                "id": None,
                "line_no": st.column_config.NumberColumn(_("Line"), disabled=True),
                "kind": st.column_config.TextColumn(_("Kind")),
                "description": st.column_config.TextColumn(_("Description"), required=True),
                "quantity": st.column_config.NumberColumn(_("Quantity"), min_value=0.001, step=0.001, required=True),
                "unit_price": st.column_config.NumberColumn(_("Unit price"), step=0.01, format="%.2f", required=True),
                "tax_rate_pct": st.column_config.NumberColumn(_("Tax %"), disabled=True),
            },
            hide_index=True,
        )
        state = st.session_state.get(editor_key, {})
        changed = {int(shown.index[int(r)]): v for r, v in state.get("edited_rows", {}).items()}
        deleted = [int(shown.index[int(r)]) for r in state.get("deleted_rows", [])]
        if (changed or deleted) and st.button(
            _("Save the lines ({count} changed)").format(count=len(changed) + len(deleted)),
            type="primary",
            key=f"save_lines_{order['id']}",
        ):
            run_action(partial(_save_lines, int(order["id"]), changed, deleted), _("Lines saved."))
    if editable:
        _add_line(int(order["id"]))


def _save_lines(order_id: int, changed: dict[int, dict[str, Any]], deleted: list[int]) -> None:
    """Each changed line corrected and each deleted one removed (each its own service call, audited)."""
    for line_id, values in changed.items():
        if line_id in deleted:
            continue
        change_line(
            UnitOfWork(engine(), actor),
            order_id,
            line_id,
            quantity=_decimal(values.get("quantity")),
            unit_price=_decimal(values.get("unit_price")),
            description=values.get("description"),
        )
    for line_id in deleted:
        remove_line(UnitOfWork(engine(), actor), order_id, line_id)


def _decimal(value: object) -> Decimal | None:
    """A number from the table editor as a Decimal (its float noise rounded away), None when not changed."""
    return None if value is None else Decimal(str(round(float(str(value)), 6)))


def _add_line(order_id: int) -> None:
    with submission_form("add_line"):
        left, middle, right = st.columns(3)
        kind = left.selectbox(_("Kind"), LINE_KINDS, format_func=stage_words, key="line_kind")
        services, parts = catalog.services(engine(), actor), catalog.parts(engine(), actor)
        service = middle.selectbox(_("Catalogue service"), [NONE, *services], format_func=_or_none, key="line_service")
        part = right.selectbox(_("Part"), [NONE, *parts], format_func=_or_none, key="line_part")
        left, middle, right = st.columns(3)
        description = left.text_input(_("Description (else from the catalogue)"), key="line_description")
        quantity = middle.text_input(_("Quantity"), value="1", key="line_quantity")
        price = right.text_input(_("Unit price (else the list price)"), key="line_price")
        if submit_button("add_line", _("Add line"), key="add_line_submit"):
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
                    empty={"line_description": "", "line_price": ""},
                )


@st.fragment
def _money(order: dict[str, Any], header: dict[str, Any], extras: dict[str, list[dict[str, Any]]]) -> None:
    """The invoice and payments of this order, and taking money here: invoice the lines, then take a deposit
    (part of it) or the whole amount due."""
    invoices = pd.DataFrame(extras["invoices"]).rename(columns={"id": "invoice_id"})
    if not invoices.empty:
        invoices["total"] = invoices["total"].map(lambda v: money_text(v, currency))
    record_table(invoices, actor, key=f"order_invoices_{order['id']}", row=Link("invoice", "invoice_id"))
    payments = pd.DataFrame(extras["payments"])
    if not payments.empty:
        for column in ("amount", "refunded_amount"):
            payments[column] = payments[column].map(lambda v: money_text(v, currency))
        payments["received_at"] = payments["received_at"].map(_when)
        table(payments)
    invoice_id = header["invoice_id"]
    if invoice_id is None:
        if actor.can("billing.invoice") and order["lines"] and order["stage"] != "cancelled":
            st.caption(_("Invoice the lines to take a deposit or the payment here; the lines are then final."))
            if st.button(_("Invoice the order now"), key=f"invoice_order_{order['id']}", icon=":material/receipt:"):
                run_action(partial(create_invoice, UnitOfWork(engine(), actor), int(order["id"])), _("Invoiced."))
        return
    due = Decimal(header["invoice_due"] or 0)
    st.markdown(
        _("Invoice {number}: **{due} due** of {total}.").format(
            number=plain(header["invoice_number"]),
            due=money_text(due, currency),
            total=money_text(header["invoice_total"], currency),
        )
    )
    if due <= 0 or not actor.can("billing.pay"):
        return
    form = f"order_payment_{invoice_id}"
    with submission_form(form):
        left, right = st.columns(2)
        amount = left.text_input(_("Amount (a deposit or all that is due)"), value=f"{due:.2f}", key="order_pay_amount")
        method = right.selectbox(
            _("Method"), [m.value for m in PaymentMethod], format_func=stage_words, key="order_pay_method"
        )
        taken = submit_button(form, _("Take the payment"), type="primary", key="order_pay_submit")
    if taken:
        # Once per submission: the form's key is also the payment's idempotency key, so a double click or a retry
        # after a dropped connection finds the payment already recorded instead of taking the money twice.
        key = submission_key(form)
        action = partial(
            record_payment, UnitOfWork(engine(), actor), int(invoice_id), typed_amount(amount), method, key
        )
        if (done := submit(form, action, busy=_("Recording the payment…"))) is not None:
            sentence = _("Payment of {amount} ({method}) recorded.")
            shown = sentence.format(amount=money_text(done.value.amount, currency), method=stage_words(str(method)))
            finish(form, shown, "order_pay_amount")  # markdown: ours (our sentence, money and words)
    show_done(form)


signed_in = current_actor()
assert signed_in is not None
actor: Actor = signed_in

st.title(_("Order"))
st.session_state["order_number_input"] = _asked_number()
number = st.text_input(_("Order number"), key="order_number_input", on_change=_typed_number)
if not number.strip():
    st.info(_("Enter an order number, or click an order on the board, Home or any list."))
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
header = order_header(engine(), actor, order_id)
assert header is not None  # get_order found it just now
currency = catalog.tenant_currency(engine(), actor)
zone = catalog.tenant_zone(engine(), actor)
st.session_state["order_number"] = order["order_number"]
if st.query_params.get("order") != order["order_number"]:
    st.query_params["order"] = order["order_number"]
st.subheader(f"{plain(order['order_number'])} · {stage_words(order['stage'])} · {stage_words(order['priority'])}")
st.write(plain(order["problem_description"]))
_header(header)
totals = order["totals"]
cols = st.columns(5)
cols[0].metric(
    _("Received"), day_text(order["received_at"].astimezone(zone).date()), help=_when(order["received_at"])
)  # markdown: ours
cols[1].metric(_("Net"), money_text(totals["subtotal"], currency))
cols[2].metric(_("Tax"), money_text(totals["tax"], currency))
cols[3].metric(_("Total"), money_text(totals["total"], currency))
if header["invoice_id"] is not None:
    cols[4].metric(_("Due"), money_text(header["invoice_due"] or 0, currency))
else:
    cols[4].metric(_("Estimate"), stage_words(order["estimate_status"]))
_tracking(header)
if actor.can("orders.transition") and order["allowed_transitions"]:
    st.write(_("Move to:"))
    buttons = st.columns(len(order["allowed_transitions"]))
    for column, target in zip(buttons, order["allowed_transitions"], strict=True):
        if action_button(stage_words(target), key=f"to_{target}", container=column):
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
        why = middle.text_input(_("Why (optional)"), key=f"triage_reason_{order_id}")
        if right.button(_("Change priority"), key=f"triage_submit_{order_id}"):
            run_action(
                partial(set_priority, UnitOfWork(engine(), actor), order_id, chosen, reason=why or None),
                _("Priority set to {priority}; the SLA clocks follow the new policy.").format(
                    priority=stage_words(chosen)
                ),
            )

extras = catalog.order_extras(engine(), actor, order_id)
lines_tab, money_tab, parts_tab, notes_tab, messages_tab, documents_tab, timeline_tab = st.tabs(
    [
        _("Lines"),
        _("Invoice and payments"),
        _("Parts"),
        _("Notes and files"),
        _("Messages"),
        _("Documents"),
        _("Timeline"),
    ]
)

with lines_tab:
    _lines(dict(order))
    if (
        actor.can("orders.estimate")
        and order["stage"] == "diagnostics"
        and st.button(
            _("Send the estimate ({amount}) to the customer").format(amount=money_text(totals["total"], currency)),
            key="send_estimate",
        )
    ):
        run_action(partial(send_estimate, UnitOfWork(engine(), actor), order_id), _("Estimate sent."))

with money_tab:
    if actor.can("billing.read"):
        _money(dict(order), header, extras)
    else:
        st.caption(_("Invoices and payments are for the front desk and finance."))
    st.subheader(_("Warranty"))
    table(pd.DataFrame(extras["warranties"]).drop(columns=["id"], errors="ignore"))

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
        st.caption(f"{_when(note['created_at'])} · {audience}")  # markdown: ours (a time and our words)
        st.write(plain(note["body"]))
    if actor.can("orders.note"):
        empty_inputs("button:add_note")  # the note just added
        body = st.text_area(_("New note"), key="note_body")
        internal = st.checkbox(_("Internal (the customer does not see it)"), value=True, key="note_internal")
        if action_button(_("Add note"), key="add_note"):
            run_action(
                partial(add_note, UnitOfWork(engine(), actor), order_id, body, internal=internal),
                _("Note added."),
                empty={"note_body": ""},
            )
        upload = st.file_uploader(_("Attach a photo or document"), key="attach_file")
        if upload is not None and action_button(_("Attach"), key="attach"):
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
        empty_inputs("button:send_message")  # the message just sent
        message_body = st.text_area(_("Message to the customer"), key="message_body")
        if action_button(_("Send"), key="send_message"):
            run_action(
                partial(post_message, UnitOfWork(engine(), actor), order_id, message_body),
                _("Message sent."),
                empty={"message_body": ""},
            )

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
        if not order_document_issued(kind, order["stage"]):
            continue  # a release certificate before the order is ready would certify a handover that never was
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
    events = pd.DataFrame(order["events"])
    if not events.empty:
        events["at"] = events["at"].map(_when)
    table(events)
