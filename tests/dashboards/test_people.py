"""Customers and technicians in the UI (AppTest, real Postgres): online request, tracking with an estimate
decision, the customer's own page with rating, and a technician's visit from check-in to sign-off."""

from __future__ import annotations

import base64
from decimal import Decimal
from pathlib import Path

from sqlalchemy import text
from streamlit.testing.v1 import AppTest

from ops_db.identity.service import authenticate, resolve_tenant
from ops_db.kit import db
from ops_db.kit.uow import UnitOfWork
from ops_db.orders.service import send_estimate
from tests.dashboards.conftest import APP, signed_in

PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89"


def _scalar(demo_db: str, sql: str, **params: object) -> object:
    with db.admin_engine(demo_db).connect() as conn:
        return conn.execute(text(sql), params).scalar()


def test_a_visitor_requests_a_repair_and_gets_a_number_at_once(ops_env: Path, demo_db: str) -> None:
    app = AppTest.from_file(APP, default_timeout=60).run()
    app.switch_page("app_pages/request.py").run()
    before = _scalar(demo_db, "SELECT count(*) FROM service_orders")
    app.text_area(key="request_problem").input("Ноутбук не включается — 电脑无法开机")
    app.text_input(key="request_name").input("Ana Souza")
    app.text_input(key="request_phone").input("+55 11 91234 5678")
    app.button(key="request_submit").click().run()
    assert not app.exception and not app.error, [e.value for e in app.error]
    number = app.session_state["order_number"]
    assert number in app.success[0].value
    assert _scalar(demo_db, "SELECT count(*) FROM service_orders") == before + 1  # type: ignore[operator]
    assert (
        _scalar(demo_db, "SELECT problem_description FROM service_orders WHERE order_number = :n", n=number)
        == "Phone: Ноутбук не включается — 电脑无法开机"
    )


def test_a_request_without_a_problem_is_one_sentence_and_opens_nothing(ops_env: Path, demo_db: str) -> None:
    app = AppTest.from_file(APP, default_timeout=60).run()
    app.switch_page("app_pages/request.py").run()
    before = _scalar(demo_db, "SELECT count(*) FROM service_orders")
    app.text_input(key="request_name").input("No Problem")
    app.button(key="request_submit").click().run()
    assert not app.exception
    assert [e.value for e in app.error] == ["Give the problem description."]
    assert _scalar(demo_db, "SELECT count(*) FROM service_orders") == before


def test_tracking_shows_the_estimate_and_the_customer_approves_it_with_the_code(ops_env: Path, demo_db: str) -> None:
    with db.admin_engine(demo_db).connect() as conn:
        order_id, number, code = (
            conn.execute(
                text(
                    "SELECT o.id, o.order_number, o.tracking_code FROM service_orders o WHERE o.stage = 'diagnostics'"
                    " AND o.estimate_status = 'none' ORDER BY o.id LIMIT 1"
                )
            )
            .tuples()
            .one()
        )
    engine = db.app_engine(demo_db)
    manager = authenticate(
        engine, resolve_tenant(engine, "riverside"), "manager@riverside.example", "demo-pass-2026"
    ).actor
    send_estimate(UnitOfWork(engine, manager), order_id, amount=Decimal("149.90"))
    app = AppTest.from_file(APP, default_timeout=60).run()
    app.switch_page("app_pages/track.py").run()
    app.text_input[1].input(number)
    app.text_input[2].input(code)
    app.button[0].click().run()
    assert not app.exception
    assert app.warning[0].value == "Estimate waiting for your decision: $149.90"
    app.button(key="estimate_yes").click().run()
    assert not app.exception and not app.error
    assert _scalar(demo_db, "SELECT estimate_status FROM service_orders WHERE id = :o", o=order_id) == "approved"
    assert not app.warning  # the page shows the decision taken: nothing waits any more


def test_a_customer_sees_only_their_own_repairs_and_rates_a_finished_one(ops_env: Path, demo_db: str) -> None:
    with db.admin_engine(demo_db).connect() as conn:
        email, customer_id, number = (
            conn.execute(
                text(
                    "SELECT u.email, u.customer_id, o.order_number FROM users u JOIN service_orders o"
                    " ON o.customer_id = u.customer_id WHERE o.stage IN ('ready', 'closed') AND NOT EXISTS"
                    " (SELECT 1 FROM order_ratings r WHERE r.order_id = o.id) ORDER BY o.id LIMIT 1"
                )
            )
            .tuples()
            .one()
        )
    app = signed_in(demo_db, email)
    assert not app.exception
    assert app.title[0].value == "My repairs"  # a customer's first page
    orders = app.dataframe[0].value
    with db.admin_engine(demo_db).connect() as conn:
        own = {
            r[0]
            for r in conn.execute(
                text("SELECT order_number FROM service_orders WHERE customer_id = :c"), {"c": customer_id}
            )
        }
    assert set(orders["order_number"]) <= own and number in set(orders["order_number"])
    app.selectbox(key="portal_order").select(number).run()
    app.select_slider(key="portal_score").set_value(4)
    app.button(key="portal_rate").click().run()
    assert not app.exception and not app.error, [e.value for e in app.error]
    assert (
        _scalar(
            demo_db,
            "SELECT r.score FROM order_ratings r JOIN service_orders o ON o.id = r.order_id WHERE o.order_number = :n",
            n=number,
        )
        == 4
    )


def test_a_technician_checks_in_and_completes_only_with_a_signature(ops_env: Path, demo_db: str) -> None:
    with db.admin_engine(demo_db).connect() as conn:
        email, booking_id, day = (
            conn.execute(
                text(
                    "SELECT u.email, b.id, (lower(b.planned) AT TIME ZONE n.time_zone)::date"
                    " FROM bookings b JOIN technicians t ON t.id = b.technician_id JOIN users u ON u.id = t.user_id"
                    " JOIN tenants n ON n.id = b.tenant_id JOIN service_orders o ON o.id = b.order_id"
                    " WHERE b.status = 'confirmed' AND o.stage = 'repair' ORDER BY lower(b.planned) LIMIT 1"
                )
            )
            .tuples()
            .one()
        )
    app = signed_in(demo_db, email)
    app.switch_page("app_pages/my_day.py").run()
    app.date_input(key="my_day").set_value(day).run()
    assert not app.exception, app.exception
    app.button(key=f"check_in_{booking_id}").click().run()
    assert not app.exception and not app.error, [e.value for e in app.error]
    assert _scalar(demo_db, "SELECT status FROM bookings WHERE id = :b", b=booking_id) == "in_progress"
    app.button(key=f"complete_{booking_id}").click().run()  # nobody signed in the box
    assert [e.value for e in app.error] == ["Ask the customer to sign in the box."]
    # What the signature box sends back once the customer drew in it (a PNG data URL; see dashboards.signature).
    app.session_state[f"signature_{booking_id}"] = {"png": "data:image/png;base64," + base64.b64encode(PNG).decode()}
    app.button(key=f"complete_{booking_id}").click().run()  # signed, the checklist left unticked
    assert next(e.value for e in app.error).startswith("Tick the checklist item")
    checklist = [box for box in app.checkbox if str(box.key).startswith(f"check_{booking_id}_")]
    assert checklist
    for box in checklist:
        box.check()  # inside the form: sent with the next click of its button
    app.button(key=f"complete_{booking_id}").click().run()  # signed and ticked, but nobody named
    assert [e.value for e in app.error] == ["Give the signer's name."]
    assert _scalar(demo_db, "SELECT status FROM bookings WHERE id = :b", b=booking_id) == "in_progress"
    app.text_input(key=f"signer_{booking_id}").input("李娜")
    app.text_input(key=f"outcome_{booking_id}").input("Replaced the compressor relay")
    app.button(key=f"complete_{booking_id}").click().run()
    assert not app.exception and not app.error, [e.value for e in app.error]
    with db.admin_engine(demo_db).connect() as conn:
        status, stage, signer = conn.execute(
            text(
                "SELECT b.status, o.stage, s.signed_by_name FROM bookings b JOIN service_orders o ON o.id = b.order_id"
                " JOIN order_signoffs s ON s.order_id = o.id AND s.kind = 'completion' WHERE b.id = :b"
            ),
            {"b": booking_id},
        ).one()
    assert (status, stage, signer) == ("done", "quality_check", "李娜")
    kind = _scalar(
        demo_db,
        "SELECT a.content_type FROM order_signoffs s JOIN bookings b ON b.order_id = s.order_id"
        " JOIN attachments a ON a.id = s.signature_attachment_id WHERE b.id = :b",
        b=booking_id,
    )
    assert kind == "image/png"  # the signature drawn on screen, kept with the sign-off
