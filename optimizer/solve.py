"""``solve``: the optimizer's front door. Precheck, warm start from the greedy plan, search, verify.

The search never returns something worse than the greedy baseline or something the independent
checker rejects: if the solver's plan fails either test, the baseline is returned (and says so
in ``Plan.solver``). The time limit is a hard cap on the whole call; determinism comes from the
seed plus a work limit (``max_solutions``) that ends the search before the clock does on any
reasonable machine, so the same seed gives the same plan.
"""

from __future__ import annotations

import time
from dataclasses import replace

from ortools.constraint_solver import routing_enums_pb2

from optimizer.baseline import baseline
from optimizer.check import check
from optimizer.eligibility import Eligibility, duration, eligibility
from optimizer.explain import explain
from optimizer.model import RawRoute, RawSolution, RoutingModel, SearchSettings
from optimizer.plan import BreakTaken, Plan, Reason, Route, Unassigned, Visit
from optimizer.problem import Problem
from optimizer.timing import schedule

FSS = routing_enums_pb2.FirstSolutionStrategy
LSM = routing_enums_pb2.LocalSearchMetaheuristic
SETUP_SHARE = 0.15  # part of the budget kept back for reading the answer, checking and explaining it


def solve(problem: Problem, time_limit: float = 10.0, seed: int = 0, *, max_solutions: int | None = None,
          with_explanations: bool = True) -> Plan:
    """The best plan found within ``time_limit`` seconds (a hard cap), deterministic for ``seed``.

    ``max_solutions`` bounds the search by work rather than time (default: generous, scaled to the
    problem); when it ends the search, two calls with the same seed return the same plan.
    """
    if time_limit <= 0:
        raise ValueError("time_limit must be positive")
    started = time.monotonic()
    elig = eligibility(problem)
    greedy = baseline(problem, elig)
    if not elig.servable():
        return _finish(greedy, elig, with_explanations)
    model = RoutingModel(problem, elig, seed)
    left = time_limit - (time.monotonic() - started)
    budget = left - max(0.05, SETUP_SHARE * time_limit)
    if budget <= 0.05:
        return _finish(greedy, elig, with_explanations)
    limit = max_solutions if max_solutions is not None else 200 * len(problem.jobs) + 2000
    settings = SearchSettings(FSS.PARALLEL_CHEAPEST_INSERTION, LSM.GUIDED_LOCAL_SEARCH, budget,
                              solution_limit=limit)
    raw = model.search(settings, start=_raw_from_plan(problem, greedy))
    if raw is None:  # the greedy routes did not fit the model (e.g. a break placement): start cold
        raw = model.search(replace(settings, time_limit=max(0.05, time_limit - (time.monotonic() - started)
                                                            - SETUP_SHARE * time_limit)))
    if raw is None:
        return _finish(greedy, elig, with_explanations)
    plan = plan_from_raw(problem, raw, elig)
    if check(plan) or plan.cost() > greedy.cost():
        return _finish(replace(greedy, solver="baseline (solver plan not better)"), elig, with_explanations)
    return _finish(plan, elig, with_explanations)


def _finish(plan: Plan, elig: Eligibility, with_explanations: bool) -> Plan:
    return replace(plan, explanations=explain(plan, elig)) if with_explanations else plan


def _raw_from_plan(problem: Problem, plan: Plan) -> RawSolution:
    index = {t.id: i for i, t in enumerate(problem.technicians)}
    routes = tuple(RawRoute(index[r.technician_id], tuple(problem.job_index(v.job_id) for v in r.visits),
                            r.departure, tuple(v.start for v in r.visits), r.arrival_back, None)
                   for r in plan.routes)
    return RawSolution(routes, 0)


def plan_from_raw(problem: Problem, raw: RawSolution, elig: Eligibility) -> Plan:
    """Turn the solver's routes into a Plan, re-timed to the earliest schedule of each sequence.

    Earliest timing of a fixed sequence never raises lateness, overtime or travel; where it cannot
    place the lunch break the solver could, the solver's own times are kept.
    """
    routes = []
    for r in raw.routes:
        route = schedule(problem, r.tech, r.jobs) if r.jobs else None
        if route is None:
            route = _route_as_solved(problem, r) if r.jobs else _empty(problem, r.tech)
        routes.append(route)
    served = {v.job_id for route in routes for v in route.visits}
    unassigned = [Unassigned(job.id, reason) for job, reason in zip(problem.jobs, elig.reasons, strict=True)
                  if reason is not None]
    unassigned += [Unassigned(problem.jobs[j].id, Reason.CAPACITY) for j in elig.servable()
                   if problem.jobs[j].id not in served]
    return Plan(problem, tuple(routes), tuple(sorted(unassigned, key=lambda u: u.job_id)), solver="or-tools",
                objective=raw.objective)


def _route_as_solved(problem: Problem, r: RawRoute) -> Route:
    tech, m = problem.technicians[r.tech], problem.matrix
    brk = BreakTaken(r.lunch_start, r.lunch_start + tech.lunch.duration) \
        if r.lunch_start is not None and tech.lunch is not None else None
    visits, place, ready = [], m.start(r.tech), r.departure
    for j, start in zip(r.jobs, r.starts, strict=True):
        leg = m.time(place, m.job(j))
        arrival = ready + leg
        if brk is not None and ready <= brk.start and brk.end <= start:
            arrival = max(arrival, brk.end + leg) if brk.start < arrival else arrival
        visits.append(Visit(problem.jobs[j].id, arrival, start, start + duration(tech, problem.jobs[j]), leg,
                            m.dist(place, m.job(j))))
        place, ready = m.job(j), start + duration(tech, problem.jobs[j])
    back = m.time(place, m.end(r.tech))
    return Route(tech.id, r.departure, tuple(visits), max(r.arrival_back, ready + back), back,
                 m.dist(place, m.end(r.tech)), (brk,) if brk is not None else ())


def _empty(problem: Problem, t: int) -> Route:
    tech = problem.technicians[t]
    return Route(tech.id, tech.shift_start, (), tech.shift_start, 0, 0)
