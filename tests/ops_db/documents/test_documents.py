"""Every document in every language and format: rendered for real, read back (PDF text, DOCX paragraphs and
tables, XLSX cells), and the key fields are really there: numbers, totals, names in Cyrillic and Chinese."""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest
from docx import Document as DocxFile
from sqlalchemy import text

from ops_db import i18n
from ops_db.billing import service as billing
from ops_db.customers.schemas import CustomerIn
from ops_db.documents.kinds import BUILDERS
from ops_db.documents.render import build, default_template, render
from ops_db.inventory import service as inventory
from ops_db.inventory.schemas import PurchaseLineIn
from ops_db.kit.errors import NotFound, PermissionDenied, ValidationError
from ops_db.orders import service as orders
from tests.conftest import Shop
from tests.ops_db.documents.test_receipts import pdf_text

CUSTOMER = "Зоя Иванова 王伟"
TITLES = {"en": "Invoice", "ru": "Счёт", "pt_BR": "Fatura", "zh_CN": "发票"}


@dataclass(frozen=True)
class Papers:
    """One record of every kind a document is made from."""

    order_id: int
    invoice_id: int
    refund_id: int
    warranty_id: int
    purchase_order_id: int

    def record(self, kind: str) -> int:
        return {
            "invoice": self.invoice_id,
            "refund_note": self.refund_id,
            "warranty_certificate": self.warranty_id,
            "purchase_order": self.purchase_order_id,
        }.get(kind, self.order_id)


def _papers(shop: Shop) -> Papers:
    with shop.uow() as uow:
        maker = uow.session.execute(
            text(
                "INSERT INTO manufacturers (tenant_id, name) VALUES "
                "(current_setting('app.tenant_id')::bigint, 'Fairphone') RETURNING id"
            )
        ).scalar()
        model = uow.session.execute(
            text(
                "INSERT INTO equipment_models (tenant_id, manufacturer_id, name, category) VALUES "
                "(current_setting('app.tenant_id')::bigint, :m, 'Fairphone 5', 'phone') RETURNING id"
            ),
            {"m": maker},
        ).scalar()
        location = uow.session.execute(text("SELECT id FROM stock_locations WHERE code = 'WH1'")).scalar_one()
        supplier = uow.session.execute(
            text(
                "INSERT INTO suppliers (tenant_id, name, email) VALUES "
                "(current_setting('app.tenant_id')::bigint, 'Запчасти ООО', "
                "'sales@parts.example') RETURNING id"
            )
        ).scalar_one()
        uow.commit()
    part = inventory.create_part(shop.uow(), "SCR-5", "Экран 屏幕", unit_cost="40", sale_price="90")
    inventory.adjust(shop.uow(), part.id, location, 5, "initial count")
    receipt = orders.register_intake(
        shop.uow(),
        orders.IntakeIn(
            customer=CustomerIn(name=CUSTOMER, email="zoya@example.com", phone="+7 900 000 00 00"),
            problem_description="Экран не включается; 屏幕不亮",
            model_id=model,
            serial_number="FP5-0001",
            manufacturer_warranty_until=date.today() + timedelta(days=365),
        ),
    )
    order_id = receipt.order_id
    orders.transition(shop.uow(), order_id, "diagnostics")
    orders.add_line(shop.uow(), order_id, orders.LineIn(kind="part", part_id=part.id))
    orders.add_line(
        shop.uow(), order_id, orders.LineIn(kind="labour", description="Замена экрана", unit_price=Decimal("25"))
    )
    orders.send_estimate(shop.uow(), order_id)
    orders.decide_estimate(shop.uow(), order_id, True, tracking_code=receipt.tracking_code)
    inventory.consume(shop.uow(), inventory.reserve(shop.uow(), order_id, part.id, 1).id)
    for stage in ("quality_check", "ready"):
        orders.transition(shop.uow(), order_id, stage)
    invoice = billing.create_invoice(shop.uow(), order_id)
    payment = billing.record_payment(shop.uow(), invoice.id, "126.50", "card", "pay-1")
    refund = billing.refund(shop.uow(), payment.id, "10.00", "Скидка за ожидание", "refund-1")
    orders.sign_off(shop.uow(), order_id, "release", CUSTOMER)
    purchase = inventory.create_purchase_order(shop.uow(), supplier, location, [PurchaseLineIn(part.id, 3, "38.50")])
    with shop.uow() as uow:
        warranty = uow.session.execute(text("SELECT id FROM warranties ORDER BY id LIMIT 1")).scalar_one()
    return Papers(order_id, invoice.id, refund.id, warranty, purchase.id)


def _docx_text(data: bytes) -> str:
    doc = DocxFile(io.BytesIO(data))
    cells = [cell.text for table in doc.tables for row in table.rows for cell in row.cells]
    return "\n".join([p.text for p in doc.paragraphs] + cells)


def _xlsx_text(data: bytes) -> str:
    sheet = openpyxl.load_workbook(io.BytesIO(data)).active
    return "\n".join(str(v) for row in sheet.iter_rows(values_only=True) for v in row if v is not None)


@pytest.mark.parametrize("locale", i18n.LOCALES)
def test_every_document_in_every_format_holds_its_key_fields(shop: Shop, locale: str) -> None:
    papers = _papers(shop)
    for kind in BUILDERS:
        document = build(shop.uow(), kind, papers.record(kind), locale)
        expected = [document.number, document.title, "Acme Repairs"] + [value for _, value in document.totals]
        if kind != "purchase_order":
            expected.append(CUSTOMER)
        if kind == "purchase_order":
            expected += ["Запчасти ООО", "Экран 屏幕"]
        for fmt, read in (("pdf", pdf_text), ("docx", _docx_text), ("xlsx", _xlsx_text)):
            shown = read(render(shop.uow(), kind, papers.record(kind), fmt, locale))
            for value in expected:
                assert value in shown, (kind, fmt, value)
    invoice = build(shop.uow(), "invoice", papers.invoice_id, locale)
    assert invoice.title.startswith(TITLES[locale])
    assert dict(invoice.totals)[i18n.gettext_for(locale)("Total")] == i18n.money(Decimal("126.50"), "USD", locale)


def test_catalogs_translate_every_message_the_documents_use() -> None:
    used = i18n.source_messages()
    assert len(used) > 100
    for locale in i18n.LOCALES:
        assert i18n.untranslated(locale, used) == [], locale


def test_the_invoice_breaks_tax_down_and_says_what_is_due(shop: Shop) -> None:
    papers = _papers(shop)
    document = build(shop.uow(), "invoice", papers.invoice_id, "en")
    breakdown = next(g for g in document.grids if g.heading == "Tax breakdown")
    assert breakdown.rows == [["10 %", "$115.00", "$11.50"]]
    assert dict(document.totals) == {
        "Subtotal": "$115.00",
        "Tax": "$11.50",
        "Total": "$126.50",
        "Paid": "$116.50",
        "Amount due": "$10.00",
    }


def test_a_shops_own_docx_template_is_used(shop: Shop, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from ops_db.settings import get_settings

    papers = _papers(shop)
    folder = tmp_path / "templates" / "acme"
    folder.mkdir(parents=True)
    own = DocxFile(io.BytesIO(default_template()))
    own.add_paragraph("Thank you for choosing {{ brand.name }}!")
    own.save(str(folder / "invoice.docx"))
    monkeypatch.setenv("REPAIROPS_DATA_DIR", str(tmp_path))
    get_settings.cache_clear()
    try:
        shown = _docx_text(render(shop.uow(), "invoice", papers.invoice_id, "docx", "en"))
        other = _docx_text(render(shop.uow(), "estimate", papers.order_id, "docx", "en"))
    finally:
        get_settings.cache_clear()
    assert "Thank you for choosing Acme Repairs!" in shown
    assert "Thank you for choosing" not in other


def test_bad_requests_are_one_sentence(shop: Shop) -> None:
    papers = _papers(shop)
    for kind, record, fmt, locale, error, message in (
        ("receipt", papers.order_id, "pdf", "en", ValidationError, "no document called"),
        ("invoice", papers.invoice_id, "odt", "en", ValidationError, "format must be one of"),
        ("invoice", papers.invoice_id, "pdf", "fr", ValidationError, "language must be one of"),
        ("invoice", -1, "pdf", "en", ValidationError, "positive whole number"),
        ("invoice", papers.invoice_id + 999, "pdf", "en", NotFound, "does not exist"),
        ("purchase_order", papers.purchase_order_id + 999, "pdf", "en", NotFound, "does not exist"),
    ):
        with pytest.raises(error, match=message):
            render(shop.uow(), kind, record, fmt, locale)
    with pytest.raises(PermissionDenied):
        render(shop.uow(shop.person("technician")), "invoice", papers.invoice_id, "pdf", "en")
    assert render(shop.uow(), "invoice", papers.invoice_id, "pdf", "pt-br").startswith(b"%PDF")
