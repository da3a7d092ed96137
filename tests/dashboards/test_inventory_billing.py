"""Widget-level tests of the inventory and billing pages (AppTest): every write goes through the page's form and
is checked in the database afterwards; bad input is one sentence and changes nothing.

Tests share one demo database per module, so each picks suitable rows when it runs and never relies on what
another test did.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any
from uuid import uuid4

import pytest
from sqlalchemy import text
from streamlit.testing.v1 import AppTest

from dashboards.data.billing import BUCKETS
from ops_db.billing.service import record_payment, write_off
from ops_db.inventory.schemas import PurchaseLineIn
from ops_db.inventory.service import create_purchase_order, send_purchase_order
from ops_db.kit import db
from ops_db.kit.uow import Actor, UnitOfWork
from ops_db.orders.service import transition
from tests.dashboards.conftest import demo_actor, signed_in

MANAGER, INVENTORY, FINANCE, AUDITOR, FRONT_DESK = (
    f"{who}@riverside.example" for who in ("manager", "inventory", "finance", "auditor", "frontdesk")
)
WRITE_BUTTONS_INVENTORY = {"transfer_submit", "po_create"}
WRITE_BUTTONS_BILLING = {"create_invoice", "record_payment", "refund_submit"}


def _page(demo_db: str, email: str, page: str) -> AppTest:
    app = signed_in(demo_db, email)
    app.switch_page(f"app_pages/{page}.py").run()
    assert not app.exception, app.exception
    return app


def _one(demo_db: str, sql: str, **params: Any) -> Any:
    """The first row of an admin query (RLS does not apply: the test sees the truth)."""
    with db.admin_engine(demo_db).connect() as conn:
        return conn.execute(text(sql), params).first()


def _scalar(demo_db: str, sql: str, **params: Any) -> Any:
    with db.admin_engine(demo_db).connect() as conn:
        return conn.execute(text(sql), params).scalar()


def _level(demo_db: str, part_id: int, location_id: int) -> Decimal:
    found = _scalar(
        demo_db, "SELECT quantity FROM stock_levels WHERE part_id = :p AND location_id = :l", p=part_id, l=location_id
    )
    return Decimal(0) if found is None else Decimal(found)


def _one_sentence(app: AppTest) -> str:
    """The single error shown: one plain sentence."""
    assert not app.exception, app.exception
    assert len(app.error) == 1, [e.value for e in app.error]
    message = str(app.error[0].value)
    assert message.endswith(".") and "\n" not in message and message[0].isupper()
    assert not app.success
    return message


def _frame_with(app: AppTest, *columns: str) -> Any:
    """The first table showing all these columns."""
    for table in app.dataframe:
        if set(columns) <= set(table.value.columns):
            return table.value
    raise AssertionError(f"no table with {columns}")


def _buttons(app: AppTest) -> set[str]:
    return {str(b.key) for b in app.button if b.key}


# ---- inventory ------------------------------------------------------------------------------------------------


def _warehouse_stock(demo_db: str, free_at_least: int) -> tuple[int, int, int, Decimal]:
    """(part, warehouse, van, free at the warehouse) for a part with enough free stock at a warehouse."""
    part, warehouse, free = _one(
        demo_db,
        (
            "SELECT s.part_id, s.location_id, s.quantity - s.reserved FROM stock_levels s"
            " JOIN stock_locations l ON l.id = s.location_id WHERE l.kind = 'warehouse' AND l.is_active"
            " AND s.quantity - s.reserved >= :n ORDER BY s.part_id LIMIT 1"
        ),
        n=free_at_least,
    )
    van = _scalar(demo_db, "SELECT id FROM stock_locations WHERE kind = 'van' AND is_active ORDER BY id LIMIT 1")
    return int(part), int(warehouse), int(van), Decimal(free)


def _fill_transfer(app: AppTest, source: int, target: int, part: int, quantity: float) -> AppTest:
    app.selectbox(key="transfer_from").select(source)
    app.selectbox(key="transfer_to").select(target)
    app.selectbox(key="transfer_part").select(part)
    app.number_input(key="transfer_qty").set_value(quantity)
    return app.button(key="transfer_submit").click().run()


def test_a_transfer_moves_exactly_the_quantity_between_locations(ops_env: Path, demo_db: str) -> None:
    part, warehouse, van, _free = _warehouse_stock(demo_db, 3)
    before_from, before_to = _level(demo_db, part, warehouse), _level(demo_db, part, van)
    app = _page(demo_db, INVENTORY, "inventory")
    _fill_transfer(app, warehouse, van, part, 2)
    assert not app.exception and not app.error, [e.value for e in app.error]
    assert app.success[0].value.startswith("Moved 2 × ")
    assert _level(demo_db, part, warehouse) == before_from - 2
    assert _level(demo_db, part, van) == before_to + 2
    moves = _one(
        demo_db,
        "SELECT count(*), sum(quantity_delta) FROM stock_movements WHERE transfer_id = "
        "(SELECT max(id) FROM stock_transfers) AND part_id = :p",
        p=part,
    )
    assert tuple(moves) == (2, 0)  # one out, one in: the ledger nets to zero
    # The form is emptied for the next move and the stock tab already shows the new level.
    assert app.selectbox(key="transfer_part").value is None
    stock = _frame_with(app, "sku", "location", "available")
    sku = _scalar(demo_db, "SELECT sku FROM parts WHERE id = :p", p=part)
    shown = stock[(stock["sku"] == sku) & stock["location"].str.startswith("VAN")]
    assert sum(shown["quantity"]) == _scalar(
        demo_db,
        "SELECT sum(s.quantity) FROM stock_levels s JOIN "
        "stock_locations l ON l.id = s.location_id WHERE s.part_id = :p"
        " AND l.kind = 'van'",
        p=part,
    )


@pytest.mark.parametrize("case", ["negative", "zero", "more_than_free", "huge", "same_location", "no_part"])
def test_a_bad_transfer_says_one_sentence_and_moves_nothing(ops_env: Path, demo_db: str, case: str) -> None:
    part, warehouse, van, free = _warehouse_stock(demo_db, 1)
    before = (
        _level(demo_db, part, warehouse),
        _level(demo_db, part, van),
        _scalar(demo_db, "SELECT count(*) FROM stock_transfers"),
        _scalar(demo_db, "SELECT count(*) FROM stock_movements"),
    )
    app = _page(demo_db, INVENTORY, "inventory")
    quantity = {"negative": -3.0, "zero": 0.0, "more_than_free": float(free + 1), "huge": 1e7}.get(case, 1.0)
    if case == "no_part":
        app.selectbox(key="transfer_to").select(van)
        app.number_input(key="transfer_qty").set_value(1.0)
        app.button(key="transfer_submit").click().run()
    else:
        _fill_transfer(app, warehouse, warehouse if case == "same_location" else van, part, quantity)
    message = _one_sentence(app)
    expected = {
        "negative": "The quantity must be more than 0.",
        "zero": "The quantity must be more than 0.",
        "huge": "The quantity can be at most 1,000,000.",
        "same_location": "Choose two different locations.",
        "no_part": "Choose both locations and the part to move.",
    }
    if case == "more_than_free":
        assert message.startswith("Only ") and message.endswith(" free to transfer.")
    else:
        assert message == expected[case]
    after = (
        _level(demo_db, part, warehouse),
        _level(demo_db, part, van),
        _scalar(demo_db, "SELECT count(*) FROM stock_transfers"),
        _scalar(demo_db, "SELECT count(*) FROM stock_movements"),
    )
    assert after == before


def test_a_purchase_order_is_drafted_sent_and_received_and_stock_rises(ops_env: Path, demo_db: str) -> None:
    part, warehouse, _van, _free = _warehouse_stock(demo_db, 0)
    supplier = _scalar(demo_db, "SELECT id FROM suppliers ORDER BY id LIMIT 1")
    before = _level(demo_db, part, warehouse)
    app = _page(demo_db, INVENTORY, "inventory")
    app.selectbox(key="po_supplier").select(supplier)
    app.selectbox(key="po_location").select(warehouse)
    app.selectbox(key="po_part_0").select(part)
    app.number_input(key="po_qty_0").set_value(5.0)
    app.text_input(key="po_cost_0").input("12.50")
    app.button(key="po_create").click().run()
    assert not app.exception and not app.error, [e.value for e in app.error]
    po_id, number, status, total = _one(
        demo_db, "SELECT id, po_number, status, total FROM purchase_orders ORDER BY id DESC LIMIT 1"
    )
    assert (status, total) == ("draft", Decimal("62.50"))
    assert app.success[0].value.startswith(f"Purchase order {number} drafted for $62.50")
    assert app.selectbox(key="po_part_0").value is None  # the lines are emptied for the next order

    app.selectbox(key="po_send").select(po_id)
    app.button(key="send_po").click().run()
    assert not app.exception and not app.error, [e.value for e in app.error]
    assert _scalar(demo_db, "SELECT status FROM purchase_orders WHERE id = :i", i=po_id) == "sent"

    app.selectbox(key="po_receive").select(po_id).run()
    line_id = _scalar(demo_db, "SELECT id FROM purchase_order_lines WHERE purchase_order_id = :i", i=po_id)
    assert app.number_input(key=f"receive_qty_{line_id}").value == 5.0  # what is outstanding, ready to book
    app.button(key="receive_po").click().run()
    assert not app.exception and not app.error, [e.value for e in app.error]
    assert _scalar(demo_db, "SELECT status FROM purchase_orders WHERE id = :i", i=po_id) == "received"
    assert _level(demo_db, part, warehouse) == before + 5
    orders = _frame_with(app, "po_number", "supplier", "status", "total", "expected_on")
    assert orders[orders["po_number"] == number]["status"].tolist() == ["received"]


@pytest.mark.parametrize(
    ("case", "expected"),
    [
        ("no_lines", "Add at least one part to the purchase order."),
        ("negative_quantity", "The quantity must be more than 0."),
        ("negative_cost", "The unit cost cannot be negative."),
    ],
)
def test_a_bad_purchase_order_says_one_sentence_and_drafts_nothing(
    ops_env: Path, demo_db: str, case: str, expected: str
) -> None:
    part, _warehouse, _van, _free = _warehouse_stock(demo_db, 0)
    before = _scalar(demo_db, "SELECT count(*) FROM purchase_orders")
    app = _page(demo_db, INVENTORY, "inventory")
    if case != "no_lines":
        app.selectbox(key="po_part_1").select(part)
        app.number_input(key="po_qty_1").set_value(-2.0 if case == "negative_quantity" else 2.0)
        app.text_input(key="po_cost_1").input("-1" if case == "negative_cost" else "")
    app.button(key="po_create").click().run()
    assert _one_sentence(app) == expected
    assert _scalar(demo_db, "SELECT count(*) FROM purchase_orders") == before
    if case != "no_lines":
        assert app.selectbox(key="po_part_1").value == part  # the input stays for correcting


def test_sending_a_purchase_order_a_colleague_already_sent_is_refused(ops_env: Path, demo_db: str) -> None:
    part, warehouse, _van, _free = _warehouse_stock(demo_db, 0)
    clerk = demo_actor(demo_db, INVENTORY)
    supplier = int(_scalar(demo_db, "SELECT id FROM suppliers ORDER BY id LIMIT 1"))
    po = create_purchase_order(
        UnitOfWork(db.app_engine(demo_db), clerk), supplier, warehouse, [PurchaseLineIn(part, 1)]
    )
    app = _page(demo_db, INVENTORY, "inventory")
    app.selectbox(key="po_send").select(po.id).run()
    sent_at = send_purchase_order(UnitOfWork(db.app_engine(demo_db), clerk), po.id).ordered_at
    app.button(key="send_po").click().run()
    assert _one_sentence(app) == f"Purchase order {po.po_number} is sent, not a draft."
    assert _scalar(demo_db, "SELECT ordered_at FROM purchase_orders WHERE id = :i", i=po.id) == sent_at


def test_receiving_more_than_was_ordered_says_one_sentence_and_books_nothing(ops_env: Path, demo_db: str) -> None:
    part, warehouse, _van, _free = _warehouse_stock(demo_db, 0)
    clerk = demo_actor(demo_db, INVENTORY)
    engine = db.app_engine(demo_db)
    supplier = int(_scalar(demo_db, "SELECT id FROM suppliers ORDER BY id LIMIT 1"))
    po = create_purchase_order(UnitOfWork(engine, clerk), supplier, warehouse, [PurchaseLineIn(part, 3)])
    send_purchase_order(UnitOfWork(engine, clerk), po.id)
    before = _level(demo_db, part, warehouse)
    line_id = _scalar(demo_db, "SELECT id FROM purchase_order_lines WHERE purchase_order_id = :i", i=po.id)
    app = _page(demo_db, INVENTORY, "inventory")
    app.selectbox(key="po_receive").select(po.id).run()
    app.number_input(key=f"receive_qty_{line_id}").set_value(4.0)
    app.button(key="receive_po").click().run()
    assert _one_sentence(app) == "Only 3 more of that line were ordered."
    assert _level(demo_db, part, warehouse) == before
    assert _scalar(demo_db, "SELECT status FROM purchase_orders WHERE id = :i", i=po.id) == "sent"
    assert _scalar(demo_db, "SELECT count(*) FROM purchase_receipts WHERE purchase_order_id = :i", i=po.id) == 0


def test_the_stock_table_filters_by_location_and_part_search(ops_env: Path, demo_db: str) -> None:
    van, label = _one(
        demo_db, "SELECT id, code || ' · ' || name FROM stock_locations WHERE kind = 'van' ORDER BY id LIMIT 1"
    )
    sku = _scalar(
        demo_db,
        "SELECT p.sku FROM stock_levels s JOIN parts p ON p.id = s.part_id "
        "WHERE s.location_id = :l ORDER BY p.sku LIMIT 1",
        l=van,
    )
    app = _page(demo_db, AUDITOR, "inventory")
    app.selectbox(key="stock_location").select(van).run()
    stock = _frame_with(app, "sku", "part", "location", "quantity", "reserved", "available", "reorder_point")
    assert len(stock) == _scalar(demo_db, "SELECT count(*) FROM stock_levels WHERE location_id = :l", l=van)
    assert set(stock["location"]) == {label}
    assert (stock["available"] == stock["quantity"] - stock["reserved"]).all()
    app.text_input(key="stock_search").input(sku.lower()).run()
    stock = _frame_with(app, "sku", "available")
    assert list(stock["sku"]) == [sku]


@pytest.mark.parametrize(("email", "writes"), [(MANAGER, True), (INVENTORY, True), (FINANCE, False), (AUDITOR, False)])
def test_the_inventory_page_renders_for_each_office_role(ops_env: Path, demo_db: str, email: str, writes: bool) -> None:
    app = _page(demo_db, email, "inventory")
    assert app.title[0].value == "Inventory"
    assert not app.error
    assert len(_frame_with(app, "sku", "part", "location", "quantity", "reserved", "available", "reorder_point")) > 0
    reservations = _frame_with(app, "order_number", "part", "quantity", "location")
    assert len(reservations) == _scalar(demo_db, "SELECT count(*) FROM stock_reservations WHERE status = 'active'")
    _frame_with(app, "sku", "location", "suggested")
    _frame_with(app, "po_number", "supplier", "status", "total", "expected_on")
    assert (_buttons(app) >= WRITE_BUTTONS_INVENTORY) is writes
    if not writes:
        assert not _buttons(app) & (WRITE_BUTTONS_INVENTORY | {"send_po", "receive_po"})
        assert not app.number_input  # no form at all
        assert not any(str(t.key).startswith("po_cost") for t in app.text_input)


# ---- billing --------------------------------------------------------------------------------------------------


def _open_invoice(demo_db: str, at_least: str = "20") -> tuple[int, str, Decimal]:
    """(id, number, total) of an issued invoice nobody has paid anything on yet."""
    row = _one(
        demo_db,
        "SELECT i.id, i.invoice_number, i.total FROM invoices i WHERE i.status = 'issued' "
        "AND i.total >= :m AND NOT EXISTS (SELECT 1 FROM payments p WHERE p.invoice_id = i.id) "
        "AND NOT EXISTS (SELECT 1 FROM credit_notes n WHERE n.invoice_id = i.id) "
        "ORDER BY i.id LIMIT 1",
        m=Decimal(at_least),
    )
    assert row is not None, "the demo has no unpaid issued invoice left"
    return int(row[0]), str(row[1]), Decimal(row[2])


def _payments(demo_db: str, invoice_id: int) -> list[tuple[Any, ...]]:
    with db.admin_engine(demo_db).connect() as conn:
        return [
            tuple(r)
            for r in conn.execute(
                text("SELECT amount, method, status FROM payments WHERE invoice_id = :i ORDER BY id"), {"i": invoice_id}
            )
        ]


BILLING_TAB = "billing_tab"  # Billing's open tab (dashboards/app_pages/billing.py TAB_KEY)


def _open_tab(app: AppTest, label: str) -> AppTest:
    """Open Billing's tab, as a click on it does (only the open tab is drawn)."""
    app.session_state[BILLING_TAB] = label
    app.run()
    assert not app.exception, app.exception
    return app


def _pay(app: AppTest, invoice_id: int, amount: float | None, method: str = "cash") -> AppTest:
    _open_tab(app, "Payments")
    app.selectbox(key="pay_invoice").select(invoice_id)
    app.text_input(key="pay_amount").input("" if amount is None else str(amount))
    app.selectbox(key="pay_method").select(method)
    return app.button(key="record_payment").click().run()


def test_finance_records_a_payment_and_the_invoice_balance_changes(ops_env: Path, demo_db: str) -> None:
    invoice_id, number, total = _open_invoice(demo_db)
    app = _page(demo_db, FINANCE, "billing")
    _pay(app, invoice_id, 10.0, "card")
    assert not app.exception and not app.error, [e.value for e in app.error]
    assert app.success[0].value.startswith(f"Payment of $10.00 (card) recorded on {number}")
    assert _payments(demo_db, invoice_id) == [(Decimal("10.00"), "card", "succeeded")]
    assert _scalar(demo_db, "SELECT status FROM invoices WHERE id = :i", i=invoice_id) == "partially_paid"
    key = _scalar(demo_db, "SELECT idempotency_key FROM payments WHERE invoice_id = :i", i=invoice_id)
    assert len(key) == 36  # a uuid4 per submission
    # The form is emptied and the invoice list shows the new balance.
    assert not app.text_input(key="pay_amount").value
    _open_tab(app, "Invoices")  # the other tabs read their data afresh when opened
    app.text_input(key="invoice_search").input(number).run()
    row = _frame_with(
        app, "invoice_number", "customer", "order_number", "issued", "due_on", "total", "paid", "due", "status"
    ).iloc[0]
    assert (row["invoice_number"], row["paid"], row["due"], row["status"]) == (
        number,
        Decimal("10.00"),
        total - 10,
        "partially paid",
    )  # the table shows the status as words
    # A second payment on the same form gets a new key: it is recorded, not taken for a replay.
    _pay(app, invoice_id, 5.0, "cash")
    assert not app.error, [e.value for e in app.error]
    assert [p[0] for p in _payments(demo_db, invoice_id)] == [Decimal("10.00"), Decimal("5.00")]


def test_a_payment_redraws_only_the_open_tab_and_the_others_read_afresh(ops_env: Path, demo_db: str) -> None:
    """The rerun after a payment draws the payments tab alone (its speed); the invoices tab, opened next, shows
    the new balance, and its search is still there (a closed tab's filters are kept)."""
    invoice_id, number, total = _open_invoice(demo_db)
    app = _page(demo_db, FINANCE, "billing")
    app.text_input(key="invoice_search").input(number).run()
    _pay(app, invoice_id, 3.0)
    assert app.success[0].value.startswith(f"Payment of $3.00 (cash) recorded on {number}")
    assert not any("invoice_number" in frame.value.columns for frame in app.dataframe)  # no invoice list read
    assert not app.metric  # nor the receivables or the drawer
    _open_tab(app, "Invoices")
    assert app.text_input(key="invoice_search").value == number
    row = _frame_with(app, "invoice_number", "paid", "due").iloc[0]
    assert (row["invoice_number"], row["paid"], row["due"]) == (number, Decimal("3.00"), total - 3)


@pytest.mark.parametrize("case", ["more_than_due", "negative", "empty", "three_decimals", "huge"])
def test_a_bad_payment_says_one_sentence_and_records_nothing(ops_env: Path, demo_db: str, case: str) -> None:
    invoice_id, number, total = _open_invoice(demo_db)
    amount = {
        "more_than_due": float(total + 1),
        "negative": -5.0,
        "empty": None,
        "three_decimals": 1.234,
        "huge": 1e12,
    }[case]
    app = _page(demo_db, FINANCE, "billing")
    _pay(app, invoice_id, amount)
    message = _one_sentence(app)
    expected = {
        "more_than_due": f"Invoice {number} has {total} left to pay; {total + 1} is too much.",
        "negative": "The amount must be more than 0.",
        "empty": "The amount must be a number.",
        "three_decimals": "The amount can have at most 2 decimals.",
        "huge": "The amount can be at most 100,000,000.00.",
    }
    assert message == expected[case]
    assert _payments(demo_db, invoice_id) == []
    assert _scalar(demo_db, "SELECT status FROM invoices WHERE id = :i", i=invoice_id) == "issued"


def test_paying_an_invoice_written_off_meanwhile_is_refused(ops_env: Path, demo_db: str) -> None:
    invoice_id, number, _total = _open_invoice(demo_db)
    payments = _scalar(demo_db, "SELECT count(*) FROM payments")
    app = _open_tab(_page(demo_db, FINANCE, "billing"), "Payments")
    app.selectbox(key="pay_invoice").select(invoice_id).run()
    # A colleague writes the invoice off while this form is open: the choice must not slide to another invoice.
    write_off(UnitOfWork(db.app_engine(demo_db), demo_actor(demo_db, MANAGER)), invoice_id, "Customer went bust")
    app.text_input(key="pay_amount").input("5.00")
    app.button(key="record_payment").click().run()
    assert _one_sentence(app) == f"Invoice {number} is written off; it cannot take payments."
    assert _payments(demo_db, invoice_id) == []
    assert _scalar(demo_db, "SELECT count(*) FROM payments") == payments


def _ready_order_without_invoice(demo_db: str) -> tuple[int, str]:
    """An order moved from quality check to ready just now (the demo invoices every ready order itself)."""
    order_id, number = _one(
        demo_db,
        "SELECT o.id, o.order_number FROM service_orders o WHERE o.stage = "
        "'quality_check' AND EXISTS (SELECT 1 FROM order_lines l WHERE l.order_id = o.id)"
        " ORDER BY o.id LIMIT 1",
    )
    tenant = _scalar(demo_db, "SELECT id FROM tenants WHERE slug = 'riverside'")
    transition(UnitOfWork(db.app_engine(demo_db), Actor.system(int(tenant))), int(order_id), "ready")
    return int(order_id), str(number)


def test_creating_an_invoice_for_a_ready_order_issues_it(ops_env: Path, demo_db: str) -> None:
    order_id, number = _ready_order_without_invoice(demo_db)
    app = _page(demo_db, FINANCE, "billing")
    app.selectbox(key="invoice_order").select(order_id)
    app.number_input(key="invoice_due_days").set_value(30)
    app.button(key="create_invoice").click().run()
    assert not app.exception and not app.error, [e.value for e in app.error]
    # Due 30 of the company's days after the company's day of issue (not UTC's: they differ every evening in
    # Chicago, and `make test-clock` runs this at such an hour).
    invoice = _one(
        demo_db,
        "SELECT invoice_number, status, total, subtotal + tax_total, due_on - "
        "CAST(issued_at AT TIME ZONE t.time_zone AS date), (SELECT count(*) FROM invoice_lines l "
        "WHERE l.invoice_id = i.id) FROM invoices i JOIN tenants t ON t.id = i.tenant_id "
        "WHERE order_id = :o",
        o=order_id,
    )
    lines = _scalar(demo_db, "SELECT count(*) FROM order_lines WHERE order_id = :o", o=order_id)
    assert invoice[1:] == ("issued", invoice[3], invoice[3], 30, lines) and invoice[2] > 0
    assert app.success[0].value.startswith(f"Invoice {invoice[0]} issued for ")
    # nothing left to invoice on it (the options are labels starting with the order number, never its id)
    assert not any(o.startswith(number) for o in app.selectbox(key="invoice_order").options)


def test_invoicing_an_order_a_colleague_just_invoiced_is_refused(ops_env: Path, demo_db: str) -> None:
    from ops_db.billing.service import create_invoice

    order_id, number = _ready_order_without_invoice(demo_db)
    app = _page(demo_db, FINANCE, "billing")
    app.selectbox(key="invoice_order").select(order_id)  # chosen in the open form, not submitted yet
    first = create_invoice(UnitOfWork(db.app_engine(demo_db), demo_actor(demo_db, MANAGER)), order_id)
    app.button(key="create_invoice").click().run()
    assert _one_sentence(app) == f"Order {number} is already invoiced ({first.invoice_number})."
    assert _scalar(demo_db, "SELECT count(*) FROM invoices WHERE order_id = :o", o=order_id) == 1


def _refundable_payment(demo_db: str) -> tuple[int, Decimal, int, str]:
    """(payment, its amount, its invoice id and number) for a paid invoice's payment with nothing refunded yet."""
    row = _one(
        demo_db,
        "SELECT p.id, p.amount, p.invoice_id, i.invoice_number FROM payments p"
        " JOIN invoices i ON i.id = p.invoice_id WHERE p.status = 'succeeded'"
        " AND p.refunded_amount = 0 AND p.amount >= 20 AND i.status = 'paid'"
        " AND NOT EXISTS (SELECT 1 FROM credit_notes n WHERE n.invoice_id = i.id)"
        " ORDER BY p.id LIMIT 1",
    )
    return int(row[0]), Decimal(row[1]), int(row[2]), str(row[3])


def test_a_refund_gives_back_part_of_a_payment(ops_env: Path, demo_db: str) -> None:
    payment_id, _amount, invoice_id, number = _refundable_payment(demo_db)
    app = _open_tab(_page(demo_db, FINANCE, "billing"), "Payments")
    app.text_input(key="refund_search").input(number).run()  # an old payment: not among the newest listed
    app.selectbox(key="refund_payment").select(payment_id)
    app.text_input(key="refund_amount").input("7.50")
    app.text_input(key="refund_reason").input("Scratched the case")
    app.button(key="refund_submit").click().run()
    assert not app.exception and not app.error, [e.value for e in app.error]
    assert app.success[0].value == f"Refunded $7.50 of payment #{payment_id}."
    assert _scalar(demo_db, "SELECT refunded_amount FROM payments WHERE id = :p", p=payment_id) == Decimal("7.50")
    assert _scalar(demo_db, "SELECT status FROM invoices WHERE id = :i", i=invoice_id) == "partially_paid"
    _open_tab(app, "Cash drawer")
    refunds = _frame_with(app, "at", "invoice_number", "method", "amount", "reason")
    assert "Scratched the case" in set(refunds["reason"])  # today's drawer counts it


@pytest.mark.parametrize("case", ["more_than_paid", "no_reason"])
def test_a_bad_refund_says_one_sentence_and_gives_nothing_back(ops_env: Path, demo_db: str, case: str) -> None:
    payment_id, amount, _invoice, number = _refundable_payment(demo_db)
    app = _open_tab(_page(demo_db, FINANCE, "billing"), "Payments")
    app.text_input(key="refund_search").input(number).run()
    app.selectbox(key="refund_payment").select(payment_id)
    app.text_input(key="refund_amount").input(str(amount + 1) if case == "more_than_paid" else "1.00")
    app.text_input(key="refund_reason").input("" if case == "no_reason" else "Too much")
    app.button(key="refund_submit").click().run()
    expected = {
        "more_than_paid": f"A refund cannot exceed what was paid: at most {amount} remains of this payment.",
        "no_reason": "Say why the money is refunded.",
    }
    assert _one_sentence(app) == expected[case]
    assert _scalar(demo_db, "SELECT count(*) FROM refunds WHERE payment_id = :p", p=payment_id) == 0


def test_the_cash_drawer_shows_todays_payments_by_method_in_local_time(ops_env: Path, demo_db: str) -> None:
    invoice_id, _number, _total = _open_invoice(demo_db)
    record_payment(
        UnitOfWork(db.app_engine(demo_db), demo_actor(demo_db, FINANCE)), invoice_id, "7.00", "online", str(uuid4())
    )
    app = _open_tab(_page(demo_db, FINANCE, "billing"), "Cash drawer")
    by_method = _frame_with(app, "method", "payments", "received", "refunded", "net").set_index("method")
    with db.admin_engine(demo_db).connect() as conn:
        # Computed independently: local dates by AT TIME ZONE, where the page uses the local day's bounds.
        expected = dict(
            conn.execute(
                text(
                    "SELECT p.method::text, sum(p.amount) FROM payments p JOIN tenants t ON t.id = p.tenant_id "
                    "WHERE p.status = 'succeeded' AND CAST(p.received_at AT TIME ZONE t.time_zone AS date) = "
                    "CAST(now() AT TIME ZONE t.time_zone AS date) GROUP BY 1"
                )
            ).all()
        )
    assert expected.get("online", 0) >= Decimal("7.00")
    for method in ("cash", "card", "bank_transfer", "online"):
        assert by_method.loc[method.replace("_", " "), "received"] == expected.get(method, Decimal(0))
    received = next(m for m in app.metric if m.label == "Received today")
    assert received.value == f"${sum(expected.values(), Decimal(0)):,.2f}"  # the tenant's currency, USD


def test_the_receivables_aging_adds_up_to_what_is_owed(ops_env: Path, demo_db: str) -> None:
    app = _open_tab(_page(demo_db, AUDITOR, "billing"), "Receivables")
    buckets = _frame_with(app, "bucket", "invoices", "due")
    assert list(buckets["bucket"]) == list(BUCKETS)
    count, owed = _one(
        demo_db,
        (
            # Receivable: issued (not a draft, void or written off) with something still owed, whatever the
            # status says (ops_db.billing.service.receivables, the warehouse's aging mart too).
            "SELECT count(*), sum(owed) FROM (SELECT i.total - COALESCE((SELECT sum(amount - refunded_amount)"
            " FROM payments p WHERE p.invoice_id = i.id AND p.status = 'succeeded'), 0) - COALESCE((SELECT"
            " sum(amount) FROM credit_notes n WHERE n.invoice_id = i.id), 0) AS owed FROM invoices i"
            " WHERE i.status NOT IN ('draft', 'void', 'written_off')) o WHERE owed > 0"
        ),
    )
    assert int(buckets["invoices"].sum()) == count
    assert sum(buckets["due"], Decimal(0)) == owed
    detail = _frame_with(app, "invoice_number", "days_overdue", "bucket", "due")
    late = detail[detail["bucket"] == "90+"]
    assert (late["days_overdue"] > 90).all()


def test_the_invoice_list_filters_by_status_and_searches(ops_env: Path, demo_db: str) -> None:
    app = _page(demo_db, AUDITOR, "billing")
    app.selectbox(key="invoice_status").select("partially_paid").run()
    listed = _frame_with(app, "invoice_number", "status", "paid", "due")
    assert set(listed["status"]) == {"partially paid"} and (listed["paid"] > 0).all() and (listed["due"] > 0).all()
    assert len(listed) == _scalar(demo_db, "SELECT count(*) FROM invoices WHERE status = 'partially_paid'")
    customer = _scalar(
        demo_db,
        "SELECT c.name FROM invoices i JOIN customers c ON c.id = i.customer_id "
        "WHERE i.status = 'partially_paid' ORDER BY i.id LIMIT 1",
    )
    app.text_input(key="invoice_search").input(customer.upper()).run()
    listed = _frame_with(app, "invoice_number", "customer", "status")
    assert len(listed) > 0 and set(listed["customer"]) == {customer}


@pytest.mark.parametrize(
    ("email", "buttons"),
    [
        (MANAGER, WRITE_BUTTONS_BILLING),
        (FINANCE, WRITE_BUTTONS_BILLING),
        (FRONT_DESK, {"create_invoice", "record_payment"}),
        (AUDITOR, set()),
    ],
)
def test_the_billing_page_renders_for_each_office_role(
    ops_env: Path, demo_db: str, email: str, buttons: set[str]
) -> None:
    app = _page(demo_db, email, "billing")
    assert app.title[0].value == "Billing"
    assert not app.error
    assert (
        len(
            _frame_with(
                app, "invoice_number", "customer", "order_number", "issued", "due_on", "total", "paid", "due", "status"
            )
        )
        > 0
    )
    shown = _buttons(app)
    has_inputs = bool(app.number_input) or bool({t.key for t in app.text_input} & {"pay_amount", "refund_amount"})
    _open_tab(app, "Receivables")
    _frame_with(app, "bucket", "invoices", "due")
    _open_tab(app, "Cash drawer")
    _frame_with(app, "method", "payments", "received", "refunded", "net")
    _open_tab(app, "Payments")  # only the open tab is drawn: each tab's buttons are seen in it
    shown |= _buttons(app)
    has_inputs = (
        has_inputs or bool(app.number_input) or bool({t.key for t in app.text_input} & {"pay_amount", "refund_amount"})
    )
    assert shown & WRITE_BUTTONS_BILLING == buttons
    if not buttons:
        assert not has_inputs  # no form at all


def test_finance_corrects_invoices_with_a_credit_note_and_a_void(ops_env: Path, demo_db: str) -> None:
    invoice_id, number, _total = _open_invoice(demo_db)
    app = _page(demo_db, FINANCE, "billing")
    app.selectbox(key="correct_invoice").select(invoice_id)
    app.radio(key="correct_kind").set_value("credit")
    app.text_input(key="correct_amount").input("5")
    app.text_input(key="correct_reason").input("Goodwill for the wait")
    app.button(key="correct_submit").click().run()
    assert not app.exception and not app.error, [e.value for e in app.error]
    assert _scalar(demo_db, "SELECT sum(amount) FROM credit_notes WHERE invoice_id = :i", i=invoice_id) == Decimal(5)
    app.selectbox(key="correct_invoice").select(invoice_id)
    app.radio(key="correct_kind").set_value("void")
    app.text_input(key="correct_reason").input("")
    app.button(key="correct_submit").click().run()
    assert _one_sentence(app) == "Say why the invoice is voided."
    app.text_input(key="correct_reason").input("Issued to the wrong customer")
    app.button(key="correct_submit").click().run()
    assert not app.exception and not app.error, [e.value for e in app.error]
    assert _scalar(demo_db, "SELECT status FROM invoices WHERE id = :i", i=invoice_id) == "void"
    assert number in app.success[0].value
    front_desk = _page(demo_db, FRONT_DESK, "billing")  # issuing invoices, not correcting them
    assert "correct_submit" not in {b.key for b in front_desk.button}
