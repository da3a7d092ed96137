"""The interchange format with the operational database: a dispatch-day snapshot in, plan items out.

The optimizer never touches a database. ``ops_db.workforce.planning.snapshot`` writes a plain,
JSON-ready description of a day; this module reads it into a :class:`~optimizer.problem.Problem`
(times become integer seconds since the snapshot's ``day_start``), and turns a
:class:`~optimizer.plan.Plan` back into plain items that ``save_proposed_plan`` stores.
Format (all times ISO 8601 with offset, coordinates ``[lat, lon]``)::

    {"day_start": ..., "now": ... | null,
     "technicians": [{"id", "skills": {code: level}, "shift_start", "shift_end",
                      "break": {"earliest_start", "latest_end", "minutes"} | null,
                      "home": [lat, lon] | null, "depot": [lat, lon] | null,
                      "max_work_minutes", "max_travel_minutes", "hourly_cost": "35.10",
                      "van_stock": {part: qty}}],
     "jobs": [{"id", "location": [lat, lon] | null, "minutes", "windows": [[start, end]],
               "skills": {code: level}, "priority", "sla_deadline" | null, "parts": {part: qty},
               "parts_at": warehouse id | null (where those parts are reserved for the job),
               "pinned_technician" | null, "pinned_start" | null, "fixed": bool,
               "current": {"technician", "start", ...} | null (the booking the day has now)}],
     "warehouses": [{"id", "location": [lat, lon] | null, "stock": {part: free qty},
                     "pickup_minutes" (default 10)}]}

Warehouses without coordinates cannot be driven to and are left out.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from optimizer.baseline import baseline
from optimizer.check import check
from optimizer.plan import Plan
from optimizer.problem import Break, Job, Location, Priority, Problem, Technician, TimeWindow, Warehouse, Weights
from optimizer.solve import solve
from optimizer.travel import HaversineTravel, TravelProvider

# Moving a booked job to another technician must gain at least this much (30 minutes of driving): a re-plan
# keeps the current plan unless the change is worth it.
CHANGE_PER_JOB = 1800 * Weights().travel_per_second
PRIORITIES = {"emergency": Priority.EMERGENCY, "high": Priority.HIGH, "normal": Priority.NORMAL, "low": Priority.LOW}
DEFAULT_DEPOT = (0.0, 0.0)


def _seconds(value: str | None, origin: datetime) -> int | None:
    if value is None:
        return None
    return int((datetime.fromisoformat(value) - origin).total_seconds())


def _location(point: Any) -> Location | None:
    if not point:
        return None
    return Location(float(point[0]), float(point[1]))


def problem_from_snapshot(
    snapshot: Mapping[str, Any], *, name: str | None = None, travel: TravelProvider | None = None
) -> Problem:
    """Read a dispatch-day snapshot into a Problem (jobs and technicians keep their database ids as strings).

    ``travel`` defaults to the haversine estimate.
    """
    origin = datetime.fromisoformat(snapshot["day_start"])
    techs = [_technician(t, origin) for t in snapshot["technicians"]]
    tech_ids = {t.id for t in techs}
    shop = workshop(snapshot)
    houses = tuple(_warehouse(raw) for raw in snapshot.get("warehouses") or [] if _location(raw.get("location")))
    house_ids = {w.id for w in houses}
    jobs = []
    for raw in snapshot["jobs"]:
        job = _job(raw, origin, tech_ids, shop, house_ids)
        if job is not None:
            jobs.append(job)
    return Problem(
        tuple(techs),
        tuple(jobs),
        travel=travel or HaversineTravel(),
        weights=Weights(change_per_job=CHANGE_PER_JOB),
        name=name or str(snapshot.get("date", "day")),
        warehouses=houses,
    )


def _warehouse(raw: Mapping[str, Any]) -> Warehouse:
    location = _location(raw.get("location"))
    assert location is not None
    return Warehouse(
        str(raw["id"]),
        location,
        {str(k): int(v) for k, v in (raw.get("stock") or {}).items() if int(v) > 0},
        int(raw.get("pickup_minutes") or 10) * 60,
    )


def workshop(snapshot: Mapping[str, Any]) -> Location | None:
    """Where bench (workshop) jobs are done: the first warehouse with coordinates, else a technician's depot.

    A technician who starts at home and has a bench job drives to the workshop for it; one who starts
    at the workshop does not travel at all.
    """
    for place in snapshot.get("warehouses") or []:
        if _location(place.get("location")) is not None:
            return _location(place["location"])
    for tech in snapshot["technicians"]:
        if _location(tech.get("depot")) is not None:
            return _location(tech["depot"])
    return None


def _technician(raw: Mapping[str, Any], origin: datetime) -> Technician:
    start, end = _seconds(raw["shift_start"], origin), _seconds(raw["shift_end"], origin)
    assert start is not None and end is not None
    end = max(start, end)
    home = _location(raw.get("home")) or _location(raw.get("depot")) or Location(*DEFAULT_DEPOT)
    lunch = None
    brk = raw.get("break")
    if brk:
        minutes = int(brk["minutes"]) * 60
        earliest = _seconds(brk["earliest_start"], origin)
        latest_end = _seconds(brk["latest_end"], origin)
        assert earliest is not None and latest_end is not None
        latest = latest_end - minutes
        if earliest <= latest and start <= earliest and latest + minutes <= end:
            lunch = Break(earliest, latest, minutes)
    cost = int(Decimal(str(raw.get("hourly_cost") or "0")) * 100)
    return Technician(
        id=str(raw["id"]),
        skills={k: int(v) for k, v in (raw.get("skills") or {}).items()},
        shift_start=start,
        shift_end=end,
        start_location=home,
        lunch=lunch,
        max_work_time=int(raw.get("max_work_minutes") or 600) * 60,
        max_travel_time=int(raw.get("max_travel_minutes") or 240) * 60,
        hourly_cost_cents=cost,
        van_stock={str(k): int(v) for k, v in (raw.get("van_stock") or {}).items() if int(v) > 0},
    )


def _job(
    raw: Mapping[str, Any], origin: datetime, tech_ids: set[str], shop: Location | None, house_ids: set[str]
) -> Job | None:
    windows = []
    for start, end in raw.get("windows") or []:
        a, b = _seconds(start, origin), _seconds(end, origin)
        if a is not None and b is not None and a <= b:
            windows.append(TimeWindow(a, b))
    pinned_tech = raw.get("pinned_technician")
    if pinned_tech is not None and str(pinned_tech) not in tech_ids:
        pinned_tech = None  # promised to someone who is not working that day: plan it afresh
    pinned_start = _seconds(raw.get("pinned_start"), origin)
    fixed = bool(raw.get("fixed")) and pinned_tech is not None and pinned_start is not None
    if pinned_start is not None and windows and not any(w.contains(pinned_start) for w in windows):
        windows = [*windows, TimeWindow(pinned_start, pinned_start)] if fixed else windows
        if not fixed:
            pinned_start = None
    if fixed:
        windows = []
    current = raw.get("current") or {}
    current_tech = str(current["technician"]) if current.get("technician") is not None else None
    return Job(
        id=str(raw["id"]),
        location=_location(raw.get("location")) or shop,
        duration=int(raw.get("minutes") or 60) * 60,
        time_windows=tuple(windows),
        required_skills={k: int(v) for k, v in (raw.get("skills") or {}).items()},
        priority=PRIORITIES.get(str(raw.get("priority")), Priority.NORMAL),
        sla_deadline=_seconds(raw.get("sla_deadline"), origin),
        required_parts={str(k): int(v) for k, v in (raw.get("parts") or {}).items() if int(v) > 0},
        pinned_technician=str(pinned_tech) if pinned_tech is not None else None,
        pinned_start=pinned_start if (fixed or pinned_start is not None) else None,
        fixed=fixed,
        parts_reserved_at=str(raw["parts_at"]) if raw.get("parts_at") and str(raw["parts_at"]) in house_ids else None,
        current_technician=current_tech if current_tech in tech_ids else None,
        current_start=_seconds(current.get("start"), origin) if current_tech in tech_ids else None,
    )


def plan_items(plan: Plan, snapshot: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The plan as plain items for ``save_proposed_plan``: one per job, assigned (with times) or with a reason."""
    origin = datetime.fromisoformat(snapshot["day_start"])
    explanations = {e.job_id: e for e in plan.explanations}
    items: list[dict[str, Any]] = []
    for route in plan.routes:
        for seq, visit in enumerate(route.visits, 1):
            why = explanations.get(visit.job_id)
            pickup = (
                None
                if visit.pickup is None
                else {
                    "warehouse_id": int(visit.pickup.warehouse_id),
                    "start": (origin + timedelta(seconds=visit.pickup.start)).isoformat(),
                    "end": (origin + timedelta(seconds=visit.pickup.end)).isoformat(),
                }
            )
            items.append(
                {
                    "order_id": int(visit.job_id),
                    "technician_id": int(route.technician_id),
                    "sequence": seq,
                    "start": (origin + timedelta(seconds=visit.start)).isoformat(),
                    "end": (origin + timedelta(seconds=max(visit.end, visit.start + 60))).isoformat(),
                    "travel_seconds": visit.travel_time,
                    "travel_meters": visit.travel_distance,
                    "explanation": {}
                    if why is None
                    else {
                        "text": why.text(),
                        "skills_matched": {k: list(v) for k, v in why.skills_matched.items()},
                        "added_travel_seconds": why.added_travel,
                        "next_best_technician": why.next_best_technician,
                        "next_best_added_travel_seconds": why.next_best_added_travel,
                        "pickup": pickup,
                    },
                }
            )
    for gap in plan.unassigned:
        items.append({"order_id": int(gap.job_id), "technician_id": None, "unassigned_reason": str(gap.reason)})
    return items


def kpis_dict(plan: Plan) -> dict[str, Any]:
    """The plan's KPIs as plain JSON data."""
    k = plan.kpis()
    return {
        "served": k.served,
        "served_by_priority": dict(k.served_by_priority),
        "unserved_by_priority": dict(k.unserved_by_priority),
        "travel_seconds": k.travel_time,
        "travel_meters": k.travel_distance,
        "overtime_seconds": k.overtime,
        "sla_lateness_seconds": k.sla_lateness,
        "utilisation": dict(k.utilisation),
    }


@dataclass(frozen=True)
class SolvedDay:
    """A dispatch day solved: the plan, its items to store, KPIs (with the greedy baseline's), and any
    constraint the independent checker found broken (empty when the plan is sound)."""

    plan: Plan
    items: list[dict[str, Any]]
    kpis: dict[str, Any]
    violations: list[str]


def solve_snapshot(
    snapshot: Mapping[str, Any], *, travel: TravelProvider | None = None, time_limit: float = 10.0, seed: int = 0
) -> SolvedDay:
    """Solve a dispatch-day snapshot end to end: problem, OR-Tools plan, check, baseline, items and KPIs."""
    problem = problem_from_snapshot(snapshot, travel=travel)
    # bounded by work, not by the clock: re-planning an unchanged day gives the same plan
    plan = solve(problem, time_limit=time_limit, seed=seed, deterministic=True)
    kpis = {**kpis_dict(plan), "baseline": kpis_dict(baseline(problem))}
    return SolvedDay(plan, plan_items(plan, snapshot), kpis, list(check(plan)))
