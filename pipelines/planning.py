"""Glue between the database and the optimizer: snapshot a day, solve it, store the proposal."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import Engine

from ops_db.kit.uow import Actor, UnitOfWork
from ops_db.settings import get_settings
from ops_db.workforce import planning
from optimizer import Plan
from optimizer.snapshot import solve_snapshot
from optimizer.travel import TravelProvider, provider_from_config


@dataclass(frozen=True)
class Proposal:
    """A stored proposal with the plan it came from and the greedy baseline's KPIs for comparison."""

    saved: planning.SavedPlan
    plan: Plan
    baseline_kpis: dict[str, object]
    violations: list[str]
    time_zone: str


def configured_travel() -> TravelProvider:
    """The travel provider the settings name (``REPAIROPS_TRAVEL_PROVIDER``, ``REPAIROPS_ROUTING_URL``)."""
    return provider_from_config(**get_settings().travel_config())


def propose(
    engine: Engine, actor: Actor, day: date, *, time_limit: float = 10.0, seed: int = 0, now: datetime | None = None
) -> Proposal:
    """Solve the day's dispatch problem and store it as a proposed plan (nothing is booked yet)."""
    snap = planning.snapshot(UnitOfWork(engine, actor), day, now=now)
    solved = solve_snapshot(snap, travel=configured_travel(), time_limit=time_limit, seed=seed)
    saved = planning.save_proposed_plan(
        UnitOfWork(engine, actor),
        day,
        solved.items,
        kpis=solved.kpis,
        solver=solved.plan.solver,
        time_limit=time_limit,
        seed=seed,
    )
    return Proposal(saved, solved.plan, solved.kpis["baseline"], solved.violations, str(snap["time_zone"]))
