"""Parts come from the van or from a warehouse on the way; warehouse stock is shared and never overdrawn."""

from __future__ import annotations

from dataclasses import replace

from optimizer import Job, Location, Pickup, Plan, Problem, Reason, Technician, Warehouse, baseline, check, solve
from optimizer.plan import Visit

H = 3600
HOME = Location(52.00, 4.00)
SITE = Location(52.00, 4.10)  # ~9 km east of HOME
ON_THE_WAY = Location(52.00, 4.05)  # halfway
BEHIND = Location(52.00, 3.90)  # the other way: 7 km west of HOME
FAR = Location(52.40, 4.60)


def tech(tid: str, at: Location = HOME, **kw: object) -> Technician:
    defaults: dict[str, object] = {"skills": {"general": 1}, "shift_start": 8 * H, "shift_end": 17 * H}
    defaults.update(kw)
    return Technician(tid, start_location=at, **defaults)  # type: ignore[arg-type]


def job(jid: str, at: Location | None = SITE, **kw: object) -> Job:
    return Job(jid, at, 3600, **kw)  # type: ignore[arg-type]


def solved(problem: Problem, seconds: float = 2.0) -> Plan:
    plan = solve(problem, time_limit=seconds, seed=3)
    assert check(plan) == [], check(plan)
    return plan


def test_a_technician_without_the_part_picks_it_up_at_the_warehouse_on_the_way() -> None:
    day = Problem(
        (tech("t"),),
        (job("washer", required_parts={"pump": 1}),),
        warehouses=(Warehouse("behind", BEHIND, {"pump": 5}), Warehouse("central", ON_THE_WAY, {"pump": 5})),
    )
    plan = solved(day)
    visit = plan.route_of("t").visits[0]
    assert visit.pickup is not None and visit.pickup.warehouse_id == "central"
    assert visit.pickup.end - visit.pickup.start == 600 and visit.start >= visit.pickup.end
    m = day.matrix
    assert visit.travel_time == m.time(m.start(0), m.warehouse(1)) + m.time(m.warehouse(1), m.job(0))


def test_the_van_stock_is_used_when_it_saves_the_detour() -> None:
    day = Problem(
        (tech("t", van_stock={"pump": 1}),),
        (job("washer", required_parts={"pump": 1}),),
        warehouses=(Warehouse("behind", BEHIND, {"pump": 5}),),
    )
    visit = solved(day).route_of("t").visits[0]
    assert visit.pickup is None


def test_free_warehouse_stock_is_shared_and_never_overdrawn() -> None:
    jobs = tuple(job(f"j{i}", Location(52.0, 4.10 + i / 100), required_parts={"pump": 1}) for i in range(3))
    day = Problem((tech("a"), tech("b")), jobs, warehouses=(Warehouse("central", ON_THE_WAY, {"pump": 2}),))
    for plan in (solved(day), baseline(day)):
        assert check(plan) == []
        assert sum(1 for r in plan.routes for v in r.visits if v.pickup is not None) == 2
        assert [u.reason for u in plan.unassigned] == [Reason.CAPACITY]


def test_parts_reserved_for_a_job_are_collected_where_they_are_reserved() -> None:
    reserved = job("warranty", required_parts={"board": 1}, parts_reserved_at="north")
    day = Problem(
        (tech("t"),),
        (reserved,),
        warehouses=(Warehouse("central", ON_THE_WAY, {"board": 9}), Warehouse("north", Location(52.05, 4.05), {})),
    )
    visit = solved(day).route_of("t").visits[0]
    assert visit.pickup is not None and visit.pickup.warehouse_id == "north"


def test_a_bench_job_with_reserved_parts_needs_no_pickup() -> None:
    day = Problem((tech("t"),), (job("bench", None, required_parts={"screen": 1}, parts_reserved_at="shop"),))
    plan = solved(day)
    assert plan.assignment() == {"bench": "t"} and plan.route_of("t").visits[0].pickup is None


def test_parts_nobody_has_and_no_warehouse_stocks_are_unavailable() -> None:
    day = Problem(
        (tech("t"),),
        (job("washer", required_parts={"pump": 1}),),
        warehouses=(Warehouse("central", ON_THE_WAY, {"hose": 4}),),
    )
    assert [(u.job_id, u.reason) for u in solved(day).unassigned] == [("washer", Reason.PARTS_UNAVAILABLE)]


def test_a_warehouse_out_of_reach_in_the_shift_leaves_the_job_unassigned() -> None:
    day = Problem(
        (tech("t", shift_end=9 * H + 1800),),
        (job("washer", required_parts={"pump": 1}),),
        warehouses=(Warehouse("far", FAR, {"pump": 4}),),
    )
    assert [(u.job_id, u.reason) for u in solved(day).unassigned] == [("washer", Reason.NO_WINDOW)]


def test_the_checker_rejects_a_pickup_that_overdraws_or_comes_too_late() -> None:
    day = Problem(
        (tech("t"),),
        (job("washer", required_parts={"pump": 1}),),
        warehouses=(Warehouse("central", ON_THE_WAY, {"pump": 1}),),
    )
    plan = solved(day)
    route = plan.route_of("t")
    visit = route.visits[0]
    assert visit.pickup is not None
    empty = Problem(day.technicians, day.jobs, warehouses=(Warehouse("central", ON_THE_WAY, {}),))
    assert any("has 0 free" in e for e in check(replace(plan, problem=empty)))
    late: Pickup = replace(visit.pickup, start=visit.start - 300, end=visit.start)
    moved: Visit = replace(visit, pickup=late)
    errors = check(replace(plan, routes=(replace(route, visits=(moved,)),)))
    assert any("cannot be reached" in e for e in errors)
    no_pickup = replace(plan, routes=(replace(route, visits=(replace(visit, pickup=None),)),))
    assert any("van has 0" in e for e in check(no_pickup))
