"""Earliest-time schedule of a given job order for one technician (used by baseline and explain).

The technician leaves at shift start, drives straight on (through a warehouse to pick up parts
where the plan says so), waits at the customer for the window, and takes the lunch break as late
as possible: before a job only if the job would otherwise end after the break's latest start.
Returns None when the order cannot be scheduled.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from optimizer.eligibility import duration, needs_parts
from optimizer.plan import BreakTaken, Pickup, Route, Visit
from optimizer.problem import Break, Job, Problem, TimeWindow
from optimizer.travel import Leg, leg


def pickup_times(ready: int, way: Leg, brk: BreakTaken | None) -> tuple[int, int]:
    """(start, end) at the warehouse for a leg begun at ``ready``; ``brk`` is a break taken in this gap.

    A break that starts before the warehouse is reached delays the pickup; one that starts during
    the pickup is taken there (the pickup then ends that much later); a later one does not matter.
    """
    arrive = ready + way.to_warehouse
    if brk is None or brk.start >= arrive + way.pickup:
        return arrive, arrive + way.pickup
    if brk.start >= arrive:
        return arrive, arrive + way.pickup + (brk.end - brk.start)
    return arrive + (brk.end - brk.start), arrive + (brk.end - brk.start) + way.pickup


def make_pickup(ready: int, way: Leg, brk: BreakTaken | None) -> Pickup | None:
    """The pickup stop of a leg, or None for a straight leg."""
    if way.warehouse_id is None:
        return None
    start, end = pickup_times(ready, way, brk)
    return Pickup(way.warehouse_id, start, end, way.to_warehouse, way.to_warehouse_m)


def earliest_start(windows: Sequence[TimeWindow], t: int) -> int | None:
    """The first allowed service start at or after t, or None."""
    if not windows:
        return t
    for w in windows:
        if t <= w.end:
            return max(t, w.start)
    return None


def arrival_with_break(leave: int, travel: int, brk: BreakTaken | None) -> int:
    """Arrival time after leaving at ``leave``; a break starting before arrival delays it."""
    arrival = leave + travel
    if brk is not None and brk.start < arrival:
        arrival += brk.end - brk.start
    return arrival


class _Leg:
    """Result of scheduling one leg: break (if taken), arrival and start."""

    def __init__(self, brk: BreakTaken | None, arrival: int, start: int) -> None:
        self.brk, self.arrival, self.start = brk, arrival, start


def _leg(leave: int, travel: int, windows: Sequence[TimeWindow], service: int, lunch: Break | None) -> _Leg | None:
    """Schedule one leg, taking the break now if it cannot wait until after this stop."""
    start = earliest_start(windows, leave + travel)
    if lunch is None or (start is not None and start + service <= lunch.latest_start):
        return None if start is None else _Leg(None, leave + travel, start)
    options: list[_Leg] = []
    # break right away, then drive
    b = max(leave, lunch.earliest_start)
    if b <= lunch.latest_start:
        brk = BreakTaken(b, b + lunch.duration)
        s = earliest_start(windows, brk.end + travel)
        if s is not None:
            options.append(_Leg(brk, arrival_with_break(leave, travel, brk), s))
    # drive, then take the break while waiting at the customer
    b = max(leave + travel, lunch.earliest_start)
    if b <= lunch.latest_start:
        brk = BreakTaken(b, b + lunch.duration)
        s = earliest_start(windows, brk.end)
        if s is not None:
            options.append(_Leg(brk, arrival_with_break(leave, travel, brk), s))
    if not options:
        # the break is due but cannot be placed: serve without (only valid if it ends after the route)
        return None if start is None else _Leg(None, leave + travel, start)
    return min(options, key=lambda o: o.start)


def empty_route(problem: Problem, t: int) -> Route:
    """Technician t's day with no jobs: stays home."""
    tech = problem.technicians[t]
    return Route(tech.id, tech.shift_start, (), tech.shift_start, 0, 0)


def schedule(problem: Problem, t: int, jobs: Sequence[int], via: Mapping[int, int] | None = None) -> Route | None:
    """Earliest feasible schedule of ``jobs`` (indices, in order) for technician ``t``, or None.

    ``via`` maps a job to the warehouse (index) where its parts are picked up on the way to it;
    the parts of every other job must be on the van.
    """
    tech, m = problem.technicians[t], problem.matrix
    via = via or {}
    lunch, taken = tech.lunch, None
    if not _load_ok(problem, t, [j for j in jobs if j not in via]):
        return None
    now, place, visits = tech.shift_start, m.start(t), []
    for j in jobs:
        job: Job = problem.jobs[j]
        service = duration(tech, job)
        way = leg(problem, place, j, via.get(j))
        step = _leg(now, way.total, job.allowed_starts(), service, None if taken else lunch)
        if step is None:
            return None
        in_gap = None
        if step.brk is not None:
            taken = in_gap = step.brk
        pickup = make_pickup(now, way, in_gap)
        arrival = step.arrival if pickup is None else max(step.arrival, pickup.end + way.to_job)
        visits.append(Visit(job.id, arrival, step.start, step.start + service, way.travel, way.distance, pickup))
        now, place = step.start + service, m.job(j)
    back = m.time(place, m.end(t))
    arrival_back = now + back
    before_start = lunch is not None and tech.shift_start >= lunch.earliest_start + lunch.duration
    if visits and lunch is not None and taken is None and arrival_back > lunch.latest_start and not before_start:
        b = max(now, lunch.earliest_start)
        if b > lunch.latest_start:
            return None
        taken = BreakTaken(b, b + lunch.duration)
        arrival_back = arrival_with_break(now, back, taken)
    route = Route(
        tech.id,
        tech.shift_start,
        tuple(visits),
        arrival_back,
        back,
        m.dist(place, m.end(t)),
        (taken,) if taken is not None and visits else (),
    )
    return route if _limits_ok(problem, t, route) else None


def _load_ok(problem: Problem, t: int, jobs: Sequence[int]) -> bool:
    tech = problem.technicians[t]
    if tech.capacity is not None and sum(problem.jobs[j].demand for j in jobs) > tech.capacity:
        return False
    used: dict[str, int] = {}
    for j in jobs:
        if not needs_parts(problem.jobs[j]):
            continue
        for part, qty in problem.jobs[j].required_parts.items():
            used[part] = used.get(part, 0) + qty
    return all(tech.van_stock.get(p, 0) >= q for p, q in used.items())


def _limits_ok(problem: Problem, t: int, route: Route) -> bool:
    tech = problem.technicians[t]
    if not route.visits:
        return True
    if route.arrival_back > tech.latest_end:
        return False
    if tech.max_work_time is not None and route.span > tech.max_work_time:
        return False
    return tech.max_travel_time is None or route.travel_time <= tech.max_travel_time
