"""Every page renders without an exception for every role (Streamlit AppTest, real Postgres and warehouse)."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest
from sqlalchemy import text
from streamlit.testing.v1 import AppTest

from ops_db.identity.service import authenticate, resolve_tenant
from ops_db.kit import db
from ops_db.kit.uow import UnitOfWork

APP = str(Path(__file__).resolve().parents[2] / "dashboards" / "app.py")
ROLES = ("admin", "manager", "dispatcher", "frontdesk", "inventory", "finance", "auditor", "technician", "customer")
# What each role's navigation holds, in order: the role tests of the issue ("each role sees only its pages").
EXPECTED_PAGES = {
    "admin": [
        "Home",
        "Intake",
        "Orders board",
        "Order",
        "Customers",
        "Dispatch",
        "Inventory",
        "Billing",
        "Analytics",
        "Admin",
        "Request a repair",
        "Track a repair",
        "My settings",
    ],
    "manager": [
        "Home",
        "Intake",
        "Orders board",
        "Order",
        "Customers",
        "Dispatch",
        "Inventory",
        "Billing",
        "Analytics",
        "Admin",
        "Request a repair",
        "Track a repair",
        "My settings",
    ],
    "dispatcher": [
        "Home",
        "Orders board",
        "Order",
        "Customers",
        "Dispatch",
        "Inventory",
        "Analytics",
        "Track a repair",
        "My settings",
    ],
    "frontdesk": [
        "Home",
        "Intake",
        "Orders board",
        "Order",
        "Customers",
        "Inventory",
        "Billing",
        "Analytics",
        "Request a repair",
        "Track a repair",
        "My settings",
    ],
    "inventory": ["Home", "Orders board", "Order", "Inventory", "Analytics", "Track a repair", "My settings"],
    "finance": [
        "Home",
        "Orders board",
        "Order",
        "Customers",
        "Inventory",
        "Billing",
        "Analytics",
        "Track a repair",
        "My settings",
    ],
    "auditor": [
        "Home",
        "Orders board",
        "Order",
        "Customers",
        "Dispatch",
        "Inventory",
        "Billing",
        "Analytics",
        "Admin",
        "Track a repair",
        "My settings",
    ],
    "technician": ["Home", "Orders board", "Order", "My day", "Track a repair", "My settings"],
    "customer": ["My repairs", "Request a repair", "Track a repair", "My settings"],
}


def _signed_in(demo_db: str, email: str) -> AppTest:
    engine = db.app_engine(demo_db)
    actor = authenticate(engine, resolve_tenant(engine, "riverside"), email, "demo-pass-2026").actor
    app = AppTest.from_file(APP, default_timeout=120)
    app.session_state["actor"] = actor
    return app


def test_signed_out_visitors_get_sign_in_and_tracking(ui_env: Path) -> None:
    app = AppTest.from_file(APP, default_timeout=60).run()
    assert not app.exception
    assert app.title[0].value == "Sign in to RepairOps"
    app.text_input[1].input("nobody@riverside.example")
    app.text_input[2].input("wrong")
    app.button[0].click().run()
    assert app.error[0].value == "The email, password or code is not correct."


def _login_of(demo_db: str, role: str) -> str:
    """The demo login of a role (staff have role@riverside.example; technicians and customers are numbered)."""
    if role not in ("technician", "customer"):
        return f"{role}@riverside.example"
    with db.admin_engine(demo_db).connect() as conn:
        return str(
            conn.execute(
                text(
                    "SELECT u.email FROM users u JOIN role_grants g ON g.user_id = u.id JOIN roles r"
                    " ON r.id = g.role_id"
                    " WHERE r.code = :r ORDER BY u.id LIMIT 1"
                ),
                {"r": role},
            ).scalar_one()
        )


@pytest.mark.parametrize("role", ROLES)
def test_every_page_renders_for_every_role_and_each_role_gets_only_its_pages(
    ui_env: Path, demo_db: str, role: str
) -> None:
    from dashboards.session import visible_pages

    app = _signed_in(demo_db, _login_of(demo_db, role)).run()
    assert not app.exception, app.exception
    actor = app.session_state["actor"]
    pages = visible_pages(actor)
    assert [p.title for p in pages] == EXPECTED_PAGES[role]
    for page in pages:
        app.switch_page(page.path).run()
        assert not app.exception, (page.path, app.exception)


def test_tracking_by_number_and_code_shows_the_stage(ui_env: Path, demo_db: str) -> None:
    with db.admin_engine(demo_db).connect() as conn:
        number, code, stage = (
            conn.execute(text("SELECT order_number, tracking_code, stage FROM service_orders ORDER BY id LIMIT 1"))
            .tuples()
            .one()
        )
    app = AppTest.from_file(APP, default_timeout=60).run()
    app.switch_page("app_pages/track.py").run()
    app.text_input[1].input(number)
    app.text_input[2].input("not-the-code")
    app.button[0].click().run()
    assert app.error[0].value == "No order matches that number and code."
    app.text_input[2].input(code)
    app.button[0].click().run()
    assert not app.exception and app.subheader[0].value == f"{number}: {stage.replace('_', ' ')}"


def test_the_board_search_finds_an_order_by_number(ui_env: Path, demo_db: str) -> None:
    with db.admin_engine(demo_db).connect() as conn:
        number = conn.execute(text("SELECT order_number FROM service_orders WHERE stage = 'ready' LIMIT 1")).scalar()
    app = _signed_in(demo_db, "frontdesk@riverside.example").run()
    app.switch_page("app_pages/orders_board.py").run()
    app.text_input(key="search").input(str(number)).run()
    assert not app.exception
    frame = app.dataframe[0].value
    assert list(frame["order_number"]) == [number]


def test_a_technician_sees_only_the_customers_of_their_own_jobs(ui_env: Path, demo_db: str) -> None:
    from ops_db.orders.queries import open_orders

    engine = db.app_engine(demo_db)
    tenant = resolve_tenant(engine, "riverside")
    manager = authenticate(engine, tenant, "manager@riverside.example", "demo-pass-2026").actor
    tech = authenticate(engine, tenant, "tech1@riverside.example", "demo-pass-2026").actor
    everything, own = open_orders(UnitOfWork(engine, manager)), open_orders(UnitOfWork(engine, tech))
    assert 0 < len(own) < len(everything)
    with db.admin_engine(demo_db).connect() as conn:
        allowed = {
            r[0]
            for r in conn.execute(
                text(
                    "SELECT DISTINCT c.name FROM service_orders o JOIN customers c ON c.id = o.customer_id "
                    "WHERE o.assigned_technician_id = :t"
                ),
                {"t": tech.technician_id},
            )
        }
    assert set(own.column("customer")) <= allowed


def test_the_board_counts_every_open_order_not_only_the_ones_it_lists(ui_env: Path, demo_db: str) -> None:
    from ops_db.orders.queries import BOARD_STAGES, board_cards, open_order_counts, open_orders

    engine = db.app_engine(demo_db)
    manager = authenticate(
        engine, resolve_tenant(engine, "riverside"), "manager@riverside.example", "demo-pass-2026"
    ).actor
    counts = open_order_counts(UnitOfWork(engine, manager))
    with db.admin_engine(demo_db).connect() as conn:
        direct = dict(
            conn.execute(
                text("SELECT stage, count(*) FROM service_orders WHERE stage = ANY(:s) GROUP BY stage"),
                {"s": list(BOARD_STAGES)},
            ).all()
        )
    assert {s: counts[s] for s in BOARD_STAGES} == {s: direct.get(s, 0) for s in BOARD_STAGES}
    assert counts["total"] == sum(direct.values()) > 5
    assert len(open_orders(UnitOfWork(engine, manager), limit=5)) == 5  # the table is capped, the counts are not
    stages = Counter(board_cards(UnitOfWork(engine, manager), per_stage=2).column("stage"))
    assert max(stages.values()) <= 2
    assert set(stages) == {s for s in BOARD_STAGES if counts[s]}
