"""Widget-level tests of the key forms (AppTest): intake opens an order, bad input is one sentence, stage moves."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import text

from ops_db.kit import db
from tests.dashboards.conftest import signed_in


def _orders(demo_db: str) -> int:
    with db.admin_engine(demo_db).connect() as conn:
        return int(conn.execute(text("SELECT count(*) FROM service_orders")).scalar_one())


def test_intake_opens_an_order_and_shows_the_receipt(ops_env: Path, demo_db: str) -> None:
    app = signed_in(demo_db, "frontdesk@riverside.example")
    app.switch_page("app_pages/intake.py").run()
    before = _orders(demo_db)
    app.text_input(key="customer_name").input("Зоя Иванова")
    app.text_input(key="customer_phone").input("+1 312 555 0199")
    app.text_input(key="serial").input("SN-INTAKE-1")
    app.text_area(key="problem").input("Screen flickers after a drop; 屏幕闪烁")
    app.selectbox(key="priority").select("high")
    app.button[0].click().run()
    assert not app.exception and not app.error
    assert app.success[0].value.startswith("Order **RO-")
    assert _orders(demo_db) == before + 1
    number = app.session_state["order_number"]
    with db.admin_engine(demo_db).connect() as conn:
        row = conn.execute(
            text(
                "SELECT o.priority, c.name FROM service_orders o JOIN customers c "
                "ON c.id = o.customer_id WHERE o.order_number = :n"
            ),
            {"n": number},
        ).one()
    assert tuple(row) == ("high", "Зоя Иванова")
    receipt_buttons = [b for b in app.get("download_button") if "intake receipt" in b.proto.label]
    assert len(receipt_buttons) == 1 and number in receipt_buttons[0].proto.label


def test_intake_with_no_problem_described_says_so_and_opens_nothing(ops_env: Path, demo_db: str) -> None:
    app = signed_in(demo_db, "frontdesk@riverside.example")
    app.switch_page("app_pages/intake.py").run()
    before = _orders(demo_db)
    app.text_input(key="customer_name").input("Empty Problem")
    app.button[0].click().run()
    assert not app.exception
    assert len(app.error) == 1 and app.error[0].value.endswith(".") and "\n" not in app.error[0].value
    assert _orders(demo_db) == before


def test_the_order_page_moves_an_order_to_an_allowed_stage(ops_env: Path, demo_db: str) -> None:
    with db.admin_engine(demo_db).connect() as conn:
        number = conn.execute(
            text("SELECT order_number FROM service_orders WHERE stage = 'received' ORDER BY id LIMIT 1")
        ).scalar_one()
    app = signed_in(demo_db, "manager@riverside.example")
    app.session_state["order_number"] = number
    app.switch_page("app_pages/order_detail.py").run()
    assert not app.exception
    assert app.subheader[0].value.startswith(f"{number} · received")
    app.button(key="to_diagnostics").click().run()
    assert not app.exception and not app.error
    with db.admin_engine(demo_db).connect() as conn:
        stage = conn.execute(text("SELECT stage FROM service_orders WHERE order_number = :n"), {"n": number}).scalar()
    assert stage == "diagnostics"


def test_an_unknown_order_number_is_one_sentence(ops_env: Path, demo_db: str) -> None:
    app = signed_in(demo_db, "manager@riverside.example")
    app.switch_page("app_pages/order_detail.py").run()
    app.text_input(key="order_number_input").input("RO-0000-NOPE").run()
    assert not app.exception
    assert app.error[0].value == "No order with that number is visible to you."


def test_triage_on_the_order_page_raises_the_priority_and_says_so_when_unchanged(ops_env: Path, demo_db: str) -> None:
    with db.admin_engine(demo_db).connect() as conn:
        order_id, number = conn.execute(
            text(
                "SELECT id, order_number FROM service_orders WHERE stage = 'received' AND priority = 'normal'"
                " ORDER BY id DESC LIMIT 1"
            )
        ).one()
    app = signed_in(demo_db, "frontdesk@riverside.example")
    app.session_state["order_number"] = number
    app.switch_page("app_pages/order_detail.py").run()
    app.button(key=f"triage_submit_{order_id}").click().run()  # still "normal": nothing to change
    assert not app.exception
    assert [e.value for e in app.error] == [f"Order {number} is already normal priority."]
    app.selectbox(key=f"triage_priority_{order_id}").select("emergency")
    app.text_input(key=f"triage_reason_{order_id}").input("Only phone of a care worker")
    app.button(key=f"triage_submit_{order_id}").click().run()
    assert not app.exception and not app.error
    assert app.subheader[0].value.startswith(f"{number} · received · emergency")


def _stages_of(demo_db: str, ids: list[int]) -> list[str]:
    with db.admin_engine(demo_db).connect() as conn:
        return list(
            conn.execute(
                text("SELECT stage FROM service_orders WHERE id = ANY(:ids) ORDER BY id"), {"ids": ids}
            ).scalars()
        )


def test_board_bulk_action_moves_the_chosen_orders_or_none(ops_env: Path, demo_db: str) -> None:
    with db.admin_engine(demo_db).connect() as conn:
        received = list(
            conn.execute(
                text("SELECT id FROM service_orders WHERE stage = 'received' ORDER BY received_at, id LIMIT 2")
            ).scalars()
        )
    app = signed_in(demo_db, "frontdesk@riverside.example")
    app.switch_page("app_pages/orders_board.py").run()
    app.multiselect(key="bulk_orders").set_value(received).run()
    app.radio(key="bulk_action").set_value("Move to stage").run()
    app.selectbox(key="bulk_stage").select("closed").run()
    app.button(key="bulk_apply").click().run()
    assert not app.exception
    assert len(app.error) == 1 and app.error[0].value.endswith("Nothing was changed.")
    assert _stages_of(demo_db, received) == ["received", "received"]

    app.selectbox(key="bulk_stage").select("diagnostics").run()
    app.button(key="bulk_apply").click().run()
    assert not app.exception and not app.error
    assert _stages_of(demo_db, received) == ["diagnostics", "diagnostics"]


def test_board_has_no_bulk_actions_for_a_read_only_role(ops_env: Path, demo_db: str) -> None:
    app = signed_in(demo_db, "auditor@riverside.example")
    app.switch_page("app_pages/orders_board.py").run()
    assert not app.exception
    assert "bulk_orders" not in [m.key for m in app.multiselect]


def test_the_order_page_offers_every_document_of_the_order(ops_env: Path, demo_db: str) -> None:
    with db.admin_engine(demo_db).connect() as conn:
        number, invoice = conn.execute(
            text(
                "SELECT o.order_number, i.invoice_number FROM service_orders o JOIN invoices i ON i.order_id = o.id "
                "ORDER BY o.id LIMIT 1"
            )
        ).one()
    app = signed_in(demo_db, "manager@riverside.example")
    app.session_state["order_number"] = number
    app.switch_page("app_pages/order_detail.py").run()
    assert not app.exception
    labels = {b.proto.label for b in app.get("download_button")}
    for expected in (
        "Intake receipt · PDF",
        "Estimate · DOCX",
        "Work order · PDF",
        "Release certificate · PDF",
        f"Invoice {invoice} · XLSX",
    ):
        assert expected in labels


def test_billing_prints_a_chosen_invoice(ops_env: Path, demo_db: str) -> None:
    app = signed_in(demo_db, "manager@riverside.example")
    app.switch_page("app_pages/billing.py").run()
    with db.admin_engine(demo_db).connect() as conn:
        invoice_id = conn.execute(
            text("SELECT id FROM invoices ORDER BY issued_at DESC NULLS LAST, id DESC LIMIT 1")
        ).scalar_one()
    app.selectbox(key="print_invoice").set_value(invoice_id).run()
    assert not app.exception
    labels = {b.proto.label for b in app.get("download_button")}
    assert {"Invoice · PDF", "Invoice · DOCX", "Invoice · XLSX"} <= labels


def test_the_order_page_emails_a_document_to_the_customer(ops_env: Path, demo_db: str) -> None:
    with db.admin_engine(demo_db).connect() as conn:
        order_id, number, email = conn.execute(
            text(
                "SELECT o.id, o.order_number, c.email FROM service_orders o JOIN customers c ON c.id = o.customer_id"
                " WHERE c.email IS NOT NULL AND o.stage = 'closed' ORDER BY o.id LIMIT 1"  # released to the customer
            )
        ).one()
    app = signed_in(demo_db, "frontdesk@riverside.example")
    app.session_state["order_number"] = number
    app.switch_page("app_pages/order_detail.py").run()
    app.button(key="doc_release_act_send").click().run()
    assert not app.exception and not app.error, [e.value for e in app.error]
    with db.admin_engine(demo_db).connect() as conn:
        sent = conn.execute(
            text(
                "SELECT m.address, m.order_id, a.filename, octet_length(a.content) FROM notification_outbox m"
                " JOIN notification_attachments a ON a.outbox_id = m.id WHERE m.event = 'document_sent'"
            )
        ).one()
    assert sent[:3] == (email, order_id, f"release-act-{number}.pdf") and sent[3] > 1000
