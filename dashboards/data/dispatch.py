"""What the dispatcher looks at: the waiting queue by priority score, the day's bookings, the map, proposals.

The reads live in ``ops_db.workforce.queries`` (each checks the actor's permission and runs under row-level
security); the optimizer runs in this process on a snapshot the
database service writes (``ops_db.workforce.planning``), and its proposal is stored through that
service too, so the page never writes SQL.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pandas as pd

from dashboards.data import frame
from dashboards.data.catalog import tenant_zone
from ops_db.i18n import N_, VALUE_LABELS, as_is
from ops_db.kit.db import Database
from ops_db.kit.uow import Actor, UnitOfWork
from ops_db.settings import get_settings
from ops_db.workforce import planning
from ops_db.workforce import queries as workforce_queries
from optimizer.snapshot import solve_snapshot
from optimizer.travel import provider_from_config

# The priority score orders the queue: urgency first, then the SLA, the customer's tier and how long the
# job has waited. Points are additive so the dispatcher can read why one job sits above another.
URGENCY_POINTS = {"emergency": 40, "high": 25, "normal": 10, "low": 0}
SLA_POINTS = {"breached": 30, "at_risk": 20}
SLA_SOON_POINTS = 10  # a running clock due within SLA_SOON
SLA_SOON = timedelta(hours=24)
TIER_POINTS_PER_RANK = 5
WAIT_POINTS_PER_HOUR = 0.25
WAIT_POINTS_CAP = 30


def priority_score(
    priority: str, sla_state: str | None, sla_due: datetime | None, tier_rank: int, received_at: datetime, now: datetime
) -> float:
    """The queue's ordering score (higher goes first); see the module constants for the points."""
    score = float(URGENCY_POINTS.get(priority, 10))
    if sla_state in SLA_POINTS:
        score += SLA_POINTS[sla_state]
    elif sla_state == "running" and sla_due is not None and sla_due - now <= SLA_SOON:
        score += SLA_SOON_POINTS
    score += TIER_POINTS_PER_RANK * max(tier_rank, 0)
    waited_hours = max((now - received_at).total_seconds() / 3600, 0.0)
    return round(score + min(waited_hours * WAIT_POINTS_PER_HOUR, WAIT_POINTS_CAP), 1)


def waiting_queue(engine: Database, actor: Actor, now: datetime, *, limit: int = 20000) -> pd.DataFrame:
    """Plannable orders with no active booking, highest priority score first."""
    queue = frame(workforce_queries.waiting_queue(UnitOfWork(engine, actor), limit=limit))
    queue["score"] = [
        priority_score(r.priority, r.sla_state, r.sla_due, int(r.tier_rank), r.received_at, now)
        for r in queue.itertuples()
    ]
    queue["waiting_hours"] = [round((now - r).total_seconds() / 3600, 1) for r in queue["received_at"]]
    return queue.sort_values(["score", "received_at"], ascending=[False, True]).reset_index(drop=True)


def technicians(engine: Database, actor: Actor) -> dict[int, str]:
    """Active technicians, id → name."""
    return workforce_queries.active_technicians(UnitOfWork(engine, actor))


def day_bookings(engine: Database, actor: Actor, day: date) -> pd.DataFrame:
    """Every technician's bookings of the day (the Gantt), with the shift they sit in."""
    rows: list[dict[str, Any]] = []
    names = technicians(engine, actor)
    for tech in planning.current_plan_summary(UnitOfWork(engine, actor), day):
        for b in tech["bookings"]:
            rows.append(
                {
                    "technician": names.get(tech["technician_id"], str(tech["technician_id"])),
                    "order_number": b["order_number"],
                    "start": b["start"],
                    "end": b["end"],
                    "status": str(b["status"]),
                }
            )
    return pd.DataFrame(rows, columns=["technician", "order_number", "start", "end", "status"])


def active_bookings(engine: Database, actor: Actor, day: date) -> pd.DataFrame:
    """The day's confirmed or running bookings (the ones that can run late), with their ids."""
    return frame(workforce_queries.active_bookings(UnitOfWork(engine, actor), day))


def map_points(engine: Database, actor: Actor) -> pd.DataFrame:
    """Field jobs waiting or booked (red) and technicians' home bases (blue), as lat/lon points."""
    points = frame(workforce_queries.map_points(UnitOfWork(engine, actor)))
    points[["lat", "lon"]] = points[["lat", "lon"]].astype(float)
    points["color"] = points["kind"].map({"job": "#d62728", "technician": "#1f77b4"})
    return points


@dataclass(frozen=True)
class Proposed:
    """A proposal just stored, and what the independent checker said about it."""

    plan_id: int
    assigned: int
    unassigned: int
    violations: list[str]


def propose_plan(
    engine: Database,
    actor: Actor,
    day: date,
    *,
    time_limit: float = 10.0,
    pins: dict[int, int] | None = None,
    now: datetime | None = None,
) -> Proposed:
    """Run the optimizer on the day and store its proposal; ``pins`` keeps orders with a chosen technician
    (the dispatcher's edits), and the plan is re-checked by the independent feasibility checker."""
    actor.require("plans.read")
    actor.require("plans.propose")  # before the optimizer runs, not after it has
    snap = planning.snapshot(UnitOfWork(engine, actor), day, now=now)
    for job in snap["jobs"]:
        chosen = (pins or {}).get(int(job["id"]))
        if chosen is not None and not job.get("fixed"):
            job["pinned_technician"] = str(chosen)
    travel = provider_from_config(**get_settings().travel_config())
    solved = solve_snapshot(snap, travel=travel, time_limit=time_limit)
    saved = planning.save_proposed_plan(
        UnitOfWork(engine, actor),
        day,
        solved.items,
        kpis=solved.kpis,
        solver=solved.plan.solver,
        time_limit=time_limit,
        seed=0,
    )
    return Proposed(saved.plan_id, saved.assigned, saved.unassigned, solved.violations)


def latest_plan(engine: Database, actor: Actor, day: date) -> dict[str, Any] | None:
    """The newest proposal for the day (proposed, partly or fully accepted), if any."""
    return workforce_queries.latest_plan(UnitOfWork(engine, actor), day)


# Why a job is left out of the plan, as the optimizer and the diff store it (``VALUE_LABELS`` words the codes).
NOT_IN_PLAN = "not in plan"
REASON_LABELS = {
    **{code: VALUE_LABELS[code] for code in ("no_skill", "parts_unavailable", "no_window", "capacity")},
    NOT_IN_PLAN: N_("not in plan"),
}


def _minutes(seconds: object) -> str:
    """Travel seconds as whole minutes ("7")."""
    return str(round(float(seconds) / 60)) if isinstance(seconds, int | float) else "?"


def explanation_text(
    explanation: dict[str, Any],
    reason: str | None,
    *,
    names: dict[int, str],
    warehouses: dict[int, str],
    zone: ZoneInfo,
    t: Callable[[str], str] = as_is,
) -> str:
    """Why the optimizer put a job where it is (or left it out), in the reader's language (``t``): the skills
    that matched, the travel it adds, where the parts are picked up and what the next-best technician would
    add. Rows stored before the explanation had these fields keep their stored English sentence."""
    if "added_travel_seconds" not in explanation:
        if explanation.get("text"):
            return str(explanation["text"])
        return t(REASON_LABELS.get(reason, reason.replace("_", " "))) if reason else ""
    skills = explanation.get("skills_matched") or {}
    parts = [
        t("skills {skills}").format(
            skills=", ".join(
                t("{skill} level {have} (needs {need})").format(skill=skill, have=have, need=need)
                for skill, (need, have) in skills.items()
            )
        )
        if skills
        else t("no special skill needed"),
        t("adds {minutes} min of travel").format(minutes=_minutes(explanation.get("added_travel_seconds"))),
    ]
    pickup = explanation.get("pickup")
    if isinstance(pickup, dict) and pickup.get("warehouse_id") is not None:
        house = int(pickup["warehouse_id"])
        at = datetime.fromisoformat(str(pickup["start"])).astimezone(zone) if pickup.get("start") else None
        parts.append(
            t("picks up the parts at {warehouse} at {time}").format(
                warehouse=warehouses.get(house, str(house)), time=f"{at:%H:%M}" if at else "?"
            )
        )
    other = explanation.get("next_best_technician")
    if other is not None:
        who = names.get(int(other), str(other)) if str(other).isdigit() else str(other)
        parts.append(
            t("next best {technician} would add {minutes} min").format(
                technician=who, minutes=_minutes(explanation.get("next_best_added_travel_seconds"))
            )
        )
    else:
        parts.append(t("no other technician could take it"))
    return "; ".join(parts)


def plan_changes(engine: Database, actor: Actor, plan_id: int, *, t: Callable[[str], str] = as_is) -> pd.DataFrame:
    """The proposal against the current bookings, one row per order, with each job's explanation in the
    reader's language (``t`` translates a message)."""
    names = technicians(engine, actor)
    warehouses = workforce_queries.plan_warehouses(UnitOfWork(engine, actor))
    zone = tenant_zone(engine, actor)
    rows = planning.plan_diff(UnitOfWork(engine, actor), plan_id)

    def who(tech: int | None) -> str | None:
        return None if tech is None else names.get(tech, str(tech))

    def local(at: datetime | None) -> str | None:
        """Times as the dispatcher's wall clock shows them (the tenant's zone), not UTC."""
        return None if at is None else f"{at.astimezone(zone):%Y-%m-%d %H:%M}"

    return pd.DataFrame(
        [
            {
                "order_id": r.order_id,
                "order_number": r.order_number,
                "change": r.change,
                "technician": who(r.technician_id),
                "start": local(r.start),
                "end": local(r.end),
                "now_technician": who(r.current_technician_id),
                "now_start": local(r.current_start),
                "why": explanation_text(
                    r.explanation or {}, r.unassigned_reason, names=names, warehouses=warehouses, zone=zone, t=t
                ),
            }
            for r in rows
        ],
        columns=[
            "order_id",
            "order_number",
            "change",
            "technician",
            "start",
            "end",
            "now_technician",
            "now_start",
            "why",
        ],
    )
