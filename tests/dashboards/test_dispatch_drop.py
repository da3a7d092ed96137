"""Dragging a job on the dispatch schedule: every drop is re-checked by the optimizer's independent checker, a
sound one is stored, a broken one is refused with its reason in a sentence and changes nothing (real Postgres)."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from dashboards.data import dispatch
from ops_db.identity.service import resolve_tenant
from ops_db.kit.db import app_engine
from ops_db.kit.uow import Actor, UnitOfWork
from ops_db.workforce import planning
from ops_db.workforce.planning import DiffRow
from tests.conftest import DEMO_AS_OF

DAY = DEMO_AS_OF + timedelta(days=1)


@pytest.fixture(scope="module")
def proposed(demo_db: str) -> tuple[str, Actor, int]:
    """The demo company with a proposal for DAY (one per module; the tests below only move its jobs)."""
    actor = Actor.system(resolve_tenant(app_engine(demo_db), "riverside"), "test")
    done = dispatch.propose_plan(app_engine(demo_db), actor, DAY, time_limit=4)
    assert done.assigned > 2
    return demo_db, actor, done.plan_id


def _rows(url: str, actor: Actor, plan_id: int) -> dict[int, DiffRow]:
    return {r.order_id: r for r in planning.plan_diff(UnitOfWork(app_engine(url), actor), plan_id)}


def _assigned(rows: dict[int, DiffRow]) -> list[DiffRow]:
    return sorted(
        (r for r in rows.values() if r.technician_id is not None and r.start is not None and r.change != "unchanged"),
        key=lambda r: (r.technician_id or 0, r.start or datetime.min),
    )


def test_a_drop_outside_the_customers_hours_is_refused_and_changes_nothing(proposed: tuple[str, Actor, int]) -> None:
    url, actor, plan_id = proposed
    engine = app_engine(url)
    zone = ZoneInfo(planning.snapshot(UnitOfWork(engine, actor), DAY)["time_zone"])
    before = _rows(url, actor, plan_id)
    job = _assigned(before)[0]
    assert job.technician_id is not None
    at_night = datetime.combine(DAY, datetime.min.time(), zone) + timedelta(hours=3)
    dropped = dispatch.drop_job(engine, actor, DAY, job.order_id, job.technician_id, at_night, plan_id=plan_id)
    assert not dropped.placed
    assert any(f"{job.order_number} cannot start at 03:00" in reason for reason in dropped.reasons), dropped.reasons
    assert _rows(url, actor, plan_id) == before  # nothing stored


def test_a_drop_on_top_of_another_job_is_refused_with_who_cannot_get_where(proposed: tuple[str, Actor, int]) -> None:
    url, actor, plan_id = proposed
    engine = app_engine(url)
    before = _rows(url, actor, plan_id)
    jobs = _assigned(before)
    moving = jobs[0]
    target = next(r for r in jobs if r.technician_id != moving.technician_id)
    assert target.technician_id is not None and target.start is not None
    dropped = dispatch.drop_job(
        engine, actor, DAY, moving.order_id, target.technician_id, target.start, plan_id=plan_id
    )
    assert not dropped.placed and dropped.reasons
    names = dispatch.technicians(engine, actor)
    assert any(names[target.technician_id] in reason for reason in dropped.reasons), dropped.reasons
    # the checker's own words ("T3 cannot make leg 2: 36000 + 540 ...") are worded for a person
    assert all("leg" not in reason and "technician " not in reason for reason in dropped.reasons), dropped.reasons
    assert _rows(url, actor, plan_id) == before


def test_a_sound_drop_is_stored_and_shown_on_the_schedule(proposed: tuple[str, Actor, int]) -> None:
    url, actor, plan_id = proposed
    engine = app_engine(url)
    rows = _rows(url, actor, plan_id)
    # a technician's last job of the day a quarter of an hour later: the checker decides whether that still works
    last: dict[int, DiffRow] = {}
    for row in _assigned(rows):
        assert row.technician_id is not None
        last[row.technician_id] = row
    placed = None
    for row in last.values():
        assert row.technician_id is not None and row.start is not None
        later = row.start + timedelta(minutes=15)
        dropped = dispatch.drop_job(engine, actor, DAY, row.order_id, row.technician_id, later, plan_id=plan_id)
        if dropped.placed:
            placed = (row, later)
            break
    assert placed is not None, "no last job of the day could start 15 minutes later"
    row, later = placed
    stored = _rows(url, actor, plan_id)[row.order_id]
    assert stored.start == later and stored.technician_id == row.technician_id
    assert stored.explanation == {"by_hand": True}
    shown = dispatch.schedule(engine, actor, DAY, dispatch.latest_plan(engine, actor, DAY))
    event = next(e for e in shown.events if e["id"] == str(row.order_id))
    zone = ZoneInfo(planning.snapshot(UnitOfWork(engine, actor), DAY)["time_zone"])
    assert event["start"] == dispatch.wall(later, zone) and event["color"] == dispatch.CHANGE_COLOURS["by_hand"]
    why = dispatch.plan_changes(engine, actor, plan_id).set_index("order_id").loc[row.order_id, "why"]
    assert "by hand" in why


def test_a_drop_needs_the_right_to_change_the_plan(proposed: tuple[str, Actor, int]) -> None:
    url, actor, plan_id = proposed
    from ops_db.kit.errors import PermissionDenied

    reader = Actor(actor.tenant_id, None, "reader", frozenset({"plans.read", "workforce.read"}))
    row = _assigned(_rows(url, actor, plan_id))[0]
    assert row.technician_id is not None and row.start is not None
    with pytest.raises(PermissionDenied):
        dispatch.drop_job(app_engine(url), reader, DAY, row.order_id, row.technician_id, row.start, plan_id=plan_id)


def test_without_a_proposal_a_booking_is_dragged_and_the_checker_still_decides(demo_db: str) -> None:
    engine = app_engine(demo_db)
    actor = Actor.system(resolve_tenant(engine, "riverside"), "test")
    day = DAY + timedelta(days=1)  # no proposal on that day: the schedule shows the bookings
    assert dispatch.latest_plan(engine, actor, day) is None
    shown = dispatch.schedule(engine, actor, day, None)
    movable = [e for e in shown.events if e["editable"]]
    if not movable:
        pytest.skip("the demo has no planned booking that day")
    event = movable[0]
    zone = ZoneInfo(planning.snapshot(UnitOfWork(engine, actor), day)["time_zone"])
    at_night = datetime.combine(day, datetime.min.time(), zone) + timedelta(hours=3)
    dropped = dispatch.drop_job(
        engine,
        actor,
        day,
        int(event["id"]),
        int(event["resourceId"]),
        at_night,
        plan_id=None,
        order_number=event["title"],
    )
    assert not dropped.placed and any("03:00" in reason for reason in dropped.reasons), dropped.reasons
    again = dispatch.schedule(engine, actor, day, None)
    assert next(e for e in again.events if e["id"] == event["id"])["start"] == event["start"]  # still booked there
