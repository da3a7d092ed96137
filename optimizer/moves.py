"""A dispatcher's hand edits: a plan rebuilt from given technicians and start times, and one job moved in it.

The times are the dispatcher's, not the optimizer's: each route keeps its jobs at the starts it was given,
arrivals and legs come from the travel matrix and the lunch break goes into the first gap that holds it. The
independent checker then says whether the day still works; nothing here decides that on its own.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from optimizer.check import Violation, violations
from optimizer.eligibility import duration, needs_parts, suppliers
from optimizer.plan import BreakTaken, Plan, Reason, Route, Unassigned, Visit
from optimizer.problem import Problem
from optimizer.timing import arrival_with_break, empty_route, make_pickup
from optimizer.travel import leg


@dataclass(frozen=True)
class Placed:
    """Where a job sits in a hand-edited plan: a technician and a service start (problem seconds)."""

    technician_id: str
    start: int


def _via(problem: Problem, t: int, j: int) -> int | None:
    """Where the parts come from: the van when it carries them, else the nearest warehouse that has them."""
    job = problem.jobs[j]
    if not needs_parts(job) or problem.technicians[t].has_parts(job):
        return None
    houses = suppliers(problem, j)
    return houses[0] if houses else None


def _break_in(lunch_start: int, lunch_latest: int, length: int, free_from: int, needed_by: int) -> int | None:
    """The earliest break start in a gap from ``free_from`` that still leaves ``needed_by`` reachable."""
    b = max(free_from, lunch_start)
    return b if b <= lunch_latest and b + length <= needed_by else None


def route_at(problem: Problem, t: int, starts: list[tuple[int, int]]) -> Route:
    """Technician t's route serving jobs (index, start) at those starts, in time order, as the checker reads it."""
    tech, m = problem.technicians[t], problem.matrix
    if not starts:
        return empty_route(problem, t)
    lunch = tech.lunch
    order = sorted(starts, key=lambda s: (s[1], s[0]))
    ways = []
    place = m.start(t)
    for j, _ in order:
        ways.append(leg(problem, place, j, _via(problem, t, j)))
        place = m.job(j)
    taken: BreakTaken | None = None
    visits: list[Visit] = []
    ready = tech.shift_start
    for (j, start), way in zip(order, ways, strict=True):
        in_gap = None
        if lunch is not None and taken is None:
            b = _break_in(lunch.earliest_start, lunch.latest_start, lunch.duration, ready, start - way.total)
            if b is not None:
                taken = in_gap = BreakTaken(b, b + lunch.duration)
        pickup = make_pickup(ready, way, in_gap)
        arrival = arrival_with_break(ready, way.total, in_gap)
        if pickup is not None:
            arrival = max(arrival, pickup.end + way.to_job)
        end = start + duration(tech, problem.jobs[j])
        visits.append(Visit(problem.jobs[j].id, arrival, start, end, way.travel, way.distance, pickup))
        ready = end
    back = m.time(place, m.end(t))
    arrival_back = ready + back
    if lunch is not None and taken is None and arrival_back > lunch.latest_start:
        b = _break_in(lunch.earliest_start, lunch.latest_start, lunch.duration, ready, lunch.latest_start + 10**9)
        if b is not None:
            taken = BreakTaken(b, b + lunch.duration)
            arrival_back = arrival_with_break(ready, back, taken)
    breaks = (taken,) if taken is not None else ()
    return Route(tech.id, tech.shift_start, tuple(visits), arrival_back, back, m.dist(place, m.end(t)), breaks)


def plan_at(problem: Problem, placed: Mapping[str, Placed], reasons: Mapping[str, Reason] | None = None) -> Plan:
    """The plan with every placed job at its technician and start; the other jobs unassigned (with ``reasons``)."""
    by_tech: dict[str, list[tuple[int, int]]] = {t.id: [] for t in problem.technicians}
    for job_id, where in placed.items():
        if job_id in {j.id for j in problem.jobs} and where.technician_id in by_tech:
            by_tech[where.technician_id].append((problem.job_index(job_id), where.start))
    routes = tuple(route_at(problem, t, by_tech[tech.id]) for t, tech in enumerate(problem.technicians))
    served = {v.job_id for r in routes for v in r.visits}
    unassigned = tuple(
        Unassigned(job.id, (reasons or {}).get(job.id, Reason.CAPACITY)) for job in problem.jobs if job.id not in served
    )
    return Plan(problem, routes, unassigned, solver="dispatcher")


@dataclass(frozen=True)
class Move:
    """One job dropped on a technician at a start, and what the checker said about the day afterwards."""

    plan: Plan
    refusals: list[Violation]  # broken constraints of the moved job or the two routes it touches; empty: it fits

    @property
    def fits(self) -> bool:
        """Whether the day still works with the job there."""
        return not self.refusals


def move(
    problem: Problem, placed: Mapping[str, Placed], job_id: str, to: Placed, reasons: Mapping[str, Reason] | None = None
) -> Move:
    """Drop ``job_id`` on ``to`` in the hand-edited plan ``placed`` and check the day with the independent checker.

    Only what the move touches can refuse it (the job, its old and its new technician's routes): a day that
    was already broken elsewhere does not block an unrelated drop.
    """
    if job_id not in {j.id for j in problem.jobs}:
        raise KeyError(job_id)
    before = placed.get(job_id)
    after = {**placed, job_id: to}
    plan = plan_at(problem, after, reasons)
    touched = {to.technician_id, before.technician_id if before else to.technician_id}
    problems = [v for v in violations(plan) if v.about(job_id=job_id) or any(v.about(technician_id=t) for t in touched)]
    return Move(plan, problems)
