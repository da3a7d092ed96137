"""Documents sent by email: the customer's in their language with the PDF attached, the purchase order to its
supplier; delivered through the outbox to a real SMTP server on loopback, and the attached PDF read back."""

from __future__ import annotations

import io
from email.header import decode_header, make_header
from email.message import Message

import pytest
from pypdf import PdfReader
from sqlalchemy import text

from ops_db.comms.delivery import SmtpEmailSender, deliver_due
from ops_db.customers.service import set_preferences
from ops_db.documents.send import send_document
from ops_db.kit.db import admin_engine
from ops_db.kit.errors import PermissionDenied, ValidationError
from tests.conftest import Inbox, Shop
from tests.ops_db.documents.test_documents import CUSTOMER, _papers


def _words(header: str) -> str:
    return str(make_header(decode_header(header)))


def _pdf_of(email: Message) -> tuple[str, str]:
    [part] = [p for p in email.walk() if p.get_content_type() == "application/pdf"]
    payload = part.get_payload(decode=True)
    assert isinstance(payload, bytes)  # a single part decodes to bytes
    pages = PdfReader(io.BytesIO(payload)).pages
    return str(part.get_filename()), "\n".join(page.extract_text() for page in pages)


def _documents(inbox: Inbox) -> list[Message]:
    """The emails that carry a document (the repair's own notifications arrive too)."""
    return [m for m in inbox.messages if any(p.get_content_type() == "application/pdf" for p in m.walk())]


def _deliver(shop: Shop, port: int) -> None:
    report = deliver_due(shop.engine, [shop.tenant_id], {"email": SmtpEmailSender("127.0.0.1", port)})
    assert report.failed == 0, report.errors


def test_an_invoice_reaches_the_customer_in_their_language_as_an_attached_pdf(
    shop: Shop, smtp: tuple[Inbox, int]
) -> None:
    inbox, port = smtp
    papers = _papers(shop)
    with shop.uow() as uow:
        customer_id = uow.session.execute(
            text("SELECT customer_id FROM invoices WHERE id = :i"), {"i": papers.invoice_id}
        ).scalar_one()
    set_preferences(shop.uow(), customer_id, channel="sms", language="ru")  # documents still go by email
    finance = shop.person("finance")
    send_document(shop.uow(finance), "invoice", papers.invoice_id)
    _deliver(shop, port)
    [email] = _documents(inbox)
    assert email["To"] == "zoya@example.com" and _words(email["From"]).startswith("Acme Repairs")
    with admin_engine(shop.url).connect() as conn:
        number = conn.execute(text("SELECT invoice_number FROM invoices")).scalar_one()
    assert _words(email["Subject"]) == f"Счёт {number} · Acme Repairs"
    payload = next(p for p in email.walk() if p.get_content_type() == "text/plain").get_payload(decode=True)
    assert isinstance(payload, bytes)
    body = payload.decode()
    assert body.startswith(f"Здравствуйте, {CUSTOMER}")
    filename, pdf = _pdf_of(email)
    assert filename == f"invoice-{number}.pdf"
    assert f"Счёт {number}" in pdf and "Зоя Иванова" in pdf and "126,50" in pdf


def test_a_purchase_order_goes_to_its_supplier_and_a_work_order_in_the_chosen_language(
    shop: Shop, smtp: tuple[Inbox, int]
) -> None:
    inbox, port = smtp
    papers = _papers(shop)
    inventory_clerk = shop.person("inventory")
    send_document(shop.uow(inventory_clerk), "purchase_order", papers.purchase_order_id)
    send_document(shop.uow(shop.person("front_desk")), "work_order", papers.order_id, locale="zh_CN")
    _deliver(shop, port)
    by_address = {m["To"]: m for m in _documents(inbox)}
    assert set(by_address) == {"sales@parts.example", "zoya@example.com"}
    _name, po = _pdf_of(by_address["sales@parts.example"])
    assert "Запчасти ООО" in po and "SCR-5" in po
    _name, work = _pdf_of(by_address["zoya@example.com"])
    assert "工单" in _words(by_address["zoya@example.com"]["Subject"]) and "FP5-0001" in work
    with admin_engine(shop.url).connect() as conn:
        audited = (
            conn.execute(text("SELECT after->>'kind' FROM audit_log WHERE action = 'document.sent' ORDER BY id"))
            .scalars()
            .all()
        )
    assert audited == ["purchase_order", "work_order"]


def test_a_document_without_an_address_or_for_the_wrong_person_is_one_sentence_and_sends_nothing(shop: Shop) -> None:
    papers = _papers(shop)
    with shop.uow() as uow:
        uow.session.execute(text("UPDATE customers SET email = NULL"))
        uow.commit()
    with pytest.raises(ValidationError, match=r"has no email address; add one, or print the document\."):
        send_document(shop.uow(shop.person("front_desk")), "invoice", papers.invoice_id)
    with pytest.raises(PermissionDenied):  # the inventory clerk may not read invoices
        send_document(shop.uow(shop.person("inventory")), "invoice", papers.invoice_id)
    with pytest.raises(ValidationError, match="There is no document called"):
        send_document(shop.uow(), "love_letter", papers.invoice_id)
    with admin_engine(shop.url).connect() as conn:
        assert (
            conn.execute(text("SELECT count(*) FROM notification_outbox WHERE event = 'document_sent'")).scalar() == 0
        )
