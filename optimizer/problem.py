"""Problem data for the dispatch optimizer: technicians, jobs and objective weights.

Units are integers decided up front: times are seconds since midnight of the planning day
(any common epoch works), distances are metres, money is cents. Every dataclass is frozen and
validated on construction, so a ``Problem`` that exists is a well-formed one.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import IntEnum
from functools import cached_property
from types import MappingProxyType
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from optimizer.travel import TravelMatrix, TravelProvider


class Priority(IntEnum):
    """Job priority; a lower value is more urgent."""

    EMERGENCY = 0
    HIGH = 1
    NORMAL = 2
    LOW = 3


@dataclass(frozen=True)
class Location:
    """A point on the map in degrees (or plane coordinates for Euclidean instances)."""

    lat: float
    lon: float

    def __post_init__(self) -> None:
        if not (math.isfinite(self.lat) and math.isfinite(self.lon)):
            raise ValueError("location coordinates must be finite")


@dataclass(frozen=True)
class TimeWindow:
    """An interval in which service may start, both ends inclusive."""

    start: int
    end: int

    def __post_init__(self) -> None:
        if self.start > self.end:
            raise ValueError(f"time window starts after it ends: {self.start} > {self.end}")

    def contains(self, t: int) -> bool:
        """Whether service may start at ``t``."""
        return self.start <= t <= self.end


@dataclass(frozen=True)
class Break:
    """A break (lunch) of fixed duration whose start lies in [earliest_start, latest_start]."""

    earliest_start: int
    latest_start: int
    duration: int

    def __post_init__(self) -> None:
        if self.earliest_start > self.latest_start:
            raise ValueError("break window starts after it ends")
        if self.duration <= 0:
            raise ValueError("break duration must be positive")


def _frozen_map(value: Mapping[str, int], what: str, minimum: int) -> Mapping[str, int]:
    for key, qty in value.items():
        if qty < minimum:
            raise ValueError(f"{what} {key!r} must be >= {minimum}, got {qty}")
    return MappingProxyType(dict(value))


@dataclass(frozen=True, eq=False)
class Technician:
    """A technician (vehicle): skills, shift, break, home/depot, limits and van stock."""

    id: str
    skills: Mapping[str, int]
    shift_start: int
    shift_end: int
    start_location: Location
    end_location: Location | None = None  # None: back to the start location
    lunch: Break | None = None
    max_overtime: int = 0  # the route may end up to this long after shift_end, at a cost
    max_work_time: int | None = None  # cap on route span (leave home .. back home)
    max_travel_time: int | None = None
    hourly_cost_cents: int = 0
    van_stock: Mapping[str, int] = field(default_factory=dict)
    capacity: int | None = None  # van load capacity in the units of Job.demand

    def __post_init__(self) -> None:
        if not self.id:
            raise ValueError("technician id must not be empty")
        if self.shift_start > self.shift_end:
            raise ValueError(f"technician {self.id}: shift starts after it ends")
        for name in ("max_overtime", "hourly_cost_cents"):
            if getattr(self, name) < 0:
                raise ValueError(f"technician {self.id}: {name} must be >= 0")
        for name in ("max_work_time", "max_travel_time", "capacity"):
            value = getattr(self, name)
            if value is not None and value < 0:
                raise ValueError(f"technician {self.id}: {name} must be >= 0")
        object.__setattr__(self, "skills", _frozen_map(self.skills, "skill level", 1))
        object.__setattr__(self, "van_stock", _frozen_map(self.van_stock, "van stock", 0))

    @property
    def end(self) -> Location:
        """Where the route ends."""
        return self.end_location if self.end_location is not None else self.start_location

    @property
    def latest_end(self) -> int:
        """The latest time the route may end, overtime included."""
        return self.shift_end + self.max_overtime

    def level_for(self, job: Job) -> int | None:
        """The technician's level for a job (minimum over its required skills); None if unqualified."""
        level = 1_000_000
        for skill, minimum in job.required_skills.items():
            have = self.skills.get(skill, 0)
            if have < minimum:
                return None
            level = min(level, have)
        return level if job.required_skills else max(self.skills.values(), default=1)

    def has_parts(self, job: Job) -> bool:
        """Whether the van carries every part the job needs (the job alone)."""
        return all(self.van_stock.get(p, 0) >= q for p, q in job.required_parts.items())


@dataclass(frozen=True, eq=False)
class Job:
    """A job: where, how long, when, who may do it, and how urgent it is.

    ``location`` None means a workshop bench job: no travel to or from it.
    ``duration_by_level`` maps a skill level to the duration at that level or above; the
    technician's level is the minimum of its levels over the job's required skills.
    """

    id: str
    location: Location | None
    duration: int
    time_windows: tuple[TimeWindow, ...] = ()
    required_skills: Mapping[str, int] = field(default_factory=dict)
    priority: Priority = Priority.NORMAL
    sla_deadline: int | None = None  # soft: latest service start before lateness is charged
    required_parts: Mapping[str, int] = field(default_factory=dict)
    pinned_technician: str | None = None
    pinned_start: int | None = None
    fixed: bool = False  # in progress / accepted: stays with its technician at its time
    duration_by_level: Mapping[int, int] = field(default_factory=dict)
    demand: int = 0  # van load (Solomon instances); 0 for ordinary jobs
    # warehouse holding this job's parts already reserved for it (a bench job has them on site)
    parts_reserved_at: str | None = None
    # the current plan (a booking the day already has): who and when. Only a preference: the greedy start
    # keeps it where it still fits, and ``Weights.change_per_job`` charges a plan for moving it elsewhere
    current_technician: str | None = None
    current_start: int | None = None

    def __post_init__(self) -> None:
        if not self.id:
            raise ValueError("job id must not be empty")
        if self.duration < 0 or self.demand < 0:
            raise ValueError(f"job {self.id}: duration and demand must be >= 0")
        windows = tuple(sorted(self.time_windows, key=lambda w: w.start))
        for a, b in itertools.pairwise(windows):
            if b.start <= a.end:
                raise ValueError(f"job {self.id}: time windows overlap")
        object.__setattr__(self, "time_windows", windows)
        object.__setattr__(self, "priority", Priority(self.priority))
        object.__setattr__(self, "required_skills", _frozen_map(self.required_skills, "skill level", 1))
        object.__setattr__(self, "required_parts", _frozen_map(self.required_parts, "part quantity", 1))
        if any(d < 0 for d in self.duration_by_level.values()):
            raise ValueError(f"job {self.id}: durations must be >= 0")
        object.__setattr__(self, "duration_by_level", MappingProxyType(dict(self.duration_by_level)))
        if self.fixed and (self.pinned_technician is None or self.pinned_start is None):
            raise ValueError(f"job {self.id}: a fixed job needs a pinned technician and start")
        if (
            self.pinned_start is not None
            and self.time_windows
            and not any(w.contains(self.pinned_start) for w in self.time_windows)
        ):
            raise ValueError(f"job {self.id}: pinned start lies outside its time windows")

    def duration_for(self, level: int) -> int:
        """Service duration for a technician of the given level."""
        best = self.duration
        best_key = -1
        for key, value in self.duration_by_level.items():
            if best_key < key <= level:
                best, best_key = value, key
        return best

    @property
    def parts_on_site(self) -> bool:
        """Whether the parts wait at the workshop: a bench job whose parts are reserved for it."""
        return self.location is None and self.parts_reserved_at is not None

    def allowed_starts(self) -> tuple[TimeWindow, ...]:
        """The windows in which service may start, with a pinned start taking precedence."""
        if self.pinned_start is not None:
            return (TimeWindow(self.pinned_start, self.pinned_start),)
        return self.time_windows


@dataclass(frozen=True, eq=False)
class Warehouse:
    """A place where technicians pick up parts on the way to a job.

    ``stock`` is free stock anyone may take; parts reserved for a job are not in it (the job names
    the warehouse in ``parts_reserved_at``). ``pickup_time`` is spent at each pickup stop.
    """

    id: str
    location: Location
    stock: Mapping[str, int] = field(default_factory=dict)
    pickup_time: int = 600

    def __post_init__(self) -> None:
        if not self.id:
            raise ValueError("warehouse id must not be empty")
        if self.pickup_time < 0:
            raise ValueError(f"warehouse {self.id}: pickup_time must be >= 0")
        object.__setattr__(self, "stock", _frozen_map(self.stock, "warehouse stock", 0))

    def supplies(self, job: Job) -> bool:
        """Whether the job's parts can be picked up here (reserved here, or all in free stock)."""
        if job.parts_reserved_at is not None:
            return job.parts_reserved_at == self.id
        return bool(job.required_parts) and all(self.stock.get(p, 0) >= q for p, q in job.required_parts.items())


@dataclass(frozen=True)
class Weights:
    """Objective weights: they make the lexicographic order of the objective.

    Serving jobs (per priority) dwarfs everything; SLA lateness comes next; travel, overtime
    and technician cost after; workload balance last. Costs are in abstract integer units.
    """

    drop_penalty: Mapping[Priority, int] = field(
        default_factory=lambda: {
            Priority.EMERGENCY: 10_000_000_000,
            Priority.HIGH: 1_000_000_000,
            Priority.NORMAL: 100_000_000,
            Priority.LOW: 10_000_000,
        }
    )
    sla_late_per_second: int = 100
    travel_per_second: int = 10
    distance_per_metre: int = 0
    overtime_per_second: int = 20
    # technician cost: cost units per second of route span per 1000 cents of hourly cost
    span_per_second_per_1000_cents: int = 1
    balance_per_second: int = 1  # global span coefficient (small)
    vehicle_fixed_cost: int = 0
    # a booked job given to another technician (or left out): a re-plan changes the day only for a real gain
    change_per_job: int = 0

    def __post_init__(self) -> None:
        missing = set(Priority) - set(self.drop_penalty)
        if missing:
            raise ValueError(f"drop_penalty lacks priorities {sorted(missing)}")
        values = [
            self.sla_late_per_second,
            self.travel_per_second,
            self.distance_per_metre,
            self.overtime_per_second,
            self.span_per_second_per_1000_cents,
            self.balance_per_second,
            self.vehicle_fixed_cost,
            self.change_per_job,
            *self.drop_penalty.values(),
        ]
        if any(v < 0 for v in values):
            raise ValueError("weights must be >= 0")
        object.__setattr__(self, "drop_penalty", MappingProxyType(dict(self.drop_penalty)))


def _default_travel() -> TravelProvider:
    from optimizer.travel import HaversineTravel

    return HaversineTravel()


@dataclass(frozen=True, eq=False)
class Problem:
    """A dispatch day: technicians, jobs, a travel provider, objective weights and parts warehouses."""

    technicians: tuple[Technician, ...]
    jobs: tuple[Job, ...]
    travel: TravelProvider = field(default_factory=_default_travel)
    weights: Weights = field(default_factory=Weights)
    name: str = "day"
    warehouses: tuple[Warehouse, ...] = ()

    def __post_init__(self) -> None:
        object.__setattr__(self, "technicians", tuple(self.technicians))
        object.__setattr__(self, "jobs", tuple(self.jobs))
        object.__setattr__(self, "warehouses", tuple(self.warehouses))
        _unique([t.id for t in self.technicians], "technician")
        _unique([j.id for j in self.jobs], "job")
        _unique([w.id for w in self.warehouses], "warehouse")
        tech_ids = {t.id for t in self.technicians}
        warehouse_ids = {w.id for w in self.warehouses}
        for job in self.jobs:
            if job.pinned_technician is not None and job.pinned_technician not in tech_ids:
                raise ValueError(f"job {job.id}: pinned to unknown technician {job.pinned_technician}")
            if (
                job.parts_reserved_at is not None
                and job.parts_reserved_at not in warehouse_ids
                and job.location is not None
            ):
                raise ValueError(f"job {job.id}: parts reserved at unknown warehouse {job.parts_reserved_at}")

    @cached_property
    def matrix(self) -> TravelMatrix:
        """Travel times and distances between all places of the problem (computed once)."""
        from optimizer.travel import build_matrix

        return build_matrix(self)

    def job_index(self, job_id: str) -> int:
        """Position of the job in ``jobs`` (its place in the travel matrix is ``matrix.job(i)``)."""
        return self._job_index[job_id]

    @cached_property
    def _job_index(self) -> dict[str, int]:
        return {j.id: i for i, j in enumerate(self.jobs)}

    def technician(self, tech_id: str) -> Technician:
        """The technician with this id."""
        return self._techs_by_id[tech_id]

    def job(self, job_id: str) -> Job:
        """The job with this id."""
        return self._jobs_by_id[job_id]

    def warehouse_index(self, warehouse_id: str) -> int:
        """Position of the warehouse in ``warehouses`` (its place is ``matrix.warehouse(i)``)."""
        return self._warehouse_index[warehouse_id]

    @cached_property
    def _warehouse_index(self) -> dict[str, int]:
        return {w.id: i for i, w in enumerate(self.warehouses)}

    @cached_property
    def _techs_by_id(self) -> dict[str, Technician]:
        return {t.id: t for t in self.technicians}

    @cached_property
    def _jobs_by_id(self) -> dict[str, Job]:
        return {j.id: j for j in self.jobs}


def _unique(ids: list[str], what: str) -> None:
    seen: set[str] = set()
    for item in ids:
        if item in seen:
            raise ValueError(f"duplicate {what} id {item!r}")
        seen.add(item)
