"""Customers and the records around them: find a customer by name, phone, email or a device's serial; one
customer with their addresses, devices, orders and invoices; one device, one technician, one invoice. Each row
opens its record and each record links to the others (the address says which: ``?customer=12``)."""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

import pandas as pd
import streamlit as st

from dashboards.data import orders as order_data
from dashboards.data.catalog import tenant_currency, tenant_zone
from dashboards.i18n import _, day_text, money_text, stage_words
from dashboards.records import asked_record, record_link, record_table
from dashboards.session import current_actor, engine
from dashboards.widgets import document_buttons, local_times, plain
from ops_db.billing.queries import invoice as read_invoice
from ops_db.kit.uow import Actor, UnitOfWork

MONEY_COLUMNS = ("total", "amount", "paid", "due", "invoice_total")


def _shown(frame: pd.DataFrame, zone: ZoneInfo, currency: str) -> pd.DataFrame:
    """Times in the company's zone and money as the reader writes it."""
    shown = local_times(frame, zone)
    for column in MONEY_COLUMNS:
        if column in shown.columns:
            shown[column] = shown[column].map(lambda v: "" if v is None else money_text(v, currency))
    return shown


def _facts(pairs: list[tuple[str, Any]]) -> None:
    """A record's facts side by side, each a caption over its value."""
    columns = st.columns(len(pairs))
    for column, (label, value) in zip(columns, pairs, strict=True):
        column.caption(label)  # markdown: ours
        column.markdown(plain(value) if value not in (None, "") else "—")


def _search(actor: Actor) -> None:
    st.title(_("Customers"))
    typed = st.text_input(_("Find a customer by name, phone, email or a device's serial number"), key="find")
    if len(typed.strip()) < 2:
        st.caption(_("Type at least two characters; click a customer to open them."))
        return
    found = order_data.find_customers(engine(), actor, typed)
    if found.empty:
        st.info(_("No customer matches that."))
        return
    found = found.rename(columns={"id": "customer_id", "name": "customer"})
    record_table(local_times(found, tenant_zone(engine(), actor)), actor, key="found_customers")


def _customer(actor: Actor, customer_id: int, zone: ZoneInfo, currency: str) -> None:
    parts = order_data.customer_record(engine(), actor, customer_id)
    if parts["customer"].empty:
        st.error(_("No customer with that number is visible to you."))
        return
    person = parts["customer"].iloc[0]
    st.title(plain(person["name"]))
    _facts([(_("Email"), person["email"]), (_("Phone"), person["phone"]), (_("Kind"), stage_words(person["kind"]))])
    if actor.can("orders.create"):
        st.page_link(
            "app_pages/intake.py",
            label=_("New order for this customer"),
            icon=":material/add_box:",
            query_params={"customer": str(customer_id)},
        )
    st.subheader(_("Addresses"))
    sites = parts["sites"]
    if sites.empty:
        st.caption(_("No address yet."))
    else:
        record_table(sites.drop(columns=["id"]), actor, key="customer_sites")
    st.subheader(_("Devices"))
    devices = parts["devices"].rename(columns={"id": "equipment_id"})
    record_table(devices, actor, key="customer_devices")
    st.subheader(_("Orders"))
    record_table(_shown(parts["orders"], zone, currency), actor, key="customer_orders")
    if actor.can("billing.read"):
        st.subheader(_("Invoices"))
        invoices = parts["invoices"].rename(columns={"id": "invoice_id"})
        record_table(_shown(invoices, zone, currency), actor, key="customer_invoices")


def _device(actor: Actor, equipment_id: int, zone: ZoneInfo, currency: str) -> None:
    parts = order_data.device_record(engine(), actor, equipment_id)
    if parts["device"].empty:
        st.error(_("No device with that number is visible to you."))
        return
    device = parts["device"].iloc[0]
    st.title(plain(f"{device['model']} · {device['serial_number'] or '—'}"))
    record_link(actor, "customer", device["customer_id"], _("Owner: {name}").format(name=plain(device["customer"])))
    purchased = device["purchase_date"]
    _facts(
        [
            (_("Serial number"), device["serial_number"]),
            (_("Purchased"), day_text(purchased) if purchased is not None and not pd.isna(purchased) else None),
            (_("Status"), stage_words(str(device["status"]))),
        ]
    )
    st.subheader(_("Orders"))
    record_table(_shown(parts["orders"], zone, currency), actor, key="device_orders")
    if actor.can("warranty.read"):
        st.subheader(_("Warranties"))
        record_table(parts["warranties"], actor, key="device_warranties")


def _technician(actor: Actor, technician_id: int, zone: ZoneInfo, currency: str) -> None:
    parts = order_data.technician_record(engine(), actor, technician_id)
    if parts["technician"].empty:
        st.error(_("No technician with that number is visible to you."))
        return
    person = parts["technician"].iloc[0]
    st.title(plain(person["name"]))
    _facts([(_("Email"), person["email"]), (_("Phone"), person["phone"])])
    if person["phone"]:
        st.link_button(_("Call"), f"tel:{person['phone']}", icon=":material/call:")
    st.subheader(_("Open orders assigned"))
    record_table(_shown(parts["orders"], zone, currency), actor, key="technician_orders")


def _invoice(actor: Actor, invoice_id: int, zone: ZoneInfo, currency: str) -> None:
    found = read_invoice(UnitOfWork(engine(), actor), zone, invoice_id)
    if found is None:
        st.error(_("No invoice with that number is visible to you."))
        return
    st.title(_("Invoice {number}").format(number=plain(found["invoice_number"])))
    if found["order_number"]:
        record_link(
            actor, "order", found["order_number"], _("Order {number}").format(number=plain(found["order_number"]))
        )
    _facts(
        [
            (_("Customer"), found["customer"]),
            (_("Status"), stage_words(str(found["status"]))),
            (_("Total"), money_text(found["total"], currency)),
            (_("Paid"), money_text(found["paid"], currency)),
            (_("Due"), money_text(found["due"], currency)),
        ]
    )
    document_buttons(
        engine(),
        actor,
        "invoice",
        invoice_id,
        _("Invoice {number}").format(number=plain(found["invoice_number"])),
        key="record_invoice_doc",
        formats=("pdf", "docx", "xlsx"),
        send=True,
    )


actor = current_actor()
assert actor is not None
asked = asked_record()
zone, currency = tenant_zone(engine(), actor), tenant_currency(engine(), actor)
if asked is None:
    _search(actor)
else:
    kind, value = asked
    st.page_link("app_pages/record.py", label=_("Find another customer"), icon=":material/search:")
    if not value.isdigit():
        st.error(_("That address does not name a record."))
    elif kind == "customer":
        _customer(actor, int(value), zone, currency)
    elif kind == "device":
        _device(actor, int(value), zone, currency)
    elif kind == "technician" and actor.can("workforce.read"):
        _technician(actor, int(value), zone, currency)
    elif kind == "invoice" and actor.can("billing.read"):
        _invoice(actor, int(value), zone, currency)
    else:
        st.error(_("That record is not yours to read."))
