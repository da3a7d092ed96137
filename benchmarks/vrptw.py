"""Solomon VRPTW instances: our optimizer against plain OR-Tools, both against the best-known distances.

Usage: ``python benchmarks/vrptw.py [--instances DIR] [--time-limit S] [--only C101 R101 ...]``.

DIR holds ``instances/NAME.txt`` (Solomon format, read by ``optimizer.read``) and ``bks.csv``
(``instance,vehicles,distance``); the default is ``benchmarks/data/vrptw`` (twelve public instances, see its
README). Each instance is solved by ``optimizer.solve`` at the time limit on one core, then by OR-Tools'
routing solver as a user would set it up from its documentation (default first solution strategy
PATH_CHEAPEST_ARC + guided local search) with the same limit. Distances
are recomputed from the routes in double precision. Prints per instance vehicles, distance and gap to
the best-known distance for both, then ``mean_gap_pct=X`` (ours) and ``ortools_default_mean_gap_pct=Y``.
The objective is total distance only, so using more vehicles than the best-known solution is allowed
and a negative gap is possible (see the instances' README).
"""

from __future__ import annotations

import argparse
import csv
import math
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from ortools.constraint_solver import pywrapcp, routing_enums_pb2
from rich.console import Console
from rich.progress import Progress

from optimizer import check, solve
from optimizer.read import SCALE, SolomonInstance, read_solomon, solomon_distance, solomon_problem

DEFAULT_DIR = Path(__file__).resolve().parent / "data" / "vrptw"  # twelve public Solomon instances and their BKS


@dataclass(frozen=True)
class Result:
    vehicles: int
    distance: float
    served: int
    feasible: bool


def solve_ours(inst: SolomonInstance, seconds: float) -> Result:
    problem = solomon_problem(inst)
    plan = solve(problem, time_limit=seconds, seed=0, with_explanations=False)
    routes = [[int(v.job_id) for v in r.visits] for r in plan.routes if r.visits]
    return Result(len(routes), solomon_distance(inst, routes), sum(len(r) for r in routes), not check(plan))


def solve_ortools_default(inst: SolomonInstance, seconds: float) -> Result:
    """OR-Tools routing as its VRPTW guide sets it up: PATH_CHEAPEST_ARC, then guided local search."""
    n = len(inst.rows)
    xy = [(x, y) for _, x, y, *_ in inst.rows]
    dist = [[round(math.dist(xy[a], xy[b]) * SCALE) for b in range(n)] for a in range(n)]
    service = [row[6] * SCALE for row in inst.rows]
    manager = pywrapcp.RoutingIndexManager(n, inst.vehicles, 0)
    routing = pywrapcp.RoutingModel(manager)
    dist_cb = routing.RegisterTransitCallback(lambda i, j: dist[manager.IndexToNode(i)][manager.IndexToNode(j)])
    routing.SetArcCostEvaluatorOfAllVehicles(dist_cb)
    travel = [[math.ceil(math.dist(xy[a], xy[b]) * SCALE - 1e-9) + service[a] for b in range(n)] for a in range(n)]
    time_cb = routing.RegisterTransitCallback(lambda i, j: travel[manager.IndexToNode(i)][manager.IndexToNode(j)])
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
    return Result(len(routes), solomon_distance(inst, routes), served, served == n - 1)


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
    print(
        f"{'instance':10} {'bks_veh':>7} {'bks_dist':>9} | {'veh':>3} {'dist':>9} {'gap%':>6} {'ok':>3} | "
        f"{'or_veh':>6} {'or_dist':>9} {'or_gap%':>7}  time_limit={args.time_limit:g}s",
        flush=True,
    )
    with Progress(console=console, transient=True) as progress:
        task = progress.add_task("Solomon instances", total=len(paths))
        for path in paths:
            inst = read_solomon(path)
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
            peer_text = (
                f"{peer.vehicles:6d} {peer.distance:9.2f} {peer_gap:7.2f}"
                if peer.feasible
                else f"{'no solution found':>24}"
            )
            print(
                f"{inst.name:10} {bks_vehicles:7d} {bks_distance:9.2f} | {ours.vehicles:3d} {ours.distance:9.2f} "
                f"{gap:6.2f} {'yes' if ours.feasible and all_served else 'NO':>3} | {peer_text}  "
                f"({ours_time:.1f}s)",
                flush=True,
            )
            progress.advance(task)
    solved = [g for g in peer_gaps if math.isfinite(g)]
    pairs = [(o, p) for o, p in zip(ours_gaps, peer_gaps, strict=True) if math.isfinite(p)]
    print(f"instances={len(paths)} time_limit_s={args.time_limit:g}")
    print(
        f"ortools_default_solved={len(solved)}/{len(paths)} (PATH_CHEAPEST_ARC finds no first solution serving "
        "every customer on the others)"
    )
    if pairs:
        print(
            f"ortools_default_mean_gap_pct={sum(p for _, p in pairs) / len(pairs):.2f} "
            f"ours_on_same_instances_mean_gap_pct={sum(o for o, _ in pairs) / len(pairs):.2f}"
        )
    print(f"mean_gap_pct={sum(ours_gaps) / len(ours_gaps):.2f}")


if __name__ == "__main__":
    main()
