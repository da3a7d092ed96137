"""The plan: routes per technician, unassigned jobs with reasons, KPIs and explanations."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from types import MappingProxyType
from typing import TYPE_CHECKING

from optimizer.problem import Priority, Problem

if TYPE_CHECKING:
    from optimizer.explain import Explanation


class Reason(StrEnum):
    """Why a job was left unassigned."""

    NO_SKILL = "no_skill"  # no technician has the skills at the required level
    PARTS_UNAVAILABLE = "parts_unavailable"  # no qualified technician carries the parts, no warehouse has them
    NO_WINDOW = "no_window"  # no window reachable by a qualified technician within the shift
    CAPACITY = "capacity"  # feasible alone, but no room left in anyone's day


@dataclass(frozen=True)
class Pickup:
    """A stop at a warehouse on the way to a job, to collect the job's parts.

    ``travel_time`` and ``travel_distance`` are for the drive to the warehouse; they are part of
    the visit's own travel figures, which cover the whole way from the previous stop.
    """

    warehouse_id: str
    start: int
    end: int
    travel_time: int
    travel_distance: int


@dataclass(frozen=True)
class Visit:
    """One stop of a route; travel figures are for the leg that reaches it (via the pickup, if any)."""

    job_id: str
    arrival: int
    start: int
    end: int
    travel_time: int
    travel_distance: int
    pickup: Pickup | None = None


@dataclass(frozen=True)
class BreakTaken:
    """A break taken during the route."""

    start: int
    end: int


@dataclass(frozen=True)
class Route:
    """A technician's day: departure, ordered visits, breaks and the way back."""

    technician_id: str
    departure: int
    visits: tuple[Visit, ...]
    arrival_back: int
    return_travel_time: int
    return_travel_distance: int
    breaks: tuple[BreakTaken, ...] = ()

    @property
    def travel_time(self) -> int:
        """Seconds driven, the way back included."""
        return sum(v.travel_time for v in self.visits) + self.return_travel_time

    @property
    def travel_distance(self) -> int:
        """Metres driven, the way back included."""
        return sum(v.travel_distance for v in self.visits) + self.return_travel_distance

    @property
    def span(self) -> int:
        """Seconds from leaving to coming back (0 for an empty route)."""
        return self.arrival_back - self.departure if self.visits else 0

    @property
    def service_time(self) -> int:
        """Seconds spent on jobs."""
        return sum(v.end - v.start for v in self.visits)


@dataclass(frozen=True)
class Unassigned:
    """A job the plan does not serve, and why."""

    job_id: str
    reason: Reason


@dataclass(frozen=True)
class Kpis:
    """Headline figures of a plan."""

    served_by_priority: Mapping[str, int]
    unserved_by_priority: Mapping[str, int]
    travel_time: int
    travel_distance: int
    overtime: int
    sla_lateness: int
    utilisation: Mapping[str, float]  # per technician: service time / shift length

    @property
    def served(self) -> int:
        """Number of jobs served."""
        return sum(self.served_by_priority.values())


@dataclass(frozen=True, eq=False)
class Plan:
    """A proposed day for every technician, as produced by ``solve`` or ``baseline``."""

    problem: Problem = field(repr=False)
    routes: tuple[Route, ...]
    unassigned: tuple[Unassigned, ...]
    explanations: tuple[Explanation, ...] = ()
    solver: str = "unknown"
    objective: int | None = None  # the solver's own objective value, if any

    def key(self) -> tuple[object, ...]:
        """A comparable value of the decisions (routes and unassigned), for determinism checks."""
        return (self.routes, self.unassigned)

    def route_of(self, tech_id: str) -> Route:
        """The route of a technician."""
        for route in self.routes:
            if route.technician_id == tech_id:
                return route
        raise KeyError(tech_id)

    def assignment(self) -> dict[str, str]:
        """Job id -> technician id for every served job."""
        return {v.job_id: r.technician_id for r in self.routes for v in r.visits}

    def kpis(self) -> Kpis:
        """Jobs served by priority, travel, overtime, SLA lateness and utilisation."""
        problem = self.problem
        served = {p.name.lower(): 0 for p in Priority}
        unserved = {p.name.lower(): 0 for p in Priority}
        lateness = 0
        for route in self.routes:
            for visit in route.visits:
                job = problem.job(visit.job_id)
                served[job.priority.name.lower()] += 1
                if job.sla_deadline is not None:
                    lateness += max(0, visit.start - job.sla_deadline)
        for item in self.unassigned:
            unserved[problem.job(item.job_id).priority.name.lower()] += 1
        utilisation = {}
        overtime = 0
        for route in self.routes:
            tech = problem.technician(route.technician_id)
            shift = max(1, tech.shift_end - tech.shift_start)
            utilisation[route.technician_id] = round(route.service_time / shift, 4)
            overtime += self._overtime(route)
        return Kpis(
            served_by_priority=MappingProxyType(served),
            unserved_by_priority=MappingProxyType(unserved),
            travel_time=sum(r.travel_time for r in self.routes),
            travel_distance=sum(r.travel_distance for r in self.routes),
            overtime=overtime,
            sla_lateness=lateness,
            utilisation=MappingProxyType(utilisation),
        )

    def _overtime(self, route: Route) -> int:
        if not route.visits:
            return 0
        return max(0, route.arrival_back - self.problem.technician(route.technician_id).shift_end)

    def cost(self) -> int:
        """The objective of this plan under the problem's weights, recomputed from the routes."""
        w = self.problem.weights
        total = sum(w.drop_penalty[self.problem.job(u.job_id).priority] for u in self.unassigned)
        kpis = self.kpis()
        total += w.sla_late_per_second * kpis.sla_lateness
        total += w.travel_per_second * kpis.travel_time + w.distance_per_metre * kpis.travel_distance
        total += w.overtime_per_second * kpis.overtime
        used = [r for r in self.routes if r.visits]
        for route in used:
            tech = self.problem.technician(route.technician_id)
            total += span_coefficient(w.span_per_second_per_1000_cents, tech.hourly_cost_cents) * route.span
            total += w.vehicle_fixed_cost
        if used:
            total += w.balance_per_second * (max(r.arrival_back for r in used) - min(r.departure for r in used))
        return total + w.change_per_job * len(self.changed_jobs())

    def changed_jobs(self) -> list[str]:
        """Jobs booked in the current plan that this plan gives to another technician or leaves out."""
        given = self.assignment()
        return [
            job.id
            for job in self.problem.jobs
            if job.current_technician is not None and given.get(job.id) != job.current_technician
        ]

    def is_feasible(self) -> bool:
        """Whether the independent checker finds no violation."""
        from optimizer.check import check

        return not check(self)

    def summary(self) -> str:
        """A few lines a dispatcher can read."""
        k = self.kpis()
        used = sum(1 for r in self.routes if r.visits)
        served = ", ".join(f"{p}={n}" for p, n in k.served_by_priority.items())
        reasons: dict[str, int] = {}
        for item in self.unassigned:
            reasons[item.reason.value] = reasons.get(item.reason.value, 0) + 1
        lines = [
            f"plan {self.problem.name} by {self.solver}: {k.served}/{len(self.problem.jobs)} jobs served "
            f"by {used}/{len(self.routes)} technicians ({served})",
            f"travel {k.travel_time / 3600:.1f} h, {k.travel_distance / 1000:.1f} km; "
            f"overtime {k.overtime / 60:.0f} min; SLA lateness {k.sla_lateness / 60:.0f} min",
            f"unassigned: {reasons or 'none'}",
        ]
        return "\n".join(lines)


def span_coefficient(per_1000_cents: int, hourly_cost_cents: int) -> int:
    """Cost units per second of route span for a technician's hourly cost."""
    return per_1000_cents * hourly_cost_cents // 1000
