"""Solomon VRPTW instances: our optimizer against plain OR-Tools, both against the best-known distances.

Usage: ``python benchmarks/vrptw.py [--instances DIR] [--time-limit S] [--only C101 R101 ...]``.

DIR holds ``instances/NAME.txt`` (Solomon format) and ``bks.csv`` (``instance,vehicles,distance``);
the default is ``../shared/benchmarks/vrptw``. Each instance is solved by ``optimizer.solve`` at the time
limit on one core, then by OR-Tools' routing solver as a user would set it up from its documentation
(default first solution strategy PATH_CHEAPEST_ARC + guided local search) with the same limit. Distances
are recomputed from the routes in double precision. Prints per instance vehicles, distance and gap to
the best-known distance for both, then ``mean_gap_pct=X`` (ours) and ``ortools_default_mean_gap_pct=Y``.
The objective is total distance only, so using more vehicles than the best-known solution is allowed
and a negative gap is possible (see the instances' README).
"""

from __future__ import annotations

import argparse
import csv
import itertools
import math
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from ortools.constraint_solver import pywrapcp, routing_enums_pb2
from rich.console import Console
from rich.progress import Progress

from optimizer import EuclideanTravel, Job, Location, Priority, Problem, Technician, TimeWindow, Weights, check, solve

SCALE = 1000  # coordinates and times are multiplied by this to work in integers
DEFAULT_DIR = Path(__file__).resolve().parents[2] / "shared" / "benchmarks" / "vrptw"


@dataclass(frozen=True)
class Instance:
    name: str
    vehicles: int
    capacity: int
    rows: list[tuple[int, float, float, int, int, int, int]]  # id, x, y, demand, ready, due, service


@dataclass(frozen=True)
class Result:
    vehicles: int
    distance: float
    served: int
    feasible: bool


def read_instance(path: Path) -> Instance:
    """Parse the Solomon text format."""
    lines = [ln.split() for ln in path.read_text().splitlines() if ln.strip()]
    name = lines[0][0]
    vehicle_row = next(i for i, ln in enumerate(lines) if ln[0].upper() == "VEHICLE") + 2
    vehicles, capacity = int(lines[vehicle_row][0]), int(lines[vehicle_row][1])
    rows = []
    for ln in lines:
        if len(ln) == 7 and all(part.replace(".", "").isdigit() for part in ln):
            i, x, y, d, r, due, s = ln
            rows.append((int(i), float(x), float(y), int(d), int(r), int(due), int(s)))
    return Instance(name, vehicles, capacity, rows)


def to_problem(inst: Instance) -> Problem:
    """The instance as an optimizer Problem: vehicles are technicians, customers are jobs, distance only."""
    depot = inst.rows[0]
    home = Location(depot[2], depot[1])  # (lat, lon) = (y, x) for EuclideanTravel
    horizon = depot[5] * SCALE
    techs = tuple(Technician(f"v{k}", {}, 0, horizon, home, capacity=inst.capacity) for k in range(inst.vehicles))
    jobs = tuple(Job(str(i), Location(y, x), s * SCALE, (TimeWindow(r * SCALE, due * SCALE),), demand=d,
                     priority=Priority.NORMAL) for i, x, y, d, r, due, s in inst.rows[1:])
    weights = Weights(travel_per_second=0, distance_per_metre=1, overtime_per_second=0,
                      span_per_second_per_1000_cents=0, balance_per_second=0, sla_late_per_second=0)
    return Problem(techs, jobs, EuclideanTravel(SCALE), weights, name=inst.name)


def exact_distance(inst: Instance, routes: list[list[int]]) -> float:
    """Total Euclidean distance in double precision; routes list customer ids, depot implied."""
    xy = {i: (x, y) for i, x, y, *_ in inst.rows}
    total = 0.0
    for route in routes:
        path = [0, *route, 0]
        total += sum(math.dist(xy[a], xy[b]) for a, b in itertools.pairwise(path))
    return total


def solve_ours(inst: Instance, seconds: float) -> Result:
    problem = to_problem(inst)
    plan = solve(problem, time_limit=seconds, seed=0, with_explanations=False)
    routes = [[int(v.job_id) for v in r.visits] for r in plan.routes if r.visits]
    return Result(len(routes), exact_distance(inst, routes), sum(len(r) for r in routes), not check(plan))


def solve_ortools_default(inst: Instance, seconds: float) -> Result:
    """OR-Tools routing as its VRPTW guide sets it up: PATH_CHEAPEST_ARC, then guided local search."""
    n = len(inst.rows)
    xy = [(x, y) for _, x, y, *_ in inst.rows]
    dist = [[round(math.dist(xy[a], xy[b]) * SCALE) for b in range(n)] for a in range(n)]
    service = [row[6] * SCALE for row in inst.rows]
    manager = pywrapcp.RoutingIndexManager(n, inst.vehicles, 0)
    routing = pywrapcp.RoutingModel(manager)
    dist_cb = routing.RegisterTransitCallback(
        lambda i, j: dist[manager.IndexToNode(i)][manager.IndexToNode(j)])
    routing.SetArcCostEvaluatorOfAllVehicles(dist_cb)
    travel = [[math.ceil(math.dist(xy[a], xy[b]) * SCALE - 1e-9) + service[a] for b in range(n)] for a in range(n)]
    time_cb = routing.RegisterTransitCallback(
        lambda i, j: travel[manager.IndexToNode(i)][manager.IndexToNode(j)])
    horizon = inst.rows[0][5] * SCALE
    routing.AddDimension(time_cb, horizon, horizon, False, "time")
    time_dim = routing.GetDimensionOrDie("time")
    for node, (_, _, _, _, ready, due, _) in enumerate(inst.rows):
        if node:
            time_dim.CumulVar(manager.NodeToIndex(node)).SetRange(ready * SCALE, due * SCALE)
    for v in range(inst.vehicles):
        time_dim.CumulVar(routing.End(v)).SetRange(0, horizon)
    demand_cb = routing.RegisterUnaryTransitCallback(lambda i: inst.rows[manager.IndexToNode(i)][3])
    routing.AddDimensionWithVehicleCapacity(demand_cb, 0, [inst.capacity] * inst.vehicles, True, "load")
    params = pywrapcp.DefaultRoutingSearchParameters()
    params.first_solution_strategy = routing_enums_pb2.FirstSolutionStrategy.PATH_CHEAPEST_ARC
    params.local_search_metaheuristic = routing_enums_pb2.LocalSearchMetaheuristic.GUIDED_LOCAL_SEARCH
    params.time_limit.FromMilliseconds(int(seconds * 1000))
    solution = routing.SolveWithParameters(params)
    if solution is None:
        return Result(0, math.inf, 0, False)
    routes = []
    for v in range(inst.vehicles):
        index, route = solution.Value(routing.NextVar(routing.Start(v))), []
        while not routing.IsEnd(index):
            route.append(manager.IndexToNode(index))
            index = solution.Value(routing.NextVar(index))
        if route:
            routes.append(route)
    served = sum(len(r) for r in routes)
    return Result(len(routes), exact_distance(inst, routes), served, served == n - 1)


def load_bks(folder: Path) -> dict[str, tuple[int, float]]:
    with (folder / "bks.csv").open() as fh:
        return {row["instance"]: (int(row["vehicles"]), float(row["distance"])) for row in csv.DictReader(fh)}


def main() -> None:
    """Run the benchmark and print its figures."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--instances", type=Path, default=DEFAULT_DIR)
    parser.add_argument("--time-limit", type=float, default=60.0)
    parser.add_argument("--only", nargs="*", default=None, help="instance names to run (default: all)")
    args = parser.parse_args()
    folder: Path = args.instances
    if not (folder / "instances").is_dir() or not (folder / "bks.csv").is_file():
        sys.exit(f"{folder} does not hold instances/ and bks.csv.")
    if args.time_limit <= 0:
        sys.exit("--time-limit must be positive.")
    bks = load_bks(folder)
    paths = sorted((folder / "instances").glob("*.txt"))
    if args.only:
        paths = [p for p in paths if p.stem in set(args.only)]
    console = Console(stderr=True)  # progress on stderr; the figures go to stdout
    ours_gaps: list[float] = []
    peer_gaps: list[float] = []
    print(f"{'instance':10} {'bks_veh':>7} {'bks_dist':>9} | {'veh':>3} {'dist':>9} {'gap%':>6} {'ok':>3} | "
          f"{'or_veh':>6} {'or_dist':>9} {'or_gap%':>7}  time_limit={args.time_limit:g}s", flush=True)
    with Progress(console=console, transient=True) as progress:
        task = progress.add_task("Solomon instances", total=len(paths))
        for path in paths:
            inst = read_instance(path)
            bks_vehicles, bks_distance = bks[inst.name]
            progress.update(task, description=f"{inst.name}: ours")
            started = time.monotonic()
            ours = solve_ours(inst, args.time_limit)
            ours_time = time.monotonic() - started
            progress.update(task, description=f"{inst.name}: OR-Tools default")
            peer = solve_ortools_default(inst, args.time_limit)
            gap = 100 * (ours.distance - bks_distance) / bks_distance
            peer_gap = 100 * (peer.distance - bks_distance) / bks_distance
            all_served = ours.served == len(inst.rows) - 1
            ours_gaps.append(gap if all_served else math.inf)
            peer_gaps.append(peer_gap if peer.feasible else math.inf)
            peer_text = f"{peer.vehicles:6d} {peer.distance:9.2f} {peer_gap:7.2f}" if peer.feasible else \
                f"{'no solution found':>24}"
            print(f"{inst.name:10} {bks_vehicles:7d} {bks_distance:9.2f} | {ours.vehicles:3d} {ours.distance:9.2f} "
                  f"{gap:6.2f} {'yes' if ours.feasible and all_served else 'NO':>3} | {peer_text}  "
                  f"({ours_time:.1f}s)", flush=True)
            progress.advance(task)
    solved = [g for g in peer_gaps if math.isfinite(g)]
    pairs = [(o, p) for o, p in zip(ours_gaps, peer_gaps, strict=True) if math.isfinite(p)]
    print(f"instances={len(paths)} time_limit_s={args.time_limit:g}")
    print(f"ortools_default_solved={len(solved)}/{len(paths)} (PATH_CHEAPEST_ARC finds no first solution serving "
          "every customer on the others)")
    if pairs:
        print(f"ortools_default_mean_gap_pct={sum(p for _, p in pairs) / len(pairs):.2f} "
              f"ours_on_same_instances_mean_gap_pct={sum(o for o, _ in pairs) / len(pairs):.2f}")
    print(f"mean_gap_pct={sum(ours_gaps) / len(ours_gaps):.2f}")


if __name__ == "__main__":
    main()
