"""Front desk intake: find the customer as you type (name, phone, email or a device's serial) and choose among
the matches, or enter a new one; then device, warranty, problem and, for a field job, the service address, on one
screen; the receipt (with the tracking link and its QR code) at once.

An order is never filed silently under a customer found by phone: the desk picks the match, or says it is
someone new (a household shares a line), and the service refuses a phone it has seen unless one of the two."""

from __future__ import annotations

from functools import partial
from typing import Any

import pandas as pd
import streamlit as st
from streamlit_searchbox import st_searchbox

from dashboards.data.catalog import equipment_models
from dashboards.data.orders import customer_record, find_customers, requests_to_link
from dashboards.i18n import _, stage_words, today
from dashboards.records import record_link
from dashboards.session import current_actor, engine
from dashboards.widgets import (
    PHOTO_TYPES,
    action_button,
    as_files,
    finish,
    inline_code,
    plain,
    run_action,
    show_done,
    submission_form,
    submit,
    submit_button,
    table,
)
from ops_db.customers.schemas import CustomerIn
from ops_db.documents.receipts import intake_receipt
from ops_db.documents.send import send_document
from ops_db.kit.uow import Actor, UnitOfWork
from ops_db.orders.service import IntakeIn, link_request, register_intake

PRIORITIES = ("normal", "high", "emergency", "low")
LOCATIONS = ("workshop", "field")
NOT_LISTED = ""  # the "(not listed)" model choice (no model label is empty)
NEW = 0  # the "a new device" / "a new address" choice (no id is 0)
RECEIPT_KEY = "intake_receipt"  # (order id, number) of the last order opened here, for its printable receipt
CUSTOMER_KEY = "intake_customer"  # the id of the customer chosen from the matches
SEARCH_KEY = "intake_find"  # the search box's own state
MATCHES_KEY = "intake_phone_matches"  # the phone the service found on another customer, to offer them
INTAKE_FORM = "intake"  # its submission key makes a second click on "Open the order" open nothing more
# Emptied once the order is open (input key: its empty value), so the next customer starts from a clean form.
INTAKE_FIELDS = {
    "customer_name": "",
    "customer_email": "",
    "customer_phone": "",
    "intake_new_customer": False,
    "model": NOT_LISTED,
    "serial": "",
    "purchased": None,
    "warranty_until": None,
    "problem": "",
    "priority": PRIORITIES[0],
    "location": LOCATIONS[0],
    "service_address": "",
    "service_city": "",
}


def _matches(term: str) -> list[tuple[str, int]]:
    """The customers the typed text finds, as the search box lists them ("Ann Lee · +1 555 0100 · ann@…")."""
    assert actor is not None
    if len(term.strip()) < 2:
        return []
    found = find_customers(engine(), actor, term)
    return [(_match_label(row), int(row["id"])) for row in found.to_dict("records")]


def _match_label(row: dict[str, Any]) -> str:
    contact = " · ".join(str(row[k]) for k in ("phone", "email") if row[k] and not pd.isna(row[k]))
    serial = f" · {_('serial')} {row['serial_number']}" if row["serial_number"] else ""
    return f"{row['name']} · {contact}{serial} · {_('{count} devices').format(count=row['devices'])}"


def _chosen_customer() -> int | None:
    """The customer chosen here, or the one the address names (``?customer=12``, from a customer's page)."""
    asked = st.query_params.get("customer")
    if asked and str(asked).isdigit() and CUSTOMER_KEY not in st.session_state:
        st.session_state[CUSTOMER_KEY] = int(str(asked))
    chosen = st.session_state.get(CUSTOMER_KEY)
    return chosen if isinstance(chosen, int) else None


def _forget_customer() -> None:
    st.session_state.pop(CUSTOMER_KEY, None)
    st.session_state.pop(SEARCH_KEY, None)  # the search box forgets its pick too, or it would choose it again
    st.query_params.pop("customer", None)


@st.fragment
def _find_customer() -> None:
    """The search box: matches as you type; choosing one makes it the order's customer."""
    picked = st_searchbox(
        _matches,
        placeholder=_("Name, phone, email or a device's serial number"),
        label=_("Find the customer"),
        key=SEARCH_KEY,
        rerun_scope="fragment",
        debounce=250,
    )
    if isinstance(picked, int):
        st.session_state[CUSTOMER_KEY] = picked
        st.rerun()
    st.caption(_("Choose a match, or enter a new customer below."))


def _customer_card(parts: dict[str, pd.DataFrame]) -> None:
    assert actor is not None
    person = parts["customer"].iloc[0]
    contact = " · ".join(str(person[k]) for k in ("phone", "email") if person[k])
    left, right = st.columns([3, 1])
    with left:
        record_link(actor, "customer", int(person["id"]), f"**{plain(person['name'])}** · {plain(contact)}")
    right.button(_("Another customer"), key="intake_other_customer", on_click=_forget_customer)


def _choice(options: dict[int, str], label: str, key: str, new_label: str) -> int:
    """A choice among the customer's own records (devices, addresses) or a new one."""
    return int(
        st.selectbox(label, [NEW, *options], format_func=lambda i: options.get(i, new_label), key=key)  # markdown: ours
        or NEW
    )


actor = current_actor()
assert actor is not None
st.title(_("Intake"))
models = equipment_models(engine(), actor)
st.subheader(_("Customer"))
customer_id = _chosen_customer()
parts = customer_record(engine(), actor, customer_id) if customer_id is not None else None
if parts is not None and parts["customer"].empty:
    _forget_customer()
    customer_id, parts = None, None
if parts is None:
    _find_customer()
else:
    _customer_card(parts)
devices: dict[int, str] = {}
sites: dict[int, str] = {}
if parts is not None:
    devices = {int(d["id"]): f"{d['model']} · {d['serial_number'] or '—'}" for d in parts["devices"].to_dict("records")}
    sites = {int(s["id"]): str(s["address"]) for s in parts["sites"].to_dict("records")}
with submission_form(INTAKE_FORM):
    name = email = phone = ""
    new_customer = False
    if customer_id is None:
        left, middle, right = st.columns(3)
        name = left.text_input(_("Name"), key="customer_name")
        email = middle.text_input(_("Email"), key="customer_email")
        phone = right.text_input(_("Phone"), key="customer_phone")
        new_customer = st.checkbox(
            _("Someone new, even if another customer already has this phone number"), key="intake_new_customer"
        )
    st.subheader(_("Device"))
    device_id = _choice(devices, _("Device"), "intake_device", _("A new device")) if devices else NEW
    left, middle, right = st.columns(3)
    model_label = left.selectbox(
        _("Model"), [NOT_LISTED, *models], format_func=lambda label: label or _("(not listed)"), key="model"
    )
    serial = middle.text_input(_("Serial number"), key="serial")
    purchased = right.date_input(_("Purchase date"), value=None, max_value=today(), key="purchased")
    warranty_until = left.date_input(_("Manufacturer warranty until"), value=None, key="warranty_until")
    st.subheader(_("Problem"))
    problem = st.text_area(_("What is wrong"), key="problem")
    photos = st.file_uploader(
        _("Photos of the device (up to 10)"), type=PHOTO_TYPES, accept_multiple_files=True, key="intake_photos"
    )
    left, right = st.columns(2)
    priority = left.selectbox(_("Priority"), PRIORITIES, format_func=stage_words, key="priority")
    location = right.radio(_("Where"), LOCATIONS, format_func=stage_words, horizontal=True, key="location")
    st.subheader(_("Service address (a field job needs one)"))
    site_id = _choice(sites, _("Address"), "intake_site", _("A new address")) if sites else NEW
    left, right = st.columns([2, 1])
    street = left.text_input(_("Street and number"), key="service_address")
    city = right.text_input(_("City"), key="service_city")
    submitted = submit_button(INTAKE_FORM, _("Open the order"), type="primary", key="intake_submit")
if submitted:
    try:
        data = IntakeIn(
            customer=None
            if customer_id is not None
            else CustomerIn(name=name, email=email or None, phone=phone or None),
            customer_id=customer_id,
            new_customer=new_customer,
            problem_description=problem,
            equipment_id=device_id or None,
            model_id=models.get(model_label) if not device_id else None,
            serial_number=(serial or None) if not device_id else None,
            purchase_date=purchased if not device_id else None,
            manufacturer_warranty_until=warranty_until if not device_id else None,
            priority=priority,
            location=location,
            site_id=site_id or None,
            service_address=(street or None) if not site_id else None,
            service_city=(city or None) if not site_id else None,
            photos=as_files(photos),
        )
    except ValueError:  # pydantic's checks of the shape (an email that is not one)
        st.error(_("A field does not look right: check the email and phone."))
    else:
        opened = submit(
            INTAKE_FORM, partial(register_intake, UnitOfWork(engine(), actor), data), busy=_("Opening the order…")
        )
        if opened is None:  # refused, and said why
            st.session_state[MATCHES_KEY] = phone.strip() if customer_id is None else ""
        else:
            receipt = opened.value
            st.session_state.pop(MATCHES_KEY, None)
            st.session_state["order_number"] = receipt.order_number
            st.session_state[RECEIPT_KEY] = (receipt.order_id, receipt.order_number)
            _forget_customer()  # the next intake starts from an empty form
            finish(
                INTAKE_FORM,
                _("Order **{number}** opened. Tracking code for the customer: {code}").format(
                    number=plain(receipt.order_number), code=inline_code(receipt.tracking_code)
                ),
                "intake_photos",
                "intake_device",
                "intake_site",
                empty=INTAKE_FIELDS,
            )
show_done(INTAKE_FORM)
if customer_id is None and (typed_phone := st.session_state.get(MATCHES_KEY)):
    # The service refused a phone that another customer has: here they are, to choose one in a click.
    for row in find_customers(engine(), actor, str(typed_phone)).to_dict("records"):
        if st.button(_("Choose {customer}").format(customer=plain(_match_label(row))), key=f"intake_pick_{row['id']}"):
            st.session_state[CUSTOMER_KEY] = int(row["id"])
            st.session_state.pop(MATCHES_KEY, None)
            st.rerun()
if RECEIPT_KEY in st.session_state:
    order_id, number = st.session_state[RECEIPT_KEY]
    record_link(
        actor, "order", number, _("Open order {number}").format(number=plain(number)), icon=":material/open_in_new:"
    )
    left, right = st.columns(2)
    left.download_button(
        _("Print the intake receipt of {number} (PDF)").format(number=plain(number)),
        partial(intake_receipt, UnitOfWork(engine(), actor), order_id),
        f"intake-receipt-{number}.pdf",
        "application/pdf",
        key="intake_receipt_pdf",
        icon=":material/print:",
    )
    if action_button(
        _("Email the receipt to the customer"),
        key="intake_receipt_send",
        container=right,
        icon=":material/forward_to_inbox:",
    ):
        run_action(
            partial(send_document, UnitOfWork(engine(), actor), "intake_receipt", order_id),
            _("The receipt of {number} is on its way by email.").format(number=plain(number)),
            busy=_("Sending…"),
        )
    st.caption(_("The customer was also sent the order number and tracking link by their preferred channel."))


def _requests_to_link(actor: Actor) -> None:
    """Anonymous portal requests never join an existing customer by themselves (someone typing a customer's email
    proves nothing); staff who know it is them link the request here."""
    to_link = requests_to_link(engine(), actor)
    if to_link.empty:
        return
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
        if picked is not None and action_button(_("Link it to that customer"), key="link_request"):
            row = rows[picked]
            run_action(
                partial(link_request, UnitOfWork(engine(), actor), int(row.request_id), int(row.customer_id)),
                _("The request now belongs to that customer."),
            )


if actor.can("requests.convert") and actor.can("customers.write"):
    _requests_to_link(actor)
