"""Each constraint has a small day where breaking it would be cheaper, and the optimizer does not break it."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from optimizer import (
    Break,
    Job,
    Location,
    Plan,
    Priority,
    Problem,
    Reason,
    Technician,
    TimeWindow,
    baseline,
    check,
    solve,
)

H = 3600
HOME = Location(52.00, 4.00)
NEAR = Location(52.00, 4.01)  # ~0.7 km from HOME
FAR = Location(52.30, 4.40)  # ~40 km away


def tech(tid: str, at: Location = HOME, **kw: object) -> Technician:
    defaults: dict[str, object] = {"skills": {"general": 1}, "shift_start": 8 * H, "shift_end": 17 * H}
    defaults.update(kw)
    return Technician(tid, start_location=at, **defaults)  # type: ignore[arg-type]


def job(jid: str, at: Location | None = NEAR, minutes: int = 60, **kw: object) -> Job:
    return Job(jid, at, minutes * 60, **kw)  # type: ignore[arg-type]


def solved(*techs: Technician, jobs: tuple[Job, ...], seconds: float = 2.0) -> Plan:
    plan = solve(Problem(techs, jobs), time_limit=seconds, seed=7)
    assert check(plan) == [], check(plan)
    return plan


def test_a_job_goes_to_the_far_technician_with_the_skill_not_the_near_one_without() -> None:
    plan = solved(
        tech("near", NEAR), tech("far", FAR, skills={"gas": 2}), jobs=(job("boiler", NEAR, required_skills={"gas": 2}),)
    )
    assert plan.assignment() == {"boiler": "far"}
    why = plan.explanations[0]
    assert why.skills_matched == {"gas": (2, 2)} and why.next_best_technician is None


def test_a_higher_level_makes_the_job_shorter() -> None:
    quick = job("fix", required_skills={"elec": 1}, duration_by_level={3: 1800})
    plan = solved(tech("senior", skills={"elec": 3}), jobs=(quick,))
    visit = plan.route_of("senior").visits[0]
    assert visit.end - visit.start == 1800


def test_time_windows_are_kept_even_when_the_other_order_drives_less() -> None:
    # Driving HOME→NEAR→FAR is shortest, but FAR's customer is only in before 10:00.
    plan = solved(
        tech("t"),
        jobs=(
            job("near", NEAR, time_windows=(TimeWindow(13 * H, 14 * H),)),
            job("far", FAR, time_windows=(TimeWindow(8 * H, 10 * H),)),
        ),
    )
    visits = {v.job_id: v for v in plan.route_of("t").visits}
    assert 8 * H <= visits["far"].start <= 10 * H and 13 * H <= visits["near"].start <= 14 * H


def test_nothing_is_served_after_the_shift_ends() -> None:
    # Two 3-hour jobs, a 5-hour shift and no overtime: one must stay unassigned.
    plan = solved(tech("t", shift_end=13 * H), jobs=(job("a", minutes=180), job("b", minutes=180)))
    assert len(plan.route_of("t").visits) == 1
    assert plan.route_of("t").arrival_back <= 13 * H
    assert [u.reason for u in plan.unassigned] == [Reason.CAPACITY]


def test_overtime_is_allowed_up_to_its_cap_and_costed() -> None:
    plan = solved(tech("t", shift_end=13 * H, max_overtime=2 * H), jobs=(job("a", minutes=180), job("b", minutes=180)))
    assert len(plan.route_of("t").visits) == 2 and plan.kpis().overtime > 0


def test_the_lunch_break_is_taken_even_when_working_through_would_serve_a_job() -> None:
    lunch = Break(12 * H, 12 * H, 30 * 60)  # lunch exactly 12:00-12:30
    noon_job = job("noon", NEAR, time_windows=(TimeWindow(12 * H, 12 * H),))
    plan = solved(tech("hungry", lunch=lunch), tech("far", FAR), jobs=(noon_job,))
    assert plan.assignment() == {"noon": "far"}  # the near technician is at lunch
    plan = solved(
        tech("hungry", lunch=Break(11 * H, 14 * H, 30 * 60)),
        jobs=(
            job("a", minutes=120, time_windows=(TimeWindow(10 * H, 10 * H),)),
            job("b", minutes=120, time_windows=(TimeWindow(12 * H, 13 * H),)),
        ),
    )
    route = plan.route_of("hungry")
    assert len(route.visits) == 2 and len(route.breaks) == 1
    brk = route.breaks[0]
    assert all(brk.end <= v.start or brk.start >= v.end for v in route.visits)


def test_parts_send_the_far_technician_who_carries_them() -> None:
    plan = solved(
        tech("near", NEAR),
        tech("van", FAR, van_stock={"pump": 1}),
        jobs=(job("washer", NEAR, required_parts={"pump": 1}),),
    )
    assert plan.assignment() == {"washer": "van"}


def test_one_part_on_the_van_serves_only_one_of_two_jobs_needing_it() -> None:
    plan = solved(
        tech("van", van_stock={"pump": 1}),
        jobs=(job("a", required_parts={"pump": 1}), job("b", required_parts={"pump": 1})),
    )
    assert len(plan.route_of("van").visits) == 1 and [u.reason for u in plan.unassigned] == [Reason.CAPACITY]


def test_a_pinned_job_stays_with_its_technician_even_far_away() -> None:
    plan = solved(tech("near", NEAR), tech("promised", FAR), jobs=(job("vip", NEAR, pinned_technician="promised"),))
    assert plan.assignment() == {"vip": "promised"}


def test_a_fixed_job_keeps_its_technician_and_start() -> None:
    started = job("started", FAR, pinned_technician="b", pinned_start=10 * H, fixed=True)
    plan = solved(tech("a", NEAR), tech("b", HOME), jobs=(started, job("other", NEAR)))
    visit = plan.route_of("b").visits[0]
    assert (visit.job_id, visit.start) == ("started", 10 * H)


def test_priorities_decide_who_is_served_when_there_is_room_for_one() -> None:
    plan = solved(
        tech("t", shift_end=11 * H),
        jobs=(
            job("low", NEAR, minutes=150, priority=Priority.LOW),
            job("emergency", Location(52.05, 4.05), minutes=90, priority=Priority.EMERGENCY),
        ),
    )
    assert plan.assignment() == {"emergency": "t"}


def test_sla_deadlines_put_the_urgent_job_first() -> None:
    plan = solved(tech("t"), jobs=(job("relaxed", NEAR), job("due", Location(52.0, 4.02), sla_deadline=8 * H + 900)))
    visits = plan.route_of("t").visits
    assert visits[0].job_id == "due" and plan.kpis().sla_lateness == 0


def test_unassigned_jobs_say_why() -> None:
    plan = solved(
        tech("t", shift_end=12 * H, van_stock={"fan": 1}),
        jobs=(
            job("no-skill", required_skills={"gas": 1}),
            job("no-parts", required_parts={"pump": 1}),
            job("no-window", time_windows=(TimeWindow(18 * H, 19 * H),)),
            job("fits", minutes=180),
            job("too-much", minutes=180),
        ),
    )
    reasons = {u.job_id: u.reason for u in plan.unassigned}
    assert reasons["no-skill"] == Reason.NO_SKILL
    assert reasons["no-parts"] == Reason.PARTS_UNAVAILABLE
    assert reasons["no-window"] == Reason.NO_WINDOW
    assert sorted(plan.assignment()) in (["fits"], ["too-much"])
    assert list(reasons.values()).count(Reason.CAPACITY) == 1


def test_bench_jobs_need_no_travel() -> None:
    plan = solved(tech("bench"), jobs=(job("repair", None, minutes=120),))
    assert plan.route_of("bench").travel_time == 0 and plan.assignment() == {"repair": "bench"}


def test_same_seed_same_plan_and_never_worse_than_the_greedy_baseline() -> None:
    techs = tuple(
        tech(f"t{i}", Location(52.0 + i * 0.05, 4.0), skills={"general": 1, "gas": 1 + i % 2}) for i in range(4)
    )
    jobs = tuple(
        job(
            f"j{i}",
            Location(52.0 + (i * 7 % 11) * 0.02, 4.0 + (i * 5 % 13) * 0.02),
            minutes=45,
            time_windows=(TimeWindow(8 * H + (i % 4) * 2 * H, 10 * H + (i % 4) * 2 * H),),
            required_skills={"gas": 1 + i % 3 // 2},
        )
        for i in range(24)
    )
    problem = Problem(techs, jobs)
    # Bounded by work (500 solutions, about 1 s idle), not by the clock: a busy machine must give the same plan.
    # The time limit is only the hard cap, far above what the work needs.
    first = solve(problem, time_limit=120, seed=3, max_solutions=500)
    second = solve(problem, time_limit=120, seed=3, max_solutions=500)
    assert first.key() == second.key()
    greedy = baseline(problem)
    assert check(first) == [] and check(greedy) == []
    assert first.kpis().served >= greedy.kpis().served
    assert first.cost() <= greedy.cost()


def test_the_checker_catches_a_tampered_plan() -> None:
    plan = solved(tech("t"), jobs=(job("a", NEAR, time_windows=(TimeWindow(9 * H, 10 * H),)), job("b", FAR)))
    route = plan.route_of("t")
    late = replace(route.visits[0], start=route.visits[0].start + 5 * H, end=route.visits[0].end + 5 * H)
    tampered = replace(plan, routes=(replace(route, visits=(late, *route.visits[1:])),))
    assert any("outside its windows" in e or "cannot make leg" in e for e in check(tampered))
    twice = replace(plan, routes=(replace(route, visits=(route.visits[0], *route.visits)),))
    assert any("appears 2 times" in e for e in check(twice))
    wrong_leg = replace(route.visits[0], travel_time=route.visits[0].travel_time + 1)
    assert any(
        "matrix says" in e
        for e in check(replace(plan, routes=(replace(route, visits=(wrong_leg, *route.visits[1:])),)))
    )


@pytest.mark.parametrize(
    "bad",
    [
        {"time_windows": ((10, 20), (15, 30))},
        {"minutes": -1},
        {"required_skills": {"x": 0}},
        {"pinned_start": 100, "fixed": True},
        {"required_parts": {"p": -2}},
    ],
)
def test_malformed_jobs_are_refused_on_construction(bad: dict[str, Any]) -> None:
    if "time_windows" in bad:
        bad = {"time_windows": tuple(TimeWindow(a, b) for a, b in bad["time_windows"])}
    with pytest.raises(ValueError):
        job("x", **bad)
    with pytest.raises(ValueError, match="starts after it ends"):
        TimeWindow(10, 5)
