"""Billing's typed shapes: invoicing an order, a payment, a refund, and the invoice rows that go out."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from pydantic import Field, with_config
from typing_extensions import TypedDict

from ops_db.billing.models import InvoiceStatus, PaymentMethod
from ops_db.kit.schemas import EXACT, Choice, Id, Instant, Money, PositiveAmount, Shape

Key = Annotated[str, Field(min_length=1, max_length=128)]


class InvoiceIn(Shape):
    """Invoice an order, payable within ``due_days``."""

    order_id: Id
    due_days: Annotated[int, Field(ge=0, le=365)] = 14


class PaymentIn(Shape):
    """Money received against an invoice; the idempotency key makes a retry record it once."""

    invoice_id: Id
    amount: PositiveAmount
    method: Choice[PaymentMethod]
    idempotency_key: Key | None = None


class RefundIn(Shape):
    """Money given back from a payment, with the reason; the idempotency key makes a retry refund once."""

    payment_id: Id
    amount: PositiveAmount
    reason: Annotated[str, Field(min_length=1, max_length=2000)]
    idempotency_key: Key


@with_config(EXACT)
class InvoiceRow(TypedDict):
    """An invoice with its balance: paid (net of refunds), credited, and still due."""

    id: int
    invoice_number: str
    order_id: int | None
    customer_id: int
    status: Choice[InvoiceStatus]
    currency: str
    issued_at: Instant | None
    due_on: date | None
    subtotal: Money
    tax_total: Money
    total: Money
    paid: Money
    credited: Money
    due: Money


@with_config(EXACT)
class InvoiceLineRow(TypedDict):
    """One line of an invoice."""

    line_no: int
    description: str
    kind: str
    quantity: Money
    unit_price: Money
    tax_rate_pct: Money
    net: Money
    tax: Money
    total: Money


@with_config(EXACT)
class InvoiceDetail(InvoiceRow):
    """An invoice with its balance and lines."""

    lines: list[InvoiceLineRow]


@with_config(EXACT)
class PaymentRow(TypedDict):
    """A payment as recorded."""

    id: int
    invoice_id: int
    amount: Money
    method: Choice[PaymentMethod]
    idempotency_key: str | None
    refunded_amount: Money


@with_config(EXACT)
class RefundRow(TypedDict):
    """A refund as recorded."""

    id: int
    payment_id: int
    amount: Money
