"""Billing: invoices from orders, idempotent payments, refunds within what was paid, credit notes, receivables."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, select, text

from ops_db import i18n
from ops_db.billing.models import (
    CreditNote,
    Invoice,
    InvoiceLine,
    InvoiceStatus,
    Payment,
    PaymentMethod,
    PaymentStatus,
    Refund,
    TaxRate,
)
from ops_db.billing.schemas import InvoiceDetail, InvoiceLineRow, InvoiceRow
from ops_db.comms.service import notify_customer
from ops_db.i18n import N_, Word
from ops_db.identity.models import Tenant
from ops_db.kit import bounds
from ops_db.kit.errors import Conflict, ValidationError, not_found
from ops_db.kit.numbers import next_number
from ops_db.kit.uow import UnitOfWork
from ops_db.orders.events import OrderInvoiced
from ops_db.orders.models import EventType, OrderLine, ServiceOrder, Stage
from ops_db.orders.service import line_amounts, load_order, record_event

CENT = Decimal("0.01")


def _amount(value: Any, what: str = N_("amount")) -> Decimal:
    """A positive amount of money with at most two decimals, or one sentence saying what is wrong."""
    return bounds.money(value, what, positive=True, exact=True)


def _key(value: str | None) -> str:
    key = (value or "").strip()
    if not key or len(key) > 128:
        raise ValidationError("Give an idempotency key of 1 to 128 characters.")
    return key


def create_invoice(uow: UnitOfWork, order_id: int, *, due_days: int = 14) -> Invoice:
    """Issue an itemized invoice for an order's lines with their tax rates; one live invoice per order."""
    with uow:
        uow.actor.require("billing.invoice")
        if not 0 <= due_days <= 365:
            raise ValidationError("Payment terms must be between 0 and 365 days.")
        order = load_order(uow, order_id, lock=True)
        if order.stage == Stage.CANCELLED:
            raise Conflict("Order {number} is cancelled; there is nothing to invoice.", number=order.order_number)
        existing = uow.session.execute(
            select(Invoice.invoice_number).where(Invoice.order_id == order.id, Invoice.status != InvoiceStatus.VOID)
        ).scalar()
        if existing is not None:
            raise Conflict(
                "Order {number} is already invoiced ({invoice}).", number=order.order_number, invoice=existing
            )
        lines = (
            uow.session.execute(select(OrderLine).where(OrderLine.order_id == order.id).order_by(OrderLine.line_no))
            .scalars()
            .all()
        )
        if not lines:
            raise Conflict("Order {number} has no lines to invoice.", number=order.order_number)
        tenant = uow.session.get(Tenant, order.tenant_id)
        assert tenant is not None
        now = uow.now()
        invoice = Invoice(
            tenant_id=tenant.id,
            invoice_number=next_number(uow.session, tenant.id, "invoice", tenant.invoice_number_prefix, now),
            order_id=order.id,
            customer_id=order.customer_id,
            status=InvoiceStatus.ISSUED,
            currency=tenant.currency,
            issued_at=now,
            due_on=_local_day(now, tenant) + timedelta(days=due_days),
            subtotal=Decimal(0),
            tax_total=Decimal(0),
            total=Decimal(0),
        )
        uow.session.add(invoice)
        uow.flush()
        subtotal = tax = Decimal(0)
        for i, line in enumerate(lines, 1):
            net, line_tax = line_amounts(line)
            uow.session.add(
                InvoiceLine(
                    tenant_id=tenant.id,
                    invoice_id=invoice.id,
                    order_line_id=line.id,
                    line_no=i,
                    description=line.description,
                    kind=line.kind.value,
                    quantity=line.quantity,
                    unit_price=line.unit_price,
                    tax_rate_pct=line.tax_rate_pct,
                    net_amount=net,
                    tax_amount=line_tax,
                    total_amount=net + line_tax,
                )
            )
            subtotal, tax = subtotal + net, tax + line_tax
        if subtotal + tax < 0 or tax < 0:
            raise Conflict("Discounts exceed the charges; the invoice would be negative.")
        invoice.subtotal, invoice.tax_total, invoice.total = subtotal, tax, subtotal + tax
        if invoice.total == 0:
            invoice.status = InvoiceStatus.PAID
        record_event(
            uow, order, EventType.INVOICED, {"invoice_number": invoice.invoice_number, "total": str(invoice.total)}
        )
        uow.publish(OrderInvoiced(order.id, now))  # parts still held for it are used or let go (ops_db.wiring)
        uow.audit(
            "invoice.create",
            "invoices",
            invoice.id,
            after={"number": invoice.invoice_number, "subtotal": subtotal, "tax": tax, "total": invoice.total},
        )
        uow.commit()
        return invoice


def _local_day(moment: datetime, tenant: Tenant) -> date:
    """The calendar day at the company at ``moment`` (due dates and aging are the company's days, not UTC's)."""
    return moment.astimezone(ZoneInfo(tenant.time_zone)).date()


def _invoice(uow: UnitOfWork, invoice_id: int, *, lock: bool = False) -> Invoice:
    invoice = uow.get(Invoice, invoice_id, lock=lock)
    return invoice


def balance(uow: UnitOfWork, invoice: Invoice) -> dict[str, Decimal]:
    """What was paid (net of refunds), credited, and what is still owed on an invoice."""
    paid = uow.session.execute(
        select(func.coalesce(func.sum(Payment.amount - Payment.refunded_amount), 0)).where(
            Payment.invoice_id == invoice.id, Payment.status == PaymentStatus.SUCCEEDED
        )
    ).scalar_one()
    credited = uow.session.execute(
        select(func.coalesce(func.sum(CreditNote.amount), 0)).where(CreditNote.invoice_id == invoice.id)
    ).scalar_one()
    due = invoice.total - Decimal(credited) - Decimal(paid)
    return {"paid": Decimal(paid), "credited": Decimal(credited), "due": max(due, Decimal(0))}


def _settle_status(uow: UnitOfWork, invoice: Invoice) -> None:
    if invoice.status in (InvoiceStatus.VOID, InvoiceStatus.WRITTEN_OFF, InvoiceStatus.DRAFT):
        return
    b = balance(uow, invoice)
    if b["due"] == 0:
        invoice.status = InvoiceStatus.PAID
    elif b["paid"] > 0 or b["credited"] > 0:
        invoice.status = InvoiceStatus.PARTIALLY_PAID
    else:
        invoice.status = InvoiceStatus.ISSUED


def record_payment(
    uow: UnitOfWork,
    invoice_id: int,
    amount: Any,
    method: str,
    idempotency_key: str,
    *,
    provider: str | None = None,
    provider_reference: str | None = None,
) -> Payment:
    """Record money received; the same idempotency key always yields the one payment recorded first."""
    with uow:
        actor = uow.actor
        actor.require("billing.pay")
        key = _key(idempotency_key)
        value = _amount(amount)
        try:
            pay_method = PaymentMethod(method)
        except ValueError:
            raise ValidationError(
                "The method must be one of: {choices}.", choices=", ".join(m.value for m in PaymentMethod)
            ) from None
        invoice = _invoice(uow, invoice_id, lock=True)  # serialises payments on one invoice
        if actor.is_customer and invoice.customer_id != actor.customer_id:
            raise not_found(Invoice, invoice_id)  # another customer's invoice reads like none
        existing = uow.session.execute(select(Payment).where(Payment.idempotency_key == key)).scalar_one_or_none()
        if existing is not None:
            if existing.invoice_id != invoice.id or existing.amount != value:
                raise Conflict("That idempotency key was already used for a different payment.")
            return existing
        if invoice.status in (InvoiceStatus.VOID, InvoiceStatus.WRITTEN_OFF, InvoiceStatus.DRAFT):
            raise Conflict(
                "Invoice {invoice} is {status}; it cannot take payments.",
                invoice=invoice.invoice_number,
                status=invoice.status.value,
            )
        due = balance(uow, invoice)["due"]
        if value > due:
            raise Conflict(
                "Invoice {invoice} has {due} left to pay; {amount} is too much.",
                invoice=invoice.invoice_number,
                due=due,
                amount=value,
            )
        now = uow.now()
        payment = Payment(
            tenant_id=invoice.tenant_id,
            invoice_id=invoice.id,
            customer_id=invoice.customer_id,
            method=pay_method,
            status=PaymentStatus.SUCCEEDED,
            provider=provider,
            provider_reference=provider_reference,
            idempotency_key=key,
            amount=value,
            received_at=now,
        )
        uow.session.add(payment)
        uow.flush()
        _settle_status(uow, invoice)
        order = uow.session.get(ServiceOrder, invoice.order_id) if invoice.order_id else None
        if order is not None:
            record_event(uow, order, EventType.PAYMENT_RECEIVED, {"amount": str(value), "payment_id": payment.id})
        notify_customer(
            uow,
            "payment_received",
            invoice.customer_id,
            {"amount": i18n.Money(value, invoice.currency), "invoice_number": invoice.invoice_number},
            order_id=invoice.order_id,
            dedupe_key=f"payment_received:{payment.id}",
        )
        uow.audit(
            "payment.record",
            "payments",
            payment.id,
            after={"invoice_id": invoice.id, "amount": value, "method": pay_method, "key": key},
        )
        uow.commit()
        return payment


@dataclass(frozen=True)
class RefundAsked:
    """A refund request that passed every check, with the payment it is against."""

    payment: Payment
    amount: Decimal
    reason: str
    key: str
    already: Refund | None  # the same request, already recorded (a retry)


def check_refund(uow: UnitOfWork, payment_id: int, amount: Any, reason: str, idempotency_key: str) -> RefundAsked:
    """Inside an open unit: the checks a refund must pass (permission, amount, reason, key, never more than
    what remains), with the payment locked. Online refunds run them before asking the provider, so the
    provider never returns money the books would then refuse to record."""
    uow.actor.require("billing.refund")
    key = _key(idempotency_key)
    value = _amount(amount)
    why = bounds.text(reason, N_("reason"), 2000, required=False) or ""
    if not why:
        raise ValidationError("Say why the money is refunded.")
    payment = uow.get(Payment, payment_id, lock=True)
    existing = uow.session.execute(select(Refund).where(Refund.idempotency_key == key)).scalar_one_or_none()
    if existing is not None:
        if existing.payment_id != payment.id or existing.amount != value:
            raise Conflict("That idempotency key was already used for a different refund.")
        return RefundAsked(payment, value, why, key, existing)
    remaining = payment.amount - payment.refunded_amount
    if value > remaining:
        raise Conflict(
            "A refund cannot exceed what was paid: at most {limit} remains of this payment.", limit=remaining
        )
    return RefundAsked(payment, value, why, key, None)


def refund(
    uow: UnitOfWork,
    payment_id: int,
    amount: Any,
    reason: str,
    idempotency_key: str,
    *,
    provider_reference: str | None = None,
) -> Refund:
    """Give money back, partly or fully, never more than what remains of the payment (``provider_reference``:
    the payment provider's id of a refund it has made)."""
    with uow:
        asked = check_refund(uow, payment_id, amount, reason, idempotency_key)
        if asked.already is not None:
            return asked.already
        payment, value, why, key = asked.payment, asked.amount, asked.reason, asked.key
        row = Refund(
            tenant_id=payment.tenant_id,
            payment_id=payment.id,
            amount=value,
            reason=why,
            idempotency_key=key,
            refunded_at=uow.now(),
            created_by=uow.actor.user_id,
            provider_reference=provider_reference,
        )
        uow.session.add(row)
        uow.flush()  # the trigger adds to payments.refunded_amount, capped by its CHECK
        uow.session.refresh(payment)
        invoice = _invoice(uow, payment.invoice_id, lock=True)
        _settle_status(uow, invoice)
        uow.audit("payment.refund", "refunds", row.id, after={"payment_id": payment.id, "amount": value})
        uow.commit()
        return row


def issue_credit_note(uow: UnitOfWork, invoice_id: int, amount: Any, reason: str) -> CreditNote:
    """Reduce what an invoice asks for (goodwill, a wrong charge), never below zero."""
    with uow:
        uow.actor.require("billing.refund")
        value = _amount(amount)
        why = (reason or "").strip()
        if not why:
            raise ValidationError("Say why the credit note is issued.")
        invoice = _invoice(uow, invoice_id, lock=True)
        b = balance(uow, invoice)
        if value > invoice.total - b["credited"]:
            raise Conflict(
                "Credit notes cannot exceed the invoice total; at most {limit}.", limit=invoice.total - b["credited"]
            )
        now = uow.now()
        note = CreditNote(
            tenant_id=invoice.tenant_id,
            credit_note_number=next_number(uow.session, invoice.tenant_id, "credit", "CN", now),
            invoice_id=invoice.id,
            amount=value,
            reason=why,
            issued_at=now,
        )
        uow.session.add(note)
        uow.flush()
        _settle_status(uow, invoice)
        uow.audit("invoice.credit", "credit_notes", note.id, after={"invoice_id": invoice.id, "amount": value})
        uow.commit()
        return note


def write_off(uow: UnitOfWork, invoice_id: int, reason: str) -> Invoice:
    """Give up on collecting what is still owed."""
    with uow:
        uow.actor.require("billing.write_off")
        invoice = _invoice(uow, invoice_id, lock=True)
        if invoice.status not in (InvoiceStatus.ISSUED, InvoiceStatus.PARTIALLY_PAID):
            raise Conflict(
                "Invoice {invoice} is {status}; nothing to write off.",
                invoice=invoice.invoice_number,
                status=invoice.status.value,
            )
        if not (reason or "").strip():
            raise ValidationError("Say why the invoice is written off.")
        invoice.status, invoice.written_off_at = InvoiceStatus.WRITTEN_OFF, uow.now()
        why = bounds.text(reason, N_("reason"), 2000, required=False)
        uow.audit("invoice.write_off", "invoices", invoice.id, after={"reason": why})
        uow.commit()
        return invoice


def void_invoice(uow: UnitOfWork, invoice_id: int, reason: str) -> Invoice:
    """Cancel an invoice issued in error: only while nothing is paid on it (refund first). Its number stays
    used and the record stays, marked void; the order can be invoiced again. Audited with the reason."""
    with uow:
        uow.actor.require("billing.write_off")
        invoice = _invoice(uow, invoice_id, lock=True)
        if invoice.status not in (InvoiceStatus.ISSUED, InvoiceStatus.PARTIALLY_PAID, InvoiceStatus.PAID):
            raise Conflict(
                "Invoice {invoice} is {status}; it cannot be voided.",
                invoice=invoice.invoice_number,
                status=Word(invoice.status.value),
            )
        why = bounds.text(reason, N_("reason"), 2000, required=False) or ""
        if not why:
            raise ValidationError("Say why the invoice is voided.")
        paid = balance(uow, invoice)["paid"]
        if paid > 0:
            raise Conflict(
                "{paid} is paid on invoice {invoice}; refund it before voiding the invoice.",
                paid=paid,
                invoice=invoice.invoice_number,
            )
        before = invoice.status.value
        invoice.status = InvoiceStatus.VOID
        uow.audit(
            "invoice.void",
            "invoices",
            invoice.id,
            before={"status": before},
            after={"status": "void", "reason": why},
        )
        uow.commit()
        return invoice


def invoice_dict(uow: UnitOfWork, invoice: Invoice) -> InvoiceRow:
    """An invoice with its balance."""
    owed = balance(uow, invoice)
    return InvoiceRow(
        id=invoice.id,
        invoice_number=invoice.invoice_number,
        order_id=invoice.order_id,
        customer_id=invoice.customer_id,
        status=invoice.status.value,
        currency=invoice.currency,
        issued_at=invoice.issued_at,
        due_on=invoice.due_on,
        subtotal=invoice.subtotal,
        tax_total=invoice.tax_total,
        total=invoice.total,
        paid=owed["paid"],
        credited=owed["credited"],
        due=owed["due"],
    )


def get_invoice(uow: UnitOfWork, invoice_id: int) -> InvoiceDetail:
    """One invoice with lines and balance."""
    with uow:
        uow.actor.require("billing.read")
        invoice = _invoice(uow, invoice_id)
        lines = [
            InvoiceLineRow(
                line_no=ln.line_no,
                description=ln.description,
                kind=ln.kind,
                quantity=ln.quantity,
                unit_price=ln.unit_price,
                tax_rate_pct=ln.tax_rate_pct,
                net=ln.net_amount,
                tax=ln.tax_amount,
                total=ln.total_amount,
            )
            for ln in uow.session.execute(
                select(InvoiceLine).where(InvoiceLine.invoice_id == invoice.id).order_by(InvoiceLine.line_no)
            ).scalars()
        ]
        return InvoiceDetail(**invoice_dict(uow, invoice), lines=lines)


def list_invoices(
    uow: UnitOfWork, *, status: str | None = None, customer_id: int | None = None, limit: int = 50, offset: int = 0
) -> tuple[list[InvoiceRow], int]:
    """A page of invoices, newest first."""
    limit, offset = bounds.page(limit, offset)
    with uow:
        uow.actor.require("billing.read")
        query = select(Invoice)
        if status:
            try:
                query = query.where(Invoice.status == InvoiceStatus(status))
            except ValueError:
                raise ValidationError(
                    "The status must be one of: {choices}.", choices=", ".join(s.value for s in InvoiceStatus)
                ) from None
        if customer_id is not None:
            query = query.where(Invoice.customer_id == customer_id)
        total = uow.session.execute(select(func.count()).select_from(query.subquery())).scalar_one()
        rows = uow.session.execute(query.order_by(Invoice.id.desc()).limit(limit).offset(offset)).scalars().all()
        return [invoice_dict(uow, i) for i in rows], total


# What is receivable, the one definition of the Billing page and the warehouse's finance_receivables_aging mart
# (tests/dashboards/test_same_numbers.py compares them): every issued invoice (not a draft, void or written off)
# on which something is still owed, whatever its status says: owed = total - what succeeded payments kept
# (refunds give money back, so they are owed again) - credit notes; days past due count from the due date (else
# the local issue day) to the company's day.
def receivables(uow: UnitOfWork, as_of: date | None = None) -> list[dict[str, Any]]:
    """Open invoices with what is owed and the aging bucket (current, 1-30, 31-60, 61-90, 90+ days overdue)."""
    with uow:
        uow.actor.require("billing.read")
        if as_of is None:
            tenant = uow.session.get(Tenant, uow.actor.tenant_id)
            as_of = _local_day(uow.now(), tenant) if tenant is not None else uow.now().date()
        rows = (
            uow.session.execute(
                text(
                    """
            SELECT * FROM (
                SELECT i.id, i.invoice_number, i.customer_id, c.name AS customer, i.due_on, i.total,
                       i.total - COALESCE((SELECT sum(amount - refunded_amount) FROM payments p
                                           WHERE p.invoice_id = i.id AND p.status = 'succeeded'), 0)
                               - COALESCE((SELECT sum(amount) FROM credit_notes n WHERE n.invoice_id = i.id), 0)
                           AS due,
                       GREATEST(:d - coalesce(i.due_on, (i.issued_at AT TIME ZONE t.time_zone)::date), 0)
                           AS days_overdue
                FROM invoices i JOIN customers c ON c.id = i.customer_id JOIN tenants t ON t.id = i.tenant_id
                WHERE i.status NOT IN ('draft', 'void', 'written_off')
            ) owed WHERE owed.due > 0 ORDER BY owed.due_on, owed.id
            """
                ),
                {"d": as_of},
            )
            .mappings()
            .all()
        )
        out = []
        for r in rows:
            days = int(r["days_overdue"])
            bucket = (
                "current"
                if days == 0
                else "1-30"
                if days <= 30
                else "31-60"
                if days <= 60
                else "61-90"
                if days <= 90
                else "90+"
            )
            out.append({**dict(r), "bucket": bucket, "due": Decimal(r["due"]).quantize(CENT, ROUND_HALF_UP)})
        return out


TAX_CODE = re.compile(r"[A-Z0-9][A-Z0-9_-]{0,31}")


def save_tax_rate(
    uow: UnitOfWork,
    code: str,
    name: str,
    rate_pct: Any,
    *,
    is_default: bool | None = None,
    valid_from: date | None = None,
) -> TaxRate:
    """Add a tax rate or change one (by code); ``is_default`` None leaves that as it is. Making a rate the default
    unsets the previous default, so new order lines always get exactly one; lines already written keep the rate
    they were priced with. Audited."""
    with uow:
        uow.actor.require("settings.manage")
        code = (code or "").strip().upper()
        if not TAX_CODE.fullmatch(code):
            raise ValidationError("The tax code must be 1-32 letters, digits, '-' or '_' (e.g. VAT20).")
        name = (name or "").strip()
        if not name or len(name) > 100:
            raise ValidationError("The tax rate needs a name of at most 100 characters.")
        try:
            rate = Decimal(str(rate_pct).strip().replace(",", "."))
        except InvalidOperation:
            raise ValidationError("The tax rate must be a number of percent, such as 20 or 7.5.") from None
        if not rate.is_finite() or not 0 <= rate <= 100 or rate != rate.quantize(Decimal("0.001")):
            raise ValidationError("The tax rate must be between 0 and 100 percent, with at most 3 decimals.")
        existing = uow.session.execute(
            select(TaxRate).where(TaxRate.code == code).with_for_update()
        ).scalar_one_or_none()
        if is_default is None:
            is_default = existing.is_default if existing else False
        if (
            existing is None
            and not is_default
            and uow.session.execute(select(func.count()).select_from(TaxRate)).scalar_one() == 0
        ):
            is_default = True  # the first rate is the default: lines must get one
        if existing is not None and existing.is_default and not is_default:
            raise Conflict("{code} is the default rate; make another rate the default instead.", code=code)
        before = (
            None
            if existing is None
            else {"name": existing.name, "rate_pct": existing.rate_pct, "is_default": existing.is_default}
        )
        if is_default:
            uow.session.execute(
                text("UPDATE tax_rates SET is_default = false WHERE is_default AND code <> :c"), {"c": code}
            )
        rate_row = existing or TaxRate(tenant_id=uow.actor.tenant_id, code=code)
        rate_row.name, rate_row.rate_pct, rate_row.is_default = name, rate, is_default
        rate_row.valid_from = valid_from or (existing.valid_from if existing else uow.now().date())
        uow.session.add(rate_row)
        uow.session.flush()
        uow.audit(
            "tax_rate.saved",
            "tax_rates",
            rate_row.id,
            before=before,
            after={"code": code, "name": name, "rate_pct": rate, "is_default": is_default},
        )
        uow.commit()
        return rate_row
