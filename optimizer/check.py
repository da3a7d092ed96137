"""An independent feasibility checker: recomputes every leg from the travel matrix.

It shares no code with the model or the schedulers beyond the problem data, so a bug in how a
plan is built or read back from the solver shows up here as a violation.
"""

from __future__ import annotations

from optimizer.plan import BreakTaken, Pickup, Plan, Route, Visit
from optimizer.problem import Job, Problem, Technician, Warehouse


def check(plan: Plan) -> list[str]:
    """Every violated constraint of the plan, as one sentence each; empty if feasible."""
    problem = plan.problem
    errors = _coverage(plan)
    tech_index = {t.id: i for i, t in enumerate(problem.technicians)}
    for route in plan.routes:
        if route.technician_id not in tech_index:
            continue
        errors += _route_errors(problem, tech_index[route.technician_id], route)
    return errors + _warehouse_errors(plan)


def _warehouse_errors(plan: Plan) -> list[str]:
    """Pickups only where the parts are, and no warehouse gives more free stock than it has."""
    houses = {w.id: w for w in plan.problem.warehouses}
    given: dict[tuple[str, str], int] = {}
    errors: list[str] = []
    for route in plan.routes:
        for visit in route.visits:
            if visit.pickup is None:
                continue
            job, house = plan.problem.job(visit.job_id), houses.get(visit.pickup.warehouse_id)
            if house is None:
                errors.append(f"job {job.id} picks up at unknown warehouse {visit.pickup.warehouse_id}")
            elif job.parts_reserved_at is not None and job.parts_reserved_at != house.id:
                errors.append(f"job {job.id} picks up at {house.id}, its parts are reserved at {job.parts_reserved_at}")
            elif job.parts_reserved_at is None:
                for part, qty in job.required_parts.items():
                    given[(house.id, part)] = given.get((house.id, part), 0) + qty
    for (house_id, part), qty in sorted(given.items()):
        have = houses[house_id].stock.get(part, 0)
        if qty > have:
            errors.append(f"warehouse {house_id} gives {qty} x {part}, has {have} free")
    return errors


def _coverage(plan: Plan) -> list[str]:
    errors: list[str] = []
    problem = plan.problem
    seen: dict[str, int] = {}
    techs = [r.technician_id for r in plan.routes]
    known_techs = {t.id for t in problem.technicians}
    for tech_id in techs:
        if tech_id not in known_techs:
            errors.append(f"route for unknown technician {tech_id}")
    if len(set(techs)) != len(techs):
        errors.append("a technician has more than one route")
    for job_id in [v.job_id for r in plan.routes for v in r.visits] + [u.job_id for u in plan.unassigned]:
        seen[job_id] = seen.get(job_id, 0) + 1
    for job in problem.jobs:
        count = seen.pop(job.id, 0)
        if count != 1:
            errors.append(f"job {job.id} appears {count} times (served or unassigned)")
    errors += [f"unknown job {job_id} in plan" for job_id in seen]
    return errors


def _route_errors(problem: Problem, t: int, route: Route) -> list[str]:
    tech = problem.technicians[t]
    who = f"technician {tech.id}"
    errors: list[str] = []
    if not route.visits:
        return errors
    jobs = [problem.job(v.job_id) for v in route.visits]
    errors += _assignment_errors(tech, jobs, route.visits)
    errors += _timing_errors(problem, t, route, jobs)
    if route.departure < tech.shift_start:
        errors.append(f"{who} leaves at {route.departure} before shift start {tech.shift_start}")
    if route.arrival_back > tech.latest_end:
        errors.append(f"{who} returns at {route.arrival_back} after {tech.latest_end}")
    span = route.arrival_back - route.departure
    if tech.max_work_time is not None and span > tech.max_work_time:
        errors.append(f"{who} works {span} s, more than {tech.max_work_time}")
    travel = sum(v.travel_time for v in route.visits) + route.return_travel_time
    if tech.max_travel_time is not None and travel > tech.max_travel_time:
        errors.append(f"{who} drives {travel} s, more than {tech.max_travel_time}")
    return errors


def _level(tech: Technician, job: Job) -> int | None:
    level: int | None = None
    for skill, minimum in job.required_skills.items():
        have = tech.skills.get(skill, 0)
        if have < minimum:
            return None
        level = have if level is None else min(level, have)
    return level if level is not None else max(tech.skills.values(), default=1)


def _assignment_errors(tech: Technician, jobs: list[Job], visits: tuple[Visit, ...]) -> list[str]:
    errors: list[str] = []
    parts: dict[str, int] = {}
    for job, visit in zip(jobs, visits, strict=True):
        if job.pinned_technician is not None and job.pinned_technician != tech.id:
            errors.append(f"job {job.id} is pinned to {job.pinned_technician}, not {tech.id}")
        if _level(tech, job) is None and not job.fixed:
            errors.append(f"technician {tech.id} lacks the skills for job {job.id}")
        if visit.pickup is not None or job.parts_on_site:
            continue  # parts collected on the way, or waiting at the workshop
        for part, qty in job.required_parts.items():
            parts[part] = parts.get(part, 0) + qty
    for part, qty in parts.items():
        if tech.van_stock.get(part, 0) < qty:
            errors.append(f"technician {tech.id} needs {qty} x {part}, van has {tech.van_stock.get(part, 0)}")
    load = sum(job.demand for job in jobs)
    if tech.capacity is not None and load > tech.capacity:
        errors.append(f"technician {tech.id} carries {load}, capacity {tech.capacity}")
    return errors


def _in_gap(brk: BreakTaken, lo: int, hi: int) -> bool:
    return lo <= brk.start and brk.end <= hi


def _timing_errors(problem: Problem, t: int, route: Route, jobs: list[Job]) -> list[str]:
    tech, m = problem.technicians[t], problem.matrix
    errors: list[str] = []
    places = [m.start(t)] + [m.job(problem.job_index(job.id)) for job in jobs] + [m.end(t)]
    starts = [route.departure] + [v.start for v in route.visits] + [route.arrival_back]
    ends = [route.departure] + [v.end for v in route.visits]
    legs = [(v.travel_time, v.travel_distance) for v in route.visits]
    legs.append((route.return_travel_time, route.return_travel_distance))
    breaks_placed = [False] * len(route.breaks)
    for k, job in enumerate(jobs):
        visit = route.visits[k]
        level = _level(tech, job)
        expected = job.duration_for(level if level is not None else 0)
        if visit.end - visit.start != expected:
            errors.append(f"job {job.id} lasts {visit.end - visit.start} s, expected {expected}")
        windows = job.allowed_starts()
        if windows and not any(w.start <= visit.start <= w.end for w in windows):
            errors.append(f"job {job.id} starts at {visit.start} outside its windows")
        if job.fixed and visit.start != job.pinned_start:
            errors.append(f"fixed job {job.id} moved from {job.pinned_start} to {visit.start}")
        if visit.arrival > visit.start:
            errors.append(f"job {job.id} starts at {visit.start} before arrival {visit.arrival}")
    for k in range(len(places) - 1):
        a, b = places[k], places[k + 1]
        pickup = route.visits[k].pickup if k < len(route.visits) else None
        house = _house(problem, pickup)
        drive = (
            (m.time(a, b), m.dist(a, b))
            if house is None
            else (m.time(a, house[0]) + m.time(house[0], b), m.dist(a, house[0]) + m.dist(house[0], b))
        )
        stay = 0 if house is None else house[1].pickup_time
        if legs[k] != drive:
            errors.append(f"{tech.id} leg {k} states {legs[k]}, matrix says {drive}")
        pause = 0
        in_gap = []
        for i, brk in enumerate(route.breaks):
            if _in_gap(brk, ends[k], starts[k + 1]):
                breaks_placed[i] = True
                pause += brk.end - brk.start
                in_gap.append(brk)
        if starts[k + 1] < ends[k] + drive[0] + stay + pause:
            errors.append(f"{tech.id} cannot make leg {k}: {ends[k]} + {drive[0]} + {stay} + {pause} > {starts[k + 1]}")
        if pickup is not None and house is not None:
            errors += _pickup_errors(
                m.time(a, house[0]),
                m.time(house[0], b),
                stay,
                ends[k],
                starts[k + 1],
                route.visits[k].arrival,
                pickup,
                in_gap,
                f"{tech.id} stop {k}",
            )
        elif k < len(route.visits) and route.visits[k].arrival < ends[k] + drive[0]:
            errors.append(f"{tech.id} arrives at stop {k} sooner than travel allows")
    errors += _break_errors(tech, route, breaks_placed)
    return errors


def _house(problem: Problem, pickup: Pickup | None) -> tuple[int, Warehouse] | None:
    """(place, warehouse) of a pickup, or None (no pickup, or an unknown warehouse: reported elsewhere)."""
    if pickup is None or pickup.warehouse_id not in {w.id for w in problem.warehouses}:
        return None
    w = problem.warehouse_index(pickup.warehouse_id)
    return problem.matrix.warehouse(w), problem.warehouses[w]


def _pickup_errors(
    to_house: int,
    to_job: int,
    stay: int,
    leave: int,
    start: int,
    arrival: int,
    pickup: Pickup,
    breaks: list[BreakTaken],
    where: str,
) -> list[str]:
    """The pickup happens after driving to the warehouse and leaves time to drive on; a break in the same gap
    lies wholly before, during or after it."""
    errors: list[str] = []
    if pickup.travel_time != to_house:
        errors.append(f"{where}: drive to the warehouse states {pickup.travel_time} s, matrix says {to_house}")
    before = sum(b.end - b.start for b in breaks if b.end <= pickup.start)
    during = sum(b.end - b.start for b in breaks if pickup.start <= b.start and b.end <= pickup.end)
    after = sum(b.end - b.start for b in breaks if b.start >= pickup.end)
    if before + during + after != sum(b.end - b.start for b in breaks):
        errors.append(f"{where}: a break straddles the pickup at {pickup.warehouse_id}")
    if pickup.start < leave + to_house + before:
        errors.append(f"{where}: pickup at {pickup.start} before the warehouse can be reached")
    if pickup.end - pickup.start < stay + during:
        errors.append(f"{where}: pickup lasts {pickup.end - pickup.start} s, needs {stay + during}")
    if start < pickup.end + to_job + after or arrival < pickup.end + to_job:
        errors.append(f"{where}: the job cannot be reached {to_job} s after the pickup ends at {pickup.end}")
    return errors


def _break_errors(tech: Technician, route: Route, placed: list[bool]) -> list[str]:
    lunch = tech.lunch
    errors: list[str] = []
    if lunch is None:
        return [f"{tech.id} has a break but no break is due"] if route.breaks else []
    for brk, ok in zip(route.breaks, placed, strict=True):
        outside = brk.end <= route.departure or brk.start >= route.arrival_back
        if not (ok or outside):
            errors.append(f"{tech.id} break at {brk.start} overlaps a job or leaves no time to drive")
        if not lunch.earliest_start <= brk.start <= lunch.latest_start:
            errors.append(f"{tech.id} break starts at {brk.start} outside its window")
        if brk.end - brk.start != lunch.duration:
            errors.append(f"{tech.id} break lasts {brk.end - brk.start}, expected {lunch.duration}")
    if len(route.breaks) > 1:
        errors.append(f"{tech.id} takes {len(route.breaks)} breaks")
    if not route.breaks:
        after = route.arrival_back <= lunch.latest_start
        before = route.departure >= lunch.earliest_start + lunch.duration
        if not (after or before):
            errors.append(f"{tech.id} works through the lunch break")
    return errors
