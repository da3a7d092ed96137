"""The intake receipt and reports: real PDFs whose text holds the key fields, in Cyrillic, accents and Chinese."""

from __future__ import annotations

import io

import pytest
from pypdf import PdfReader

from ops_db.customers.schemas import CustomerIn
from ops_db.customers.service import create_customer
from ops_db.documents.pdf import Brand, TableSection, report_pdf
from ops_db.documents.receipts import intake_receipt
from ops_db.kit.errors import NotFound
from ops_db.orders import service as orders
from tests.conftest import Shop


def pdf_text(data: bytes) -> str:
    """Every page's text, as a PDF reader extracts it (so the glyphs are really there, not just bytes)."""
    reader = PdfReader(io.BytesIO(data))
    return "\n".join(page.extract_text() for page in reader.pages)


def _intake(shop: Shop) -> tuple[int, orders.Receipt]:
    customer = create_customer(shop.uow(), CustomerIn(name="Зоя Иванова", email="zoya@example.com", phone="+7 900 1"))
    return customer.id, orders.register_intake(
        shop.uow(),
        orders.IntakeIn(
            customer=None,
            customer_id=customer.id,
            problem_description="Tela não liga após queda; 屏幕不亮",
            priority="high",
        ),
    )


def test_intake_receipt_holds_the_number_code_customer_and_problem(shop: Shop) -> None:
    _, receipt = _intake(shop)
    data = intake_receipt(shop.uow(shop.person("front_desk")), receipt.order_id)
    assert data.startswith(b"%PDF-")
    text = pdf_text(data)
    for expected in (
        "Acme Repairs",
        f"Intake receipt {receipt.order_number}",
        receipt.tracking_code,
        "Зоя Иванова",
        "Tela não liga após queda; 屏幕不亮",
        "high",
        "Customer signature",
    ):
        assert expected in text


def test_intake_receipt_is_for_those_who_may_see_the_order(shop: Shop) -> None:
    customer_id, receipt = _intake(shop)
    own = shop.person("customer", customer_id=customer_id)
    assert "Зоя Иванова" in pdf_text(intake_receipt(shop.uow(own), receipt.order_id))
    stranger = create_customer(shop.uow(), CustomerIn(name="Other Person", email="other@example.com"))
    with pytest.raises(NotFound):
        intake_receipt(shop.uow(shop.person("customer", customer_id=stranger.id)), receipt.order_id)
    with pytest.raises(NotFound):
        intake_receipt(shop.uow(), receipt.order_id + 10_000)


def test_report_pdf_lists_each_table_and_says_what_it_left_out() -> None:
    wide = TableSection("Wide", [f"c{i}" for i in range(14)], [list(range(14))] * 3)
    empty = TableSection("Nothing here", ["a"], [])
    text = pdf_text(report_pdf(Brand("Ремонт & Co 维修"), "Finance", "Period 2026-01 to 2026-11", [wide, empty]))
    assert "Ремонт & Co 维修" in text and "Period 2026-01 to 2026-11" in text
    assert "First 10 of 14 columns" in text and "No rows." in text
    assert "c9" in text and "c10" not in text
