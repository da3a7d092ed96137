"""Readers of public benchmark instances: Solomon's VRPTW text format as an optimizer :class:`Problem`.

Pure like the rest of the optimizer: a file (or its text) in, plain data out; no database, no Dagster. The
benchmarks (``benchmarks/vrptw.py``) and the tests read instances here, so the format is parsed in one place.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass
from pathlib import Path

from optimizer.problem import Job, Location, Priority, Problem, Technician, TimeWindow, Weights
from optimizer.travel import EuclideanTravel

SCALE = 1000  # Solomon coordinates and times are multiplied by this to work in integers

# One customer row: number, x, y, demand, ready time, due date, service time (row 0 is the depot).
SolomonRow = tuple[int, float, float, int, int, int, int]


@dataclass(frozen=True)
class SolomonInstance:
    """A Solomon VRPTW instance: its name, fleet size, vehicle capacity and customer rows (depot first)."""

    name: str
    vehicles: int
    capacity: int
    rows: list[SolomonRow]


def parse_solomon(text: str) -> SolomonInstance:
    """Parse the Solomon text format (name line, ``VEHICLE`` block, then one row of seven numbers per customer)."""
    lines = [ln.split() for ln in text.splitlines() if ln.strip()]
    name = lines[0][0]
    vehicle_row = next(i for i, ln in enumerate(lines) if ln[0].upper() == "VEHICLE") + 2
    vehicles, capacity = int(lines[vehicle_row][0]), int(lines[vehicle_row][1])
    rows = []
    for ln in lines:
        if len(ln) == 7 and all(part.replace(".", "").isdigit() for part in ln):
            i, x, y, d, r, due, s = ln
            rows.append((int(i), float(x), float(y), int(d), int(r), int(due), int(s)))
    return SolomonInstance(name, vehicles, capacity, rows)


def read_solomon(path: Path) -> SolomonInstance:
    """Read a Solomon instance file (``C101.txt``)."""
    return parse_solomon(path.read_text())


def solomon_problem(inst: SolomonInstance) -> Problem:
    """The instance as an optimizer Problem: vehicles are technicians, customers are jobs, distance only."""
    depot = inst.rows[0]
    home = Location(depot[2], depot[1])  # (lat, lon) = (y, x) for EuclideanTravel
    horizon = depot[5] * SCALE
    techs = tuple(Technician(f"v{k}", {}, 0, horizon, home, capacity=inst.capacity) for k in range(inst.vehicles))
    jobs = tuple(
        Job(
            str(i), Location(y, x), s * SCALE, (TimeWindow(r * SCALE, due * SCALE),), demand=d, priority=Priority.NORMAL
        )
        for i, x, y, d, r, due, s in inst.rows[1:]
    )
    weights = Weights(
        travel_per_second=0,
        distance_per_metre=1,
        overtime_per_second=0,
        span_per_second_per_1000_cents=0,
        balance_per_second=0,
        sla_late_per_second=0,
    )
    return Problem(techs, jobs, EuclideanTravel(SCALE), weights, name=inst.name)


def solomon_distance(inst: SolomonInstance, routes: list[list[int]]) -> float:
    """Total Euclidean distance in double precision; routes list customer numbers, the depot implied."""
    xy = {i: (x, y) for i, x, y, *_ in inst.rows}
    total = 0.0
    for route in routes:
        path = [0, *route, 0]
        total += sum(math.dist(xy[a], xy[b]) for a, b in itertools.pairwise(path))
    return total
