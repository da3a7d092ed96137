"""Large days: improve a plan by re-solving small neighbourhoods of related technicians exactly.

One OR-Tools model over hundreds of technicians and thousands of jobs spends its whole budget on a
few local-search moves (and its break constraint stalls). So a large day is improved the way
POPMUSIC-style decompositions do it: pick a technician, the few technicians whose routes lie
closest to theirs, their jobs and the nearby jobs nobody serves yet; solve that small day with the
exact model (breaks, windows, parts, levels) warm-started from the current routes; keep the result
only if the whole plan's cost goes down. Every accepted step is feasible, so the plan is
never worse than where it started and can be returned whenever the clock runs out.
"""

from __future__ import annotations

import random
import time
from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np

from optimizer.eligibility import Eligibility, eligibility
from optimizer.model import RoutingModel, SearchSettings
from optimizer.plan import Plan, Reason, Route, Unassigned
from optimizer.problem import Problem
from optimizer.stock import FreeStock
from optimizer.travel import TravelMatrix

NEIGHBOURHOOD_JOBS = 90  # jobs on the chosen routes, at most (the exact model stays quick below ~150)
NEIGHBOURHOOD_OPEN_JOBS = 30  # unserved jobs offered to the neighbourhood, most urgent and nearest first
MIN_TECHS, MAX_TECHS = 3, 12


@dataclass(frozen=True)
class Neighbourhood:
    """Technicians and jobs (indices in the whole problem) re-solved together."""

    techs: tuple[int, ...]
    jobs: tuple[int, ...]


def restrict(problem: Problem, techs: Sequence[int], jobs: Sequence[int], plan: Plan | None = None) -> Problem:
    """The day of just these technicians and jobs, sharing the whole day's travel matrix (no recomputation).

    With ``plan``, each warehouse keeps only the free stock that the plan's other routes leave.
    """
    warehouses = problem.warehouses
    if plan is not None:
        stock = FreeStock(problem)
        chosen = {problem.technicians[t].id for t in techs}
        stock.take_all(
            (problem.job_index(v.job_id), problem.warehouse_index(v.pickup.warehouse_id))
            for r in plan.routes
            if r.technician_id not in chosen
            for v in r.visits
            if v.pickup is not None
        )
        warehouses = tuple(
            replace(w, stock={p: max(0, q) for p, q in left.items()})
            for w, left in zip(problem.warehouses, stock.left, strict=True)
        )
    sub = replace(
        problem,
        technicians=tuple(problem.technicians[t] for t in techs),
        jobs=tuple(problem.jobs[j] for j in jobs),
        name=f"{problem.name} (part)",
        warehouses=warehouses,
    )
    m = problem.matrix
    places = [m.start(t) for t in techs] + [m.end(t) for t in techs] + [m.job(j) for j in jobs]
    places += [m.warehouse(w) for w in range(len(problem.warehouses))]
    grid = np.ix_(places, places)
    sub.__dict__["matrix"] = TravelMatrix(
        m.durations[grid], m.distances[grid], len(techs), len(jobs), len(problem.warehouses)
    )
    return sub


def improve(
    problem: Problem,
    elig: Eligibility,
    start: Plan,
    *,
    deadline: float,
    seed: int,
    round_seconds: float,
    max_rounds: int,
    solutions_per_round: int,
    by_work: bool = False,
) -> Plan:
    """Re-solve neighbourhoods until ``deadline`` (monotonic clock) or ``max_rounds``; the best plan found.

    ``by_work``: each round ends at ``solutions_per_round``, not after ``round_seconds`` (only ``deadline``
    still cuts it), so the rounds and the plan are the same on a busy machine as on an idle one.
    """
    rng = random.Random(seed)
    plan, cost = start, start.cost()
    order: list[int] = []
    for round_no in range(max_rounds):
        left = deadline - time.monotonic()
        if left < 0.2:
            break
        if not order:  # visit every technician as a seed once before repeating, in a seeded order
            order = list(range(len(problem.technicians)))
            rng.shuffle(order)
        hood = neighbourhood(problem, elig, plan, order.pop())
        if not hood.jobs:
            continue
        seconds = left - 0.1 if by_work else min(round_seconds, left - 0.1)
        candidate = _resolve(
            problem,
            plan,
            hood,
            SearchSettings(time_limit=seconds, solution_limit=solutions_per_round, by_work=by_work),
            seed + round_no,
        )
        if candidate is None:
            continue
        candidate_cost = candidate.cost()
        if candidate_cost < cost:
            plan, cost = candidate, candidate_cost
    return plan


def neighbourhood(problem: Problem, elig: Eligibility, plan: Plan, seed_tech: int) -> Neighbourhood:
    """The seed technician, the technicians whose routes run closest to theirs, their jobs and nearby open jobs."""
    m = problem.matrix
    index = {j.id: k for k, j in enumerate(problem.jobs)}
    routes = [[index[v.job_id] for v in r.visits] for r in plan.routes]
    places = [np.array([m.start(t), *(m.job(j) for j in jobs)]) for t, jobs in enumerate(routes)]
    mine = places[seed_tech]
    closeness = np.array([_route_distance(m, mine, theirs) for theirs in places])
    per_tech = max(1.0, sum(len(r) for r in routes) / max(1, len(routes)))
    wanted = int(np.clip(round(NEIGHBOURHOOD_JOBS / per_tech), MIN_TECHS, MAX_TECHS))
    techs: list[int] = []
    load = 0
    for t in np.argsort(closeness, kind="stable"):
        if len(techs) >= wanted or (techs and load + len(routes[t]) > NEIGHBOURHOOD_JOBS):
            break
        techs.append(int(t))
        load += len(routes[t])
    chosen = set(techs)
    served = {j for jobs in routes for j in jobs}
    pool = np.concatenate([places[t] for t in techs])
    open_jobs = [j for j in elig.servable() if j not in served and chosen.intersection(elig.techs[j])]
    open_jobs.sort(key=lambda j: (int(problem.jobs[j].priority), int(m.durations[pool, m.job(j)].min()), j))
    jobs = [j for t in techs for j in routes[t]] + open_jobs[:NEIGHBOURHOOD_OPEN_JOBS]
    return Neighbourhood(tuple(techs), tuple(jobs))


def _route_distance(m: TravelMatrix, a: np.ndarray, b: np.ndarray) -> float:
    """How far apart two routes run: mean travel from each stop of one to the nearest stop of the other."""
    d = m.durations[np.ix_(a, b)]
    return float(d.min(axis=1).mean() + d.min(axis=0).mean()) / 2


def _resolve(problem: Problem, plan: Plan, hood: Neighbourhood, settings: SearchSettings, seed: int) -> Plan | None:
    """The whole plan with the neighbourhood's routes re-solved, or None if the solver found nothing."""
    from optimizer.solve import plan_from_raw, raw_from_plan  # solve imports this module

    sub = restrict(problem, hood.techs, hood.jobs, plan)
    sub_elig = eligibility(sub)
    if not sub_elig.servable():
        return None
    current = raw_from_plan(sub, replace(plan, routes=tuple(plan.routes[t] for t in hood.techs)))
    model = RoutingModel(sub, sub_elig, seed)
    raw = model.search(settings, start=current)
    if raw is None:
        return None
    sub_plan = plan_from_raw(sub, raw, sub_elig)
    return _merge(problem, plan, hood, sub_plan.routes)


def _merge(problem: Problem, plan: Plan, hood: Neighbourhood, routes: Sequence[Route]) -> Plan:
    """The plan with the neighbourhood's technicians on their new routes; jobs left out become unassigned."""
    new_routes = list(plan.routes)
    for t, route in zip(hood.techs, routes, strict=True):
        new_routes[t] = route
    served = {v.job_id for r in new_routes for v in r.visits}
    reasons = {u.job_id: u.reason for u in plan.unassigned}
    unassigned = [
        Unassigned(job.id, reasons.get(job.id, Reason.CAPACITY)) for job in problem.jobs if job.id not in served
    ]
    return replace(plan, routes=tuple(new_routes), unassigned=tuple(unassigned), solver="or-tools (neighbourhoods)")
