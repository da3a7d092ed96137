"""Which technician may do which job: the precheck run before any solving.

A job is kept for the solver only if some technician has the skills, carries the parts and can
reach one of its windows within the shift; otherwise it is reported with the first reason
that rules it out (``no_skill``, then ``parts_unavailable``, then ``no_window``).
"""

from __future__ import annotations

from dataclasses import dataclass

from optimizer.plan import Reason
from optimizer.problem import Job, Problem, Technician


@dataclass(frozen=True)
class Eligibility:
    """Per job, the technicians (by index) that may do it alone, or why none may."""

    techs: tuple[tuple[int, ...], ...]
    reasons: tuple[Reason | None, ...]

    def servable(self) -> list[int]:
        """Indices of jobs that some technician could do."""
        return [j for j, reason in enumerate(self.reasons) if reason is None]


def qualified(tech: Technician, job: Job) -> bool:
    """Whether the technician has the skills at the level (and is the pinned one, if pinned)."""
    if job.pinned_technician is not None and job.pinned_technician != tech.id:
        return False
    return tech.level_for(job) is not None


def duration(tech: Technician, job: Job) -> int:
    """Service duration of the job done by this technician."""
    level = tech.level_for(job)
    return job.duration_for(level if level is not None else 0)


def reachable(problem: Problem, t: int, j: int) -> bool:
    """Whether technician t can go from home to job j, serve it in a window and get back in time."""
    tech, job, m = problem.technicians[t], problem.jobs[j], problem.matrix
    go, back = m.time(m.start(t), m.job(j)), m.time(m.job(j), m.end(t))
    if tech.max_travel_time is not None and go + back > tech.max_travel_time:
        return False
    service = duration(tech, job)
    earliest = tech.shift_start + go
    latest = tech.latest_end - back - service
    if tech.max_work_time is not None and go + service + back > tech.max_work_time:
        return False
    windows = job.allowed_starts()
    if not windows:
        return earliest <= latest
    return any(max(w.start, earliest) <= min(w.end, latest) for w in windows)


def eligibility(problem: Problem) -> Eligibility:
    """The precheck: eligible technicians per job, or the reason there are none."""
    techs: list[tuple[int, ...]] = []
    reasons: list[Reason | None] = []
    for j, job in enumerate(problem.jobs):
        skilled = [t for t, tech in enumerate(problem.technicians) if qualified(tech, job)]
        stocked = [t for t in skilled if problem.technicians[t].has_parts(job)]
        fitting = [t for t in stocked if _fits_load(problem.technicians[t], job) and reachable(problem, t, j)]
        if job.fixed and job.pinned_technician is not None:
            # an accepted job stays where it is even if the data says it should not fit
            fitting = [t for t, tech in enumerate(problem.technicians) if tech.id == job.pinned_technician]
        techs.append(tuple(fitting))
        if fitting:
            reasons.append(None)
        elif not skilled:
            reasons.append(Reason.NO_SKILL)
        elif not stocked:
            reasons.append(Reason.PARTS_UNAVAILABLE)
        else:
            reasons.append(Reason.NO_WINDOW)
    return Eligibility(tuple(techs), tuple(reasons))


def _fits_load(tech: Technician, job: Job) -> bool:
    return tech.capacity is None or job.demand <= tech.capacity
