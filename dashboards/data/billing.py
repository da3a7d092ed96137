"""What the billing page shows: invoices with their balance, what can be invoiced, paid or refunded, the
receivables aging and today's cash drawer.

Every read runs in a unit of work, so the actor's row-level security applies; writes are left to
``ops_db.billing.service`` (the page calls it directly). Money stays Decimal as the database returns it.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pandas as pd
from sqlalchemy import Engine, text

from dashboards.data.orders import clean_search
from ops_db.billing.models import PaymentMethod
from ops_db.billing.service import receivables
from ops_db.i18n import value_words
from ops_db.kit.uow import Actor, UnitOfWork

INVOICE_LIMIT = 1000
BUCKETS = ("current", "1-30", "31-60", "61-90", "90+")
INVOICE_COLUMNS = ["id", "invoice_number", "customer", "order_number", "issued", "due_on", "total", "paid", "due",
                   "status"]
AGING_COLUMNS = ["invoice_number", "customer", "due_on", "days_overdue", "bucket", "total", "due"]
DRAWER_PAYMENT_COLUMNS = ["at", "invoice_number", "customer", "method", "amount"]
DRAWER_REFUND_COLUMNS = ["at", "invoice_number", "customer", "method", "amount", "reason"]
ZERO = Decimal("0.00")

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


def _rows(engine: Engine, actor: Actor, sql: str, params: dict[str, Any]) -> list[dict[str, Any]]:
    """Run one read under the actor's row-level security."""
    with UnitOfWork(engine, actor) as uow:
        return [dict(r) for r in uow.session.execute(text(sql), params).mappings().all()]


def invoices(engine: Engine, actor: Actor, zone: ZoneInfo, *, status: str | None = None, search: str = "",
             invoice_id: int | None = None, limit: int = INVOICE_LIMIT) -> pd.DataFrame:
    """Invoices newest first with paid (net of refunds) and due (net of credit notes), filtered by status and by
    a search in the invoice number or customer name."""
    actor.require("billing.read")
    q = clean_search(search)
    rows = _rows(engine, actor, _INVOICES_SQL, {"tz": zone.key, "status": status, "id": invoice_id, "q": q,
                                                "like": f"%{q}%", "limit": limit})
    return pd.DataFrame(rows, columns=INVOICE_COLUMNS)


def invoice(engine: Engine, actor: Actor, zone: ZoneInfo, invoice_id: int) -> dict[str, Any] | None:
    """One invoice with its balance, as a row of :func:`invoices`."""
    actor.require("billing.read")
    frame = invoices(engine, actor, zone, invoice_id=invoice_id, limit=1)
    return None if frame.empty else dict(frame.iloc[0])


def payable_invoices(engine: Engine, actor: Actor, *, keep: Collection[int | None] = (),
                     limit: int = 2000) -> dict[int, str]:
    """Id → label ("INV-2026-000017 · Jane Doe") of the invoices that take payments, the oldest due first.

    ``keep`` (the ones already chosen in the page's forms) stay listed after they were paid or voided meanwhile,
    so a choice cannot silently fall back to another invoice, and the service's refusal says what happened.
    The label leaves out the balance on purpose: a label that changes under the browser resets the choice.
    """
    actor.require("billing.read")
    kept = [i for i in keep if i is not None]
    rows = _rows(engine, actor, _PAYABLE_SQL, {"keep": kept, "limit": limit})
    return {int(r["id"]): str(r["label"]) for r in rows}


def uninvoiced_orders(engine: Engine, actor: Actor, *, keep: int | None = None, limit: int = 2000
                      ) -> dict[int, str]:
    """Id → label ("RO-2026-000123 · Jane Doe") of ready or closed orders with lines and no live invoice
    (``keep`` stays listed, as in :func:`payable_invoices`)."""
    actor.require("billing.read")
    rows = _rows(engine, actor, _UNINVOICED_SQL, {"keep": keep, "limit": limit})
    return {int(r["id"]): str(r["label"]) for r in rows}


def refundable_payments(engine: Engine, actor: Actor, zone: ZoneInfo, *, search: str = "",
                        keep: int | None = None, limit: int = 500) -> pd.DataFrame:
    """Succeeded payments with something left to refund, newest first, searched by invoice number or customer
    (``keep`` stays listed, as in :func:`payable_invoices`)."""
    actor.require("billing.read")
    q = clean_search(search)
    rows = _rows(engine, actor, _REFUNDABLE_SQL, {"tz": zone.key, "q": q, "like": f"%{q}%", "keep": keep,
                                                  "limit": limit})
    return pd.DataFrame(rows, columns=["id", "amount", "refunded_amount", "refundable", "method", "invoice_number",
                                       "customer", "received", "provider"])


def payment_label(row: Any, t: Callable[[str], str], day: Callable[[date], str] = date.isoformat) -> str:
    """How a payment reads in the refund form (nothing that changes when it is refunded: see payable_invoices);
    ``t`` translates the method's words and ``day`` writes the date in the reader's language."""
    method = value_words(row.method, t)
    return f"#{row.id} · {row.invoice_number} · {row.customer} · {method} · {day(row.received)}"


def aging(engine: Engine, actor: Actor, today: date) -> pd.DataFrame:
    """Open invoices with what is owed, days overdue on ``today`` and their bucket (from the service)."""
    actor.require("billing.read")
    rows = receivables(UnitOfWork(engine, actor), as_of=today)
    return pd.DataFrame(rows, columns=["id", "invoice_number", "customer_id", "customer", "due_on", "total", "due",
                                       "days_overdue", "bucket"])[AGING_COLUMNS]


def aging_buckets(frame: pd.DataFrame) -> pd.DataFrame:
    """Invoices and money owed per aging bucket, every bucket present in order (zero when empty)."""
    out = []
    for bucket in BUCKETS:
        part = frame[frame["bucket"] == bucket]
        out.append({"bucket": bucket, "invoices": len(part), "due": sum(part["due"], ZERO)})
    return pd.DataFrame(out, columns=["bucket", "invoices", "due"])


def day_bounds(day: date, zone: ZoneInfo) -> tuple[datetime, datetime]:
    """The first instant of a local day and of the next one (23 or 25 hours apart on daylight-saving days)."""
    return datetime.combine(day, time(), zone), datetime.combine(day + timedelta(days=1), time(), zone)


def drawer_payments(engine: Engine, actor: Actor, zone: ZoneInfo, day: date) -> pd.DataFrame:
    """Succeeded payments received on a local day, in order."""
    actor.require("billing.read")
    start, end = day_bounds(day, zone)
    rows = _rows(engine, actor, _DRAWER_PAYMENTS_SQL, {"tz": zone.key, "start": start, "end": end})
    return pd.DataFrame(rows, columns=DRAWER_PAYMENT_COLUMNS)


def drawer_refunds(engine: Engine, actor: Actor, zone: ZoneInfo, day: date) -> pd.DataFrame:
    """Refunds made on a local day, with the method of the payment they give back."""
    actor.require("billing.read")
    start, end = day_bounds(day, zone)
    rows = _rows(engine, actor, _DRAWER_REFUNDS_SQL, {"tz": zone.key, "start": start, "end": end})
    return pd.DataFrame(rows, columns=DRAWER_REFUND_COLUMNS)


def drawer_by_method(payments: pd.DataFrame, refunds: pd.DataFrame) -> pd.DataFrame:
    """Per payment method (its stored code: tables show it as words): how many payments, received, refunded and
    net (every method listed, zero when none)."""
    out = []
    for method in PaymentMethod:
        got = payments[payments["method"] == method.value]
        back = refunds[refunds["method"] == method.value]
        received, refunded = sum(got["amount"], ZERO), sum(back["amount"], ZERO)
        out.append({"method": method.value, "payments": len(got), "received": received,
                    "refunded": refunded, "net": received - refunded})
    return pd.DataFrame(out, columns=["method", "payments", "received", "refunded", "net"])
