"""Front desk intake: customer, device, warranty and problem on one screen; the receipt at once."""

from __future__ import annotations

from datetime import date
from functools import partial

import streamlit as st

from dashboards.data.catalog import equipment_models
from dashboards.data.orders import requests_to_link
from dashboards.i18n import _, error_text, stage_words
from dashboards.session import current_actor, engine
from dashboards.widgets import PHOTO_TYPES, as_files, inline_code, plain, run_action, table
from ops_db.customers.schemas import CustomerIn
from ops_db.documents.receipts import intake_receipt
from ops_db.documents.send import send_document
from ops_db.kit.errors import RepairOpsError
from ops_db.kit.uow import UnitOfWork
from ops_db.orders.service import IntakeIn, link_request, register_intake

PRIORITIES = ("normal", "high", "emergency", "low")
LOCATIONS = ("workshop", "field")
NOT_LISTED = ""  # the "(not listed)" model choice (no model label is empty)
RECEIPT_KEY = "intake_receipt"  # (order id, number) of the last order opened here, for its printable receipt

actor = current_actor()
assert actor is not None
st.title(_("Intake"))
models = equipment_models(engine(), actor)
with st.form("intake", clear_on_submit=False):
    st.subheader(_("Customer"))
    left, middle, right = st.columns(3)
    name = left.text_input(_("Name"), max_chars=200, key="customer_name")
    email = middle.text_input(_("Email"), max_chars=254, key="customer_email")
    phone = right.text_input(_("Phone"), max_chars=40, key="customer_phone")
    st.subheader(_("Device"))
    left, middle, right = st.columns(3)
    model_label = left.selectbox(
        _("Model"), [NOT_LISTED, *models], format_func=lambda label: label or _("(not listed)"), key="model"
    )
    serial = middle.text_input(_("Serial number"), max_chars=100, key="serial")
    purchased = right.date_input(_("Purchase date"), value=None, max_value=date.today(), key="purchased")
    warranty_until = left.date_input(_("Manufacturer warranty until"), value=None, key="warranty_until")
    st.subheader(_("Problem"))
    problem = st.text_area(_("What is wrong"), max_chars=4000, key="problem")
    photos = st.file_uploader(
        _("Photos of the device (up to 10)"), type=PHOTO_TYPES, accept_multiple_files=True, key="intake_photos"
    )
    left, right = st.columns(2)
    priority = left.selectbox(_("Priority"), PRIORITIES, format_func=stage_words, key="priority")
    location = right.radio(_("Where"), LOCATIONS, format_func=stage_words, horizontal=True, key="location")
    submitted = st.form_submit_button(_("Open the order"), type="primary")
if submitted:
    data = IntakeIn(
        customer=CustomerIn(name=name, email=email or None, phone=phone or None),
        problem_description=problem,
        model_id=models.get(model_label),
        serial_number=serial or None,
        purchase_date=purchased,
        manufacturer_warranty_until=warranty_until,
        priority=priority,
        location=location,
        photos=as_files(photos),
    )
    try:
        with st.spinner(_("Opening the order…")):
            receipt = register_intake(UnitOfWork(engine(), actor), data)
    except RepairOpsError as error:
        st.error(error_text(error))
    else:
        st.success(
            _("Order **{number}** opened. Tracking code for the customer: {code}").format(
                number=plain(receipt.order_number), code=inline_code(receipt.tracking_code)
            )
        )
        st.session_state["order_number"] = receipt.order_number
        st.session_state[RECEIPT_KEY] = (receipt.order_id, receipt.order_number)
if RECEIPT_KEY in st.session_state:
    order_id, number = st.session_state[RECEIPT_KEY]
    left, right = st.columns(2)
    left.download_button(
        _("Print the intake receipt of {number} (PDF)").format(number=plain(number)),
        partial(intake_receipt, UnitOfWork(engine(), actor), order_id),
        f"intake-receipt-{number}.pdf",
        "application/pdf",
        key="intake_receipt_pdf",
        icon=":material/print:",
    )
    if right.button(
        _("Email the receipt to the customer"), key="intake_receipt_send", icon=":material/forward_to_inbox:"
    ):
        run_action(
            partial(send_document, UnitOfWork(engine(), actor), "intake_receipt", order_id),
            _("The receipt of {number} is on its way by email.").format(number=plain(number)),
            busy=_("Sending…"),
        )
    st.caption(_("The customer was also sent the order number and tracking code by their preferred channel."))

# Anonymous portal requests never join an existing customer by themselves (someone typing a customer's email
# proves nothing); staff who know it is them link the request here.
if actor.can("requests.convert") and actor.can("customers.write"):
    to_link = requests_to_link(engine(), actor)
    if not to_link.empty:
        with st.expander(_("Portal requests that may belong to a customer ({count})").format(count=len(to_link))):
            st.caption(
                _(
                    "These were sent without signing in, with the email or phone of an existing customer, so "
                    "they were kept apart. Link one once you know it is that customer."
                )
            )
            table(to_link.drop(columns=["request_id", "customer_id"]))
            rows = list(to_link.itertuples())
            picked = st.selectbox(
                _("Request"),
                range(len(rows)),
                key="link_request_pick",
                format_func=lambda i: (
                    f"{rows[i].order_number or rows[i].request_id} · {rows[i].contact_name} → {rows[i].customer}"
                ),
            )
            if picked is not None and st.button(_("Link it to that customer"), key="link_request"):
                row = rows[picked]
                run_action(
                    partial(link_request, UnitOfWork(engine(), actor), int(row.request_id), int(row.customer_id)),
                    _("The request now belongs to that customer."),
                )
