"""An independent feasibility checker: recomputes every leg from the travel matrix.

It shares no code with the model or the schedulers beyond the problem data, so a bug in how a
plan is built or read back from the solver shows up here as a violation.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from optimizer.plan import BreakTaken, Pickup, Plan, Route, Visit
from optimizer.problem import Job, Problem, Technician, Warehouse


class Violation(str):
    """One broken constraint. It reads as its sentence (``check`` returns these as plain strings); ``code`` and
    ``fields`` (job, technician, times in the problem's seconds) let a caller word it for a person."""

    code: str
    fields: Mapping[str, object]

    def __new__(cls, code: str, text: str, **fields: object) -> Violation:
        """The sentence ``text``, tagged with ``code`` and the ``fields`` it is about."""
        made = super().__new__(cls, text)
        made.code = code
        made.fields = MappingProxyType(fields)
        return made

    def about(self, job_id: str | None = None, technician_id: str | None = None) -> bool:
        """Whether it concerns this job or this technician's route."""
        return (job_id is not None and self.fields.get("job") == job_id) or (
            technician_id is not None and self.fields.get("technician") == technician_id
        )


def violations(plan: Plan) -> list[Violation]:
    """Every violated constraint of the plan, structured; empty if feasible."""
    return [v if isinstance(v, Violation) else Violation("other", v) for v in check(plan)]


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
                errors.append(
                    Violation(
                        "pickup_warehouse",
                        f"job {job.id} picks up at unknown warehouse {visit.pickup.warehouse_id}",
                        job=job.id,
                        technician=route.technician_id,
                    )
                )
            elif job.parts_reserved_at is not None and job.parts_reserved_at != house.id:
                errors.append(
                    Violation(
                        "pickup_warehouse",
                        f"job {job.id} picks up at {house.id}, its parts are reserved at {job.parts_reserved_at}",
                        job=job.id,
                        technician=route.technician_id,
                    )
                )
            elif job.parts_reserved_at is None:
                for part, qty in job.required_parts.items():
                    given[(house.id, part)] = given.get((house.id, part), 0) + qty
    for (house_id, part), qty in sorted(given.items()):
        have = houses[house_id].stock.get(part, 0)
        if qty > have:
            errors.append(
                Violation(
                    "warehouse_stock",
                    f"warehouse {house_id} gives {qty} x {part}, has {have} free",
                    warehouse=house_id,
                    part=part,
                )
            )
    return errors


def _coverage(plan: Plan) -> list[str]:
    errors: list[str] = []
    problem = plan.problem
    seen: dict[str, int] = {}
    techs = [r.technician_id for r in plan.routes]
    known_techs = {t.id for t in problem.technicians}
    for tech_id in techs:
        if tech_id not in known_techs:
            errors.append(Violation("coverage", f"route for unknown technician {tech_id}", technician=tech_id))
    if len(set(techs)) != len(techs):
        errors.append(Violation("coverage", "a technician has more than one route"))
    for job_id in [v.job_id for r in plan.routes for v in r.visits] + [u.job_id for u in plan.unassigned]:
        seen[job_id] = seen.get(job_id, 0) + 1
    for job in problem.jobs:
        count = seen.pop(job.id, 0)
        if count != 1:
            errors.append(
                Violation("coverage", f"job {job.id} appears {count} times (served or unassigned)", job=job.id)
            )
    errors += [Violation("coverage", f"unknown job {job_id} in plan", job=job_id) for job_id in seen]
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
        errors.append(
            Violation(
                "before_shift",
                f"{who} leaves at {route.departure} before shift start {tech.shift_start}",
                technician=tech.id,
                at=route.departure,
                limit=tech.shift_start,
            )
        )
    if route.arrival_back > tech.latest_end:
        errors.append(
            Violation(
                "after_shift",
                f"{who} returns at {route.arrival_back} after {tech.latest_end}",
                technician=tech.id,
                at=route.arrival_back,
                limit=tech.latest_end,
            )
        )
    span = route.arrival_back - route.departure
    if tech.max_work_time is not None and span > tech.max_work_time:
        errors.append(
            Violation(
                "work_time",
                f"{who} works {span} s, more than {tech.max_work_time}",
                technician=tech.id,
                seconds=span,
                limit=tech.max_work_time,
            )
        )
    travel = sum(v.travel_time for v in route.visits) + route.return_travel_time
    if tech.max_travel_time is not None and travel > tech.max_travel_time:
        errors.append(
            Violation(
                "travel_time",
                f"{who} drives {travel} s, more than {tech.max_travel_time}",
                technician=tech.id,
                seconds=travel,
                limit=tech.max_travel_time,
            )
        )
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
            errors.append(
                Violation(
                    "pinned",
                    f"job {job.id} is pinned to {job.pinned_technician}, not {tech.id}",
                    job=job.id,
                    technician=tech.id,
                    pinned=job.pinned_technician,
                )
            )
        if _level(tech, job) is None and not job.fixed:
            errors.append(
                Violation(
                    "skills", f"technician {tech.id} lacks the skills for job {job.id}", job=job.id, technician=tech.id
                )
            )
        if visit.pickup is not None or job.parts_on_site:
            continue  # parts collected on the way, or waiting at the workshop
        for part, qty in job.required_parts.items():
            parts[part] = parts.get(part, 0) + qty
    for part, qty in parts.items():
        if tech.van_stock.get(part, 0) < qty:
            have = tech.van_stock.get(part, 0)
            errors.append(
                Violation(
                    "van_parts",
                    f"technician {tech.id} needs {qty} x {part}, van has {have}",
                    technician=tech.id,
                    part=part,
                    needed=qty,
                    have=have,
                )
            )
    load = sum(job.demand for job in jobs)
    if tech.capacity is not None and load > tech.capacity:
        errors.append(
            Violation(
                "capacity",
                f"technician {tech.id} carries {load}, capacity {tech.capacity}",
                technician=tech.id,
                load=load,
                limit=tech.capacity,
            )
        )
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
            errors.append(
                Violation(
                    "duration",
                    f"job {job.id} lasts {visit.end - visit.start} s, expected {expected}",
                    job=job.id,
                    technician=tech.id,
                    seconds=expected,
                )
            )
        windows = job.allowed_starts()
        if windows and not any(w.start <= visit.start <= w.end for w in windows):
            errors.append(
                Violation(
                    "window",
                    f"job {job.id} starts at {visit.start} outside its windows",
                    job=job.id,
                    technician=tech.id,
                    at=visit.start,
                    windows=tuple((w.start, w.end) for w in windows),
                )
            )
        if job.fixed and visit.start != job.pinned_start:
            errors.append(
                Violation(
                    "fixed",
                    f"fixed job {job.id} moved from {job.pinned_start} to {visit.start}",
                    job=job.id,
                    technician=tech.id,
                    at=job.pinned_start,
                )
            )
        if visit.arrival > visit.start:
            errors.append(
                Violation(
                    "reach",
                    f"job {job.id} starts at {visit.start} before arrival {visit.arrival}",
                    job=job.id,
                    technician=tech.id,
                    at=visit.start,
                    arrival=visit.arrival,
                )
            )
    for k in range(len(places) - 1):
        a, b = places[k], places[k + 1]
        pickup = route.visits[k].pickup if k < len(route.visits) else None
        stop = jobs[k].id if k < len(jobs) else None  # the job this leg reaches (None: the way home)
        house = _house(problem, pickup)
        drive = (
            (m.time(a, b), m.dist(a, b))
            if house is None
            else (m.time(a, house[0]) + m.time(house[0], b), m.dist(a, house[0]) + m.dist(house[0], b))
        )
        stay = 0 if house is None else house[1].pickup_time
        if legs[k] != drive:
            errors.append(
                Violation(
                    "leg", f"{tech.id} leg {k} states {legs[k]}, matrix says {drive}", technician=tech.id, job=stop
                )
            )
        pause = 0
        in_gap = []
        for i, brk in enumerate(route.breaks):
            if _in_gap(brk, ends[k], starts[k + 1]):
                breaks_placed[i] = True
                pause += brk.end - brk.start
                in_gap.append(brk)
        if starts[k + 1] < ends[k] + drive[0] + stay + pause:
            errors.append(
                Violation(
                    "reach",
                    f"{tech.id} cannot make leg {k}: {ends[k]} + {drive[0]} + {stay} + {pause} > {starts[k + 1]}",
                    technician=tech.id,
                    job=stop,
                    at=starts[k + 1],
                    arrival=ends[k] + drive[0] + stay + pause,
                )
            )
        if pickup is not None and house is not None:
            errors += _tagged(
                "pickup",
                tech.id,
                stop,
                _pickup_errors(
                    m.time(a, house[0]),
                    m.time(house[0], b),
                    stay,
                    ends[k],
                    starts[k + 1],
                    route.visits[k].arrival,
                    pickup,
                    in_gap,
                    f"{tech.id} stop {k}",
                ),
            )
        elif k < len(route.visits) and route.visits[k].arrival < ends[k] + drive[0]:
            errors.append(
                Violation(
                    "leg", f"{tech.id} arrives at stop {k} sooner than travel allows", technician=tech.id, job=stop
                )
            )
    errors += _tagged("break", tech.id, None, _break_errors(tech, route, breaks_placed))
    return errors


def _tagged(code: str, technician: str, job: str | None, errors: list[str]) -> list[str]:
    """Sentences of one kind about a technician's route (and a job), as violations."""
    return [Violation(code, e, technician=technician, job=job) for e in errors]


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
