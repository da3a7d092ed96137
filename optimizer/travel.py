"""Travel-time and distance matrices, from a pluggable provider.

``HaversineTravel`` estimates road travel from great-circle distance times a road factor at an
average speed; ``EuclideanTravel`` serves plane benchmark instances; ``OsrmTravel`` and
``ValhallaTravel`` ask a road-network server's table API, block by block. Anything with a
``matrices`` method satisfies ``TravelProvider``; ``provider_from_config`` picks one by name.
"""

from __future__ import annotations

import json
import math
import urllib.error
import urllib.request
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

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


UNREACHABLE_S = 7 * 24 * 3600  # what a pair the road network cannot connect costs: never chosen


class RoutingServiceError(RuntimeError):
    """The road-network server could not be asked, or did not answer a table request."""


def _get_json(url: str, body: dict[str, Any] | None, timeout: float) -> Any:
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(url, data=data, headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return json.load(response)
    except urllib.error.HTTPError as exc:  # OSRM and Valhalla explain refusals in a JSON body
        try:
            return json.load(exc)
        except ValueError:
            raise RoutingServiceError(f"the routing server at {url.split('?')[0]} answered {exc.code}") from exc
    except (urllib.error.URLError, TimeoutError, OSError, ValueError) as exc:
        raise RoutingServiceError(f"the routing server at {url.split('?')[0]} did not answer: {exc}") from exc


def _blockwise(
    n: int, block: int, fetch: Callable[[list[int], list[int]], tuple[IntMatrix, IntMatrix]]
) -> tuple[IntMatrix, IntMatrix]:
    """Fill n×n matrices by asking for block×block tables (servers cap table sizes)."""
    durations = np.zeros((n, n), dtype=np.int64)
    distances = np.zeros((n, n), dtype=np.int64)
    for a in range(0, n, block):
        for b in range(0, n, block):
            rows, cols = list(range(a, min(n, a + block))), list(range(b, min(n, b + block)))
            dur, dist = fetch(rows, cols)
            durations[a : a + len(rows), b : b + len(cols)] = dur
            distances[a : a + len(rows), b : b + len(cols)] = dist
    return durations, distances


def _table(values: Any, shape: tuple[int, int], scale: float, what: str) -> IntMatrix:
    """A server's table as integers; missing (unroutable) entries become ``UNREACHABLE_S``."""
    if not isinstance(values, list) or len(values) != shape[0]:
        raise RoutingServiceError(f"the routing server's {what} table has the wrong shape")
    out = np.full(shape, UNREACHABLE_S, dtype=np.int64)
    for i, row in enumerate(values):
        if not isinstance(row, list) or len(row) != shape[1]:
            raise RoutingServiceError(f"the routing server's {what} table has the wrong shape")
        for k, value in enumerate(row):
            if value is not None:
                out[i, k] = round(float(value) * scale)
    return out


@dataclass(frozen=True)
class OsrmTravel:
    """OSRM's table service (``/table/v1/{profile}``), asked for durations and distances block by block."""

    base_url: str
    profile: str = "driving"
    block: int = 100  # OSRM's default --max-table-size
    timeout: float = 30.0

    def matrices(self, locations: Sequence[Location]) -> tuple[IntMatrix, IntMatrix]:
        """Durations (s) and distances (m) between every pair of locations, from the OSRM server."""
        return _blockwise(len(locations), self.block, lambda rows, cols: self._fetch(locations, rows, cols))

    def _fetch(self, locations: Sequence[Location], rows: list[int], cols: list[int]) -> tuple[IntMatrix, IntMatrix]:
        points = [locations[i] for i in rows + cols]
        coords = ";".join(f"{p.lon:.6f},{p.lat:.6f}" for p in points)
        sources = ";".join(str(i) for i in range(len(rows)))
        targets = ";".join(str(len(rows) + i) for i in range(len(cols)))
        url = (
            f"{self.base_url.rstrip('/')}/table/v1/{self.profile}/{coords}"
            f"?sources={sources}&destinations={targets}&annotations=duration,distance"
        )
        answer = _get_json(url, None, self.timeout)
        if not isinstance(answer, dict) or answer.get("code") != "Ok":
            message = answer.get("message", answer.get("code")) if isinstance(answer, dict) else "no JSON object"
            raise RoutingServiceError(f"the OSRM server refused the table request: {message}")
        shape = (len(rows), len(cols))
        return _table(answer.get("durations"), shape, 1.0, "duration"), _table(
            answer.get("distances"), shape, 1.0, "distance"
        )


@dataclass(frozen=True)
class ValhallaTravel:
    """Valhalla's matrix service (``/sources_to_targets``), asked block by block."""

    base_url: str
    costing: str = "auto"
    block: int = 50  # Valhalla's default matrix limit for auto is larger; small blocks keep requests quick
    timeout: float = 30.0

    def matrices(self, locations: Sequence[Location]) -> tuple[IntMatrix, IntMatrix]:
        """Durations (s) and distances (m) between every pair of locations, from the Valhalla server."""
        return _blockwise(len(locations), self.block, lambda rows, cols: self._fetch(locations, rows, cols))

    def _fetch(self, locations: Sequence[Location], rows: list[int], cols: list[int]) -> tuple[IntMatrix, IntMatrix]:
        body = {
            "sources": [{"lat": locations[i].lat, "lon": locations[i].lon} for i in rows],
            "targets": [{"lat": locations[i].lat, "lon": locations[i].lon} for i in cols],
            "costing": self.costing,
            "units": "kilometers",
        }
        answer = _get_json(f"{self.base_url.rstrip('/')}/sources_to_targets", body, self.timeout)
        table = answer.get("sources_to_targets") if isinstance(answer, dict) else None
        if not isinstance(table, list):
            message = answer.get("error", "no table") if isinstance(answer, dict) else "no JSON object"
            raise RoutingServiceError(f"the Valhalla server refused the matrix request: {message}")
        times = [[cell.get("time") for cell in row] if isinstance(row, list) else row for row in table]
        kms = [[cell.get("distance") for cell in row] if isinstance(row, list) else row for row in table]
        shape = (len(rows), len(cols))
        return _table(times, shape, 1.0, "time"), _table(kms, shape, 1000.0, "distance")


def provider_from_config(engine: str | None, url: str | None = None, **options: Any) -> TravelProvider:
    """The travel provider named by configuration: ``haversine`` (default), ``osrm`` or ``valhalla`` (with a URL)."""
    name = (engine or "haversine").strip().lower()
    if name == "haversine":
        return HaversineTravel(**options)
    if name in ("osrm", "valhalla"):
        if not url:
            raise ValueError(f"the {name} travel provider needs the server's URL")
        return OsrmTravel(url, **options) if name == "osrm" else ValhallaTravel(url, **options)
    raise ValueError(f"unknown travel provider {engine!r}: use haversine, osrm or valhalla")


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


@dataclass(frozen=True)
class Leg:
    """The way from one place to a job: straight, or via a warehouse (first part, pickup, second part)."""

    to_warehouse: int  # seconds; the whole drive when there is no warehouse
    to_warehouse_m: int
    to_job: int  # seconds from the warehouse to the job (0 without a warehouse)
    to_job_m: int
    pickup: int  # seconds at the warehouse
    warehouse_id: str | None

    @property
    def travel(self) -> int:
        """Seconds driven."""
        return self.to_warehouse + self.to_job

    @property
    def distance(self) -> int:
        """Metres driven."""
        return self.to_warehouse_m + self.to_job_m

    @property
    def total(self) -> int:
        """Seconds from leaving to arriving, pickup included."""
        return self.travel + self.pickup


def leg(problem: Problem, place: int, j: int, via: int | None) -> Leg:
    """The leg from ``place`` to job j, through warehouse ``via`` if given."""
    m = problem.matrix
    if via is None:
        return Leg(m.time(place, m.job(j)), m.dist(place, m.job(j)), 0, 0, 0, None)
    w = m.warehouse(via)
    house = problem.warehouses[via]
    return Leg(
        m.time(place, w), m.dist(place, w), m.time(w, m.job(j)), m.dist(w, m.job(j)), house.pickup_time, house.id
    )


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
