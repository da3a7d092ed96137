"""Why each job went where it went: skills matched, added travel, and the next-best technician.

The next-best figure is the cheapest insertion (added travel seconds) into another eligible
technician's route of this plan whose earliest-time schedule stays feasible; it is an estimate
of what moving just this job would cost, not a re-optimisation.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

import numpy as np

from optimizer.eligibility import Eligibility, needs_parts
from optimizer.plan import Pickup, Plan
from optimizer.problem import Job
from optimizer.timing import schedule
from optimizer.travel import leg

MAX_ALTERNATIVES_TRIED = 3  # feasibility checks per job, cheapest insertions first


@dataclass(frozen=True)
class Explanation:
    """One assignment explained."""

    job_id: str
    technician_id: str
    skills_matched: Mapping[str, tuple[int, int]]  # skill -> (required level, technician's level)
    added_travel: int  # seconds this job adds to the route it is on
    next_best_technician: str | None
    next_best_added_travel: int | None
    parts_from: str | None = None  # "van", "warehouse <id>", or None when the job needs no parts

    def text(self) -> str:
        """One sentence a dispatcher can read."""
        skills = ", ".join(f"{s} {have}>={need}" for s, (need, have) in self.skills_matched.items()) or "none"
        alt = (
            f"next best {self.next_best_technician} would add {self.next_best_added_travel} s"
            if self.next_best_technician is not None
            else "no other technician could take it"
        )
        parts = f"; parts from the {self.parts_from}" if self.parts_from else ""
        added = f"adds {self.added_travel} s travel{parts}"
        return f"{self.job_id} -> {self.technician_id}: skills {skills}; {added}; {alt}"


def explain(plan: Plan, elig: Eligibility) -> tuple[Explanation, ...]:
    """An explanation for every served job of the plan."""
    problem, m = plan.problem, plan.problem.matrix
    tech_index = {t.id: i for i, t in enumerate(problem.technicians)}
    route_jobs = {tech_index[r.technician_id]: [problem.job_index(v.job_id) for v in r.visits] for r in plan.routes}
    via = {
        problem.job_index(v.job_id): problem.warehouse_index(v.pickup.warehouse_id)
        for r in plan.routes
        for v in r.visits
        if v.pickup is not None
    }
    out = []
    for route in plan.routes:
        t = tech_index[route.technician_id]
        seq = [m.start(t)] + [m.job(j) for j in route_jobs[t]] + [m.end(t)]
        for k, visit in enumerate(route.visits):
            j = route_jobs[t][k]
            added = (
                leg(problem, seq[k], j, via.get(j)).travel + m.time(seq[k + 1], seq[k + 2]) - m.time(seq[k], seq[k + 2])
            )
            alt = _next_best(plan, elig, j, t, route_jobs, via)
            job, tech = problem.jobs[j], problem.technicians[t]
            skills = {s: (need, tech.skills.get(s, 0)) for s, need in job.required_skills.items()}
            out.append(
                Explanation(
                    job.id,
                    tech.id,
                    MappingProxyType(skills),
                    added,
                    None if alt is None else problem.technicians[alt[0]].id,
                    None if alt is None else alt[1],
                    _parts_from(job, visit.pickup),
                )
            )
    return tuple(out)


def _parts_from(job: Job, pickup: Pickup | None) -> str | None:
    if pickup is not None:
        return f"warehouse {pickup.warehouse_id}"
    if not needs_parts(job):
        return None
    return "van"


def _next_best(
    plan: Plan, elig: Eligibility, j: int, owner: int, route_jobs: dict[int, list[int]], via: dict[int, int]
) -> tuple[int, int] | None:
    """(technician, added travel) of the cheapest feasible insertion elsewhere, or None.

    A technician without the parts on the van is costed with the pickup this job has now (or at the
    nearest warehouse that has them).
    """
    problem, m = plan.problem, plan.problem.matrix
    x = m.job(j)
    candidates: list[tuple[int, int, int, int | None]] = []  # (added travel, technician, position, warehouse)
    for t in elig.techs[j]:
        if t == owner:
            continue
        house = None if elig.from_van(j, t) else via.get(j, next(iter(elig.warehouses(j)), None))
        if house is None and not elig.from_van(j, t):
            continue
        seq = np.array([m.start(t)] + [m.job(i) for i in route_jobs.get(t, [])] + [m.end(t)])
        d = m.durations
        into = d[seq[:-1], x] if house is None else d[seq[:-1], m.warehouse(house)] + d[m.warehouse(house), x]
        added = into + d[x, seq[1:]] - d[seq[:-1], seq[1:]]
        pos = int(np.argmin(added))
        candidates.append((int(added[pos]), t, pos, house))
    candidates.sort(key=lambda c: c[:3])
    for added_travel, t, pos, house in candidates[:MAX_ALTERNATIVES_TRIED]:
        jobs = list(route_jobs.get(t, []))
        jobs.insert(pos, j)
        trial_via = {i: w for i, w in via.items() if i in jobs and i != j}
        if house is not None:
            trial_via[j] = house
        if schedule(problem, t, jobs, trial_via) is not None:
            return t, added_travel
    return None
