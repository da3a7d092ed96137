"""Request a repair online: item, problem, photos and contact; the order number and tracking code at once."""

from __future__ import annotations

from functools import partial

import streamlit as st

from dashboards.i18n import _, error_text
from dashboards.session import DEFAULT_TENANT, TENANT_KEY, current_actor, engine
from dashboards.widgets import (
    PHOTO_TYPES,
    as_files,
    finish,
    inline_code,
    plain,
    show_done,
    submission_form,
    submit,
    submit_button,
)
from ops_db.i18n import N_
from ops_db.identity.service import resolve_tenant
from ops_db.kit.errors import RepairOpsError
from ops_db.kit.uow import Actor, UnitOfWork
from ops_db.orders.service import RequestIn, submit_request

# Stored in English (the request's item type); shown in the reader's language.
ITEM_TYPES = (
    N_("Phone"),
    N_("Laptop"),
    N_("Tablet"),
    N_("Desktop computer"),
    N_("Printer"),
    N_("Home appliance"),
    N_("HVAC unit"),
    N_("Other"),
)

REQUEST_FORM = "request"  # its submission key makes a second click on "Send the request" send nothing more
# Emptied once the request is in (the company and the kind of item stay), so the page is ready for the next one.
REQUEST_FIELDS = {
    "request_details": "",
    "request_problem": "",
    "request_name": "",
    "request_email": "",
    "request_phone": "",
    "request_preferred": "",
}

actor = current_actor()
st.title(_("Request a repair"))
st.caption(_("Tell us what needs fixing; you get an order number and a tracking code straight away."))
with submission_form(REQUEST_FORM):
    company = st.text_input(
        _("Company"),
        value=st.session_state.get(TENANT_KEY, DEFAULT_TENANT),
        key="request_company",
        disabled=actor is not None,
    )
    left, right = st.columns(2)
    item = left.selectbox(_("What needs repair"), ITEM_TYPES, format_func=_, key="request_item")
    details = right.text_input(_("Make and model (if you know it)"), key="request_details")
    problem = st.text_area(_("What is wrong"), key="request_problem")
    photos = st.file_uploader(
        _("Photos (up to 10)"), type=PHOTO_TYPES, accept_multiple_files=True, key="request_photos"
    )
    left, middle, right = st.columns(3)
    name = left.text_input(_("Your name"), key="request_name")
    email = middle.text_input(_("Email"), key="request_email")
    phone = right.text_input(_("Phone"), key="request_phone")
    preferred = st.text_input(_("When suits you (optional)"), key="request_preferred")
    submitted = submit_button(REQUEST_FORM, _("Send the request"), type="primary", key="request_submit")
show_done(REQUEST_FORM)
if submitted:
    try:
        who = actor or Actor.public(resolve_tenant(engine(), company.strip().lower()))
    except RepairOpsError as error:
        st.error(error_text(error))
    else:
        asked = RequestIn(
            contact_name=name,
            contact_email=email or None,
            contact_phone=phone or None,
            item_type=item,
            item_description=details or None,
            problem_description=problem,
            preferred_time=preferred or None,
            photos=as_files(photos),
        )
        sent = submit(
            REQUEST_FORM, partial(submit_request, UnitOfWork(engine(), who), asked), busy=_("Sending your request…")
        )
        if sent is not None:
            st.session_state["order_number"] = sent.value.order_number
            finish(
                REQUEST_FORM,
                _(
                    "Thank you. Your order number is **{number}** and your tracking code is {code}: keep "
                    "them to follow the repair on **Track a repair**."
                ).format(number=plain(sent.value.order_number), code=inline_code(sent.value.tracking_code)),
                "request_photos",
                empty=REQUEST_FIELDS,
            )
