"""Road-network travel providers against a real HTTP server on loopback that speaks OSRM's and Valhalla's APIs."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import numpy as np
import pytest

from optimizer import Job, Location, Problem, Technician, check, solve
from optimizer.travel import (
    UNREACHABLE_S,
    OsrmTravel,
    RoutingServiceError,
    ValhallaTravel,
    provider_from_config,
)

ISLAND = (10.0, 10.0)  # a point the fake road network cannot reach


def road(a: tuple[float, float], b: tuple[float, float]) -> tuple[float | None, float | None]:
    """The fake network: Manhattan blocks, 1 km per 0.01 degree, 36 km/h; the island is cut off."""
    if (a == ISLAND) != (b == ISLAND):
        return None, None
    metres = (abs(a[0] - b[0]) + abs(a[1] - b[1])) * 100_000
    return metres / 10.0, metres


class Handler(BaseHTTPRequestHandler):
    requests: list[str] = []

    def log_message(self, *args: object) -> None:  # keep test output clean
        pass

    def _send(self, payload: object, status: int = 200) -> None:
        body = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self) -> None:
        url = urlsplit(self.path)  # not urlparse: it would cut ";"-separated coordinates
        Handler.requests.append(url.path)
        coords_text = url.path.split("/table/v1/driving/")[1]
        points = [tuple(float(v) for v in c.split(","))[::-1] for c in coords_text.split(";")]  # lon,lat -> lat,lon
        query = parse_qs(url.query)
        if url.path.startswith("/bad/"):
            self._send({"code": "InvalidQuery", "message": "Query string malformed"}, 400)
            return
        sources = [int(i) for i in query["sources"][0].split(";")]
        targets = [int(i) for i in query["destinations"][0].split(";")]
        legs = [[road(points[s], points[t]) for t in targets] for s in sources]  # type: ignore[arg-type]
        self._send(
            {
                "code": "Ok",
                "durations": [[d for d, _ in row] for row in legs],
                "distances": [[m for _, m in row] for row in legs],
            }
        )

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        Handler.requests.append(self.path)
        src = [(p["lat"], p["lon"]) for p in body["sources"]]
        dst = [(p["lat"], p["lon"]) for p in body["targets"]]
        table = []
        for a in src:
            row = []
            for b in dst:
                seconds, metres = road(a, b)
                row.append({"time": seconds, "distance": None if metres is None else metres / 1000})
            table.append(row)
        self._send({"sources_to_targets": table, "units": "kilometers"})


@pytest.fixture
def server() -> Iterator[str]:
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    Handler.requests = []
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


POINTS = [Location(52.0 + i / 100, 4.0 + (i % 3) / 100) for i in range(7)] + [Location(*ISLAND)]


def expected() -> tuple[np.ndarray, np.ndarray]:
    n = len(POINTS)
    dur = np.full((n, n), UNREACHABLE_S)
    dist = np.full((n, n), UNREACHABLE_S)
    for i, a in enumerate(POINTS):
        for k, b in enumerate(POINTS):
            seconds, metres = road((a.lat, a.lon), (b.lat, b.lon))
            if seconds is not None and metres is not None:
                dur[i, k], dist[i, k] = round(seconds), round(metres)
    return dur, dist


@pytest.mark.parametrize("kind", ["osrm", "valhalla"])
def test_the_matrix_comes_from_the_server_block_by_block(server: str, kind: str) -> None:
    provider = OsrmTravel(server, block=3) if kind == "osrm" else ValhallaTravel(server, block=3)
    durations, distances = provider.matrices(POINTS)
    want_dur, want_dist = expected()
    assert (durations == want_dur).all() and (distances == want_dist).all()
    assert len(Handler.requests) == 9  # 8 places in blocks of 3: a 3x3 grid of requests
    assert durations[0, -1] == UNREACHABLE_S  # the island: never routed to


def test_a_plan_over_the_server_matrix_uses_its_travel_times(server: str) -> None:
    techs = (Technician("t", {"general": 1}, 8 * 3600, 17 * 3600, POINTS[0]),)
    jobs = (Job("j3", POINTS[3], 1800), Job("j5", POINTS[5], 1800), Job("island", POINTS[-1], 1800))
    problem = Problem(techs, jobs, travel=provider_from_config("osrm", server))
    plan = solve(problem, time_limit=2, seed=1)
    assert check(plan) == [] and set(plan.assignment()) == {"j3", "j5"}
    first = plan.route_of("t").visits[0]
    there = problem.job(first.job_id).location
    assert there is not None
    seconds, _ = road((POINTS[0].lat, POINTS[0].lon), (there.lat, there.lon))
    assert first.travel_time == round(seconds or 0)


def test_server_errors_are_one_clear_sentence(server: str) -> None:
    with pytest.raises(RoutingServiceError, match="did not answer"):
        OsrmTravel("http://127.0.0.1:1").matrices(POINTS[:2])  # nothing listens on port 1
    with pytest.raises(RoutingServiceError, match="refused the table request: Query string malformed"):
        OsrmTravel(server + "/bad").matrices(POINTS[:2])


def test_unknown_provider_names_are_refused() -> None:
    with pytest.raises(ValueError, match="unknown travel provider"):
        provider_from_config("googlemaps", "http://x")
    with pytest.raises(ValueError, match="needs the server's URL"):
        provider_from_config("osrm", None)
