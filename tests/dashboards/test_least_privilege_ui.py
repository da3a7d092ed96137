"""Least privilege in the web app (AppTest on the demo company): reading a document is not sending it, a
dispatcher sees an order but not its money, and the front desk links a portal request a stranger sent with a
customer's email only when they decide to."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import text

from ops_db.identity.service import resolve_tenant
from ops_db.kit import db
from ops_db.kit.uow import Actor, UnitOfWork
from ops_db.orders.service import RequestIn, submit_request
from tests.dashboards.conftest import signed_in

SEND = "Send by email"


def _invoiced_order(demo_db: str) -> tuple[str, str]:
    with db.admin_engine(demo_db).connect() as conn:
        number, invoice = conn.execute(
            text(
                "SELECT o.order_number, i.invoice_number FROM service_orders o JOIN invoices i ON i.order_id = o.id "
                "ORDER BY o.id LIMIT 1"
            )
        ).one()
    return str(number), str(invoice)


def _order_page(demo_db: str, email: str, number: str):  # type: ignore[no-untyped-def]
    app = signed_in(demo_db, email)
    app.session_state["order_number"] = number
    app.switch_page("app_pages/order_detail.py").run()
    assert not app.exception
    return app


def test_the_auditor_reads_every_document_but_gets_no_send_button(ops_env: Path, demo_db: str) -> None:
    number, invoice = _invoiced_order(demo_db)
    auditor = _order_page(demo_db, "auditor@riverside.example", number)
    labels = {b.proto.label for b in auditor.get("download_button")}
    assert "Intake receipt · PDF" in labels and f"Invoice {invoice} · PDF" in labels
    assert SEND not in [b.label for b in auditor.button]
    desk = _order_page(demo_db, "frontdesk@riverside.example", number)
    assert SEND in [b.label for b in desk.button]


def test_a_dispatcher_sees_the_order_but_not_its_money(ops_env: Path, demo_db: str) -> None:
    number, invoice = _invoiced_order(demo_db)
    dispatcher = _order_page(demo_db, "dispatcher@riverside.example", number)
    shown = [frame.value for frame in dispatcher.dataframe]
    assert not any(invoice in frame.to_string() for frame in shown)
    manager = _order_page(demo_db, "manager@riverside.example", number)
    assert any(invoice in frame.value.to_string() for frame in manager.dataframe)


def test_the_front_desk_links_a_strangers_request_to_the_customer_it_names(ops_env: Path, demo_db: str) -> None:
    engine = db.app_engine(demo_db)
    tenant = resolve_tenant(engine, "riverside")
    with db.admin_engine(demo_db).connect() as conn:
        customer_id, email = conn.execute(
            text("SELECT id, email FROM customers WHERE email IS NOT NULL AND is_active ORDER BY id LIMIT 1")
        ).one()
    receipt = submit_request(
        UnitOfWork(engine, Actor.public(tenant)),
        RequestIn(
            contact_name="Someone Else",
            contact_email=str(email).upper(),
            item_type="phone",
            problem_description="Cracked",
        ),
    )

    def owner() -> int:
        with db.admin_engine(demo_db).connect() as conn:
            return int(
                conn.execute(
                    text("SELECT customer_id FROM service_orders WHERE id = :o"), {"o": receipt.order_id}
                ).scalar_one()
            )

    assert owner() != customer_id
    app = signed_in(demo_db, "frontdesk@riverside.example")
    app.switch_page("app_pages/intake.py").run()
    assert not app.exception
    pick = app.selectbox(key="link_request_pick")
    [mine] = [i for i, label in enumerate(pick.options) if receipt.order_number in label]
    pick.select_index(mine).run()
    app.button(key="link_request").click().run()
    assert not app.exception and not app.error
    assert owner() == customer_id
