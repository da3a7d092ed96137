"""Business limits on money and quantities: every service where they enter refuses what is out of bounds with one
sentence and writes nothing, and the database refuses it too when a writer skips the services (migration 0012).
Also: CSV imports with 1e400 and NUL, uploads that reach the disk only when their transaction commits."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import psycopg
import pytest
from sqlalchemy import text

from ops_db import migrate
from ops_db.billing import service as billing
from ops_db.customers.schemas import CustomerIn
from ops_db.customers.service import create_customer
from ops_db.imports import import_csv
from ops_db.inventory import service as inventory
from ops_db.inventory.schemas import PurchaseLineIn
from ops_db.kit import bounds
from ops_db.kit.db import admin_engine
from ops_db.kit.errors import Conflict, ValidationError
from ops_db.orders import service as orders
from ops_db.settings import get_settings
from ops_db.workforce import service as workforce
from ops_db.workforce.schemas import TechnicianIn
from tests.conftest import Shop, conninfo


def _count(shop: Shop, table: str) -> int:
    with admin_engine(shop.url).connect() as conn:
        return int(conn.execute(text(f"SELECT count(*) FROM {table}")).scalar_one())


def _order(shop: Shop) -> orders.Receipt:
    customer = create_customer(shop.uow(), CustomerIn(name="Ana", email="ana@example.com"))
    return orders.register_intake(
        shop.uow(), orders.IntakeIn(customer=None, customer_id=customer.id, problem_description="Cracked screen")
    )


def _line(**given: Any) -> orders.LineIn:
    return orders.LineIn(**{"kind": "labour", "description": "Labour", "unit_price": Decimal("10"), **given})


# ---- the helper -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "sentence"),
    [
        ("1e400", "The amount can be at most 100,000,000.00."),
        (Decimal("1e400"), "The amount can be at most 100,000,000.00."),
        (float("inf"), "The amount must be a number."),
        ("NaN", "The amount must be a number."),
        ("ten", "The amount must be a number."),
        (True, "The amount must be a number."),
        ("-0.01", "The amount cannot be negative."),
        ("100000000.01", "The amount can be at most 100,000,000.00."),
    ],
)
def test_money_out_of_bounds_is_one_sentence(value: object, sentence: str) -> None:
    with pytest.raises(ValidationError) as refused:
        bounds.money(value, "amount")
    assert refused.value.message == sentence


def test_money_and_quantities_inside_the_bounds_come_back_exact() -> None:
    assert bounds.money("100000000", "amount") == Decimal("100000000.00")
    assert bounds.money("12,345", "amount") == Decimal("12.35")  # a comma is a decimal point; rounded half up
    assert bounds.price(" -3.5 ", "unit price", negative=True) == Decimal("-3.50")
    assert bounds.quantity("10000", "quantity") == Decimal("10000")
    assert bounds.quantity("0.001", "quantity") == Decimal("0.001")
    assert bounds.quantity("0", "counted quantity", zero=True, limit=bounds.MAX_STOCK) == 0
    for bad, sentence in (
        ("0", "The quantity must be more than 0."),
        ("10000.001", "The quantity can be at most 10,000."),
        ("0.0001", "The quantity can have at most 3 decimals."),
        ("1e400", "The quantity can be at most 10,000."),
    ):
        with pytest.raises(ValidationError) as refused:
            bounds.quantity(bad, "quantity")
        assert refused.value.message == sentence
    # A line's net (and an order's) is capped on its own: quantity x price alone could reach 10,000,000,000.00.
    # Capped, an order's invoice with 100 % tax still fits an amount, and an amount fits numeric(12,2) 100 times.
    assert bounds.MAX_LINE_TOTAL * 2 < bounds.MAX_AMOUNT < Decimal("9999999999.99")


# ---- every service where money or a quantity enters ------------------------------------------------------------


def test_order_lines_refuse_the_reviews_line_and_every_bound(shop: Shop) -> None:
    receipt = _order(shop)
    refused = {
        "The quantity can be at most 10,000.": _line(quantity=Decimal("100000"), unit_price=Decimal("9999999999.99")),
        "The unit price can be at most 1,000,000.00.": _line(unit_price=Decimal("1000000.01")),
        "The unit cost can be at most 1,000,000.00.": _line(unit_cost=Decimal("1e400")),
        "The unit price must be a number.": _line(unit_price="Infinity"),
        "The quantity must be more than 0.": _line(quantity=Decimal("-1")),
        "A line can come to at most 10,000,000.00; this one comes to 10,000,000,000.00.": _line(
            quantity=Decimal("10000"), unit_price=Decimal("1000000")
        ),
        "The line description contains a NUL character, which cannot be stored.": _line(description="a\x00b"),
    }
    for sentence, line in refused.items():
        with pytest.raises(ValidationError) as error:
            orders.add_line(shop.uow(), receipt.order_id, line)
        assert error.value.message == sentence
    assert _count(shop, "order_lines") == 0
    orders.add_line(shop.uow(), receipt.order_id, _line(quantity=Decimal("10"), unit_price=Decimal("1000000")))
    with pytest.raises(
        ValidationError,
        match=r"^An order can come to at most 10,000,000.00 before tax; with this "
        r"line it would come to 10,000,000.01\.$",
    ):
        orders.add_line(shop.uow(), receipt.order_id, _line(unit_price=Decimal("0.01")))
    # A discount brings it down, and then there is room again.
    orders.add_line(shop.uow(), receipt.order_id, _line(kind="discount", unit_price=Decimal("5")))
    orders.add_line(shop.uow(), receipt.order_id, _line(unit_price=Decimal("5")))
    with shop.uow() as uow:
        assert orders.order_totals(uow, receipt.order_id)["subtotal"] == Decimal("10000000.00")


def test_estimates_payments_refunds_and_credit_notes_are_bounded(shop: Shop) -> None:
    receipt = _order(shop)
    orders.transition(shop.uow(), receipt.order_id, "diagnostics")
    with pytest.raises(ValidationError, match=r"^The estimate can be at most 100,000,000.00\.$"):
        orders.send_estimate(shop.uow(), receipt.order_id, Decimal("1e400"))
    orders.add_line(shop.uow(), receipt.order_id, _line(unit_price=Decimal("100")))
    invoice = billing.create_invoice(shop.uow(), receipt.order_id)
    for amount, sentence in (
        ("1e400", "The amount can be at most 100,000,000.00."),
        ("NaN", "The amount must be a number."),
        ("0", "The amount must be more than 0."),
        ("1.001", "The amount can have at most 2 decimals."),
    ):
        with pytest.raises(ValidationError) as error:
            billing.record_payment(shop.uow(), invoice.id, amount, "cash", f"k-{amount}")
        assert error.value.message == sentence
        with pytest.raises(ValidationError) as error:
            billing.issue_credit_note(shop.uow(), invoice.id, amount, "goodwill")
        assert error.value.message == sentence
    payment = billing.record_payment(shop.uow(), invoice.id, "110", "cash", "k-ok")
    with pytest.raises(ValidationError, match=r"^The amount can be at most 100,000,000.00\.$"):
        billing.refund(shop.uow(), payment.id, "1e400", "too much", "r-1")
    assert (_count(shop, "payments"), _count(shop, "refunds"), _count(shop, "credit_notes")) == (1, 0, 0)


def test_stock_purchase_orders_parts_and_rates_are_bounded(shop: Shop) -> None:
    receipt = _order(shop)
    with shop.uow() as uow:
        location = uow.session.execute(text("SELECT id FROM stock_locations WHERE code = 'WH1'")).scalar_one()
        supplier = uow.session.execute(
            text(
                "INSERT INTO suppliers (tenant_id, name) VALUES (current_setting('app.tenant_id')::bigint, 'PartsCo')"
                " RETURNING id"
            )
        ).scalar_one()
        uow.commit()
    for cost, sentence in (
        ("1e400", "The unit cost can be at most 1,000,000.00."),
        ("-1", "The unit cost cannot be negative."),
    ):
        with pytest.raises(ValidationError) as error:
            inventory.create_part(shop.uow(), "X-1", "Thing", unit_cost=cost)
        assert error.value.message == sentence
    part = inventory.create_part(shop.uow(), "SCR-1", "Screen", unit_cost="40", sale_price="90")
    with pytest.raises(ValidationError, match=r"^The counted quantity can be at most 1,000,000\.$"):
        inventory.adjust(shop.uow(), part.id, location, "1e400", "count")
    with pytest.raises(ValidationError, match=r"^The counted quantity cannot be negative\.$"):
        inventory.adjust(shop.uow(), part.id, location, "-1", "count")
    inventory.adjust(shop.uow(), part.id, location, 1_000_000, "count")
    with pytest.raises(ValidationError, match=r"^The quantity can be at most 10,000\.$"):
        inventory.reserve(shop.uow(), receipt.order_id, part.id, 10_001, location)
    with pytest.raises(
        ValidationError,
        match=r"^A line can come to at most 10,000,000.00; this one comes to "
        r"20,000,000.00\.$",
    ):
        inventory.create_purchase_order(shop.uow(), supplier, location, [PurchaseLineIn(part.id, 10_000, "2000")])
    po = inventory.create_purchase_order(shop.uow(), supplier, location, [PurchaseLineIn(part.id, 5, "2")])
    inventory.send_purchase_order(shop.uow(), po.id)
    line_id = _scalar(shop, "SELECT id FROM purchase_order_lines WHERE purchase_order_id = :p", p=po.id)
    # The location holds the most there may be: the database's limit speaks when the service has no rule.
    with pytest.raises(Conflict, match=r"^A location can hold at most 1,000,000 of one part\.$"):
        inventory.receive(shop.uow(), po.id, [(line_id, 5)])
    with pytest.raises(ValidationError, match=r"^The hourly cost can be at most 1,000,000.00\.$"):
        workforce.create_technician(shop.uow(), TechnicianIn(name="Tim", hourly_cost=Decimal("1e400")))
    with pytest.raises(ValidationError, match=r"^The approval threshold can be at most 100,000,000.00\.$"):
        create_customer(shop.uow(), CustomerIn(name="Big", email="big@example.com", approval_threshold=Decimal("1e9")))
    assert _scalar(shop, "SELECT quantity FROM stock_levels WHERE part_id = :p", p=part.id) == 1_000_000


def _scalar(shop: Shop, sql: str, **params: Any) -> Any:
    with admin_engine(shop.url).connect() as conn:
        return conn.execute(text(sql), params).scalar_one()


def test_days_and_moments_outside_the_calendar_are_one_sentence_in_the_services(shop: Shop) -> None:
    from datetime import UTC, date, datetime, timedelta, timezone

    from ops_db.workforce import planning

    plus14 = timezone(timedelta(hours=14))
    for promised in (datetime(1, 1, 1, tzinfo=plus14), datetime(9999, 12, 31, 23, tzinfo=UTC)):
        with pytest.raises(ValidationError, match=r"^The promised time must be between 1900-01-01 and 2199-12-31"):
            orders.register_intake(
                shop.uow(),
                orders.IntakeIn(
                    customer=CustomerIn(name="Ana", email="ana@example.com"),
                    problem_description="x",
                    promised_at=promised,
                ),
            )
    with pytest.raises(ValidationError, match=r"^Give the promised time with a time zone\.$"):
        orders.register_intake(
            shop.uow(),
            orders.IntakeIn(
                customer=CustomerIn(name="Ana", email="ana@example.com"),
                problem_description="x",
                promised_at=datetime(2026, 1, 1),
            ),
        )
    for day in (date(1, 1, 1), date(9999, 12, 31)):
        with pytest.raises(ValidationError, match=r"^The day must be between 1900-01-01 and 2199-12-31\.$"):
            planning.snapshot(shop.uow(), day)
    assert _count(shop, "service_orders") == 0


# ---- the database holds the same limits ------------------------------------------------------------------------


def test_the_database_refuses_what_a_writer_skipping_the_services_would_store(shop: Shop) -> None:
    receipt = _order(shop)
    insert = (
        "INSERT INTO order_lines (tenant_id, order_id, line_no, kind, description, quantity, unit_price)"
        " VALUES (current_setting('app.tenant_id')::bigint, :o, :n, 'labour', 'x', :q, :p)"
    )
    for number, (quantity, price, rule) in enumerate(
        (
            (100_000, "1", "quantity_within_limit"),
            (1, "1000000.01", "prices_within_limit"),
            (10_000, "1000000", "net_within_limit"),
        ),
        start=1,
    ):
        with (
            pytest.raises(ValidationError, match=rf"^A value breaks the rule order_lines_{rule}\.$"),
            shop.uow() as uow,
        ):
            uow.session.execute(text(insert), {"o": receipt.order_id, "n": number, "q": quantity, "p": price})
    # Two lines that fit one by one but not together: the statement trigger sums the order.
    with (
        pytest.raises(ValidationError, match=r"^An order can come to at most 10,000,000.00 before tax\.$"),
        shop.uow() as uow,
    ):
        uow.session.execute(text(insert), {"o": receipt.order_id, "n": 1, "q": 10, "p": "600000"})
        uow.session.execute(text(insert), {"o": receipt.order_id, "n": 2, "q": 10, "p": "600000"})
    with pytest.raises(ValidationError, match="customers_approval_threshold_within_limit"), shop.uow() as uow:
        uow.session.execute(text("UPDATE customers SET approval_threshold = 1e9"))
    assert _count(shop, "order_lines") == 0


def test_the_migration_keeps_a_limit_unvalidated_when_old_rows_break_it(migrated_db: str) -> None:
    """The review's labour line, stored before 0012: the upgrade warns instead of failing, and new rows are
    checked."""
    shop = Shop(migrated_db)
    receipt = _order(shop)
    migrate.downgrade(migrated_db, "0011")
    with psycopg.connect(conninfo(migrated_db), autocommit=True) as conn:
        conn.execute(
            "INSERT INTO order_lines (tenant_id, order_id, line_no, kind, description, quantity, unit_price)"
            " VALUES (%s, %s, 1, 'labour', 'x', 100000, 9999999999.99)",
            (shop.tenant_id, receipt.order_id),
        )
    migrate.upgrade(migrated_db)
    with psycopg.connect(conninfo(migrated_db), autocommit=True) as conn:
        valid = dict(
            conn.execute(
                "SELECT conname, convalidated FROM pg_constraint WHERE conname LIKE 'ck_%within_limit'"
            ).fetchall()
        )
    broken = {
        "ck_order_lines_quantity_within_limit",
        "ck_order_lines_prices_within_limit",
        "ck_order_lines_net_within_limit",
    }
    assert {name for name, ok in valid.items() if not ok} == broken and len(valid) > 20  # the others validated
    with (
        pytest.raises(ValidationError, match="A value breaks the rule order_lines_quantity_within_limit"),
        shop.uow() as uow,
    ):
        uow.session.execute(
            text(
                "INSERT INTO order_lines (tenant_id, order_id, line_no, kind, description, quantity,"
                " unit_price) VALUES (:t, :o, 2, 'labour', 'x', 100000, 1)"
            ),
            {"t": shop.tenant_id, "o": receipt.order_id},
        )


# ---- CSV imports ----------------------------------------------------------------------------------------------


def test_an_import_with_1e400_and_nul_lists_each_cell_and_writes_nothing(shop: Shop) -> None:
    parts = (
        b"sku,name,unit_cost,sale_price,warranty_months\n"
        b"SCR-1,Screen,1e400,90,6\n"
        b"BAT-1,Battery,12,NaN,6\n"
        b"CAM-1,Cam\x00era,5,30,6\n"
        b"KEY-1,Keyboard,10,20,1e400\n"
        b"FAN-1,Fan,10,20,6\n"
    )
    report = import_csv(shop.uow(), "parts", parts)
    assert [(e.row, e.column, e.reason) for e in report.errors] == [
        (2, "unit_cost", "The unit cost can be at most 1,000,000.00."),
        (3, "sale_price", "The sale price must be a number."),
        (4, "name", "The name contains a NUL character, which cannot be stored."),
        (5, "warranty_months", "'1e400' is not a whole number of months."),
    ]
    assert not report.written and _count(shop, "parts") == 0
    devices = b"customer_email,manufacturer,model,purchase_date\nana@example.com,Acme,Phone,0001-01-01\n"
    create_customer(shop.uow(), CustomerIn(name="Ana", email="ana@example.com"))
    report = import_csv(shop.uow(), "devices", devices)
    assert [(e.row, e.column, e.reason) for e in report.errors] == [
        (2, "purchase_date", "The purchase_date must be between 1900-01-01 and 2199-12-31.")
    ]
    long_cell = b"sku,name\nX-1," + b"n" * 200_000 + b"\n"
    with pytest.raises(ValidationError, match=r"^Row 2 cannot be read as CSV"):
        import_csv(shop.uow(), "parts", long_cell)


# ---- files only after commit ----------------------------------------------------------------------------------


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    monkeypatch.setenv("REPAIROPS_DATA_DIR", str(tmp_path))
    get_settings.cache_clear()
    yield tmp_path
    get_settings.cache_clear()


def _files(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*") if p.is_file())


PHOTO = orders.FileIn("crack.jpg", "image/jpeg", b"\xff\xd8\xff\xe0 a photo of a cracked screen")


def test_a_refused_upload_leaves_no_file_and_an_accepted_one_is_stored_once(shop: Shop, data_dir: Path) -> None:
    request = orders.RequestIn(
        contact_name="Ana", item_type="phone", problem_description="Cracked", contact_email="ana@example.com"
    )
    # The first photo is written, the second is refused: the whole call is undone, file included.
    bad = orders.FileIn("notes.exe", "application/x-msdownload", b"MZ")
    with pytest.raises(ValidationError, match="photos"):
        orders.submit_request(shop.uow(), orders.RequestIn(**{**request.__dict__, "photos": (PHOTO, bad)}))
    assert _files(data_dir) == [] and _count(shop, "attachments") == 0
    receipt = orders.submit_request(shop.uow(), orders.RequestIn(**{**request.__dict__, "photos": (PHOTO,)}))
    [stored] = _files(data_dir)
    assert stored.read_bytes() == PHOTO.content and stored.name.startswith(stored.parent.name)
    assert _scalar(shop, "SELECT storage_path FROM attachments WHERE order_id = :o", o=receipt.order_id) == str(stored)


def test_an_upload_whose_transaction_fails_at_commit_leaves_no_file(shop: Shop, data_dir: Path) -> None:
    """The file is written, then the commit itself fails (a trigger refuses the audit record): nothing stays."""
    receipt = _order(shop)
    with psycopg.connect(conninfo(shop.url), autocommit=True) as conn:
        conn.execute(
            "CREATE FUNCTION refuse() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
            "RAISE EXCEPTION 'refused' USING ERRCODE = 'check_violation'; END $$"
        )
        conn.execute(
            "CREATE TRIGGER refuse_attach BEFORE INSERT ON audit_log FOR EACH ROW "
            "WHEN (NEW.action = 'order.attach') EXECUTE FUNCTION refuse()"
        )
    with pytest.raises(ValidationError):
        orders.add_attachment(shop.uow(), receipt.order_id, PHOTO)
    assert _files(data_dir) == [] and _count(shop, "attachments") == 0
    with psycopg.connect(conninfo(shop.url), autocommit=True) as conn:
        conn.execute("DROP TRIGGER refuse_attach ON audit_log")
    orders.add_attachment(shop.uow(), receipt.order_id, PHOTO)
    assert len(_files(data_dir)) == 1
