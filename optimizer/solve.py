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
from optimizer.timing import schedule

FSS = routing_enums_pb2.FirstSolutionStrategy
LSM = routing_enums_pb2.LocalSearchMetaheuristic
SETUP_SHARE = 0.15  # part of the budget kept back for reading the answer, checking and explaining it
EXACT_UP_TO = 200  # servable jobs solved in one model; above, OR-Tools' break constraint stalls the search
ROUND_SECONDS = 1.0  # time per neighbourhood of a large day: many short rounds beat few long ones


def solve(problem: Problem, time_limit: float = 10.0, seed: int = 0, *, max_solutions: int | None = None,
          max_rounds: int | None = None, with_explanations: bool = True) -> Plan:
    """The best plan found within ``time_limit`` seconds (a hard cap), deterministic for ``seed``.

    Days of up to ``EXACT_UP_TO`` servable jobs are searched in one OR-Tools model warm-started
    from the greedy plan; larger days are improved neighbourhood by neighbourhood
    (``optimizer.decompose``). ``max_solutions`` (per search) and ``max_rounds`` (neighbourhoods)
    bound the search by work rather than time; when they end it, two calls with the same seed
    return the same plan.
    """
    if time_limit <= 0:
        raise ValueError("time_limit must be positive")
    started = time.monotonic()
    deadline = started + time_limit
    elig = eligibility(problem)
    greedy = baseline(problem, elig)
    if not elig.servable():
        return _finish(greedy, elig, with_explanations)
    reserve = max(0.05, SETUP_SHARE * time_limit)
    if len(elig.servable()) > EXACT_UP_TO:
        plan = improve(problem, elig, greedy, deadline=deadline - reserve, seed=seed,
                       round_seconds=ROUND_SECONDS, max_rounds=max_rounds or 10 * len(problem.technicians) + 20,
                       solutions_per_round=max_solutions or 200 * NEIGHBOURHOOD_JOBS)
        return _finish(plan, elig, with_explanations) if not check(plan) else \
            _finish(replace(greedy, solver="baseline (solver plan failed the check)"), elig, with_explanations)
    model = RoutingModel(problem, elig, seed)
    limit = max_solutions if max_solutions is not None else 200 * len(problem.jobs) + 2000
    settings = SearchSettings(FSS.PARALLEL_CHEAPEST_INSERTION, LSM.GUIDED_LOCAL_SEARCH,
                              deadline - time.monotonic() - reserve, solution_limit=limit)
    raw = None
    if settings.time_limit > 0.05:
        raw = _search_before(model, settings, _raw_from_plan(problem, greedy), deadline - reserve / 2)
    if raw is None:
        return _finish(greedy, elig, with_explanations)
    plan = plan_from_raw(problem, raw, elig)
    if check(plan) or plan.cost() > greedy.cost():
        return _finish(replace(greedy, solver="baseline (solver plan not better)"), elig, with_explanations)
    return _finish(plan, elig, with_explanations)


def _search_before(model: RoutingModel, settings: SearchSettings, warm: RawSolution,
                   deadline: float) -> RawSolution | None:
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
        return receive.recv() if ready else None  # type: ignore[no-any-return]
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


def _raw_from_plan(problem: Problem, plan: Plan) -> RawSolution:
    index = {t.id: i for i, t in enumerate(problem.technicians)}
    routes = tuple(RawRoute(index[r.technician_id], tuple(problem.job_index(v.job_id) for v in r.visits),
                            r.departure, tuple(v.start for v in r.visits), r.arrival_back, None)
                   for r in plan.routes)
    return RawSolution(routes, 0)


def plan_from_raw(problem: Problem, raw: RawSolution, elig: Eligibility) -> Plan:
    """Turn the solver's routes into a Plan, re-timed to the earliest schedule of each sequence.

    Earliest timing of a fixed sequence never raises lateness, overtime or travel. Where the sequence
    does not fit with the real lunch break: if the solver placed the break itself, its own times are
    kept; if it searched without breaks, the route is repaired (least urgent jobs out first) and the
    jobs taken out are re-inserted wherever they still fit.
    """
    sequences = {r.tech: list(r.jobs) for r in raw.routes}
    solved = {r.tech: r for r in raw.routes}
    kept_as_solved: set[int] = set()
    dropped: list[int] = []
    for t, jobs in sequences.items():
        if not jobs or schedule(problem, t, jobs) is not None:
            continue
        if solved[t].lunch_start is not None:
            kept_as_solved.add(t)
            continue
        sequences[t], out = _repair(problem, t, jobs)
        dropped += out
    _reinsert(problem, elig, sequences, kept_as_solved, dropped)
    routes = []
    for t in range(len(problem.technicians)):
        jobs = sequences.get(t, [])
        route = _route_as_solved(problem, solved[t]) if t in kept_as_solved else \
            (schedule(problem, t, jobs) if jobs else _empty(problem, t))
        assert route is not None  # every repaired or re-inserted sequence was scheduled
        routes.append(route)
    served = {v.job_id for route in routes for v in route.visits}
    unassigned = [Unassigned(job.id, reason) for job, reason in zip(problem.jobs, elig.reasons, strict=True)
                  if reason is not None]
    unassigned += [Unassigned(problem.jobs[j].id, Reason.CAPACITY) for j in elig.servable()
                   if problem.jobs[j].id not in served]
    return Plan(problem, tuple(routes), tuple(sorted(unassigned, key=lambda u: u.job_id)), solver="or-tools",
                objective=raw.objective)


def _detour(problem: Problem, t: int, seq: list[int], k: int) -> int:
    """Travel seconds saved by taking the k-th job out of technician t's sequence."""
    m = problem.matrix
    places = [m.start(t), *(m.job(j) for j in seq), m.end(t)]
    a, x, b = places[k], places[k + 1], places[k + 2]
    return m.time(a, x) + m.time(x, b) - m.time(a, b)


def _repair(problem: Problem, t: int, jobs: list[int]) -> tuple[list[int], list[int]]:
    """Take jobs out of a sequence until it fits the real day: least urgent first, then the biggest detour."""
    seq, out = list(jobs), []
    while seq and schedule(problem, t, seq) is None:
        movable = [k for k in range(len(seq)) if not problem.jobs[seq[k]].fixed] or list(range(len(seq)))
        movable.sort(key=lambda k: (-int(problem.jobs[seq[k]].priority), -_detour(problem, t, seq, k)))
        choice = next((k for k in movable if schedule(problem, t, seq[:k] + seq[k + 1:]) is not None), movable[0])
        out.append(seq.pop(choice))
    return seq, out


def _reinsert(problem: Problem, elig: Eligibility, sequences: dict[int, list[int]], frozen: set[int],
              jobs: list[int], tries: int = 8) -> None:
    """Put jobs back at the cheapest places that still schedule (most urgent first); the rest stay out."""
    m = problem.matrix
    for j in sorted(jobs, key=lambda j: (int(problem.jobs[j].priority), problem.jobs[j].id)):
        options = []
        for t in elig.techs[j]:
            if t in frozen:
                continue
            seq = sequences.setdefault(t, [])
            places = [m.start(t), *(m.job(i) for i in seq), m.end(t)]
            for pos in range(len(seq) + 1):
                a, b = places[pos], places[pos + 1]
                options.append((m.time(a, m.job(j)) + m.time(m.job(j), b) - m.time(a, b), t, pos))
        for _, t, pos in sorted(options)[:tries]:
            trial = [*sequences[t][:pos], j, *sequences[t][pos:]]
            if schedule(problem, t, trial) is not None:
                sequences[t] = trial
                break


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
