"""The optimizer on the demo company: the stored proposal passes an independent check, and accepting it books it."""

from __future__ import annotations

import math
import os
import subprocess
import sys
from collections.abc import Iterator, Sequence
from datetime import date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import text

from ops_db.identity.service import resolve_tenant
from ops_db.kit.db import app_engine
from ops_db.kit.uow import Actor, UnitOfWork
from ops_db.workforce import planning
from optimizer import baseline, check
from optimizer.snapshot import problem_from_snapshot
from pipelines.planning import propose
from tests.conftest import Templates, _temporary_database

AS_OF = date(2026, 11, 24)
DAY = AS_OF + timedelta(days=1)


@pytest.fixture
def demo(server_url: str, templates: Templates) -> Iterator[tuple[str, Actor]]:
    """A copy of the demo company seeded with 42 as of AS_OF (seeded once for the run)."""
    for url in _temporary_database(server_url, templates.demo(42, AS_OF)):
        yield url, Actor.system(resolve_tenant(app_engine(url), "riverside"), "test")


def _road_seconds(a: list[float] | None, b: list[float] | None) -> int:
    """Travel time recomputed here from coordinates (haversine × 1.3 at 40 km/h), not by the optimizer."""
    if not a or not b:
        return 0
    p1, p2 = math.radians(a[0]), math.radians(b[0])
    h = math.sin((p2 - p1) / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(math.radians(b[1] - a[1]) / 2) ** 2
    metres = 2 * 6_371_000 * math.asin(math.sqrt(min(1.0, h))) * 1.3
    return round(metres / (40 / 3.6))


def _violations(snap: dict[str, Any], items: Sequence[Any]) -> list[str]:
    """Check the stored plan against the snapshot alone: skills, parts (van or pickup), windows, shifts, travel."""
    techs = {int(t["id"]): t for t in snap["technicians"]}
    shop = next((w["location"] for w in snap["warehouses"] if w["location"]), None)  # bench jobs happen here
    houses = {int(w["id"]): w for w in snap["warehouses"]}
    jobs = {int(j["id"]): j for j in snap["jobs"]}
    errors: list[str] = []
    taken: dict[tuple[int, str], int] = {}
    by_tech: dict[int, list[Any]] = {}
    for item in items:
        by_tech.setdefault(item.technician_id, []).append(item)
    for tech_id, stops in by_tech.items():
        tech = techs[tech_id]
        home = tech["home"] or tech["depot"]
        stops.sort(key=lambda s: s.sequence)
        clock, here = datetime.fromisoformat(tech["shift_start"]), home
        used: dict[str, int] = {}
        for stop in stops:
            job = jobs[stop.order_id]
            start, end = stop.planned.lower, stop.planned.upper
            place = job["location"] or shop
            pickup = stop.explanation.get("pickup")
            if pickup is None:
                way = _road_seconds(here, place)
                for part, qty in job["parts"].items():
                    used[part] = used.get(part, 0) + qty
            else:  # parts collected on the way: reserved there for this job, or from the free stock
                house = houses[pickup["warehouse_id"]]
                way = _road_seconds(here, house["location"]) + 600 + _road_seconds(house["location"], place)
                if job.get("parts_at") != str(pickup["warehouse_id"]):
                    for part, qty in job["parts"].items():
                        taken[(pickup["warehouse_id"], part)] = taken.get((pickup["warehouse_id"], part), 0) + qty
            if start < clock + timedelta(seconds=way):
                errors.append(f"order {stop.order_id}: starts before {tech_id} can get there")
            windows = [(datetime.fromisoformat(a), datetime.fromisoformat(b)) for a, b in job["windows"]]
            if windows and not job["fixed"] and not any(a <= start <= b for a, b in windows):
                errors.append(f"order {stop.order_id}: starts outside the customer's windows")
            for skill, level in job["skills"].items():
                if tech["skills"].get(skill, 0) < level:
                    errors.append(f"order {stop.order_id}: {tech_id} lacks {skill} level {level}")
            clock, here = end, place or here
        back = clock + timedelta(seconds=_road_seconds(here, home))
        if back > datetime.fromisoformat(tech["shift_end"]):
            errors.append(f"technician {tech_id} is back after the shift ends")
        for part, qty in used.items():
            if tech["van_stock"].get(part, 0) < qty:
                errors.append(f"technician {tech_id} needs {qty} x {part} but the van has fewer")
    for (house_id, part), qty in taken.items():
        if houses[house_id]["stock"].get(part, 0) < qty:
            errors.append(f"warehouse {house_id} gives {qty} x {part}, more than it has free")
    return errors


def test_the_demo_plan_is_feasible_better_than_by_hand_and_can_be_accepted(demo: tuple[str, Actor]) -> None:
    url, actor = demo
    engine = app_engine(url)
    proposal = propose(engine, actor, DAY, time_limit=8, seed=1, now=datetime.fromisoformat("2026-11-24T18:00+00:00"))
    assert proposal.violations == [] and check(proposal.plan) == []
    snap = planning.snapshot(UnitOfWork(engine, actor), DAY, now=datetime.fromisoformat("2026-11-24T18:00+00:00"))
    with UnitOfWork(engine, actor) as uow:
        items = uow.session.execute(
            text(
                "SELECT order_id, technician_id, sequence, planned, explanation FROM plan_items"
                " WHERE plan_id = :p AND technician_id IS NOT NULL"
            ),
            {"p": proposal.saved.plan_id},
        ).all()
    assert len(items) == proposal.saved.assigned > 0
    assert _violations(snap, items) == []
    pickups = [i for i in items if i.explanation.get("pickup")]
    assert pickups, "the demo day has jobs whose reserved parts wait at a warehouse"

    greedy_plan = baseline(problem_from_snapshot(snap))
    greedy, kpis = greedy_plan.kpis(), proposal.plan.kpis()
    # Serving more jobs comes first in the objective; travel only decides between equal service.
    assert kpis.served > greedy.served or (kpis.served == greedy.served and kpis.travel_time < greedy.travel_time)
    assert proposal.plan.cost() < greedy_plan.cost()

    result = planning.accept_plan(UnitOfWork(engine, actor), proposal.saved.plan_id)
    assert result.failed == {} and len(result.booked) == proposal.saved.assigned
    diff = planning.plan_diff(UnitOfWork(engine, actor), proposal.saved.plan_id)
    assert {row.change for row in diff} <= {"unchanged", "unassigned"}


def test_repairops_plan_prints_kpis_and_diff_and_refuses_bad_dates(demo: tuple[str, Actor]) -> None:
    url, _ = demo
    env = {**os.environ, "DATABASE_URL": url, "COLUMNS": "200"}
    cli = [sys.executable, "-m", "repairops.cli", "plan"]
    done = subprocess.run(
        [*cli, "--date", DAY.isoformat(), "--time-limit", "3"],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "jobs served" in done.stdout and "Diff against current bookings" in done.stdout
    sick = subprocess.run(
        [*cli, "--date", DAY.isoformat(), "--time-limit", "2", "--sick", "1"],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
        check=False,
    )
    assert sick.returncode == 0, sick.stderr
    assert "Technician 1 is off from now" in sick.stdout and "jobs served" in sick.stdout
    for bad in (
        ["--date", "tomorrow"],
        ["--date", DAY.isoformat(), "--time-limit", "-1"],
        ["--date", DAY.isoformat(), "--tenant", "nobody"],
        ["--accept", "--accept-only", "1"],
        ["--date", DAY.isoformat(), "--sick", "999999"],
    ):
        refused = subprocess.run([*cli, *bad], capture_output=True, text=True, env=env, timeout=300, check=False)
        assert refused.returncode != 0 and "Traceback" not in refused.stderr + refused.stdout, bad
