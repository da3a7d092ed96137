"""The dispatch page: queue ordering, the optimizer's proposal as a diff, accepting it, re-planning (AppTest)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import text
from streamlit.testing.v1 import AppTest

from dashboards.data.dispatch import priority_score
from ops_db.kit import db
from tests.conftest import DEMO_AS_OF
from tests.dashboards.conftest import signed_in

PLAN_DAY = DEMO_AS_OF + timedelta(days=1)


def _dispatcher(demo_db: str) -> AppTest:
    app = signed_in(demo_db, "dispatcher@riverside.example", timeout=180)
    app.switch_page("app_pages/dispatch.py").run()
    app.date_input(key="dispatch_day").set_value(PLAN_DAY).run()
    return app


def _open_tab(app: AppTest, label: str) -> AppTest:
    """Open Dispatch's tab, as a click on it does (only the open tab is drawn)."""
    app.session_state["dispatch_tab"] = label
    app.run()
    assert not app.exception, app.exception
    return app


# A booking's day is the company's (the demo is in Chicago), not the day in the database's zone (the machine's).
COMPANY_DAY = "(lower(b.planned) AT TIME ZONE n.time_zone)::date"


def _optimizer_bookings(demo_db: str) -> int:
    with db.admin_engine(demo_db).connect() as conn:
        return int(
            conn.execute(
                text(
                    "SELECT count(*) FROM bookings b JOIN tenants n ON n.id = b.tenant_id WHERE b.source = 'optimizer'"
                    f" AND b.status <> 'cancelled' AND {COMPANY_DAY} = :d"
                ),
                {"d": PLAN_DAY},
            ).scalar_one()
        )


def test_the_priority_score_puts_urgent_breached_and_long_waiting_jobs_first() -> None:
    now = datetime(2026, 11, 2, 12, tzinfo=UTC)
    fresh = now - timedelta(hours=1)
    assert priority_score("emergency", None, None, 0, fresh, now) > priority_score("normal", None, None, 0, fresh, now)
    assert priority_score("normal", "breached", None, 0, fresh, now) > priority_score(
        "normal", "at_risk", None, 0, fresh, now
    )
    assert (
        priority_score("normal", "running", now + timedelta(hours=3), 0, fresh, now)
        == priority_score("normal", None, None, 0, fresh, now) + 10
    )
    assert (
        priority_score("normal", None, None, 2, fresh, now) == priority_score("normal", None, None, 0, fresh, now) + 10
    )
    a_week = now - timedelta(days=7)
    assert priority_score("low", None, None, 0, a_week, now) == 30  # waiting points are capped


def test_the_queue_is_ordered_by_score_and_holds_only_unbooked_plannable_orders(ops_env: Path, demo_db: str) -> None:
    app = _dispatcher(demo_db)
    assert not app.exception, app.exception
    queue = app.dataframe[0].value
    assert len(queue) > 0
    assert list(queue["score"]) == sorted(queue["score"], reverse=True)
    with db.admin_engine(demo_db).connect() as conn:
        booked = {
            r[0]
            for r in conn.execute(
                text(
                    "SELECT o.order_number FROM bookings b JOIN service_orders o ON o.id = b.order_id"
                    " WHERE b.status IN ('tentative', 'confirmed', 'in_progress')"
                )
            )
        }
    assert not booked & set(queue["order_number"])


def test_the_dispatcher_runs_the_optimizer_sees_the_diff_and_accepts_all(ops_env: Path, demo_db: str) -> None:
    app = _open_tab(_dispatcher(demo_db), "Proposal")
    app.slider(key="plan_seconds").set_value(2)
    app.button(key="run_optimizer").click().run()
    assert not app.exception, app.exception
    assert not app.error, [e.value for e in app.error]
    assert app.success[0].value.startswith("Proposal ")
    diff = next(frame.value for frame in app.dataframe if "change" in frame.value.columns)
    assert set(diff["change"]) <= {"new", "moved", "reassigned", "unchanged", "dropped", "unassigned"}
    placed = diff[diff["technician"].notna()]
    assert len(placed) > 0 and (placed["why"].str.len() > 0).all()  # every placed job says why it went there
    before = _optimizer_bookings(demo_db)
    app.button(key="accept_all").click().run()
    assert not app.exception and not app.error
    assert app.success[-1].value.endswith("the plan is accepted.") or "partially accepted" in app.success[-1].value
    assert _optimizer_bookings(demo_db) >= before + int((diff["change"] == "new").sum()) - len(app.warning)


def test_accepting_a_selection_of_nothing_is_one_sentence(ops_env: Path, demo_db: str) -> None:
    app = _open_tab(_dispatcher(demo_db), "Proposal")
    app.slider(key="plan_seconds").set_value(2)
    app.button(key="run_optimizer").click().run()
    before = _optimizer_bookings(demo_db)
    app.button(key="accept_selected").click().run()
    assert not app.exception
    assert [e.value for e in app.error] == ["Choose at least one order to accept."]
    assert _optimizer_bookings(demo_db) == before


def test_a_technician_off_sick_loses_the_days_bookings_and_the_day_is_replanned(ops_env: Path, demo_db: str) -> None:
    with db.admin_engine(demo_db).connect() as conn:
        tech_id, name = conn.execute(
            text(
                "SELECT t.id, t.name FROM technicians t JOIN bookings b ON b.technician_id = t.id"
                f" JOIN tenants n ON n.id = b.tenant_id WHERE b.status IN ('tentative', 'confirmed')"
                f" AND {COMPANY_DAY} = :d"
                " GROUP BY t.id, t.name ORDER BY count(*) DESC LIMIT 1"
            ),
            {"d": PLAN_DAY},
        ).one()
    app = _open_tab(_dispatcher(demo_db), "Proposal")
    app.slider(key="plan_seconds").set_value(2)  # the optimizer's time, kept while another tab is open
    _open_tab(app, "Re-plan")
    app.selectbox(key="tech_off").select(name)
    app.button(key="mark_off").click().run()
    assert not app.exception and not app.error, [e.value for e in app.error]
    with db.admin_engine(demo_db).connect() as conn:
        left = conn.execute(
            text(
                "SELECT count(*) FROM bookings b JOIN tenants n ON n.id = b.tenant_id WHERE b.technician_id = :t"
                f" AND b.status IN ('tentative', 'confirmed') AND {COMPANY_DAY} = :d"
            ),
            {"t": tech_id, "d": PLAN_DAY},
        ).scalar_one()
        planned_for_them = conn.execute(
            text(
                "SELECT count(*) FROM plan_items i JOIN optimizer_plans p ON p.id = i.plan_id"
                " WHERE p.status = 'proposed' AND p.plan_date = :d AND i.technician_id = :t"
            ),
            {"d": PLAN_DAY, "t": tech_id},
        ).scalar_one()
    assert left == 0 and planned_for_them == 0
