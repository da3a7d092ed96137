"""Days too large for one model are improved neighbourhood by neighbourhood: feasible, better than by hand,
and deterministic when bounded by work."""

from __future__ import annotations

import random

from optimizer import Break, Job, Location, Priority, Problem, Technician, TimeWindow, Warehouse, baseline, check, solve
from optimizer.decompose import restrict
from optimizer.eligibility import eligibility
from optimizer.solve import EXACT_UP_TO

H = 3600


def city_day(techs: int, jobs: int, seed: int) -> Problem:
    """A reproducible day: skills, windows, lunch breaks, parts from vans and two warehouses."""
    rng = random.Random(seed)

    def point() -> Location:
        return Location(41.88 + rng.uniform(-0.15, 0.15), -87.63 + rng.uniform(-0.2, 0.2))

    crew = [
        Technician(
            f"T{k:02d}",
            {s: rng.choice((1, 2, 3)) for s in rng.sample(("hvac", "plumb", "elec"), 2)},
            8 * H,
            17 * H,
            point(),
            lunch=Break(12 * H, 13 * H + 1800, 1800),
            max_overtime=H,
            van_stock={p: 1 for p in rng.sample(("P1", "P2", "P3", "P4"), 2)},
        )
        for k in range(techs)
    ]
    day = []
    for n in range(jobs):
        slot = rng.choice(((8, 12), (13, 17), (8, 17), (10, 12)))
        day.append(
            Job(
                f"J{n:03d}",
                point(),
                rng.choice((1800, 2700, 3600)),
                (TimeWindow(slot[0] * H, slot[1] * H),),
                {rng.choice(("hvac", "plumb", "elec")): rng.choice((1, 1, 2))},
                rng.choices(list(Priority), weights=(2, 18, 60, 20))[0],
                required_parts={rng.choice(("P1", "P2", "P3", "P4")): 1} if rng.random() < 0.2 else {},
            )
        )
    houses = (
        Warehouse("W1", Location(41.88, -87.63), {"P1": 5, "P2": 5, "P3": 5, "P4": 5}),
        Warehouse("W2", Location(41.98, -87.70), {"P1": 3, "P3": 3}),
    )
    return Problem(tuple(crew), tuple(day), name=f"{techs}x{jobs}", warehouses=houses)


def test_a_large_day_is_feasible_and_better_than_the_greedy_dispatcher() -> None:
    problem = city_day(24, 260, seed=5)
    assert len(eligibility(problem).servable()) > EXACT_UP_TO  # takes the neighbourhood path
    # A few neighbourhoods bounded by work (not 25 s of clock): the same rounds on a busy machine as on an idle one.
    plan = solve(problem, time_limit=300, seed=2, max_rounds=4, max_solutions=40)
    greedy = baseline(problem)
    assert check(plan) == [], check(plan)[:5]
    assert plan.solver == "or-tools (neighbourhoods)"
    assert plan.kpis().served >= greedy.kpis().served and plan.cost() < greedy.cost()


def test_a_large_day_bounded_by_work_is_deterministic() -> None:
    problem = city_day(24, 260, seed=6)
    first = solve(problem, time_limit=300, seed=4, max_rounds=3, max_solutions=40, with_explanations=False)
    second = solve(problem, time_limit=300, seed=4, max_rounds=3, max_solutions=40, with_explanations=False)
    assert first.key() == second.key() and check(first) == []


def test_a_neighbourhood_keeps_only_the_stock_the_other_routes_leave() -> None:
    problem = city_day(6, 40, seed=7)
    plan = baseline(problem)
    sub = restrict(problem, [0], [problem.job_index(v.job_id) for v in plan.routes[0].visits], plan)
    taken = sum(
        problem.job(v.job_id).required_parts.get("P1", 0)
        for r in plan.routes[1:]
        for v in r.visits
        if v.pickup is not None and v.pickup.warehouse_id == "W1"
    )
    assert sub.warehouses[0].stock.get("P1", 0) == 5 - taken
    assert sub.matrix.time(sub.matrix.start(0), sub.matrix.warehouse(1)) == problem.matrix.time(
        problem.matrix.start(0), problem.matrix.warehouse(1)
    )
