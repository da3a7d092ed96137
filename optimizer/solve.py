"""``solve``: the optimizer's front door. Precheck, warm start from the greedy plan, search, verify.

The search never returns something worse than the greedy baseline or something the independent
checker rejects: if the solver's plan fails either test, the baseline is returned (and says so
in ``Plan.solver``). The time limit is a hard cap on the whole call; determinism comes from the
seed plus a work limit (``max_solutions``) that ends the search before the clock does on any
reasonable machine, so the same seed gives the same plan.
"""

from __future__ import annotations

import multiprocessing
import time
from dataclasses import replace
from multiprocessing.connection import Connection

from ortools.constraint_solver import routing_enums_pb2

from optimizer.baseline import baseline
from optimizer.check import check
from optimizer.decompose import NEIGHBOURHOOD_JOBS, improve
from optimizer.eligibility import Eligibility, duration, eligibility
from optimizer.explain import explain
from optimizer.model import RawRoute, RawSolution, RoutingModel, SearchSettings
from optimizer.plan import BreakTaken, Plan, Reason, Route, Unassigned, Visit
from optimizer.problem import Problem
from optimizer.timing import arrival_with_break, empty_route, make_pickup, schedule
from optimizer.travel import leg

FSS = routing_enums_pb2.FirstSolutionStrategy
LSM = routing_enums_pb2.LocalSearchMetaheuristic
SETUP_SHARE = 0.15  # at most this part of the budget is kept back for reading, checking and explaining the answer
EXACT_UP_TO = 200  # servable jobs solved in one model; above, OR-Tools' break constraint stalls the search
ROUND_SECONDS = 1.0  # time per neighbourhood of a large day: many short rounds beat few long ones
# Work budgets of a deterministic solve, per second of its time limit. Measured on one busy core: a 190-job
# day finds 50 solutions in ~1.8 s; a 12-technician neighbourhood round of 20 solutions takes ~0.25 s. Local
# search slows sharply past these (a plateau), so the budgets stay small and end well before the clock.
SOLUTIONS_PER_SECOND = 10
ROUNDS_PER_SECOND = 0.5
ROUND_SOLUTIONS = 20


def solve(
    problem: Problem,
    time_limit: float = 10.0,
    seed: int = 0,
    *,
    max_solutions: int | None = None,
    max_rounds: int | None = None,
    with_explanations: bool = True,
    deterministic: bool = False,
) -> Plan:
    """The best plan found within ``time_limit`` seconds (a hard cap), deterministic for ``seed``.

    Days of up to ``EXACT_UP_TO`` servable jobs are searched in one OR-Tools model warm-started
    from the greedy plan; larger days are improved neighbourhood by neighbourhood
    (``optimizer.decompose``). ``max_solutions`` (per search) and ``max_rounds`` (neighbourhoods)
    bound the search by work rather than time: then no step of it is cut short by the clock (no
    per-round time slice, no LNS completion limit), so two calls with the same seed return the same
    plan on a busy machine as on an idle one, as long as both finish within ``time_limit``.
    ``deterministic`` derives such work bounds from ``time_limit`` when none are given (what the product's
    re-plans use: the same day re-planned gives the same plan unless something changed).
    """
    if time_limit <= 0:
        raise ValueError("time_limit must be positive")
    started = time.monotonic()
    deadline = started + time_limit
    elig = eligibility(problem)
    greedy = baseline(problem, elig)
    if not elig.servable():
        return _finish(greedy, elig, with_explanations)
    if deterministic and max_solutions is None and max_rounds is None:
        max_solutions, max_rounds = work_bounds(len(elig.servable()), time_limit)
    reserve = _reserve(problem, time_limit)
    by_work = max_solutions is not None or max_rounds is not None
    if len(elig.servable()) > EXACT_UP_TO:
        plan = improve(
            problem,
            elig,
            greedy,
            deadline=deadline - reserve,
            seed=seed,
            round_seconds=ROUND_SECONDS,
            max_rounds=max_rounds or 10 * len(problem.technicians) + 20,
            solutions_per_round=max_solutions or 200 * NEIGHBOURHOOD_JOBS,
            by_work=by_work,
        )
        return (
            _finish(plan, elig, with_explanations)
            if not check(plan)
            else _finish(replace(greedy, solver="baseline (solver plan failed the check)"), elig, with_explanations)
        )
    model = RoutingModel(problem, elig, seed)
    limit = max_solutions if max_solutions is not None else 200 * len(problem.jobs) + 2000
    settings = SearchSettings(
        FSS.PARALLEL_CHEAPEST_INSERTION,
        LSM.GUIDED_LOCAL_SEARCH,
        deadline - time.monotonic() - reserve,
        solution_limit=limit,
        by_work=by_work,
    )
    raw = None
    if settings.time_limit > 0.05:
        raw = _search_before(model, settings, raw_from_plan(problem, greedy), deadline - reserve / 2)
    if raw is None:
        return _finish(greedy, elig, with_explanations)
    plan = plan_from_raw(problem, raw, elig)
    if check(plan) or plan.cost() > greedy.cost():
        return _finish(replace(greedy, solver="baseline (solver plan not better)"), elig, with_explanations)
    return _finish(plan, elig, with_explanations)


def work_bounds(servable: int, time_limit: float) -> tuple[int, int]:
    """(solutions per search, neighbourhood rounds) for a day of ``servable`` jobs that fit well inside
    ``time_limit`` on a busy machine."""
    if servable > EXACT_UP_TO:
        return ROUND_SOLUTIONS, max(2, int(ROUNDS_PER_SECOND * time_limit))
    return max(20, int(SOLUTIONS_PER_SECOND * time_limit)), 1


def _reserve(problem: Problem, time_limit: float) -> float:
    """Seconds kept back after the search: the explanations cost about jobs × technicians small steps
    (measured: ~4 s for 2,000 jobs and 200 technicians on one core), the rest is linear in the jobs."""
    jobs, techs = len(problem.jobs), len(problem.technicians)
    needed = 0.5 + jobs / 1000 + jobs * techs / 100_000
    return max(0.05, min(SETUP_SHARE * time_limit, needed))


def _search_before(
    model: RoutingModel, settings: SearchSettings, warm: RawSolution, deadline: float
) -> RawSolution | None:
    """Search in a forked child that is killed at ``deadline``: OR-Tools checks its own limit only
    between search steps, and one step can run long, so the parent enforces the cap."""
    try:
        ctx = multiprocessing.get_context("fork")
    except ValueError:  # no fork (not Linux/macOS): trust the solver's own limit
        return _search(model, settings, warm)
    receive, send = ctx.Pipe(duplex=False)
    child = ctx.Process(target=_search_in_child, args=(model, settings, warm, send), daemon=True)
    child.start()
    send.close()
    try:
        ready = receive.poll(max(0.0, deadline - time.monotonic()))
        return receive.recv() if ready else None
    except EOFError:  # the child died without answering
        return None
    finally:
        child.kill()
        child.join()
        receive.close()


def _search_in_child(model: RoutingModel, settings: SearchSettings, warm: RawSolution, send: Connection) -> None:
    send.send(_search(model, settings, warm))
    send.close()


def _search(model: RoutingModel, settings: SearchSettings, warm: RawSolution) -> RawSolution | None:
    started = time.monotonic()
    raw = model.search(settings, start=warm)
    if raw is None:  # the warm start did not fit the model (e.g. a break placement): start cold
        left = settings.time_limit - (time.monotonic() - started)
        raw = model.search(replace(settings, time_limit=left)) if left > 0.05 else None
    return raw


def _finish(plan: Plan, elig: Eligibility, with_explanations: bool) -> Plan:
    return replace(plan, explanations=explain(plan, elig)) if with_explanations else plan


def raw_from_plan(problem: Problem, plan: Plan) -> RawSolution:
    """A plan's routes as solver input (a warm start): job indices, times, pickups."""
    index = {t.id: i for i, t in enumerate(problem.technicians)}
    routes = tuple(
        RawRoute(
            index[r.technician_id],
            tuple(problem.job_index(v.job_id) for v in r.visits),
            r.departure,
            tuple(v.start for v in r.visits),
            r.arrival_back,
            None,
            tuple(None if v.pickup is None else problem.warehouse_index(v.pickup.warehouse_id) for v in r.visits),
        )
        for r in plan.routes
    )
    return RawSolution(routes, 0)


def plan_from_raw(problem: Problem, raw: RawSolution, elig: Eligibility) -> Plan:
    """Turn the solver's routes into a Plan, re-timed to the earliest schedule of each sequence.

    Earliest timing of a fixed sequence never raises lateness, overtime or travel. Where the earliest
    schedule cannot place the lunch break the way the solver did (it may take it anywhere in a gap),
    the solver's own times are kept.
    """
    routes = []
    for r in sorted(raw.routes, key=lambda r: r.tech):
        route = schedule(problem, r.tech, r.jobs, r.via_map()) if r.jobs else empty_route(problem, r.tech)
        routes.append(route if route is not None else _route_as_solved(problem, r))
    served = {v.job_id for route in routes for v in route.visits}
    unassigned = [
        Unassigned(job.id, reason) for job, reason in zip(problem.jobs, elig.reasons, strict=True) if reason is not None
    ]
    unassigned += [
        Unassigned(problem.jobs[j].id, Reason.CAPACITY) for j in elig.servable() if problem.jobs[j].id not in served
    ]
    return Plan(
        problem,
        tuple(routes),
        tuple(sorted(unassigned, key=lambda u: u.job_id)),
        solver="or-tools",
        objective=raw.objective,
    )


def _route_as_solved(problem: Problem, r: RawRoute) -> Route:
    """The solver's own times for a route (departure, starts, break), with arrivals and pickups derived."""
    tech, m = problem.technicians[r.tech], problem.matrix
    brk = (
        BreakTaken(r.lunch_start, r.lunch_start + tech.lunch.duration)
        if r.lunch_start is not None and tech.lunch is not None
        else None
    )
    via = r.via_map()
    visits, place, ready = [], m.start(r.tech), r.departure
    for j, start in zip(r.jobs, r.starts, strict=True):
        way = leg(problem, place, j, via.get(j))
        in_gap = brk if brk is not None and ready <= brk.start and brk.end <= start else None
        pickup = make_pickup(ready, way, in_gap)
        arrival = arrival_with_break(ready, way.total, in_gap)
        if pickup is not None:
            arrival = max(arrival, pickup.end + way.to_job)
        end = start + duration(tech, problem.jobs[j])
        visits.append(Visit(problem.jobs[j].id, arrival, start, end, way.travel, way.distance, pickup))
        place, ready = m.job(j), end
    back = m.time(place, m.end(r.tech))
    return Route(
        tech.id,
        r.departure,
        tuple(visits),
        max(r.arrival_back, ready + back),
        back,
        m.dist(place, m.end(r.tech)),
        (brk,) if brk is not None else (),
    )
