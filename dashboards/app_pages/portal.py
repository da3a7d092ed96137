"""The customer's own page: repairs in progress and past, estimates to decide, invoices, ratings, devices
and warranties, and the message thread with the shop."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from dashboards.data import portal
from dashboards.data.catalog import tenant_currency, tenant_zone
from dashboards.i18n import _, error_text, money_text, stage_words, ui_locale
from dashboards.session import current_actor, engine
from dashboards.widgets import document_buttons, plain, table
from ops_db.billing.stripe_payments import checkout_url, stripe_for_company
from ops_db.comms.service import list_messages, post_message
from ops_db.kit.errors import RepairOpsError
from ops_db.kit.uow import UnitOfWork
from ops_db.orders.service import decide_estimate, rate_order
from ops_db.settings import get_settings

actor = current_actor()
assert actor is not None
st.title(_("My repairs"))
currency = tenant_currency(engine(), actor)
repairs_tab, devices_tab = st.tabs([_("Repairs"), _("Devices and warranties")])


def _pay_now(invoice_id: int) -> None:
    """A card payment through Stripe's secure page, when the shop has online payment set up."""
    assert actor is not None
    config = stripe_for_company(engine(), actor.tenant_id, get_settings())
    if config is None:
        st.caption(_("Pay at the counter or by bank transfer; online payment is not set up."))
        return
    if st.button(_("Pay now"), type="primary", key="portal_pay", icon=":material/credit_card:"):
        base = get_settings().public_url.rstrip("/")
        try:
            with st.spinner(_("Opening the secure payment page…")):
                url = checkout_url(
                    UnitOfWork(engine(), actor), config, invoice_id, success_url=f"{base}/?paid=1", cancel_url=base
                )
        except RepairOpsError as error:
            st.error(error_text(error))
        else:
            st.link_button(_("Continue to the secure payment page"), url, type="primary")


def _repairs() -> None:
    """The repairs tab: the list, then one order's decisions, invoice, timeline, rating and messages."""
    assert actor is not None
    orders = portal.my_orders(engine(), actor)
    if orders.empty:
        st.info(_("No repairs yet: use **Request a repair** to send one."))
        return
    table(
        orders.drop(columns=["id", "invoice_id"]),
        column_config={
            "estimate_amount": st.column_config.NumberColumn(format="%.2f"),
            "invoice_total": st.column_config.NumberColumn(format="%.2f"),
        },
    )
    number = st.selectbox(_("Order"), list(orders["order_number"]), key="portal_order")
    order = orders[orders["order_number"] == number].iloc[0]
    order_id = int(order["id"])
    st.subheader(f"{plain(number)}: {stage_words(order['stage'])}")
    with st.expander(_("Documents")):
        document_buttons(
            engine(),
            actor,
            "intake_receipt",
            order_id,
            _("Intake receipt"),
            key="portal_receipt",
            locale=ui_locale(),
            formats=("pdf",),
        )
        if order["estimate_status"] != "none":
            document_buttons(
                engine(),
                actor,
                "estimate",
                order_id,
                _("Estimate"),
                key="portal_estimate_doc",
                locale=ui_locale(),
                formats=("pdf",),
            )
        if order["stage"] == "closed":
            document_buttons(
                engine(),
                actor,
                "release_act",
                order_id,
                _("Release certificate"),
                key="portal_release",
                locale=ui_locale(),
                formats=("pdf",),
            )
        if pd.notna(order["invoice_id"]):
            document_buttons(
                engine(),
                actor,
                "invoice",
                int(order["invoice_id"]),
                _("Invoice") + f" {plain(order['invoice_number'])}",
                key="portal_invoice",
                locale=ui_locale(),
                formats=("pdf",),
            )
    if order["estimate_status"] == "pending" and order["estimate_amount"] is not None:
        st.warning(
            _("Estimate waiting for your decision: {amount}").format(
                amount=money_text(order["estimate_amount"], currency)
            )
        )
        left, right = st.columns(2)
        for column, approve, label in ((left, True, _("Approve the estimate")), (right, False, _("Decline"))):
            if column.button(label, key=f"portal_estimate_{'yes' if approve else 'no'}"):  # markdown: ours
                try:
                    decide_estimate(UnitOfWork(engine(), actor), order_id, approve)
                except RepairOpsError as error:
                    st.error(error_text(error))
                else:
                    st.rerun()
    if isinstance(order["invoice_number"], str):
        st.info(
            _("Invoice {number}: {status}, total {total}.").format(
                number=plain(order["invoice_number"]),
                status=stage_words(order["invoice_status"]),
                total=money_text(order["invoice_total"], currency),
            )
        )
        if order["invoice_status"] in ("issued", "partially_paid"):
            _pay_now(int(order["invoice_id"]))
    zone = tenant_zone(engine(), actor)
    table(
        [
            {"stage": e["stage"], "when": f"{e['at'].astimezone(zone):%Y-%m-%d %H:%M}"}
            for e in portal.order_timeline(engine(), actor, order_id)
        ]
    )
    # pd.isna: once any of the customer's orders is rated, the column is numeric and "not rated" reads NaN
    if order["stage"] in ("ready", "closed") and pd.isna(order["my_rating"]):
        with st.form("rate"):
            score = st.select_slider(
                _("Your rating"), options=[1, 2, 3, 4, 5], value=5, format_func=lambda n: "★" * n, key="portal_score"
            )
            comment = st.text_area(_("Anything to tell us?"), key="portal_comment")
            if st.form_submit_button(_("Rate the repair"), key="portal_rate"):
                try:
                    rate_order(UnitOfWork(engine(), actor), order_id, int(score), comment or None)
                except RepairOpsError as error:
                    st.error(error_text(error))
                else:
                    st.success(_("Thank you for your rating."))
    st.markdown("**" + _("Messages") + "**")
    for message in list_messages(UnitOfWork(engine(), actor), order_id):
        st.chat_message("user" if message["author_customer_id"] else "assistant").write(plain(message["body"]))
    body = st.chat_input(_("Write to the shop"), key="portal_message")
    if body:
        try:
            post_message(UnitOfWork(engine(), actor), order_id, body)
        except RepairOpsError as error:
            st.error(error_text(error))
        else:
            st.rerun()


with repairs_tab:
    _repairs()

with devices_tab:
    st.subheader(_("Devices"))
    table(portal.my_devices(engine(), actor))
    st.subheader(_("Warranties"))
    table(portal.my_warranties(engine(), actor))
