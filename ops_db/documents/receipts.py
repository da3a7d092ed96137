"""Documents handed over the counter: the intake receipt the customer takes home with their tracking code."""

from __future__ import annotations

from ops_db.documents.render import render
from ops_db.kit.uow import UnitOfWork


def intake_receipt(uow: UnitOfWork, order_id: int, locale: str | None = None) -> bytes:
    """The intake receipt of an order as a PDF, in ``locale`` (default: the company's language). Anyone who
    may see the order may print it."""
    return render(uow, "intake_receipt", order_id, "pdf", locale)
