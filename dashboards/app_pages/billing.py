"""Billing: invoices and their balance, invoicing finished orders, payments and refunds, receivables aging
and today's cash drawer."""

from __future__ import annotations

from datetime import datetime
from uuid import uuid4

import streamlit as st

from dashboards.data import billing
from dashboards.data.catalog import tenant_zone
from dashboards.data.orders import MAX_SEARCH
from dashboards.session import current_actor, engine
from dashboards.widgets import chosen_id, document_picker, done_and_rerun, show_flash, typed_amount
from ops_db.billing.models import InvoiceStatus, PaymentMethod
from ops_db.billing.service import create_invoice, record_payment, refund
from ops_db.kit.errors import RepairOpsError
from ops_db.kit.uow import UnitOfWork

PAYMENT_KEY = "payment_idempotency_key"
REFUND_KEY = "refund_idempotency_key"
MONEY = st.column_config.NumberColumn(format="%.2f")
ALL = "all"


def _submission_key(name: str) -> str:
    """The idempotency key of the submission in progress.

    It is kept until the service accepts it, so submitting the same form again after a dropped connection (or
    a double click) finds the payment already recorded instead of taking the money twice; a successful
    submission drops it, and the next one gets a fresh key.
    """
    key: str = st.session_state.setdefault(name, str(uuid4()))
    return key


def money(value: object) -> str:
    """Money with 2 decimals and thousands separators."""
    return f"{value:,.2f}"


actor = current_actor()
assert actor is not None
st.title("Billing")
show_flash()
zone = tenant_zone(engine(), actor)
today = datetime.now(zone).date()
invoices_tab, payments_tab, aging_tab, drawer_tab = st.tabs(["Invoices", "Payments", "Receivables", "Cash drawer"])

with invoices_tab:
    left, right = st.columns([1, 2])
    status = left.selectbox("Status", [ALL, *(s.value for s in InvoiceStatus)],
                            format_func=lambda s: s.replace("_", " "), key="invoice_status")
    search = right.text_input("Search by invoice number or customer", max_chars=MAX_SEARCH, key="invoice_search")
    with st.spinner("Loading invoices…"):
        listed = billing.invoices(engine(), actor, zone, status=None if status == ALL else status, search=search)
    if len(listed) == billing.INVOICE_LIMIT:
        st.caption(f"Showing the newest {billing.INVOICE_LIMIT:,}; filter or search to find older ones.")
    st.dataframe(listed.drop(columns=["id"]), hide_index=True,
                 column_config={"total": MONEY, "paid": MONEY, "due": MONEY})
    document_picker(engine(), actor, "invoice",
                    {int(r.id): f"{r.invoice_number} · {r.customer}" for r in listed.head(500).itertuples()},
                    "Invoice", key="invoice")

    if actor.can("billing.invoice"):
        st.subheader("Invoice a finished order")
        ready = billing.uninvoiced_orders(engine(), actor, keep=chosen_id("invoice_order"))
        with st.form("new_invoice"):
            left, right = st.columns([3, 1])
            order_id = left.selectbox("Ready or closed order without an invoice", list(ready), index=None,
                                      format_func=lambda i: ready.get(i, str(i)), placeholder="Choose an order",
                                      key="invoice_order")
            terms = right.number_input("Payment terms (days)", value=14, step=1, key="invoice_due_days")
            issue = st.form_submit_button("Issue the invoice", type="primary", key="create_invoice")
        if issue:
            if order_id is None or terms is None:
                st.error("Choose an order and the payment terms.")
            else:
                try:
                    with st.spinner("Issuing the invoice…"):
                        issued = create_invoice(UnitOfWork(engine(), actor), order_id, due_days=int(terms))
                except RepairOpsError as error:
                    st.error(error.message)
                else:
                    done_and_rerun(f"Invoice {issued.invoice_number} issued for {money(issued.total)}, due on "
                          f"{issued.due_on}.", "invoice_order")

with payments_tab:
    if actor.can("billing.pay"):
        st.subheader("Record a payment")
        payable = billing.payable_invoices(engine(), actor, keep=chosen_id("pay_invoice"))
        invoice_id = st.selectbox("Invoice", list(payable), index=None, format_func=lambda i: payable.get(i, str(i)),
                                  placeholder="Choose an open invoice", key="pay_invoice")
        chosen = billing.invoice(engine(), actor, zone, invoice_id) if invoice_id is not None else None
        if chosen is not None:
            st.caption(f"{chosen['status'].replace('_', ' ')} · total {money(chosen['total'])} · paid "
                       f"{money(chosen['paid'])} · **due {money(chosen['due'])}** by {chosen['due_on']}")
        with st.form("payment"):
            left, right = st.columns(2)
            amount = left.text_input("Amount", placeholder="0.00", max_chars=20, key="pay_amount")
            method = right.selectbox("Method", [m.value for m in PaymentMethod],
                                     format_func=lambda m: m.replace("_", " "), key="pay_method")
            pay = st.form_submit_button("Record the payment", type="primary", key="record_payment")
        if pay:
            if invoice_id is None or method is None:
                st.error("Choose the invoice being paid.")
            else:
                try:
                    with st.spinner("Recording the payment…"):
                        payment = record_payment(UnitOfWork(engine(), actor), invoice_id, typed_amount(amount),
                                                 method, _submission_key(PAYMENT_KEY))
                except RepairOpsError as error:
                    st.error(error.message)
                else:
                    done_and_rerun(f"Payment of {money(payment.amount)} ({method.replace('_', ' ')}) recorded on "
                          f"{payable.get(invoice_id, 'the invoice')}.", PAYMENT_KEY, "pay_amount", "pay_invoice")

    if actor.can("billing.refund"):
        st.subheader("Refund a payment")
        left, right = st.columns([1, 2])
        find = left.text_input("Find payments by invoice number or customer", max_chars=MAX_SEARCH,
                               key="refund_search")
        refundable = billing.refundable_payments(engine(), actor, zone, search=find,
                                                 keep=chosen_id("refund_payment"))
        labels = {int(row.id): billing.payment_label(row) for row in refundable.itertuples()}
        payment_id = right.selectbox("Payment (newest first)", list(labels), index=None,
                                     format_func=lambda i: labels.get(i, str(i)), placeholder="Choose a payment",
                                     key="refund_payment")
        if payment_id is not None:
            paid_row = refundable[refundable["id"] == payment_id].iloc[0]
            st.caption(f"paid {money(paid_row['amount'])} · refunded {money(paid_row['refunded_amount'])} · "
                       f"**refundable {money(paid_row['refundable'])}**")
        with st.form("refund"):
            left, right = st.columns([1, 2])
            back = left.text_input("Amount", placeholder="0.00", max_chars=20, key="refund_amount")
            reason = right.text_input("Why", max_chars=2000, key="refund_reason")
            give_back = st.form_submit_button("Refund", type="primary", key="refund_submit")
        if give_back:
            if payment_id is None:
                st.error("Choose the payment to refund.")
            else:
                try:
                    with st.spinner("Refunding…"):
                        done = refund(UnitOfWork(engine(), actor), payment_id, typed_amount(back), reason,
                                      _submission_key(REFUND_KEY))
                except RepairOpsError as error:
                    st.error(error.message)
                else:
                    done_and_rerun(f"Refunded {money(done.amount)} of payment #{payment_id}.", REFUND_KEY,
                                   "refund_amount", "refund_reason", "refund_payment")

    if not (actor.can("billing.pay") or actor.can("billing.refund")):
        st.info("Payments are recorded by finance and the front desk; the cash drawer tab shows today's.")

with aging_tab:
    with st.spinner("Aging the receivables…"):
        owed = billing.aging(engine(), actor, today)
    buckets = billing.aging_buckets(owed)
    st.caption(f"Open invoices by days past their due date on {today}.")
    for column, bucket in zip(st.columns(len(buckets)), buckets.itertuples(), strict=True):
        column.metric(bucket.bucket if bucket.bucket == "current" else f"{bucket.bucket} days", money(bucket.due),
                      f"{bucket.invoices} invoices", delta_color="off", delta_arrow="off")
    st.dataframe(buckets, hide_index=True, column_config={"due": MONEY})
    st.dataframe(owed.sort_values(["days_overdue", "due"], ascending=False), hide_index=True,
                 column_config={"total": MONEY, "due": MONEY})

with drawer_tab:
    with st.spinner("Counting today's money…"):
        taken = billing.drawer_payments(engine(), actor, zone, today)
        given = billing.drawer_refunds(engine(), actor, zone, today)
    by_method = billing.drawer_by_method(taken, given)
    cash = by_method[by_method["method"] == "cash"].iloc[0]
    st.subheader(f"Cash drawer for {today:%A %d %B %Y}")
    cols = st.columns(4)
    cols[0].metric("Received today", money(sum(by_method["received"])))
    cols[1].metric("Refunded today", money(sum(by_method["refunded"])))
    cols[2].metric("Net today", money(sum(by_method["net"])))
    cols[3].metric("Cash in the drawer", money(cash["net"]))
    st.dataframe(by_method, hide_index=True, column_config={"received": MONEY, "refunded": MONEY, "net": MONEY})
    st.write(f"**Payments today** ({len(taken)})")
    st.dataframe(taken, hide_index=True, column_config={"amount": MONEY})
    st.write(f"**Refunds today** ({len(given)})")
    st.dataframe(given, hide_index=True, column_config={"amount": MONEY})
