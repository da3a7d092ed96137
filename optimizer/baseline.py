"""The greedy baseline: what a dispatcher does by hand.

Jobs are taken in priority order (then by earliest window and SLA); each goes to the nearest
technician, measured from the stop before it in the technician's day, who has the skills and
parts (on the van, or picked up at a warehouse on the way) and can still fit it in at its
chronological place in their day. Jobs the day already has booked come first and stay with their
technician where they still fit: a dispatcher re-planning by hand starts from the current plan.
"""

from __future__ import annotations

from optimizer.eligibility import Eligibility, eligibility
from optimizer.plan import Plan, Reason, Unassigned
from optimizer.problem import Job, Problem
from optimizer.stock import FreeStock
from optimizer.timing import empty_route, schedule
from optimizer.travel import leg


def _order_key(job: Job) -> tuple[int, int, int, str]:
    windows = job.allowed_starts()
    opens = windows[0].start if windows else 0
    return (int(job.priority), opens, job.sla_deadline if job.sla_deadline is not None else 1 << 40, job.id)


def _time_key(job: Job) -> tuple[int, int, str]:
    if job.current_start is not None:
        return (job.current_start, job.current_start, job.id)
    windows = job.allowed_starts()
    return (windows[0].start if windows else 0, windows[-1].end if windows else 0, job.id)


def _current_first(problem: Problem, servable: list[int]) -> list[int]:
    """Booked jobs first (by technician and time, to rebuild each current day), then by urgency."""
    known = {t.id for t in problem.technicians}
    booked = [j for j in servable if problem.jobs[j].current_technician in known]
    booked.sort(key=lambda j: (str(problem.jobs[j].current_technician), _time_key(problem.jobs[j])))
    rest = sorted(set(servable) - set(booked), key=lambda j: _order_key(problem.jobs[j]))
    return booked + rest


def baseline(problem: Problem, elig: Eligibility | None = None) -> Plan:
    """A feasible plan by greedy chronological insertion, nearest technician first."""
    elig = elig if elig is not None else eligibility(problem)
    m = problem.matrix
    routes: list[list[int]] = [[] for _ in problem.technicians]
    via: dict[int, int] = {}
    stock = FreeStock(problem)
    unassigned = [Unassigned(problem.jobs[j].id, r) for j, r in enumerate(elig.reasons) if r is not None]
    tech_index = {tech.id: t for t, tech in enumerate(problem.technicians)}
    for j in _current_first(problem, elig.servable()):
        key = _time_key(problem.jobs[j])
        options: list[tuple[int, int, int, int]] = []  # (travel to it, technician, position, warehouse or -1)
        current = tech_index.get(problem.jobs[j].current_technician or "", -1)
        for t in elig.techs[j]:
            pos = sum(1 for i in routes[t] if _time_key(problem.jobs[i]) <= key)
            before = m.start(t) if pos == 0 else m.job(routes[t][pos - 1])
            if elig.from_van(j, t):
                options.append((m.time(before, m.job(j)), t, pos, -1))
            options += [(leg(problem, before, j, w).total, t, pos, w) for w in elig.warehouses(j)]
        # a booked job is offered to its own technician first, whatever the distance
        for _, t, pos, w in sorted(options, key=lambda o: (o[1] != current, o)):
            if w >= 0 and not stock.can_take(j, w):
                continue
            trial = [*routes[t][:pos], j, *routes[t][pos:]]
            if schedule(problem, t, trial, via if w < 0 else {**via, j: w}) is not None:
                routes[t] = trial
                if w >= 0:
                    via[j] = w
                    stock.take(j, w)
                break
        else:
            unassigned.append(Unassigned(problem.jobs[j].id, Reason.CAPACITY))
    built = []
    for t, jobs in enumerate(routes):
        route = schedule(problem, t, jobs, via)
        assert route is not None  # every accepted insertion was scheduled
        built.append(route if jobs else empty_route(problem, t))
    return Plan(problem, tuple(built), tuple(sorted(unassigned, key=lambda u: u.job_id)), solver="baseline")
