"""Billing: invoices and their balance, invoicing finished orders, payments and refunds, receivables aging
and today's cash drawer."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from functools import partial

import pandas as pd
import streamlit as st

from dashboards.caching import cached
from dashboards.data import billing
from dashboards.data.catalog import tenant_currency, tenant_zone
from dashboards.i18n import _, day_text, money_text, number_text, stage_words
from dashboards.session import current_actor, engine
from dashboards.widgets import (
    chosen_id,
    document_picker,
    empty_inputs,
    finish,
    plain,
    show_done,
    show_flash,
    submission_form,
    submission_key,
    submit,
    submit_button,
    table,
    typed_amount,
)
from ops_db.billing.models import InvoiceStatus, PaymentMethod
from ops_db.billing.service import create_invoice, issue_credit_note, record_payment, void_invoice, write_off
from ops_db.billing.stripe_payments import refund_payment, stripe_for_company
from ops_db.i18n import N_
from ops_db.kit.uow import UnitOfWork
from ops_db.settings import get_settings

PAYMENT_FORM = "payment"
REFUND_FORM = "refund"
INVOICE_FORM = "new_invoice"
CORRECTION_FORM = "correct_invoice_form"
MONEY = st.column_config.NumberColumn(format="%.2f")
ALL = "all"
TAB_KEY = "billing_tab"  # the open tab (its label): a test or a link opens a tab by it
# Corrections of an issued invoice, with the permission each needs.
CORRECTIONS = {
    "credit": (N_("Credit note: lower what it asks for"), "billing.refund"),
    "write_off": (N_("Write off what is still owed"), "billing.write_off"),
    "void": (N_("Void it: issued in error, nothing paid"), "billing.write_off"),
}


def _give_back(payment_id: int, amount: str, reason: str) -> Decimal:
    """Refund the way the money came (a card paid online back through Stripe); returns the amount refunded."""
    assert actor is not None
    done = refund_payment(
        UnitOfWork(engine(), actor),
        partial(stripe_for_company, engine(), actor.tenant_id, get_settings()),
        payment_id,
        typed_amount(amount),
        reason,
        submission_key(REFUND_FORM),  # the form's key is the refund's own (Stripe gets it too)
    )
    return done.amount


def _correct_invoice(open_ones: dict[int, str]) -> None:
    """Credit note, write-off or void of an open invoice, each with its reason (and a credit note's amount)."""
    assert actor is not None
    allowed = [kind for kind, (_label, permission) in CORRECTIONS.items() if actor.can(permission)]
    st.subheader(_("Correct an invoice"))
    with submission_form(CORRECTION_FORM):
        invoice_id = st.selectbox(
            _("Invoice"),
            list(open_ones),
            index=None,
            format_func=lambda i: open_ones.get(i, str(i)),
            placeholder=_("Choose an open invoice"),
            key="correct_invoice",
        )
        kind = st.radio(_("Correction"), allowed, format_func=lambda k: _(CORRECTIONS[k][0]), key="correct_kind")
        left, right = st.columns([1, 2])
        amount = left.text_input(_("Amount (credit note)"), placeholder="0.00", key="correct_amount")
        reason = right.text_input(_("Why"), key="correct_reason")
        apply = submit_button(CORRECTION_FORM, _("Apply the correction"), key="correct_submit")
    show_done(CORRECTION_FORM)
    if not apply:
        return
    if invoice_id is None:
        st.error(_("Choose the invoice to correct."))
        return
    label = plain(open_ones.get(invoice_id, str(invoice_id)))  # holds the customer's name

    def correct() -> str:
        """Apply the correction chosen; the sentence that says what was done."""
        uow = UnitOfWork(engine(), actor)
        if kind == "credit":
            note = issue_credit_note(uow, invoice_id, typed_amount(amount) or "", reason)
            return _("Credit note {number} of {amount} issued on {invoice}.").format(
                number=plain(note.credit_note_number), amount=money_text(note.amount, currency), invoice=label
            )
        if kind == "write_off":
            write_off(uow, invoice_id, reason)
            return _("What was still owed on {invoice} is written off.").format(invoice=label)
        void_invoice(uow, invoice_id, reason)
        return _("{invoice} is void; its order can be invoiced again.").format(invoice=label)

    if (done := submit(CORRECTION_FORM, correct)) is not None:
        empty = {"correct_invoice": None, "correct_amount": "", "correct_reason": ""}
        finish(CORRECTION_FORM, done.value, empty=empty)  # markdown: ours (label plain)


def _day(value: date | None) -> str:
    """A due date in the reader's language; a dash when there is none (babel would print today instead)."""
    return day_text(value) if value is not None and not pd.isna(value) else "—"


# The page's reads, from the cache while the company's data and the reader's rights are the same
# (dashboards.caching): a click that changes nothing redraws from memory.
_invoices = cached(billing.invoices)
_uninvoiced_orders = cached(billing.uninvoiced_orders)
_refundable_payments = cached(billing.refundable_payments)
_aging = cached(billing.aging)
_drawer_payments = cached(billing.drawer_payments)
_drawer_refunds = cached(billing.drawer_refunds)
_payable_invoices = cached(billing.payable_invoices)

actor = current_actor()
assert actor is not None
st.title(_("Billing"))
show_flash()
zone = tenant_zone(engine(), actor)
currency = tenant_currency(engine(), actor)
today = datetime.now(zone).date()
# Only the open tab is drawn: choosing another reruns the page for it, and the rerun after a payment or a
# correction redraws only what is in view (the other tabs read their data afresh when opened).
invoices_tab, payments_tab, aging_tab, drawer_tab = st.tabs(
    [_("Invoices"), _("Payments"), _("Receivables"), _("Cash drawer")], key=TAB_KEY, on_change="rerun"
)
# A closed tab is not drawn and Streamlit forgets an undrawn widget's value: the searches and the status filter
# stay as they were when their tab is opened again.
for tab, kept in ((invoices_tab, ("invoice_status", "invoice_search")), (payments_tab, ("refund_search",))):
    for kept_key in kept if not tab.open else ():
        if kept_key in st.session_state:
            st.session_state[kept_key] = st.session_state[kept_key]
corrects = any(actor.can(permission) for _label, permission in CORRECTIONS.values())
# The choices emptied after the last payment or correction, before the lists keep them.
empty_inputs(PAYMENT_FORM)
empty_inputs(CORRECTION_FORM)
# The open invoices, read once for both forms that choose one (each keeps its own choice listed).
payable = (
    _payable_invoices(engine(), actor, keep=(chosen_id("pay_invoice"), chosen_id("correct_invoice")))
    if (invoices_tab.open and corrects) or (payments_tab.open and actor.can("billing.pay"))
    else {}
)


@st.fragment
def _invoices_part() -> None:
    """The invoices tab (a click inside it reruns only this part, then what the action asks for)."""
    assert actor is not None
    left, right = st.columns([1, 2])
    status = left.selectbox(
        _("Status"),
        [ALL, *(s.value for s in InvoiceStatus)],
        format_func=lambda s: _("all") if s == ALL else stage_words(s),
        key="invoice_status",
    )
    search = right.text_input(_("Search by invoice number or customer"), key="invoice_search")
    with st.spinner(_("Loading invoices…")):
        listed = _invoices(engine(), actor, zone, status=None if status == ALL else status, search=search)
    if len(listed) == billing.INVOICE_LIMIT:
        st.caption(
            _("Showing the newest {count}; filter or search to find older ones.").format(
                count=number_text(billing.INVOICE_LIMIT)
            )
        )
    table(listed.drop(columns=["id"]), column_config={"total": MONEY, "paid": MONEY, "due": MONEY})
    document_picker(
        engine(),
        actor,
        "invoice",
        {int(r.id): f"{r.invoice_number} · {r.customer}" for r in listed.head(500).itertuples()},
        _("Invoice"),
        key="invoice",
    )

    if actor.can("billing.invoice"):
        st.subheader(_("Invoice a finished order"))
        empty_inputs(INVOICE_FORM)  # before the list keeps the order just invoiced
        ready = _uninvoiced_orders(engine(), actor, keep=chosen_id("invoice_order"))
        with submission_form(INVOICE_FORM):
            left, right = st.columns([3, 1])
            order_id = left.selectbox(
                _("Ready or closed order without an invoice"),
                list(ready),
                index=None,
                format_func=lambda i: ready.get(i, str(i)),
                placeholder=_("Choose an order"),
                key="invoice_order",
            )
            terms = right.number_input(_("Payment terms (days)"), value=14, step=1, key="invoice_due_days")
            issue = submit_button(INVOICE_FORM, _("Issue the invoice"), type="primary", key="create_invoice")
        show_done(INVOICE_FORM)
        if issue:
            if order_id is None or terms is None:
                st.error(_("Choose an order and the payment terms."))
            else:
                invoicing = partial(create_invoice, UnitOfWork(engine(), actor), order_id, due_days=int(terms))
                if (made := submit(INVOICE_FORM, invoicing, busy=_("Issuing the invoice…"))) is not None:
                    finish(
                        INVOICE_FORM,
                        _("Invoice {number} issued for {total}, due on {due_on}.").format(
                            number=plain(made.value.invoice_number),
                            total=money_text(made.value.total, currency),
                            due_on=_day(made.value.due_on),
                        ),
                        empty={"invoice_order": None},
                    )

    if corrects:
        _correct_invoice(payable)


if invoices_tab.open:
    with invoices_tab:
        _invoices_part()


@st.fragment
def _payments_part() -> None:
    """The payments tab (a click inside it reruns only this part, then what the action asks for)."""
    assert actor is not None
    if actor.can("billing.pay"):
        st.subheader(_("Record a payment"))
        empty_inputs(PAYMENT_FORM)  # the invoice chosen above the form, after a payment
        invoice_id = st.selectbox(
            _("Invoice"),
            list(payable),
            index=None,
            format_func=lambda i: payable.get(i, str(i)),
            placeholder=_("Choose an open invoice"),
            key="pay_invoice",
        )
        chosen = billing.invoice(engine(), actor, zone, invoice_id) if invoice_id is not None else None
        if chosen is not None:
            st.caption(
                _("{status} · total {total} · paid {paid} · **due {due}** by {due_on}").format(
                    status=stage_words(chosen["status"]),
                    total=money_text(chosen["total"], currency),
                    paid=money_text(chosen["paid"], currency),
                    due=money_text(chosen["due"], currency),
                    due_on=_day(chosen["due_on"]),
                )
            )
        with submission_form(PAYMENT_FORM):
            left, right = st.columns(2)
            amount = left.text_input(_("Amount"), placeholder="0.00", key="pay_amount")
            method = right.selectbox(
                _("Method"), [m.value for m in PaymentMethod], format_func=stage_words, key="pay_method"
            )
            pay = submit_button(PAYMENT_FORM, _("Record the payment"), type="primary", key="record_payment")
        show_done(PAYMENT_FORM)
        if pay:
            if invoice_id is None or method is None:
                st.error(_("Choose the invoice being paid."))
            elif (
                paid := submit(
                    PAYMENT_FORM,
                    partial(
                        record_payment,
                        UnitOfWork(engine(), actor),
                        invoice_id,
                        typed_amount(amount),
                        method,
                        submission_key(PAYMENT_FORM),  # the form's key is the payment's own
                    ),
                    busy=_("Recording the payment…"),
                )
            ) is not None:
                finish(
                    PAYMENT_FORM,
                    _("Payment of {amount} ({method}) recorded on {invoice}.").format(
                        amount=money_text(paid.value.amount, currency),
                        method=stage_words(method),
                        invoice=plain(payable.get(invoice_id)) or _("the invoice"),
                    ),
                    empty={"pay_amount": "", "pay_invoice": None},
                )

    if actor.can("billing.refund"):
        st.subheader(_("Refund a payment"))
        empty_inputs(REFUND_FORM)  # the payment chosen above the form, after a refund
        left, right = st.columns([1, 2])
        find = left.text_input(_("Find payments by invoice number or customer"), key="refund_search")
        refundable = _refundable_payments(engine(), actor, zone, search=find, keep=chosen_id("refund_payment"))
        labels = {int(row.id): billing.payment_label(row, _, day_text) for row in refundable.itertuples()}
        payment_id = right.selectbox(
            _("Payment (newest first)"),
            list(labels),
            index=None,
            format_func=lambda i: labels.get(i, str(i)),
            placeholder=_("Choose a payment"),
            key="refund_payment",
        )
        if payment_id is not None:
            paid_row = refundable[refundable["id"] == payment_id].iloc[0]
            st.caption(
                _("paid {paid} · refunded {refunded} · **refundable {refundable}**").format(
                    paid=money_text(paid_row["amount"], currency),
                    refunded=money_text(paid_row["refunded_amount"], currency),
                    refundable=money_text(paid_row["refundable"], currency),
                )
            )
            if paid_row["provider"] == "stripe":
                st.caption(
                    ":material/credit_card: "
                    + _(
                        "Paid online: the money goes back to the customer's card "
                        "through Stripe, then the refund is recorded."
                    )
                )
        with submission_form(REFUND_FORM):
            left, right = st.columns([1, 2])
            back = left.text_input(_("Amount"), placeholder="0.00", key="refund_amount")
            reason = right.text_input(_("Why"), key="refund_reason")
            give_back = submit_button(REFUND_FORM, _("Refund"), type="primary", key="refund_submit")
        show_done(REFUND_FORM)
        if give_back:
            if payment_id is None:
                st.error(_("Choose the payment to refund."))
            elif (
                given := submit(REFUND_FORM, partial(_give_back, payment_id, back, reason), busy=_("Refunding…"))
            ) is not None:
                finish(
                    REFUND_FORM,
                    _("Refunded {amount} of payment #{payment}.").format(
                        amount=money_text(given.value, currency), payment=plain(payment_id)
                    ),
                    empty={"refund_amount": "", "refund_reason": "", "refund_payment": None},
                )

    if not (actor.can("billing.pay") or actor.can("billing.refund")):
        st.info(_("Payments are recorded by finance and the front desk; the cash drawer tab shows today's."))


if payments_tab.open:
    with payments_tab:
        _payments_part()


@st.fragment
def _aging_part() -> None:
    """The receivables tab (a click inside it reruns only this part, then what the action asks for)."""
    assert actor is not None
    with st.spinner(_("Aging the receivables…")):
        owed = _aging(engine(), actor, today)
    buckets = billing.aging_buckets(owed)
    st.caption(_("Open invoices by days past their due date on {day}.").format(day=day_text(today)))
    for column, bucket in zip(st.columns(len(buckets)), buckets.itertuples(), strict=True):
        column.metric(
            stage_words(bucket.bucket)
            if bucket.bucket == "current"
            else _("{bucket} days").format(bucket=plain(bucket.bucket)),
            money_text(bucket.due, currency),
            _("{count} invoices").format(count=number_text(bucket.invoices)),
            delta_color="off",
            delta_arrow="off",
        )
    table(buckets, column_config={"due": MONEY})
    table(owed.sort_values(["days_overdue", "due"], ascending=False), column_config={"total": MONEY, "due": MONEY})


if aging_tab.open:
    with aging_tab:
        _aging_part()


@st.fragment
def _drawer_part() -> None:
    """The cash drawer tab (a click inside it reruns only this part, then what the action asks for)."""
    assert actor is not None
    with st.spinner(_("Counting today's money…")):
        taken = _drawer_payments(engine(), actor, zone, today)
        given = _drawer_refunds(engine(), actor, zone, today)
    by_method = billing.drawer_by_method(taken, given)
    cash = by_method[by_method["method"] == "cash"].iloc[0]
    st.subheader(_("Cash drawer for {day}").format(day=day_text(today)))
    cols = st.columns(4)
    cols[0].metric(_("Received today"), money_text(sum(by_method["received"]), currency))
    cols[1].metric(_("Refunded today"), money_text(sum(by_method["refunded"]), currency))
    cols[2].metric(_("Net today"), money_text(sum(by_method["net"]), currency))
    cols[3].metric(_("Cash in the drawer"), money_text(cash["net"], currency))
    table(by_method, column_config={"received": MONEY, "refunded": MONEY, "net": MONEY})
    st.write(_("**Payments today** ({count})").format(count=number_text(len(taken))))
    table(taken, column_config={"amount": MONEY})
    st.write(_("**Refunds today** ({count})").format(count=number_text(len(given))))
    table(given, column_config={"amount": MONEY})


if drawer_tab.open:
    with drawer_tab:
        _drawer_part()
