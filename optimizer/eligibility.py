"""Which technician may do which job, and where its parts can come from: the precheck before solving.

A job is kept for the solver only if some technician has the skills, can get the parts (on the
van, or picked up at a warehouse on the way) and can reach one of its windows within the shift;
otherwise it is reported with the first reason that rules it out (``no_skill``, then
``parts_unavailable``, then ``no_window``).
"""

from __future__ import annotations

from dataclasses import dataclass

from optimizer.plan import Reason
from optimizer.problem import Job, Problem, Technician
from optimizer.travel import leg

MAX_SUPPLIERS = 3  # warehouses offered per job, nearest first: farther ones are never "on the way"


@dataclass(frozen=True)
class Eligibility:
    """Per job: the technicians (by index) that may do it, which of them carry its parts on the van,
    and the warehouses (by index) where its parts can be picked up; or why nobody may do it."""

    techs: tuple[tuple[int, ...], ...]
    reasons: tuple[Reason | None, ...]
    van: tuple[frozenset[int], ...]
    suppliers: tuple[tuple[int, ...], ...]

    def servable(self) -> list[int]:
        """Indices of jobs that some technician could do."""
        return [j for j, reason in enumerate(self.reasons) if reason is None]

    def from_van(self, j: int, t: int) -> bool:
        """Whether technician t may do job j with what is on the van (or needs no parts)."""
        return t in self.van[j]

    def warehouses(self, j: int) -> tuple[int, ...]:
        """Warehouses that can supply job j's parts, nearest first."""
        return self.suppliers[j]


def qualified(tech: Technician, job: Job) -> bool:
    """Whether the technician has the skills at the level (and is the pinned one, if pinned)."""
    if job.pinned_technician is not None and job.pinned_technician != tech.id:
        return False
    return tech.level_for(job) is not None


def duration(tech: Technician, job: Job) -> int:
    """Service duration of the job done by this technician."""
    level = tech.level_for(job)
    return job.duration_for(level if level is not None else 0)


def needs_parts(job: Job) -> bool:
    """Whether the job needs parts brought to it (a bench job with reserved parts has them on site)."""
    return bool(job.required_parts) and not job.parts_on_site


def reachable(problem: Problem, t: int, j: int, via: int | None = None) -> bool:
    """Whether technician t can go from home (through warehouse ``via``, if given) to job j, serve it
    in a window and get back in time."""
    tech, job, m = problem.technicians[t], problem.jobs[j], problem.matrix
    way = leg(problem, m.start(t), j, via)
    go, pickup = way.travel, way.pickup
    back = m.time(m.job(j), m.end(t))
    if tech.max_travel_time is not None and go + back > tech.max_travel_time:
        return False
    service = duration(tech, job)
    earliest = tech.shift_start + go + pickup
    latest = tech.latest_end - back - service
    if tech.max_work_time is not None and go + pickup + service + back > tech.max_work_time:
        return False
    windows = job.allowed_starts()
    if not windows:
        return earliest <= latest
    return any(max(w.start, earliest) <= min(w.end, latest) for w in windows)


def suppliers(problem: Problem, j: int) -> tuple[int, ...]:
    """The nearest warehouses (at most ``MAX_SUPPLIERS``) that can supply job j's parts."""
    job, m = problem.jobs[j], problem.matrix
    if not needs_parts(job):
        return ()
    able = [w for w, house in enumerate(problem.warehouses) if house.supplies(job)]
    able.sort(key=lambda w: (m.time(m.warehouse(w), m.job(j)), w))
    return tuple(able[:MAX_SUPPLIERS])


def eligibility(problem: Problem) -> Eligibility:
    """The precheck: eligible technicians per job, where its parts come from, or why nobody may do it."""
    techs: list[tuple[int, ...]] = []
    reasons: list[Reason | None] = []
    vans: list[frozenset[int]] = []
    supply: list[tuple[int, ...]] = []
    for j, job in enumerate(problem.jobs):
        houses = suppliers(problem, j)
        skilled = [t for t, tech in enumerate(problem.technicians) if qualified(tech, job)]
        van = [t for t in skilled if not needs_parts(job) or problem.technicians[t].has_parts(job)]
        stocked = skilled if houses else van
        fitting = [
            t
            for t in stocked
            if _fits_load(problem.technicians[t], job)
            and ((t in van and reachable(problem, t, j)) or any(reachable(problem, t, j, w) for w in houses))
        ]
        if job.fixed and job.pinned_technician is not None:
            # an accepted job stays where it is even if the data says it should not fit
            fitting = [t for t, tech in enumerate(problem.technicians) if tech.id == job.pinned_technician]
            van = fitting if not houses else van
        techs.append(tuple(fitting))
        vans.append(frozenset(van))
        supply.append(houses)
        if fitting:
            reasons.append(None)
        elif not skilled:
            reasons.append(Reason.NO_SKILL)
        elif not stocked:
            reasons.append(Reason.PARTS_UNAVAILABLE)
        else:
            reasons.append(Reason.NO_WINDOW)
    return Eligibility(tuple(techs), tuple(reasons), tuple(vans), tuple(supply))


def _fits_load(tech: Technician, job: Job) -> bool:
    return tech.capacity is None or job.demand <= tech.capacity
