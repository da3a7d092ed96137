"""optimizer.read: a Solomon VRPTW instance becomes a Problem the solver serves, and distances are exact."""

from __future__ import annotations

import math
from pathlib import Path

from optimizer import check, solve
from optimizer.read import SCALE, SolomonInstance, parse_solomon, read_solomon, solomon_distance, solomon_problem

# A four-customer instance in Solomon's layout (header lines, the VEHICLE block, the CUSTOMER table).
TINY = """T4

VEHICLE
NUMBER     CAPACITY
   2         30

CUSTOMER
CUST NO.  XCOORD.   YCOORD.    DEMAND   READY TIME  DUE DATE   SERVICE   TIME

    0      40         50          0          0       1000          0
    1      43         54         10          0        200         10
    2      40         60         20         50        300         10
    3      30         50         10          0        900         10
    4      30.5       46         10        400        600         10
"""


def test_the_text_format_is_read_into_fleet_and_rows(tmp_path: Path) -> None:
    path = tmp_path / "T4.txt"
    path.write_text(TINY)
    inst = read_solomon(path)
    assert inst == parse_solomon(TINY)
    assert (inst.name, inst.vehicles, inst.capacity) == ("T4", 2, 30)
    assert [row[0] for row in inst.rows] == [0, 1, 2, 3, 4]  # header lines are not rows
    assert inst.rows[4] == (4, 30.5, 46.0, 10, 400, 600, 10)


def test_the_problem_has_a_technician_per_vehicle_and_a_job_per_customer() -> None:
    problem = solomon_problem(parse_solomon(TINY))
    assert [t.id for t in problem.technicians] == ["v0", "v1"]
    assert all(t.capacity == 30 and t.shift_end == 1000 * SCALE for t in problem.technicians)
    job = {j.id: j for j in problem.jobs}["2"]
    assert job.location is not None and (job.location.lat, job.location.lon) == (60, 40)  # (lat, lon) = (y, x)
    window = job.time_windows[0]
    assert (window.start, window.end, job.duration, job.demand) == (50 * SCALE, 300 * SCALE, 10 * SCALE, 20)


def test_distance_is_exact_with_the_depot_at_both_ends() -> None:
    inst = SolomonInstance(
        "x", 1, 10, [(0, 0.0, 0.0, 0, 0, 100, 0), (1, 3.0, 4.0, 1, 0, 100, 0), (2, 3.0, 0.0, 1, 0, 100, 0)]
    )
    assert solomon_distance(inst, [[1, 2]]) == 5 + 4 + 3
    assert solomon_distance(inst, [[1], [2]]) == 10 + 6
    assert solomon_distance(inst, []) == 0


def test_the_solver_serves_every_customer_within_capacity_and_windows() -> None:
    inst = parse_solomon(TINY)
    plan = solve(solomon_problem(inst), time_limit=60, seed=0, max_solutions=50, with_explanations=False)
    assert check(plan) == []
    routes = [[int(v.job_id) for v in r.visits] for r in plan.routes if r.visits]
    assert sorted(c for r in routes for c in r) == [1, 2, 3, 4]
    assert math.isfinite(solomon_distance(inst, routes))


def test_every_shipped_benchmark_instance_reads_whole() -> None:
    """The public instances in benchmarks/data/vrptw: 25 vehicles, a depot and 100 customers each, all in bks.csv."""
    folder = Path(__file__).resolve().parents[2] / "benchmarks" / "data" / "vrptw"
    paths = sorted((folder / "instances").glob("*.txt"))
    names = {line.split(",")[0] for line in (folder / "bks.csv").read_text().splitlines()[1:]}
    assert len(paths) == 12
    for path in paths:
        inst = read_solomon(path)
        assert inst.name == path.stem and inst.name in names
        assert inst.vehicles == 25 and inst.capacity > 0
        assert [row[0] for row in inst.rows] == list(range(101))
        assert len(solomon_problem(inst).jobs) == 100
