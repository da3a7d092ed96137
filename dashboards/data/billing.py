"""What the billing page shows: invoices with their balance, what can be invoiced, paid or refunded, the
receivables aging and today's cash drawer.

The reads live in ``ops_db.billing.queries`` (each checks ``billing.read`` and runs under the actor's row-level
security); writes are left to ``ops_db.billing.service`` (the page calls it directly). Money stays Decimal as
the database returns it.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from datetime import date
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pandas as pd

from dashboards.data import frame
from ops_db.billing import queries
from ops_db.billing.models import PaymentMethod
from ops_db.billing.queries import INVOICE_LIMIT
from ops_db.billing.service import receivables
from ops_db.i18n import value_words
from ops_db.kit.db import Database
from ops_db.kit.uow import Actor, UnitOfWork

__all__ = ["INVOICE_LIMIT"]

BUCKETS = ("current", "1-30", "31-60", "61-90", "90+")
AGING_COLUMNS = ["invoice_number", "customer", "due_on", "days_overdue", "bucket", "total", "due"]
ZERO = Decimal("0.00")


def invoices(
    engine: Database,
    actor: Actor,
    zone: ZoneInfo,
    *,
    status: str | None = None,
    search: str = "",
    invoice_id: int | None = None,
    limit: int = INVOICE_LIMIT,
) -> pd.DataFrame:
    """Invoices newest first with paid and due, filtered by status and searched (see
    :func:`ops_db.billing.queries.invoices`)."""
    return frame(
        queries.invoices(
            UnitOfWork(engine, actor), zone, status=status, search=search, invoice_id=invoice_id, limit=limit
        )
    )


def invoice(engine: Database, actor: Actor, zone: ZoneInfo, invoice_id: int) -> dict[str, Any] | None:
    """One invoice with its balance, as a row of :func:`invoices`."""
    return queries.invoice(UnitOfWork(engine, actor), zone, invoice_id)


def payable_invoices(
    engine: Database, actor: Actor, *, keep: Collection[int | None] = (), limit: int = 2000
) -> dict[int, str]:
    """Id → label of the invoices that take payments, the oldest due first (``keep`` stays listed)."""
    return queries.payable_invoices(UnitOfWork(engine, actor), keep=keep, limit=limit)


def uninvoiced_orders(engine: Database, actor: Actor, *, keep: int | None = None, limit: int = 2000) -> dict[int, str]:
    """Id → label of ready or closed orders with lines and no live invoice (``keep`` stays listed)."""
    return queries.uninvoiced_orders(UnitOfWork(engine, actor), keep=keep, limit=limit)


def refundable_payments(
    engine: Database, actor: Actor, zone: ZoneInfo, *, search: str = "", keep: int | None = None, limit: int = 500
) -> pd.DataFrame:
    """Succeeded payments with something left to refund, newest first (``keep`` stays listed)."""
    return frame(queries.refundable_payments(UnitOfWork(engine, actor), zone, search=search, keep=keep, limit=limit))


def payment_label(row: Any, t: Callable[[str], str], day: Callable[[date], str] = date.isoformat) -> str:
    """How a payment reads in the refund form (nothing that changes when it is refunded: see payable_invoices);
    ``t`` translates the method's words and ``day`` writes the date in the reader's language."""
    method = value_words(row.method, t)
    return f"#{row.id} · {row.invoice_number} · {row.customer} · {method} · {day(row.received)}"


def aging(engine: Database, actor: Actor, today: date) -> pd.DataFrame:
    """Open invoices with what is owed, days overdue on ``today`` and their bucket (from the service)."""
    rows = receivables(UnitOfWork(engine, actor), as_of=today)
    return pd.DataFrame(
        rows,
        columns=["id", "invoice_number", "customer_id", "customer", "due_on", "total", "due", "days_overdue", "bucket"],
    )[AGING_COLUMNS]


def aging_buckets(frame: pd.DataFrame) -> pd.DataFrame:
    """Invoices and money owed per aging bucket, every bucket present in order (zero when empty)."""
    out = []
    for bucket in BUCKETS:
        part = frame[frame["bucket"] == bucket]
        out.append({"bucket": bucket, "invoices": len(part), "due": sum(part["due"], ZERO)})
    return pd.DataFrame(out, columns=["bucket", "invoices", "due"])


def drawer_payments(engine: Database, actor: Actor, zone: ZoneInfo, day: date) -> pd.DataFrame:
    """Succeeded payments received on a local day, in order."""
    return frame(queries.drawer_payments(UnitOfWork(engine, actor), zone, day))


def drawer_refunds(engine: Database, actor: Actor, zone: ZoneInfo, day: date) -> pd.DataFrame:
    """Refunds made on a local day, with the method of the payment they give back."""
    return frame(queries.drawer_refunds(UnitOfWork(engine, actor), zone, day))


def drawer_by_method(payments: pd.DataFrame, refunds: pd.DataFrame) -> pd.DataFrame:
    """Per payment method (its stored code: tables show it as words): how many payments, received, refunded and
    net (every method listed, zero when none)."""
    out = []
    for method in PaymentMethod:
        got = payments[payments["method"] == method.value]
        back = refunds[refunds["method"] == method.value]
        received, refunded = sum(got["amount"], ZERO), sum(back["amount"], ZERO)
        out.append(
            {
                "method": method.value,
                "payments": len(got),
                "received": received,
                "refunded": refunded,
                "net": received - refunded,
            }
        )
    return pd.DataFrame(out, columns=["method", "payments", "received", "refunded", "net"])
