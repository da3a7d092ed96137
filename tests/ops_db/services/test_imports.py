"""CSV imports of customers, devices and parts: a dry run reports every problem by row and column, an invalid
file writes nothing at all, a valid one writes everything in one transaction."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from ops_db.imports import RowError, describe, import_csv
from ops_db.kit.db import admin_engine
from ops_db.kit.errors import PermissionDenied, ValidationError
from tests.conftest import Shop


def _count(shop: Shop, table: str) -> int:
    with admin_engine(shop.url).connect() as conn:
        return int(conn.execute(text(f"SELECT count(*) FROM {table}")).scalar_one())


CUSTOMERS = (
    "\ufeffName;Email;Phone;Language;City\n"
    "Зоя Иванова;zoya@mail.example;+7 900 111 22 33;ru;Москва\n"
    "王伟;wang@mail.example;;zh_CN;\n"
    "João Silva;;+55 11 91234 5678;pt-BR;São Paulo\n"
).encode()


def test_a_valid_file_imports_every_row_once(shop: Shop) -> None:
    before = _count(shop, "customers")
    dry = import_csv(shop.uow(shop.person("front_desk")), "customers", CUSTOMERS, dry_run=True)
    assert (dry.rows, dry.created, dry.errors, dry.written) == (3, 3, [], False)
    assert _count(shop, "customers") == before  # a dry run writes nothing
    done = import_csv(shop.uow(shop.person("front_desk")), "customers", CUSTOMERS)
    assert (done.created, done.written) == (3, True)
    assert describe(done) == "Imported 3 rows: 3 new, 0 already there."
    again = import_csv(shop.uow(), "customers", CUSTOMERS)
    assert (again.created, again.existing) == (0, 3)  # matched by email or phone
    with admin_engine(shop.url).connect() as conn:
        languages = dict(
            conn.execute(
                text("SELECT c.name, p.language FROM customers c JOIN customer_preferences p ON p.customer_id = c.id")
            ).all()
        )
    assert languages["Зоя Иванова"] == "ru" and languages["João Silva"] == "pt_BR"


def test_one_bad_row_means_nothing_is_written_and_every_problem_is_listed(shop: Shop) -> None:
    parts = (
        b"sku,name,unit_cost,sale_price,warranty_months\n"
        b"SCR-1,Screen,40,90,6\n"
        b"BAT-1,,12,30,6\n"
        b"SCR-1,Screen again,40,90,6\n"
        b"CAM-1,Camera,-5,30,6\n"
        b"KEY-1,Keyboard,10,20,many\n"
    )
    before = _count(shop, "parts")
    report = import_csv(shop.uow(), "parts", parts)
    assert report.errors == [
        RowError(3, "name", "Give a part name of 1 to 200 characters."),
        RowError(4, "sku", "A part with SKU SCR-1 already exists."),
        RowError(5, "unit_cost", "The unit cost cannot be negative."),
        RowError(6, "warranty_months", "'many' is not a whole number of months."),
    ]
    assert not report.written and _count(shop, "parts") == before
    assert describe(report).startswith("4 problems in 5 rows; nothing was written.")


def test_devices_attach_to_existing_customers_and_create_models(shop: Shop) -> None:
    import_csv(shop.uow(), "customers", CUSTOMERS)
    devices = (
        b"customer_email,customer_phone,manufacturer,model,category,serial_number,purchase_date,warranty_until\n"
        b"zoya@mail.example,,Fairphone,Fairphone 5,phone,FP5-1,2026-01-10,2028-01-10\n"
        b",+55 11 91234 5678,Fairphone,fairphone 5,phone,FP5-2,,\n"
        b"nobody@mail.example,,Fairphone,Fairphone 5,phone,FP5-3,,\n"
        b"wang@mail.example,,Fairphone,Fairphone 5,phone,FP5-4,10/01/2026,\n"
    )
    report = import_csv(shop.uow(), "devices", devices)
    assert [(e.row, e.column) for e in report.errors] == [(4, "customer_email"), (5, "purchase_date")]
    assert _count(shop, "equipment") == 0
    fixed = devices.replace(b"nobody@mail.example", b"wang@mail.example").replace(b"10/01/2026", b"2026-01-10")
    report = import_csv(shop.uow(), "devices", fixed.replace(b"FP5-3", b"FP5-9"))
    assert report.written and report.created == 4
    assert _count(shop, "equipment_models") == 1 and _count(shop, "warranties") == 1


def test_bad_files_and_the_wrong_person_are_one_sentence(shop: Shop) -> None:
    for data, message in (
        (b"", "empty"),
        (b"\xff\xfe\x00bad", "not UTF-8"),
        (b"a" * (20 * 1024 * 1024 + 1), "larger than 20 MB"),
    ):
        with pytest.raises(ValidationError, match=message):
            import_csv(shop.uow(), "parts", data)
    with pytest.raises(ValidationError, match="imports customers, devices, parts"):
        import_csv(shop.uow(), "invoices", b"x\n1\n")
    missing = import_csv(shop.uow(), "parts", b"code,name\nA,B\n")
    assert missing.errors == [RowError(1, "sku", "The header has no 'sku' column.")]
    with pytest.raises(PermissionDenied):
        import_csv(shop.uow(shop.person("finance")), "parts", b"sku,name\nA,B\n")
