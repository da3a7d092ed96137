"""The demo company's next day looks like a real shop's: about a day's work waiting for technicians who have the
skills, mostly within its SLA, so the optimizer places most of it and lateness is counted in hours (issue 19:
before, 166 of 241 jobs stayed unassigned with 7,567 h of SLA lateness)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import text

from ops_db.identity.service import resolve_tenant
from ops_db.kit.db import app_engine
from ops_db.kit.uow import Actor, UnitOfWork
from ops_db.workforce import planning
from pipelines.planning import propose
from tests.conftest import Templates, _temporary_database

AS_OF = date(2026, 11, 24)  # a Tuesday
DAY = AS_OF + timedelta(days=1)


@pytest.fixture(scope="module")
def demo(server_url: str, templates: Templates) -> Iterator[tuple[str, Actor]]:
    """A copy of the demo company seeded with 42 as of AS_OF (the one `make demo` writes, on a pinned day)."""
    for url in _temporary_database(server_url, templates.demo(42, AS_OF)):
        yield url, Actor.system(resolve_tenant(app_engine(url), "riverside"), "test")


def _shift_minutes(technician: dict[str, str]) -> float:
    start, end = (datetime.fromisoformat(technician[k]) for k in ("shift_start", "shift_end"))
    return (end - start).total_seconds() / 60


def test_the_next_days_work_fits_the_technicians_there_are(demo: tuple[str, Actor]) -> None:
    url, actor = demo
    snap = planning.snapshot(UnitOfWork(app_engine(url), actor), DAY)
    jobs, technicians = snap["jobs"], snap["technicians"]
    work = sum(int(j["minutes"]) for j in jobs)
    capacity = sum(_shift_minutes(t) for t in technicians)
    assert len(jobs) >= 20 and work <= 0.8 * capacity, (len(jobs), work, capacity)
    holders = Counter(skill for t in technicians for skill in t["skills"])
    needed = Counter(skill for j in jobs for skill in j["skills"])
    assert all(holders[skill] >= 2 for skill in needed), (needed, holders)


def test_a_jobs_sla_deadline_is_its_earliest_clock_still_running(demo: tuple[str, Actor]) -> None:
    """A response clock stopped late (breached, long ago) no longer makes the job late all over again."""
    url, actor = demo
    engine = app_engine(url)
    snap = planning.snapshot(UnitOfWork(engine, actor), DAY)
    with engine.connect() as conn:
        conn.execute(text("SELECT set_config('app.tenant_id', :t, false)"), {"t": str(actor.tenant_id)})
        running = dict(
            conn.execute(
                text(
                    "SELECT order_id::text, min(due_at) FROM sla_clocks WHERE stopped_at IS NULL"
                    " AND state IN ('running', 'at_risk', 'breached') GROUP BY order_id"
                )
            )
            .tuples()
            .all()
        )
    deadlines = {j["id"]: j["sla_deadline"] for j in snap["jobs"]}
    assert deadlines == {k: (running[k].astimezone(UTC).isoformat() if k in running else None) for k in deadlines}


def test_the_optimizer_places_most_of_the_day_with_lateness_in_hours(demo: tuple[str, Actor]) -> None:
    url, actor = demo
    proposal = propose(app_engine(url), actor, DAY, time_limit=5, seed=1)
    jobs = proposal.saved.assigned + proposal.saved.unassigned
    assert proposal.saved.unassigned <= 0.1 * jobs, (proposal.saved.assigned, proposal.saved.unassigned)
    assert proposal.plan.kpis().sla_lateness < 100 * 3600
