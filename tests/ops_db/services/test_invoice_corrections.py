"""Correcting an issued invoice: void (only while nothing is paid; the order can be invoiced again), credit
notes and write-offs; due dates are the company's days, not UTC's."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import text

from ops_db.billing import service as billing
from ops_db.kit.errors import Conflict, PermissionDenied, ValidationError
from ops_db.kit.uow import UnitOfWork
from tests.api.test_stripe import _invoice
from tests.conftest import Shop


def _status(shop: Shop, invoice_id: int) -> str:
    with shop.uow() as uow:
        return str(uow.session.execute(text("SELECT status FROM invoices WHERE id = :i"), {"i": invoice_id}).scalar())


def test_an_invoice_issued_in_error_is_voided_and_its_order_invoiced_again(shop: Shop) -> None:
    _customer, invoice_id = _invoice(shop)
    finance = shop.person("finance")
    with pytest.raises(PermissionDenied):
        billing.void_invoice(shop.uow(shop.person("front_desk")), invoice_id, "typo")
    with pytest.raises(ValidationError, match="Say why the invoice is voided"):
        billing.void_invoice(shop.uow(finance), invoice_id, "  ")
    payment = billing.record_payment(shop.uow(), invoice_id, "10.00", "cash", "v-1")
    with pytest.raises(Conflict, match=r"10\.00 is paid on invoice .*; refund it before voiding"):
        billing.void_invoice(shop.uow(finance), invoice_id, "wrong customer")
    billing.refund(shop.uow(finance), payment.id, "10.00", "wrong customer", "v-r-1")
    assert billing.void_invoice(shop.uow(finance), invoice_id, "wrong customer").status.value == "void"
    with pytest.raises(Conflict, match="is void; it cannot be voided"):
        billing.void_invoice(shop.uow(finance), invoice_id, "again")
    with shop.uow() as uow:
        order_id = uow.session.execute(
            text("SELECT order_id FROM invoices WHERE id = :i"), {"i": invoice_id}
        ).scalar_one()
        reason = uow.session.execute(
            text("SELECT after->>'reason' FROM audit_log WHERE action = 'invoice.void'")
        ).scalar_one()
    assert reason == "wrong customer"
    again = billing.create_invoice(shop.uow(), order_id)
    assert again.id != invoice_id and _status(shop, invoice_id) == "void"


def test_credit_notes_and_write_offs_settle_what_is_owed(shop: Shop) -> None:
    _customer, invoice_id = _invoice(shop)  # 110.00
    finance = shop.person("finance")
    billing.issue_credit_note(shop.uow(finance), invoice_id, "10.00", "late")
    billing.record_payment(shop.uow(), invoice_id, "50.00", "cash", "c-1")
    assert _status(shop, invoice_id) == "partially_paid"
    billing.write_off(shop.uow(finance), invoice_id, "customer moved away")
    assert _status(shop, invoice_id) == "written_off"


def test_the_due_date_is_the_companys_day(shop: Shop) -> None:
    with shop.uow() as uow:
        uow.session.execute(text("UPDATE tenants SET time_zone = 'Pacific/Auckland'"))
        uow.commit()
    _customer, invoice_id = _invoice(shop)
    with shop.uow() as uow:
        issued, due = (
            uow.session.execute(text("SELECT issued_at, due_on FROM invoices WHERE id = :i"), {"i": invoice_id})
            .tuples()
            .one()
        )
    assert due == issued.astimezone(ZoneInfo("Pacific/Auckland")).date() + timedelta(days=14)
    with shop.uow() as uow:
        uow.session.execute(text("UPDATE invoices SET due_on = '2026-12-04' WHERE id = :i"), {"i": invoice_id})
        uow.commit()
    late_evening = datetime(2026, 12, 4, 23, 30, tzinfo=UTC)  # still 4 December in UTC, already the 5th there

    class Clock(UnitOfWork):
        def now(self) -> datetime:
            return late_evening

    [row] = [r for r in billing.receivables(Clock(shop.engine, shop.system())) if r["id"] == invoice_id]
    assert Decimal(row["due"]) == Decimal("110.00") and (row["days_overdue"], row["bucket"]) == (1, "1-30")
