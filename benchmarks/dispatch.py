"""Generated field-service days: the optimizer against the greedy dispatcher baseline, in the same run.

Usage: ``python benchmarks/dispatch.py [--sizes 50x500 200x2000] [--time-limit S ...] [--seed N]``.

A day is a city about 40 km across: technicians start from their homes with two or three skills
(levels 1-3), shifts of nine hours with a 30-minute lunch between 12:00 and 14:00, and a few parts on
the van; jobs have one required skill and level, durations of 20-90 minutes (shorter for a level-3
technician), customer windows (morning, afternoon, a two-hour slot or all day), priorities, SLA
deadlines for urgent work, and sometimes a part, which comes from the van or is picked up at one of
three warehouses (central, north, south; free stock for about half of the day's part demand each, a
ten-minute pickup). Prints per size: solve time, jobs served (by priority),
travel hours, overtime and SLA lateness for the optimizer and the baseline, the travel reduction,
and whether the independent checker accepts both plans.
"""

from __future__ import annotations

import argparse
import random
import time
from dataclasses import dataclass

from rich.console import Console

from optimizer import (
    Break,
    Job,
    Location,
    Plan,
    Priority,
    Problem,
    Technician,
    TimeWindow,
    Warehouse,
    baseline,
    check,
    solve,
)

H = 3600
SKILLS = ("hvac", "plumbing", "electrical", "appliance", "gas", "it")
PARTS = tuple(f"P{n:02d}" for n in range(12))
CENTRE = (41.88, -87.63)


@dataclass(frozen=True)
class Size:
    techs: int
    jobs: int

    @classmethod
    def parse(cls, text: str) -> Size:
        t, j = text.lower().split("x")
        return cls(int(t), int(j))


def _point(rng: random.Random) -> Location:
    return Location(CENTRE[0] + rng.uniform(-0.18, 0.18), CENTRE[1] + rng.uniform(-0.24, 0.24))


def generate(size: Size, seed: int) -> Problem:
    """A reproducible dispatch day of the given size."""
    rng = random.Random(seed)
    techs = []
    for k in range(size.techs):
        start = rng.choice((7, 8, 8, 9)) * H
        skills = {s: rng.choice((1, 2, 2, 3)) for s in rng.sample(SKILLS, rng.choice((2, 3)))}
        van = {p: rng.choice((1, 2)) for p in rng.sample(PARTS, 4)}
        techs.append(
            Technician(
                f"T{k:03d}",
                skills,
                start,
                start + 9 * H,
                _point(rng),
                lunch=Break(12 * H, 13 * H + 30 * 60, 30 * 60),
                max_overtime=H,
                hourly_cost_cents=rng.randint(2800, 4500),
                van_stock=van,
            )
        )
    jobs = []
    for n in range(size.jobs):
        skill = rng.choice(SKILLS)
        minutes = rng.choice((20, 30, 45, 45, 60, 60, 90))
        kind = rng.random()
        if kind < 0.3:
            windows: tuple[TimeWindow, ...] = (TimeWindow(8 * H, 12 * H),)
        elif kind < 0.55:
            windows = (TimeWindow(13 * H, 17 * H),)
        elif kind < 0.75:
            slot = rng.randrange(8, 16) * H
            windows = (TimeWindow(slot, slot + 2 * H),)
        else:
            windows = (TimeWindow(8 * H, 17 * H),)
        priority = rng.choices(list(Priority), weights=(3, 17, 60, 20))[0]
        sla = (
            windows[0].start + (2 * H if priority == Priority.EMERGENCY else 5 * H)
            if priority <= Priority.HIGH
            else None
        )
        parts = {rng.choice(PARTS): 1} if rng.random() < 0.2 else {}
        jobs.append(
            Job(
                f"J{n:04d}",
                _point(rng),
                minutes * 60,
                windows,
                {skill: rng.choice((1, 1, 2, 3))},
                priority,
                sla,
                parts,
                duration_by_level={3: minutes * 60 * 4 // 5},
            )
        )
    per_part = max(1, size.jobs // 5 // len(PARTS) // 2)  # each warehouse: about half the day's demand per part
    houses = tuple(
        Warehouse(name, Location(CENTRE[0] + dlat, CENTRE[1] + dlon), {p: rng.randint(0, 2 * per_part) for p in PARTS})
        for name, dlat, dlon in (("central", 0.0, 0.0), ("north", 0.12, -0.1), ("south", -0.12, 0.1))
    )
    return Problem(tuple(techs), tuple(jobs), name=f"{size.techs}x{size.jobs}", warehouses=houses)


def _row(label: str, plan: Plan, seconds: float) -> str:
    k = plan.kpis()
    by = "/".join(str(k.served_by_priority[p.name.lower()]) for p in Priority)
    return (
        f"{label:9} solve_s={seconds:6.1f} served={k.served:5d} (E/H/N/L {by}) travel_h={k.travel_time / H:7.1f} "
        f"overtime_h={k.overtime / H:5.1f} sla_late_h={k.sla_lateness / H:6.1f} "
        f"pickups={sum(1 for r in plan.routes for v in r.visits if v.pickup is not None):4d} "
        f"feasible={not check(plan)}"
    )


def main() -> None:
    """Run the benchmark and print its figures."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", nargs="+", default=["50x500", "200x2000"])
    parser.add_argument(
        "--time-limit", type=float, nargs="+", default=[30.0, 120.0], help="one per size (the last repeats)"
    )
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    console = Console(stderr=True)
    for i, text in enumerate(args.sizes):
        size = Size.parse(text)
        limit = args.time_limit[min(i, len(args.time_limit) - 1)]
        problem = generate(size, args.seed)
        started = time.monotonic()
        greedy = baseline(problem)
        greedy_s = time.monotonic() - started
        with console.status(f"{text}: optimizing for up to {limit:g} s…"):
            started = time.monotonic()
            plan = solve(problem, time_limit=limit, seed=args.seed)
            solve_s = time.monotonic() - started
        ours, base = plan.kpis(), greedy.kpis()
        print(f"== {text} ({size.techs} technicians, {size.jobs} jobs) time_limit={limit:g}s solver={plan.solver}")
        print(_row("optimizer", plan, solve_s))
        print(_row("baseline", greedy, greedy_s))
        less = 100 * (base.travel_time - ours.travel_time) / max(1, base.travel_time)
        per_job = 100 * (1 - (ours.travel_time / max(1, ours.served)) / (base.travel_time / max(1, base.served)))
        print(
            f"travel_reduction_pct={less:.1f} travel_per_served_job_reduction_pct={per_job:.1f} "
            f"served_delta={ours.served - base.served:+d} within_time_limit={solve_s <= limit}",
            flush=True,
        )


if __name__ == "__main__":
    main()
