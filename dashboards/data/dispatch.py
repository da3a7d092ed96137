"""What the dispatcher looks at: the waiting queue by priority score, the day's bookings, the map, proposals.

The reads live in ``ops_db.workforce.queries`` (each checks the actor's permission and runs under row-level
security); the optimizer runs in this process on a snapshot the
database service writes (``ops_db.workforce.planning``), and its proposal is stored through that
service too, so the page never writes SQL.
"""

from __future__ import annotations

import os
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
from optimizer.moves import Placed, move
from optimizer.plan import Reason
from optimizer.snapshot import problem_from_snapshot, solve_snapshot
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
    same_as: int | None = None  # the proposal it repeats exactly (nothing changed since), if any


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
    before = latest_plan(engine, actor, day)
    saved = planning.save_proposed_plan(
        UnitOfWork(engine, actor),
        day,
        solved.items,
        kpis=solved.kpis,
        solver=solved.plan.solver,
        time_limit=time_limit,
        seed=0,
    )
    same = before is not None and _placements(engine, actor, int(before["id"])) == _placements(
        engine, actor, saved.plan_id
    )
    return Proposed(
        saved.plan_id,
        saved.assigned,
        saved.unassigned,
        solved.violations,
        int(before["id"]) if same and before else None,
    )


def _placements(engine: Database, actor: Actor, plan_id: int) -> set[tuple[int, int | None, datetime | None]]:
    """Who does each job of a proposal and when (what two proposals are compared on)."""
    return {(r.order_id, r.technician_id, r.start) for r in planning.plan_diff(UnitOfWork(engine, actor), plan_id)}


def latest_plan(engine: Database, actor: Actor, day: date) -> dict[str, Any] | None:
    """The newest proposal for the day (proposed, partly or fully accepted), if any."""
    return workforce_queries.latest_plan(UnitOfWork(engine, actor), day)


# Why a job is left out of the plan, as the optimizer and the diff store it (``VALUE_LABELS`` words the codes).
NOT_IN_PLAN = "not in plan"
REASON_LABELS = {
    **{code: VALUE_LABELS[code] for code in ("no_skill", "parts_unavailable", "no_window", "capacity")},
    NOT_IN_PLAN: N_("not in plan"),
}


# The same reasons as whole sentences, for the "why" a dispatcher reads in full.
UNASSIGNED_WHY = {
    "no_skill": N_("No technician working that day has the skill at the level this job needs."),
    "parts_unavailable": N_("The parts are on no qualified technician's van and in no warehouse."),
    "no_window": N_("No qualified technician can get there within the customer's hours and their own shift."),
    "capacity": N_("It would fit alone, but every qualified technician's day is already full."),
    NOT_IN_PLAN: N_("The order is not in this proposal."),
    planning.BOOKED_AFTER: N_("Booked after this proposal was made, so the plan never saw it; accepting keeps it."),
}
STAGE_WHY = N_("The order is now “{stage}”, so it needs no visit.")
RELEASED = N_("Accepting this row releases the current booking.")
BY_HAND = N_("Placed by hand on the schedule; the checker found every rule of the day kept.")


def unassigned_why(reason: str | None, change: str | None, t: Callable[[str], str] = as_is) -> str:
    """Why a job has no place in the proposal, in full; for a dropped booking, also what accepting does."""
    if not reason:
        return ""
    if reason.startswith(planning.STAGE_PREFIX):
        said = t(STAGE_WHY).format(stage=t(VALUE_LABELS.get(reason[len(planning.STAGE_PREFIX) :], reason)))
    else:
        said = t(UNASSIGNED_WHY.get(reason, REASON_LABELS.get(reason, reason.replace("_", " "))))
    if change == "dropped" and reason != planning.BOOKED_AFTER:
        said = f"{said} {t(RELEASED)}"
    return said


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
    change: str | None = None,
) -> str:
    """Why the optimizer put a job where it is (or left it out), in the reader's language (``t``): the skills
    that matched, the travel it adds, where the parts are picked up and what the next-best technician would
    add. Rows stored before the explanation had these fields keep their stored English sentence."""
    if explanation.get("by_hand"):
        return t(BY_HAND)
    if "added_travel_seconds" not in explanation:
        if explanation.get("text"):
            return str(explanation["text"])
        return unassigned_why(reason, change, t)
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
                    r.explanation or {},
                    r.unassigned_reason,
                    names=names,
                    warehouses=warehouses,
                    zone=zone,
                    t=t,
                    change=r.change,
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


# ---------------------------------------------------------------------------------------------- the schedule

# FullCalendar's resource views (a row per technician) are its premium "scheduler" plugin: an installation that
# sells its service sets its own licence key here; the default is the evaluation key the component ships with.
CALENDAR_LICENSE = os.environ.get("REPAIROPS_FULLCALENDAR_LICENSE", "CC-Attribution-NonCommercial-NoDerivatives")
CHANGE_COLOURS = {
    "new": "#2ca02c",
    "moved": "#ff7f0e",
    "reassigned": "#9467bd",
    "unchanged": "#1f77b4",
    "by_hand": "#17becf",
    "booked": "#1f77b4",
    "in_progress": "#7f7f7f",
    "done": "#7f7f7f",
}
OPEN_PLAN = ("proposed", "partially_accepted")


def wall(at: datetime, zone: ZoneInfo) -> str:
    """A moment as the company's wall-clock time without an offset: the calendar runs in "UTC" so that it shows
    these exactly as written, whatever the browser's own zone."""
    return at.astimezone(zone).replace(tzinfo=None).isoformat(timespec="minutes")


def from_wall(text: str, zone: ZoneInfo) -> datetime:
    """The moment a calendar time (company wall clock, coerced to UTC by the calendar) stands for."""
    return datetime.fromisoformat(text.replace("Z", "+00:00")).replace(tzinfo=None).replace(tzinfo=zone)


@dataclass(frozen=True)
class Schedule:
    """What the schedule shows: the open proposal's jobs (``plan_id`` set) or the day's bookings (None)."""

    plan_id: int | None
    resources: list[dict[str, str]]
    events: list[dict[str, Any]]


def schedule(engine: Database, actor: Actor, day: date, plan: dict[str, Any] | None) -> Schedule:
    """The day per technician for the calendar: the open proposal's jobs when there is one, else the bookings.

    Jobs already under way or accepted by their technician cannot be dragged.
    """
    zone = tenant_zone(engine, actor)
    names = technicians(engine, actor)
    resources = [{"id": str(t), "title": n} for t, n in sorted(names.items(), key=lambda p: p[1])]
    events: list[dict[str, Any]] = []
    if plan is not None and plan["status"] in OPEN_PLAN:
        snap = planning.snapshot(UnitOfWork(engine, actor), day)
        fixed = {int(j["id"]) for j in snap["jobs"] if j.get("fixed")}
        for row in planning.plan_diff(UnitOfWork(engine, actor), int(plan["id"])):
            if row.technician_id is None or row.start is None or row.end is None:
                continue
            kind = "by_hand" if (row.explanation or {}).get("by_hand") else row.change
            events.append(
                {
                    "id": str(row.order_id),
                    "resourceId": str(row.technician_id),
                    "title": row.order_number,
                    "start": wall(row.start, zone),
                    "end": wall(row.end, zone),
                    "color": CHANGE_COLOURS.get(kind, "#1f77b4"),
                    "editable": row.order_id not in fixed,
                }
            )
        return Schedule(int(plan["id"]), resources, events)
    # only a booking whose order still waits for work can move (one awaiting the customer, say, stays put)
    plannable = {int(j["id"]) for j in planning.snapshot(UnitOfWork(engine, actor), day)["jobs"] if not j.get("fixed")}
    for tech in planning.current_plan_summary(UnitOfWork(engine, actor), day):
        for b in tech["bookings"]:
            status = str(b["status"])
            events.append(
                {
                    "id": str(b["order_id"]),
                    "resourceId": str(tech["technician_id"]),
                    "title": b["order_number"],
                    "start": wall(b["start"], zone),
                    "end": wall(b["end"], zone),
                    "color": CHANGE_COLOURS.get(status, CHANGE_COLOURS["booked"]),
                    "editable": status in ("tentative", "confirmed") and b["order_id"] in plannable,
                }
            )
    return Schedule(None, resources, events)


def week_bookings(engine: Database, actor: Actor, day: date) -> list[dict[str, Any]]:
    """The bookings of the other days of ``day``'s week (Monday to Sunday), for the week view: shown, not
    dragged (a proposal and its checks cover one day; pick that day to move its jobs)."""
    zone = tenant_zone(engine, actor)
    monday = day - timedelta(days=day.weekday())
    events: list[dict[str, Any]] = []
    for other in (monday + timedelta(days=n) for n in range(7)):
        if other == day:
            continue
        for tech in planning.current_plan_summary(UnitOfWork(engine, actor), other):
            for b in tech["bookings"]:
                events.append(
                    {
                        "id": f"{b['order_id']}@{other.isoformat()}",
                        "resourceId": str(tech["technician_id"]),
                        "title": b["order_number"],
                        "start": wall(b["start"], zone),
                        "end": wall(b["end"], zone),
                        "color": CHANGE_COLOURS.get(str(b["status"]), CHANGE_COLOURS["booked"]),
                        "editable": False,
                    }
                )
    return events


# How each kind of broken rule reads for a dispatcher ({order}, {technician}, {time}, {limit} filled in).
REFUSALS = {
    "pinned": N_("{order} is promised to {other}, not {technician}."),
    "skills": N_("{technician} lacks the skills {order} needs."),
    "van_parts": N_("{technician}'s van does not carry the parts for these jobs."),
    "capacity": N_("{technician}'s van cannot carry that much."),
    "window": N_("{order} cannot start at {time}: it is outside the hours agreed with the customer."),
    "fixed": N_("{order} is already accepted or under way; it stays at {limit}."),
    "reach": N_("{technician} cannot be at {order} by {time}: the earliest arrival is {arrival}."),
    "before_shift": N_("{technician}'s shift starts at {limit}."),
    "after_shift": N_("{technician} would come back at {time}, after the shift ends at {limit}."),
    "work_time": N_("{technician} would work {hours} h, more than the {limit_hours} h allowed."),
    "travel_time": N_("{technician} would drive {hours} h, more than the {limit_hours} h allowed."),
    "break": N_("{technician} would have no time left for the lunch break."),
    "pickup": N_("{technician} cannot pick up the parts for {order} in time."),
    "not_planned": N_("{order} is not open for work on {day}."),
}
REFUSED = N_("The checker refused the move: {detail}")


def refusal_text(
    code: str,
    fields: dict[str, object],
    *,
    origin: datetime,
    zone: ZoneInfo,
    numbers: dict[str, str],
    names: dict[str, str],
    t: Callable[[str], str] = as_is,
    fallback: str = "",
) -> str:
    """One broken rule as a sentence a dispatcher reads: order numbers, names and local times, not ids."""

    def clock(seconds: object) -> str:
        return (
            f"{(origin + timedelta(seconds=int(str(seconds)))).astimezone(zone):%H:%M}" if seconds is not None else "?"
        )

    def hours(seconds: object) -> str:
        return f"{int(str(seconds)) / 3600:.1f}" if seconds is not None else "?"

    template = REFUSALS.get(code)
    if template is None:
        return t(REFUSED).format(detail=fallback)
    return t(template).format(
        order=numbers.get(str(fields.get("job")), str(fields.get("job"))),
        technician=names.get(str(fields.get("technician")), str(fields.get("technician"))),
        other=names.get(str(fields.get("pinned")), str(fields.get("pinned"))),
        time=clock(fields.get("at")),
        arrival=clock(fields.get("arrival")),
        limit=clock(fields.get("limit")),
        hours=hours(fields.get("seconds")),
        limit_hours=hours(fields.get("limit")),
        day=str(fields.get("day", "")),
    )


@dataclass(frozen=True)
class Dropped:
    """What became of a job dragged to a technician and time: placed, or refused with the checker's reasons."""

    placed: bool
    reasons: list[str]
    start: datetime | None = None
    end: datetime | None = None


def drop_job(
    engine: Database,
    actor: Actor,
    day: date,
    order_id: int,
    technician_id: int,
    start: datetime,
    *,
    plan_id: int | None,
    order_number: str = "",
    day_text: Callable[[date], str] = date.isoformat,
    t: Callable[[str], str] = as_is,
) -> Dropped:
    """Move a job of the open proposal (``plan_id``) or a booking of the day (None) to a technician and start,
    if the optimizer's independent checker finds the day still works; else nothing changes and the reasons
    come back as sentences."""
    actor.require("plans.propose" if plan_id is not None else "workforce.book")
    zone = tenant_zone(engine, actor)
    snap = planning.snapshot(UnitOfWork(engine, actor), day)
    problem = problem_from_snapshot(snap, travel=provider_from_config(**get_settings().travel_config()))
    origin = datetime.fromisoformat(snap["day_start"])
    numbers = {str(j["id"]): str(j["order_number"]) for j in snap["jobs"]}
    names = {str(k): v for k, v in technicians(engine, actor).items()}

    def seconds(at: datetime) -> int:
        return int((at - origin).total_seconds())

    job_id = str(order_id)
    if job_id not in {j.id for j in problem.jobs}:
        known = {**numbers, job_id: order_number or job_id}
        fields: dict[str, object] = {"job": job_id, "day": day_text(day)}
        return Dropped(
            False, [refusal_text("not_planned", fields, origin=origin, zone=zone, numbers=known, names=names, t=t)]
        )
    placed: dict[str, Placed] = {}
    reasons: dict[str, Reason] = {}
    if plan_id is not None:
        for row in planning.plan_diff(UnitOfWork(engine, actor), plan_id):
            if row.technician_id is not None and row.start is not None:
                placed[str(row.order_id)] = Placed(str(row.technician_id), seconds(row.start))
            elif row.unassigned_reason is not None and row.unassigned_reason in {r.value for r in Reason}:
                reasons[str(row.order_id)] = Reason(row.unassigned_reason)
    else:
        for raw in snap["jobs"]:
            now = raw.get("current")
            if now is not None and now.get("start"):
                placed[str(raw["id"])] = Placed(str(now["technician"]), seconds(datetime.fromisoformat(now["start"])))
    checked = move(problem, placed, job_id, Placed(str(technician_id), seconds(start)), reasons)
    if not checked.fits:
        said = [
            refusal_text(
                v.code, dict(v.fields), origin=origin, zone=zone, numbers=numbers, names=names, t=t, fallback=str(v)
            )
            for v in checked.refusals
        ]
        return Dropped(False, list(dict.fromkeys(said)))
    visit = next(v for r in checked.plan.routes for v in r.visits if v.job_id == job_id)
    begins, ends = origin + timedelta(seconds=visit.start), origin + timedelta(seconds=max(visit.end, visit.start + 60))
    if plan_id is not None:
        planning.move_plan_item(UnitOfWork(engine, actor), plan_id, order_id, technician_id, begins, ends)
    else:
        booking = next(j["current"]["booking_id"] for j in snap["jobs"] if str(j["id"]) == job_id)
        planning.move_booking(UnitOfWork(engine, actor), int(booking), technician_id, begins, ends)
    return Dropped(True, [], begins, ends)


# ---------------------------------------------------------------------------------------------- the route map

ROUTE_COLOURS = [
    (31, 119, 180),
    (255, 127, 14),
    (44, 160, 44),
    (214, 39, 40),
    (148, 103, 189),
    (140, 86, 75),
    (227, 119, 194),
    (127, 127, 127),
    (188, 189, 34),
    (23, 190, 207),
]


@dataclass(frozen=True)
class RouteMap:
    """The proposal on a map: one path per technician (home, jobs in order, home), the stops, and the jobs left
    out with the reason why. Coordinates are [lon, lat] (what deck.gl reads)."""

    paths: pd.DataFrame  # technician, colour, path
    stops: pd.DataFrame  # lon, lat, colour, tip (technician · stop · order)
    unassigned: pd.DataFrame  # lon, lat, order_number, why


def route_map(engine: Database, actor: Actor, day: date, plan_id: int, *, t: Callable[[str], str] = as_is) -> RouteMap:
    """Where each technician of the proposal drives, in order, and where the jobs nobody takes are."""
    snap = planning.snapshot(UnitOfWork(engine, actor), day)
    problem = problem_from_snapshot(snap)
    names = technicians(engine, actor)
    places = {j.id: j.location for j in problem.jobs}
    homes = {t_.id: (t_.start_location, t_.end) for t_ in problem.technicians}
    rows = planning.plan_diff(UnitOfWork(engine, actor), plan_id)
    routes: dict[int, list[planning.DiffRow]] = {}
    for row in rows:
        if row.technician_id is not None and row.start is not None:
            routes.setdefault(row.technician_id, []).append(row)
    paths, stops, left_out = [], [], []
    for k, (tech, visits) in enumerate(sorted(routes.items(), key=lambda p: names.get(p[0], str(p[0])))):
        colour = list(ROUTE_COLOURS[k % len(ROUTE_COLOURS)])
        who = names.get(tech, str(tech))
        home = homes.get(str(tech))
        points = [] if home is None else [[home[0].lon, home[0].lat]]
        for n, row in enumerate(sorted(visits, key=lambda r: r.start or datetime.min), 1):
            spot = places.get(str(row.order_id))
            if spot is None:
                continue
            points.append([spot.lon, spot.lat])
            stops.append(
                {"lon": spot.lon, "lat": spot.lat, "colour": colour, "tip": f"{who} · {n} · {row.order_number}"}
            )
        if home is not None:
            points.append([home[1].lon, home[1].lat])
        if len(points) > 2:
            paths.append({"technician": who, "colour": colour, "path": points})
    for row in rows:
        spot = places.get(str(row.order_id))
        if row.technician_id is None and spot is not None:
            left_out.append(
                {
                    "lon": spot.lon,
                    "lat": spot.lat,
                    "order_number": row.order_number,
                    "why": unassigned_why(row.unassigned_reason, row.change, t),
                }
            )
    return RouteMap(
        pd.DataFrame(paths, columns=["technician", "colour", "path"]),
        pd.DataFrame(stops, columns=["lon", "lat", "colour", "tip"]),
        pd.DataFrame(left_out, columns=["lon", "lat", "order_number", "why"]),
    )
