"""Reads of invoices, payments and refunds for the pages: each checks ``billing.read`` first, then reads under
row-level security. Money stays Decimal as the database returns it."""

from __future__ import annotations

from collections.abc import Collection
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from ops_db.kit.rows import Rows, clean_search, fetch_rows
from ops_db.kit.uow import UnitOfWork

INVOICE_LIMIT = 1000
INVOICE_COLUMNS = (
    "id",
    "invoice_number",
    "customer",
    "order_number",
    "issued",
    "due_on",
    "total",
    "paid",
    "due",
    "status",
)
REFUNDABLE_COLUMNS = (
    "id",
    "amount",
    "refunded_amount",
    "refundable",
    "method",
    "invoice_number",
    "customer",
    "received",
    "provider",
)
DRAWER_PAYMENT_COLUMNS = ("at", "invoice_number", "customer", "method", "amount")
DRAWER_REFUND_COLUMNS = ("at", "invoice_number", "customer", "method", "amount", "reason")
TAX_RATE_COLUMNS = ("code", "name", "rate_pct", "default", "valid_from")

# Paid is net of refunds and due is net of credit notes, exactly as ops_db.billing.service.balance counts them.
_BALANCE = """
LEFT JOIN LATERAL (SELECT COALESCE(sum(p.amount - p.refunded_amount), 0) AS paid FROM payments p
                   WHERE p.invoice_id = i.id AND p.status = 'succeeded') pay ON true
LEFT JOIN LATERAL (SELECT COALESCE(sum(n.amount), 0) AS credited FROM credit_notes n
                   WHERE n.invoice_id = i.id) cred ON true
"""

_INVOICES_SQL = f"""
SELECT i.id, i.invoice_number, c.name AS customer, o.order_number,
       CAST(i.issued_at AT TIME ZONE :tz AS date) AS issued, i.due_on, i.total, pay.paid,
       GREATEST(i.total - cred.credited - pay.paid, 0) AS due, i.status::text AS status
FROM invoices i
JOIN customers c ON c.id = i.customer_id
LEFT JOIN service_orders o ON o.id = i.order_id
{_BALANCE}
WHERE (CAST(:status AS text) IS NULL OR i.status::text = :status)
  AND (CAST(:id AS bigint) IS NULL OR i.id = :id)
  AND (:q = '' OR i.invoice_number ILIKE :like OR c.name ILIKE :like)
ORDER BY i.id DESC
LIMIT :limit
"""

_PAYABLE_SQL = """
SELECT i.id, i.invoice_number || ' · ' || c.name AS label
FROM invoices i JOIN customers c ON c.id = i.customer_id
WHERE i.status IN ('issued', 'partially_paid') OR i.id = ANY(:keep)
ORDER BY i.due_on, i.id
LIMIT :limit
"""

_UNINVOICED_SQL = """
SELECT o.id, o.order_number || ' · ' || c.name AS label
FROM service_orders o JOIN customers c ON c.id = o.customer_id
WHERE (o.stage IN ('ready', 'closed')
       AND NOT EXISTS (SELECT 1 FROM invoices i WHERE i.order_id = o.id AND i.status <> 'void')
       AND EXISTS (SELECT 1 FROM order_lines l WHERE l.order_id = o.id))
   OR o.id = :keep
ORDER BY o.id
LIMIT :limit
"""

_REFUNDABLE_SQL = """
SELECT p.id, p.amount, p.refunded_amount, p.amount - p.refunded_amount AS refundable, p.method::text AS method,
       i.invoice_number, c.name AS customer, CAST(p.received_at AT TIME ZONE :tz AS date) AS received,
       coalesce(p.provider, '') AS provider
FROM payments p JOIN invoices i ON i.id = p.invoice_id JOIN customers c ON c.id = p.customer_id
WHERE (p.status = 'succeeded' AND p.amount > p.refunded_amount
       AND (:q = '' OR i.invoice_number ILIKE :like OR c.name ILIKE :like))
   OR p.id = :keep
ORDER BY p.received_at DESC, p.id DESC
LIMIT :limit
"""

_DRAWER_PAYMENTS_SQL = """
SELECT to_char(p.received_at AT TIME ZONE :tz, 'HH24:MI') AS at, i.invoice_number, c.name AS customer,
       p.method::text AS method, p.amount
FROM payments p JOIN invoices i ON i.id = p.invoice_id JOIN customers c ON c.id = p.customer_id
WHERE p.status = 'succeeded' AND p.received_at >= :start AND p.received_at < :end
ORDER BY p.received_at, p.id
"""

_DRAWER_REFUNDS_SQL = """
SELECT to_char(r.refunded_at AT TIME ZONE :tz, 'HH24:MI') AS at, i.invoice_number, c.name AS customer,
       p.method::text AS method, r.amount, r.reason
FROM refunds r JOIN payments p ON p.id = r.payment_id JOIN invoices i ON i.id = p.invoice_id
JOIN customers c ON c.id = p.customer_id
WHERE r.refunded_at >= :start AND r.refunded_at < :end
ORDER BY r.refunded_at, r.id
"""


def invoices(
    uow: UnitOfWork,
    zone: ZoneInfo,
    *,
    status: str | None = None,
    search: str = "",
    invoice_id: int | None = None,
    limit: int = INVOICE_LIMIT,
) -> Rows:
    """Invoices newest first with paid (net of refunds) and due (net of credit notes), filtered by status and by
    a search in the invoice number or customer name; days in ``zone``."""
    uow.actor.require("billing.read")
    q = clean_search(search)
    return fetch_rows(
        uow,
        _INVOICES_SQL,
        {"tz": zone.key, "status": status, "id": invoice_id, "q": q, "like": f"%{q}%", "limit": limit},
        INVOICE_COLUMNS,
    )


def invoice(uow: UnitOfWork, zone: ZoneInfo, invoice_id: int) -> dict[str, Any] | None:
    """One invoice with its balance, as a row of :func:`invoices`."""
    uow.actor.require("billing.read")
    found = invoices(uow, zone, invoice_id=invoice_id, limit=1)
    return found.records[0] if found.records else None


def payable_invoices(uow: UnitOfWork, *, keep: Collection[int | None] = (), limit: int = 2000) -> dict[int, str]:
    """Id → label ("INV-2026-000017 · Jane Doe") of the invoices that take payments, the oldest due first.

    ``keep`` (the ones already chosen in the page's forms) stay listed after they were paid or voided meanwhile,
    so a choice cannot silently fall back to another invoice, and the service's refusal says what happened.
    The label leaves out the balance on purpose: a label that changes under the browser resets the choice.
    """
    uow.actor.require("billing.read")
    kept = [i for i in keep if i is not None]
    found = fetch_rows(uow, _PAYABLE_SQL, {"keep": kept, "limit": limit})
    return {int(r["id"]): str(r["label"]) for r in found}


def uninvoiced_orders(uow: UnitOfWork, *, keep: int | None = None, limit: int = 2000) -> dict[int, str]:
    """Id → label ("RO-2026-000123 · Jane Doe") of ready or closed orders with lines and no live invoice
    (``keep`` stays listed, as in :func:`payable_invoices`)."""
    uow.actor.require("billing.read")
    found = fetch_rows(uow, _UNINVOICED_SQL, {"keep": keep, "limit": limit})
    return {int(r["id"]): str(r["label"]) for r in found}


def refundable_payments(
    uow: UnitOfWork, zone: ZoneInfo, *, search: str = "", keep: int | None = None, limit: int = 500
) -> Rows:
    """Succeeded payments with something left to refund, newest first, searched by invoice number or customer
    (``keep`` stays listed, as in :func:`payable_invoices`)."""
    uow.actor.require("billing.read")
    q = clean_search(search)
    return fetch_rows(
        uow,
        _REFUNDABLE_SQL,
        {"tz": zone.key, "q": q, "like": f"%{q}%", "keep": keep, "limit": limit},
        REFUNDABLE_COLUMNS,
    )


def day_bounds(day: date, zone: ZoneInfo) -> tuple[datetime, datetime]:
    """The first instant of a local day and of the next one (23 or 25 hours apart on daylight-saving days)."""
    return datetime.combine(day, time(), zone), datetime.combine(day + timedelta(days=1), time(), zone)


def drawer_payments(uow: UnitOfWork, zone: ZoneInfo, day: date) -> Rows:
    """Succeeded payments received on a local day, in order."""
    uow.actor.require("billing.read")
    start, end = day_bounds(day, zone)
    return fetch_rows(uow, _DRAWER_PAYMENTS_SQL, {"tz": zone.key, "start": start, "end": end}, DRAWER_PAYMENT_COLUMNS)


def drawer_refunds(uow: UnitOfWork, zone: ZoneInfo, day: date) -> Rows:
    """Refunds made on a local day, with the method of the payment they give back."""
    uow.actor.require("billing.read")
    start, end = day_bounds(day, zone)
    return fetch_rows(uow, _DRAWER_REFUNDS_SQL, {"tz": zone.key, "start": start, "end": end}, DRAWER_REFUND_COLUMNS)


def tax_rates(uow: UnitOfWork) -> Rows:
    """The company's tax rates, newest validity first."""
    uow.actor.require("billing.read")
    return fetch_rows(
        uow,
        'SELECT code, name, rate_pct, is_default AS "default", valid_from FROM tax_rates '
        "ORDER BY valid_from DESC, code",
        columns=TAX_RATE_COLUMNS,
    )
