"""Every row opens its record: tables where one click on a cell opens what it names (an order number its order,
a customer's name the customer, a device, a technician, an invoice) and links between records, all carried in
the address (``?order=RO-…``, ``?customer=12``) so a record can be bookmarked, shared and opened from anywhere."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import pandas as pd
import streamlit as st

from dashboards.widgets import labelled_config, shown_values
from ops_db.kit.uow import Actor

ORDER_PAGE = "app_pages/order_detail.py"
RECORD_PAGE = "app_pages/record.py"
KINDS = ("customer", "device", "technician", "invoice")  # the record page's kinds (orders have their own page)
# What each kind of record needs to be read (the record page is shown to office staff only).
KIND_PERMISSION = {
    "order": "orders.read",
    "customer": "customers.read",
    "device": "customers.read",
    "technician": "workforce.read",
    "invoice": "billing.read",
}


@dataclass(frozen=True)
class Link:
    """A column that opens a record: its kind, and the column that holds the record's number or id."""

    kind: str
    by: str


# The columns the tables share, and what a click on them opens (when the id column is in the data).
KNOWN_LINKS: dict[str, Link] = {
    "order_number": Link("order", "order_number"),
    "customer": Link("customer", "customer_id"),
    "customer_name": Link("customer", "customer_id"),
    "device": Link("device", "equipment_id"),
    "model": Link("device", "equipment_id"),
    "serial_number": Link("device", "equipment_id"),
    "technician": Link("technician", "technician_id"),
    "invoice_number": Link("invoice", "invoice_id"),
}
HIDDEN_IDS = ("id", "customer_id", "equipment_id", "technician_id", "invoice_id", "order_id")


def may_open(actor: Actor, kind: str) -> bool:
    """Whether this person gets the page that shows this kind of record."""
    if kind == "order":
        return not actor.is_customer and actor.can("orders.read")
    return not actor.is_customer and not actor.is_technician_only and actor.can(KIND_PERMISSION[kind])


def record_address(kind: str, value: object) -> tuple[str, dict[str, str]]:
    """The page and query parameters that show one record."""
    if kind == "order":
        return ORDER_PAGE, {"order": str(value)}
    return RECORD_PAGE, {kind: str(int(str(value)))}


def open_record(kind: str, value: object) -> None:
    """Go to one record (this run ends here)."""
    page, params = record_address(kind, value)
    st.switch_page(page, query_params=params)


def record_link(actor: Actor, kind: str, value: object, label: str, *, icon: str | None = None) -> None:
    """A link to one record, or just its label for someone who may not open it (or when there is none)."""
    if value is None or (isinstance(value, float) and pd.isna(value)) or not may_open(actor, kind):
        st.markdown(label)  # markdown: ours (callers pass plain() text)
        return
    page, params = record_address(kind, value)
    st.page_link(page, label=label, icon=icon, query_params=params)  # markdown: ours (callers pass plain() text)


def table_links(frame: pd.DataFrame, actor: Actor, links: Mapping[str, Link] | None = None) -> dict[str, Link]:
    """The columns of ``frame`` a click opens: the known ones whose id column is there, plus ``links``."""
    found = {c: link for c, link in KNOWN_LINKS.items() if c in frame.columns and link.by in frame.columns}
    found.update(links or {})
    return {c: link for c, link in found.items() if may_open(actor, link.kind)}


def record_table(
    data: pd.DataFrame | list[dict[str, Any]],
    actor: Actor,
    *,
    key: str,
    row: Link | None = None,
    links: Mapping[str, Link] | None = None,
    column_config: dict[str, Any] | None = None,
    **kwargs: Any,
) -> None:
    """A table in the reader's language where one click opens a record: a cell that names one (an order number,
    a customer, a device, a technician, an invoice) opens it, any other cell opens the row's own record (``row``,
    else the first link found). Id columns stay in the data but are not shown."""
    frame = data if isinstance(data, pd.DataFrame) else pd.DataFrame(data)
    opens = table_links(frame, actor, links)
    default = row if row is not None and may_open(actor, row.kind) else next(iter(opens.values()), None)
    config = labelled_config(frame, column_config)
    for column in HIDDEN_IDS:
        if column in frame.columns:
            config[column] = None
    kwargs.setdefault("hide_index", True)
    if default is None:  # nothing here this person may open: a plain table
        st.dataframe(shown_values(frame), column_config=config, **kwargs)
        return
    event = st.dataframe(
        shown_values(frame),
        column_config=config,
        key=key,
        on_select="rerun",
        selection_mode="single-cell",
        **kwargs,
    )
    cells = event.selection.get("cells", []) if event is not None else []
    if not cells:
        return
    position, column = cells[0]
    link = opens.get(str(column), default)
    value = frame.iloc[int(position)][link.by]
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        link = default
        value = frame.iloc[int(position)][link.by]
    open_record(link.kind, value)


def asked_record() -> tuple[str, str] | None:
    """The record the address asks for (``?customer=12``), if any."""
    for kind in KINDS:
        value = st.query_params.get(kind)
        if value:
            return kind, value
    return None
