"""Billing: taxes, price lists, invoices and lines, payments, refunds, credit notes, expenses.

Invariants held by the database: invoice total = subtotal + tax; payment idempotency keys are
unique per tenant; ``payments.refunded_amount`` is kept by a trigger on ``refunds`` and checked
``0 ≤ refunded_amount ≤ amount``, so no refund can exceed what was paid, even concurrently.
"""

from __future__ import annotations

import enum
from datetime import date, datetime
from decimal import Decimal
from typing import ClassVar

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Date,
    LargeBinary,
    Numeric,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from ops_db.i18n import N_
from ops_db.kit.base import (
    Base,
    IdMixin,
    Money,
    Quantity,
    TenantMixin,
    TimestampMixin,
    fk,
    str_enum,
)


class InvoiceStatus(enum.StrEnum):
    """Life of an invoice."""

    DRAFT = "draft"
    ISSUED = "issued"
    PARTIALLY_PAID = "partially_paid"
    PAID = "paid"
    WRITTEN_OFF = "written_off"
    VOID = "void"


class PaymentMethod(enum.StrEnum):
    """How money arrived."""

    CASH = "cash"
    CARD = "card"
    BANK_TRANSFER = "bank_transfer"
    ONLINE = "online"


class PaymentStatus(enum.StrEnum):
    """Whether the money is really there."""

    PENDING = "pending"
    SUCCEEDED = "succeeded"
    FAILED = "failed"


class TaxRate(IdMixin, TenantMixin, TimestampMixin, Base):
    """A tax rate of the tenant's jurisdiction (VAT standard, reduced, zero)."""

    __tablename__ = "tax_rates"

    code: Mapped[str] = mapped_column(String(32))
    name: Mapped[str] = mapped_column(String(100))
    rate_pct: Mapped[Decimal] = mapped_column(Numeric(6, 3))
    is_default: Mapped[bool] = mapped_column(Boolean, server_default="false")
    valid_from: Mapped[date] = mapped_column(Date)

    __table_args__ = (
        UniqueConstraint("tenant_id", "code"),
        CheckConstraint("rate_pct >= 0 AND rate_pct <= 100", name="rate_range"),
    )


class PriceList(IdMixin, TenantMixin, TimestampMixin, Base):
    """Prices for parts and services, optionally for one customer tier."""

    __tablename__ = "price_lists"

    name: Mapped[str] = mapped_column(String(100))
    currency: Mapped[str] = mapped_column(String(3))
    customer_tier_id: Mapped[int | None] = fk("customer_tiers.id", nullable=True, ondelete="SET NULL")
    is_default: Mapped[bool] = mapped_column(Boolean, server_default="false")
    valid_from: Mapped[date] = mapped_column(Date)
    valid_to: Mapped[date | None] = mapped_column(Date)


class PriceListItem(IdMixin, TenantMixin, Base):
    """The price of one part or service in a price list."""

    __tablename__ = "price_list_items"

    price_list_id: Mapped[int] = fk("price_lists.id", ondelete="CASCADE")
    part_id: Mapped[int | None] = fk("parts.id", nullable=True, ondelete="CASCADE", index=False)
    service_item_id: Mapped[int | None] = fk("service_catalog_items.id", nullable=True, ondelete="CASCADE", index=False)
    price: Mapped[Money]

    __table_args__ = (
        CheckConstraint("(part_id IS NULL) <> (service_item_id IS NULL)", name="one_item"),
        CheckConstraint("price >= 0", name="price_nonnegative"),
    )


class Invoice(IdMixin, TenantMixin, TimestampMixin, Base):
    """An invoice, numbered per tenant, itemised in ``invoice_lines``."""

    __tablename__ = "invoices"
    not_found: ClassVar[str] = N_("Invoice {invoice} does not exist.")  # what uow.get says when there is none

    invoice_number: Mapped[str] = mapped_column(String(32))
    order_id: Mapped[int | None] = fk("service_orders.id", nullable=True)
    customer_id: Mapped[int] = fk("customers.id")
    status: Mapped[InvoiceStatus] = mapped_column(str_enum(InvoiceStatus, "invoice_status"), server_default="draft")
    currency: Mapped[str] = mapped_column(String(3))
    issued_at: Mapped[datetime | None]
    due_on: Mapped[date | None] = mapped_column(Date)
    subtotal: Mapped[Money]
    tax_total: Mapped[Money]
    total: Mapped[Money]
    written_off_at: Mapped[datetime | None]

    __table_args__ = (
        UniqueConstraint("tenant_id", "invoice_number"),
        CheckConstraint("total = subtotal + tax_total", name="total_is_subtotal_plus_tax"),
        CheckConstraint("tax_total >= 0", name="tax_nonnegative"),
        CheckConstraint("status = 'draft' OR issued_at IS NOT NULL", name="issued_has_date"),
    )


class InvoiceLine(IdMixin, TenantMixin, Base):
    """One itemised charge with its tax."""

    __tablename__ = "invoice_lines"

    invoice_id: Mapped[int] = fk("invoices.id", ondelete="CASCADE")
    order_line_id: Mapped[int | None] = fk("order_lines.id", nullable=True, ondelete="SET NULL", index=False)
    line_no: Mapped[int] = mapped_column(SmallInteger)
    description: Mapped[str] = mapped_column(String(300))
    kind: Mapped[str] = mapped_column(String(16))
    quantity: Mapped[Quantity]
    unit_price: Mapped[Money]
    tax_rate_pct: Mapped[Decimal] = mapped_column(Numeric(6, 3))
    net_amount: Mapped[Money]
    tax_amount: Mapped[Money]
    total_amount: Mapped[Money]

    __table_args__ = (
        UniqueConstraint("invoice_id", "line_no"),
        CheckConstraint("total_amount = net_amount + tax_amount", name="total_is_net_plus_tax"),
        CheckConstraint("net_amount = round(quantity * unit_price, 2)", name="net_is_quantity_times_price"),
    )


class Payment(IdMixin, TenantMixin, TimestampMixin, Base):
    """Money received against an invoice; idempotent by key."""

    __tablename__ = "payments"
    not_found: ClassVar[str] = N_("Payment {payment} does not exist.")  # what uow.get says when there is none

    invoice_id: Mapped[int] = fk("invoices.id")
    customer_id: Mapped[int] = fk("customers.id", index=False)
    method: Mapped[PaymentMethod] = mapped_column(str_enum(PaymentMethod, "payment_method"))
    status: Mapped[PaymentStatus] = mapped_column(str_enum(PaymentStatus, "payment_status"), server_default="succeeded")
    provider: Mapped[str | None] = mapped_column(String(32))
    provider_reference: Mapped[str | None] = mapped_column(String(128))
    idempotency_key: Mapped[str] = mapped_column(String(128))
    amount: Mapped[Money]
    refunded_amount: Mapped[Money] = mapped_column(Numeric(12, 2), server_default="0")
    received_at: Mapped[datetime]
    bank_account_id: Mapped[int | None] = fk("bank_accounts.id", nullable=True, index=False)

    __table_args__ = (
        UniqueConstraint("tenant_id", "idempotency_key"),
        CheckConstraint("amount > 0", name="amount_positive"),
        CheckConstraint("refunded_amount >= 0 AND refunded_amount <= amount", name="refunds_within_amount"),
    )


class PaymentProvider(IdMixin, TenantMixin, TimestampMixin, Base):
    """A company's own online-payment account (Stripe): its keys, encrypted at rest; staff only."""

    __tablename__ = "payment_providers"

    provider: Mapped[str] = mapped_column(String(32))
    secret_key_encrypted: Mapped[bytes] = mapped_column(LargeBinary)
    webhook_secret_encrypted: Mapped[bytes] = mapped_column(LargeBinary)
    key_hint: Mapped[str] = mapped_column(String(32))  # "sk_live_…4242": enough to recognise, never to use
    is_active: Mapped[bool] = mapped_column(Boolean, server_default="true")

    __table_args__ = (
        UniqueConstraint("tenant_id", "provider"),
        CheckConstraint("provider IN ('stripe')", name="provider_known"),
    )


class Refund(IdMixin, TenantMixin, Base):
    """Money returned against a payment (partial or full)."""

    __tablename__ = "refunds"
    not_found: ClassVar[str] = N_("Refund {refund} does not exist.")  # what uow.get says when there is none

    payment_id: Mapped[int] = fk("payments.id")
    amount: Mapped[Money]
    reason: Mapped[str] = mapped_column(Text)
    provider_reference: Mapped[str | None] = mapped_column(String(128))
    idempotency_key: Mapped[str] = mapped_column(String(128))
    credit_note_id: Mapped[int | None] = fk("credit_notes.id", nullable=True, index=False)
    refunded_at: Mapped[datetime]
    created_by: Mapped[int | None] = fk("users.id", nullable=True, ondelete="SET NULL", index=False)

    __table_args__ = (
        UniqueConstraint("tenant_id", "idempotency_key"),
        CheckConstraint("amount > 0", name="amount_positive"),
    )


class CreditNote(IdMixin, TenantMixin, Base):
    """A credit note reducing what a customer owes on an invoice."""

    __tablename__ = "credit_notes"

    credit_note_number: Mapped[str] = mapped_column(String(32))
    invoice_id: Mapped[int] = fk("invoices.id")
    amount: Mapped[Money]
    reason: Mapped[str] = mapped_column(Text)
    issued_at: Mapped[datetime]

    __table_args__ = (
        UniqueConstraint("tenant_id", "credit_note_number"),
        CheckConstraint("amount > 0", name="amount_positive"),
    )


class BankAccount(IdMixin, TenantMixin, TimestampMixin, Base):
    """A bank account (or the cash drawer) money goes into and out of."""

    __tablename__ = "bank_accounts"

    name: Mapped[str] = mapped_column(String(100))
    iban: Mapped[str | None] = mapped_column(String(64))
    currency: Mapped[str] = mapped_column(String(3))
    is_cash_drawer: Mapped[bool] = mapped_column(Boolean, server_default="false")


class ExpenseCategory(IdMixin, TenantMixin, Base):
    """A category of spending (rent, fuel, parts, salaries)."""

    __tablename__ = "expense_categories"

    name: Mapped[str] = mapped_column(String(100))

    __table_args__ = (UniqueConstraint("tenant_id", "name"),)


class Expense(IdMixin, TenantMixin, TimestampMixin, Base):
    """Money the company spends; unpaid expenses with a due date are payables."""

    __tablename__ = "expenses"

    category_id: Mapped[int] = fk("expense_categories.id")
    supplier_id: Mapped[int | None] = fk("suppliers.id", nullable=True, ondelete="SET NULL", index=False)
    bank_account_id: Mapped[int | None] = fk("bank_accounts.id", nullable=True, index=False)
    description: Mapped[str] = mapped_column(Text)
    amount: Mapped[Money]
    incurred_on: Mapped[date] = mapped_column(Date)
    due_on: Mapped[date | None] = mapped_column(Date)
    paid_at: Mapped[datetime | None]

    __table_args__ = (CheckConstraint("amount > 0", name="amount_positive"),)
