"""Travel-time and distance matrices, from a pluggable provider.

``HaversineTravel`` estimates road travel from great-circle distance times a road factor at an
average speed; ``EuclideanTravel`` serves plane benchmark instances. Anything with a
``matrices`` method (an OSRM or Valhalla table client, say) satisfies ``TravelProvider``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

import numpy as np
from numpy.typing import NDArray

from optimizer.problem import Location

if TYPE_CHECKING:
    from optimizer.problem import Problem

IntMatrix = NDArray[np.int64]
EARTH_RADIUS_M = 6_371_000.0


class TravelProvider(Protocol):
    """Anything that turns locations into (durations in seconds, distances in metres)."""

    def matrices(self, locations: Sequence[Location]) -> tuple[IntMatrix, IntMatrix]:
        """Square matrices of travel durations (s) and distances (m) between the locations."""
        ...


@dataclass(frozen=True)
class HaversineTravel:
    """Great-circle distance times a road factor, driven at an average speed."""

    road_factor: float = 1.3
    speed_kmh: float = 40.0

    def __post_init__(self) -> None:
        if self.road_factor < 1.0 or self.speed_kmh <= 0:
            raise ValueError("road_factor must be >= 1 and speed_kmh > 0")

    def matrices(self, locations: Sequence[Location]) -> tuple[IntMatrix, IntMatrix]:
        """Durations and distances between every pair of locations."""
        lat = np.radians(np.array([loc.lat for loc in locations], dtype=np.float64))
        lon = np.radians(np.array([loc.lon for loc in locations], dtype=np.float64))
        dlat = lat[:, None] - lat[None, :]
        dlon = lon[:, None] - lon[None, :]
        a = np.sin(dlat / 2) ** 2 + np.cos(lat)[:, None] * np.cos(lat)[None, :] * np.sin(dlon / 2) ** 2
        metres = 2 * EARTH_RADIUS_M * np.arcsin(np.sqrt(np.clip(a, 0.0, 1.0))) * self.road_factor
        seconds = metres / (self.speed_kmh / 3.6)
        return np.rint(seconds).astype(np.int64), np.rint(metres).astype(np.int64)


@dataclass(frozen=True)
class EuclideanTravel:
    """Plane distance between (lon, lat) read as (x, y), scaled to integers.

    Times are rounded up so that a schedule feasible in integers is feasible in exact
    arithmetic too; distances are rounded to nearest. Travel time equals distance (Solomon).
    """

    scale: int = 1000

    def matrices(self, locations: Sequence[Location]) -> tuple[IntMatrix, IntMatrix]:
        """Durations and distances between every pair of locations, times ``scale``."""
        exact = self.exact(locations) * self.scale
        return np.ceil(exact - 1e-9).astype(np.int64), np.rint(exact).astype(np.int64)

    @staticmethod
    def exact(locations: Sequence[Location]) -> NDArray[np.float64]:
        """Exact (double precision) Euclidean distances, unscaled."""
        x = np.array([loc.lon for loc in locations], dtype=np.float64)
        y = np.array([loc.lat for loc in locations], dtype=np.float64)
        return np.asarray(np.hypot(x[:, None] - x[None, :], y[:, None] - y[None, :]), dtype=np.float64)


@dataclass(frozen=True, eq=False)
class TravelMatrix:
    """Durations and distances over the places of a problem.

    Place order: technician starts, technician ends, jobs (in problem order), then warehouses.
    """

    durations: IntMatrix
    distances: IntMatrix
    n_techs: int
    n_jobs: int
    n_warehouses: int = 0

    def start(self, tech: int) -> int:
        """Place index of technician ``tech``'s start."""
        return tech

    def end(self, tech: int) -> int:
        """Place index of technician ``tech``'s end."""
        return self.n_techs + tech

    def job(self, job: int) -> int:
        """Place index of job ``job``."""
        return 2 * self.n_techs + job

    def warehouse(self, w: int) -> int:
        """Place index of warehouse ``w``."""
        return 2 * self.n_techs + self.n_jobs + w

    def time(self, a: int, b: int) -> int:
        """Travel seconds from place a to place b."""
        return int(self.durations[a, b])

    def dist(self, a: int, b: int) -> int:
        """Travel metres from place a to place b."""
        return int(self.distances[a, b])


def build_matrix(problem: Problem) -> TravelMatrix:
    """Travel matrix over the problem's places; bench jobs have zero travel to and from them."""
    places: list[Location | None] = [t.start_location for t in problem.technicians]
    places += [t.end for t in problem.technicians]
    places += [j.location for j in problem.jobs]
    places += [w.location for w in problem.warehouses]
    known = [i for i, p in enumerate(places) if p is not None]
    unique: dict[tuple[float, float], int] = {}
    slot = np.empty(len(known), dtype=np.int64)
    for k, i in enumerate(known):
        loc = places[i]
        assert loc is not None
        slot[k] = unique.setdefault((loc.lat, loc.lon), len(unique))
    locs = [Location(lat, lon) for lat, lon in unique]
    n = len(places)
    durations = np.zeros((n, n), dtype=np.int64)
    distances = np.zeros((n, n), dtype=np.int64)
    if locs:
        dur, dist = problem.travel.matrices(locs)
        idx = np.array(known, dtype=np.int64)
        durations[np.ix_(idx, idx)] = np.asarray(dur, dtype=np.int64)[np.ix_(slot, slot)]
        distances[np.ix_(idx, idx)] = np.asarray(dist, dtype=np.int64)[np.ix_(slot, slot)]
    np.fill_diagonal(durations, 0)
    np.fill_diagonal(distances, 0)
    return TravelMatrix(durations, distances, len(problem.technicians), len(problem.jobs), len(problem.warehouses))


def haversine_metres(a: Location, b: Location) -> float:
    """Great-circle distance in metres (for generators and sanity checks)."""
    p1, p2 = math.radians(a.lat), math.radians(b.lat)
    dp, dl = p2 - p1, math.radians(b.lon - a.lon)
    h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(math.sqrt(min(1.0, h)))
