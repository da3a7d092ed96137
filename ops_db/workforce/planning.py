"""Dispatch planning on the database side: the day's snapshot, proposed plans, their diff, accepting, re-planning.

``ops_db`` does not know the optimizer (docs/architecture.md keeps the two apart). They meet on a plain,
JSON-ready *snapshot* of a dispatch day (``snapshot``) and a list of plain plan items
(``save_proposed_plan``); ``optimizer.snapshot`` turns the one into a ``Problem`` and a ``Plan``
back into items.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import bindparam, select, text
from sqlalchemy.dialects.postgresql import Range

from ops_db.i18n import N_
from ops_db.identity.models import Tenant
from ops_db.kit import bounds
from ops_db.kit.errors import Conflict, NotFound, RepairOpsError, ValidationError
from ops_db.kit.uow import UnitOfWork
from ops_db.orders.queries import TECHNICIAN_STAGES
from ops_db.workforce.models import (
    Booking,
    BookingStatus,
    OptimizerPlan,
    PlanItem,
    PlanStatus,
    Technician,
    TimeOff,
)
from ops_db.workforce.service import book_in

# Orders the dispatcher can send someone to: not waiting for the customer, not finished.
PLANNABLE_STAGES = TECHNICIAN_STAGES  # one definition with Home's "waiting for a technician" (ops_db.orders.queries)
DEFAULT_WINDOW = (time(8, 0), time(18, 0))
MOVED_TOLERANCE = timedelta(minutes=1)
# A re-plan "from now" starts jobs no earlier than now rounded up to this step, so re-planning twice in a few
# minutes sees the same day (and the deterministic optimizer proposes the same plan).
NOW_STEP = timedelta(minutes=5)


def _step_up(now: datetime) -> datetime:
    """``now`` rounded up to the next ``NOW_STEP`` (unchanged when already on a step)."""
    epoch = datetime(2000, 1, 1, tzinfo=UTC)
    steps = -((epoch - now) // NOW_STEP)  # ceiling division
    return epoch + steps * NOW_STEP


def _iso(value: datetime | None) -> str | None:
    return None if value is None else value.astimezone(UTC).isoformat()


def _point(lat: Decimal | None, lon: Decimal | None) -> list[float] | None:
    return None if lat is None or lon is None else [float(lat), float(lon)]


def snapshot(uow: UnitOfWork, day: date, *, now: datetime | None = None) -> dict[str, Any]:
    """Everything the optimizer needs for one day, as plain JSON-ready data (see module docstring)."""
    with uow:
        uow.actor.require("plans.read")
        bounds.day(day, N_("day"))  # a day's arithmetic in the company's zone stays inside the calendar
        now = None if now is None else _step_up(now)
        session = uow.session
        tenant = session.get(Tenant, uow.actor.tenant_id)
        assert tenant is not None
        tz = ZoneInfo(tenant.time_zone)
        day_start = datetime.combine(day, time(0), tz)
        day_end = day_start + timedelta(days=1)
        window = (datetime.combine(day, DEFAULT_WINDOW[0], tz), datetime.combine(day, DEFAULT_WINDOW[1], tz))
        technicians = _technicians(uow, day_start, day_end)
        jobs = _jobs(uow, day_start, day_end, window, now)
        warehouses = [
            {"id": str(r.id), "location": _point(r.latitude, r.longitude), "stock": r.stock or {}}
            for r in session.execute(
                text(
                    "SELECT l.id, l.latitude, l.longitude, (SELECT jsonb_object_agg(s.part_id::text,"
                    " (s.quantity - s.reserved)::int) FROM stock_levels s WHERE s.location_id = l.id"
                    " AND s.quantity > s.reserved) AS stock FROM stock_locations l WHERE l.kind = 'warehouse'"
                    " AND l.is_active ORDER BY l.id"
                )
            ).all()
        ]
        return {
            "date": day.isoformat(),
            "time_zone": tenant.time_zone,
            "day_start": _iso(day_start),
            "now": _iso(now),
            "technicians": technicians,
            "jobs": jobs,
            "warehouses": warehouses,
        }


def _technicians(uow: UnitOfWork, day_start: datetime, day_end: datetime) -> list[dict[str, Any]]:
    rows = uow.session.execute(
        text(
            """
        SELECT t.id, t.name, t.home_latitude, t.home_longitude, t.max_daily_minutes, t.max_travel_minutes,
               t.hourly_cost, d.latitude AS depot_lat, d.longitude AS depot_lon, s.starts_at, s.ends_at,
               b.earliest_start, b.latest_end, b.duration_minutes,
               (SELECT jsonb_object_agg(k.code, ts.level) FROM technician_skills ts JOIN skills k ON k.id = ts.skill_id
                 WHERE ts.technician_id = t.id) AS skills,
               (SELECT jsonb_object_agg(v.part_id::text, (v.quantity - v.reserved)::int) FROM stock_levels v
                 WHERE v.location_id = t.van_location_id AND v.quantity > v.reserved) AS van,
               (SELECT min(lower(o.period)) FROM time_off o WHERE o.technician_id = t.id
                 AND o.period && tstzrange(s.starts_at, s.ends_at)) AS off_from
        FROM technicians t
        JOIN shifts s ON s.technician_id = t.id AND s.starts_at < :e AND s.ends_at > :s
        LEFT JOIN shift_breaks b ON b.shift_id = s.id
        LEFT JOIN stock_locations d ON d.id = t.depot_location_id
        WHERE t.is_active ORDER BY t.id
        """
        ),
        {"s": day_start, "e": day_end},
    ).all()
    out = []
    for r in rows:
        shift_end = r.ends_at if r.off_from is None else min(r.ends_at, max(r.off_from, r.starts_at))
        out.append(
            {
                "id": str(r.id),
                "name": r.name,
                "skills": r.skills or {},
                "shift_start": _iso(r.starts_at),
                "shift_end": _iso(shift_end),
                "break": None
                if r.earliest_start is None
                else {
                    "earliest_start": _iso(r.earliest_start),
                    "latest_end": _iso(r.latest_end),
                    "minutes": r.duration_minutes,
                },
                "home": _point(r.home_latitude, r.home_longitude),
                "depot": _point(r.depot_lat, r.depot_lon),
                "max_work_minutes": r.max_daily_minutes,
                "max_travel_minutes": r.max_travel_minutes,
                "hourly_cost": str(r.hourly_cost),
                "van_stock": r.van or {},
            }
        )
    return out


def _jobs(
    uow: UnitOfWork, day_start: datetime, day_end: datetime, window: tuple[datetime, datetime], now: datetime | None
) -> list[dict[str, Any]]:
    rows = uow.session.execute(
        text(
            """
        SELECT o.id, o.order_number, o.location, o.priority, o.estimated_minutes, o.promised_at,
               cs.latitude, cs.longitude, k.code AS skill,
               (SELECT min(c.due_at) FROM sla_clocks c WHERE c.order_id = o.id
                  AND c.state IN ('running', 'at_risk', 'breached') AND c.stopped_at IS NULL) AS sla_due,
               (SELECT jsonb_object_agg(r.part_id::text, r.quantity::int) FROM stock_reservations r
                  JOIN stock_locations l ON l.id = r.location_id
                 WHERE r.order_id = o.id AND r.status = 'active' AND l.kind <> 'van') AS parts,
               (SELECT CASE WHEN count(DISTINCT r.location_id) = 1 THEN min(r.location_id)::text END
                  FROM stock_reservations r JOIN stock_locations l ON l.id = r.location_id
                 WHERE r.order_id = o.id AND r.status = 'active' AND l.kind <> 'van') AS parts_at,
               bk.id AS booking_id, bk.technician_id, lower(bk.planned) AS b_start, upper(bk.planned) AS b_end,
               bk.status AS b_status, bk.technician_response
        FROM service_orders o
        LEFT JOIN customer_sites cs ON cs.id = o.site_id
        LEFT JOIN skills k ON k.id = o.required_skill_id
        LEFT JOIN LATERAL (SELECT * FROM bookings b WHERE b.order_id = o.id
             AND b.status IN ('tentative', 'confirmed', 'in_progress') ORDER BY lower(b.planned) LIMIT 1) bk ON true
        WHERE o.stage IN :stages AND (bk.id IS NULL OR (lower(bk.planned) < :e AND upper(bk.planned) > :s))
          AND NOT EXISTS (SELECT 1 FROM bookings d WHERE d.order_id = o.id AND d.status = 'done'
                          AND upper(d.planned) > :s)
        ORDER BY o.id
        """
        ).bindparams(bindparam("stages", expanding=True)),
        {"s": day_start, "e": day_end, "stages": list(PLANNABLE_STAGES)},
    ).all()
    jobs = []
    for r in rows:
        field = r.location == "field" and r.latitude is not None
        fixed = r.booking_id is not None and (r.b_status == "in_progress" or r.technician_response == "accepted")
        start_w, end_w = window
        if now is not None and not fixed:
            start_w = max(start_w, now)
        pinned_start = r.promised_at if r.promised_at is not None and day_start <= r.promised_at < day_end else None
        current = (
            None
            if r.booking_id is None
            else {
                "booking_id": r.booking_id,
                "technician": str(r.technician_id),
                "start": _iso(r.b_start),
                "end": _iso(r.b_end),
                "status": r.b_status,
            }
        )
        jobs.append(
            {
                "id": str(r.id),
                "order_number": r.order_number,
                "location": _point(r.latitude, r.longitude) if field else None,
                "minutes": int(r.estimated_minutes or 60),
                "windows": [[_iso(start_w), _iso(end_w)]] if start_w < end_w else [],
                "skills": {r.skill: 1} if r.skill else {},
                "priority": r.priority,
                "sla_deadline": _iso(r.sla_due),
                "parts": r.parts or {},
                "parts_at": r.parts_at,
                "pinned_technician": str(r.technician_id) if fixed else None,
                "pinned_start": _iso(r.b_start) if fixed else _iso(pinned_start),
                "fixed": fixed,
                "current": current,
            }
        )
    return jobs


# ---------------------------------------------------------------------------------------------- proposals


@dataclass(frozen=True)
class SavedPlan:
    """A proposed plan as stored."""

    plan_id: int
    assigned: int
    unassigned: int


def save_proposed_plan(
    uow: UnitOfWork,
    day: date,
    items: list[dict[str, Any]],
    *,
    kpis: dict[str, Any],
    solver: str,
    time_limit: float,
    seed: int,
) -> SavedPlan:
    """Store the optimizer's proposal for a day (earlier proposals for that day are superseded)."""
    with uow:
        uow.actor.require("plans.propose")
        session = uow.session
        session.execute(
            text("UPDATE optimizer_plans SET status = 'superseded' WHERE plan_date = :d AND status = 'proposed'"),
            {"d": day},
        )
        plan = OptimizerPlan(
            tenant_id=uow.actor.tenant_id,
            plan_date=day,
            status=PlanStatus.PROPOSED,
            solver=solver,
            time_limit_seconds=Decimal(str(round(time_limit, 2))),
            seed=seed,
            kpis=kpis,
            created_by=uow.actor.user_id,
        )
        session.add(plan)
        session.flush()
        assigned = 0
        for item in items:
            tech = item.get("technician_id")
            start, end = item.get("start"), item.get("end")
            planned = Range(_dt(start), _dt(end)) if tech is not None and start and end else None
            session.add(
                PlanItem(
                    tenant_id=plan.tenant_id,
                    plan_id=plan.id,
                    order_id=int(item["order_id"]),
                    technician_id=int(tech) if tech is not None else None,
                    sequence=item.get("sequence"),
                    planned=planned,
                    travel_seconds=int(item.get("travel_seconds", 0)),
                    travel_meters=int(item.get("travel_meters", 0)),
                    unassigned_reason=None
                    if tech is not None
                    else str(item.get("unassigned_reason") or "capacity")[:32],
                    explanation=item.get("explanation") or {},
                )
            )
            assigned += tech is not None
        uow.audit(
            "plan.propose",
            "optimizer_plans",
            plan.id,
            after={"date": day, "assigned": assigned, "unassigned": len(items) - assigned},
        )
        uow.commit()
        return SavedPlan(plan.id, assigned, len(items) - assigned)


def _bounds(planned: Range[datetime]) -> tuple[datetime, datetime]:
    """Start and end of a bounded time range (bookings and plan items are always bounded)."""
    assert planned.lower is not None and planned.upper is not None
    return planned.lower, planned.upper


def _dt(value: Any) -> datetime:
    if isinstance(value, datetime):
        return value
    return datetime.fromisoformat(str(value))


@dataclass(frozen=True)
class DiffRow:
    """One order in the comparison of a proposal with the current bookings."""

    order_id: int
    order_number: str
    change: str  # new | moved | reassigned | unchanged | dropped | unassigned
    technician_id: int | None
    start: datetime | None
    end: datetime | None
    current_technician_id: int | None
    current_start: datetime | None
    current_end: datetime | None
    unassigned_reason: str | None
    explanation: dict[str, Any]


def plan_diff(uow: UnitOfWork, plan_id: int) -> list[DiffRow]:
    """Compare a proposal with the current bookings of its day: new, moved, reassigned, unchanged, dropped."""
    with uow:
        uow.actor.require("plans.read")
        return _diff(uow, plan_id)


def _diff(uow: UnitOfWork, plan_id: int) -> list[DiffRow]:
    session = uow.session
    plan = uow.get(OptimizerPlan, plan_id)
    tenant = session.get(Tenant, plan.tenant_id)
    assert tenant is not None
    tz = ZoneInfo(tenant.time_zone)
    day_start = datetime.combine(plan.plan_date, time(0), tz)
    day_end = day_start + timedelta(days=1)
    current: dict[int, Booking] = {}
    for active in session.execute(
        select(Booking)
        .where(
            Booking.status.in_((BookingStatus.TENTATIVE, BookingStatus.CONFIRMED, BookingStatus.IN_PROGRESS)),
            text("bookings.planned && tstzrange(:s, :e)").bindparams(s=day_start, e=day_end),
        )
        .order_by(Booking.id)
    ).scalars():
        current.setdefault(active.order_id, active)
    numbers: dict[int, str] = dict(
        session.execute(
            text(
                "SELECT o.id, o.order_number FROM service_orders o WHERE o.id IN (SELECT order_id FROM plan_items"
                " WHERE plan_id = :p UNION SELECT order_id FROM bookings WHERE planned && tstzrange(:s, :e))"
            ),
            {"p": plan_id, "s": day_start, "e": day_end},
        )
        .tuples()
        .all()
    )
    rows: list[DiffRow] = []
    seen: set[int] = set()
    items = session.execute(
        select(PlanItem)
        .where(PlanItem.plan_id == plan_id)
        .order_by(PlanItem.technician_id, PlanItem.sequence, PlanItem.order_id)
    ).scalars()
    for item in items:
        seen.add(item.order_id)
        booking = current.get(item.order_id)
        start, end = _bounds(item.planned) if item.planned is not None else (None, None)
        if item.technician_id is None:
            change = "dropped" if booking is not None else "unassigned"
        elif booking is None:
            change = "new"
        elif booking.technician_id != item.technician_id:
            change = "reassigned"
        elif start is not None and abs(_bounds(booking.planned)[0] - start) <= MOVED_TOLERANCE:
            change = "unchanged"
        else:
            change = "moved"
        rows.append(
            _row(
                item.order_id,
                numbers,
                change,
                item.technician_id,
                start,
                end,
                booking,
                item.unassigned_reason,
                item.explanation,
            )
        )
    missing = {o: b for o, b in current.items() if o not in seen}
    stages: dict[int, str] = dict(
        session.execute(text("SELECT id, stage::text FROM service_orders WHERE id = ANY(:ids)"), {"ids": list(missing)})
        .tuples()
        .all()
    )
    for order_id, booking in missing.items():
        rows.append(
            _row(order_id, numbers, "dropped", None, None, None, booking, _why_missing(plan, booking, stages), {})
        )
    return rows


# Why a booked order is missing from a proposal ("dropped"): booked after the proposal was made (the plan
# never saw it; accepting leaves it alone), or its order is no longer waiting for work (its stage).
BOOKED_AFTER = "booked_after"
STAGE_PREFIX = "stage:"


def _why_missing(plan: OptimizerPlan, booking: Booking, stages: dict[int, str]) -> str:
    if booking.created_at > plan.created_at:
        return BOOKED_AFTER
    stage = stages.get(booking.order_id)
    if stage is not None and stage not in PLANNABLE_STAGES:
        return STAGE_PREFIX + stage
    return "not in plan"


def _row(
    order_id: int,
    numbers: dict[int, str],
    change: str,
    tech: int | None,
    start: datetime | None,
    end: datetime | None,
    booking: Booking | None,
    reason: str | None,
    explanation: dict[str, Any],
) -> DiffRow:
    current_start, current_end = _bounds(booking.planned) if booking else (None, None)
    return DiffRow(
        order_id,
        numbers.get(order_id, str(order_id)),
        change,
        tech,
        start,
        end,
        booking.technician_id if booking else None,
        current_start,
        current_end,
        reason,
        explanation,
    )


@dataclass(frozen=True)
class AcceptResult:
    """What accepting (part of) a plan did."""

    booked: list[int]
    cancelled: list[int]
    failed: dict[int, str]
    status: str


def accept_plan(uow: UnitOfWork, plan_id: int, order_ids: list[int] | None = None) -> AcceptResult:
    """Turn the chosen proposal items (all when none are named) into bookings under the no-overlap guarantee.

    Current bookings of the chosen orders are released first, so swaps between technicians work; an
    item that clashes with a booking outside the selection fails alone, with its reason.
    """
    with uow:
        uow.actor.require("plans.accept")
        session = uow.session
        plan = uow.get(OptimizerPlan, plan_id, lock=True)
        if plan.status not in (PlanStatus.PROPOSED, PlanStatus.PARTIALLY_ACCEPTED):
            raise Conflict(
                "Plan {plan} is {status}; only a current proposal can be accepted.",
                plan=plan_id,
                status=plan.status.value,
            )
        diff = {row.order_id: row for row in _diff(uow, plan_id)}
        chosen = set(diff) if order_ids is None else set(order_ids)
        unknown = chosen - set(diff)
        if unknown:
            raise ValidationError("Orders {orders} are not part of plan {plan}.", orders=sorted(unknown), plan=plan_id)
        # a booking made after the proposal is not the plan's to release
        actionable = {
            oid
            for oid in chosen
            if diff[oid].change in ("new", "moved", "reassigned", "dropped")
            and diff[oid].unassigned_reason != BOOKED_AFTER
        }
        cancelled: list[int] = []
        for oid in sorted(actionable):
            row = diff[oid]
            if row.current_technician_id is None:
                continue
            old = (
                session.execute(
                    select(Booking)
                    .where(
                        Booking.order_id == oid, Booking.status.in_((BookingStatus.TENTATIVE, BookingStatus.CONFIRMED))
                    )
                    .with_for_update()
                )
                .scalars()
                .first()
            )
            if old is not None:
                old.status = BookingStatus.CANCELLED
                cancelled.append(old.id)
        session.flush()
        items = {i.order_id: i for i in session.execute(select(PlanItem).where(PlanItem.plan_id == plan_id)).scalars()}
        booked: list[int] = []
        failed: dict[int, str] = {}
        for oid in sorted(actionable, key=lambda o: (diff[o].start or datetime.max.replace(tzinfo=UTC), o)):
            row, item = diff[oid], items.get(oid)
            if row.change == "dropped" or item is None or item.planned is None or item.technician_id is None:
                continue
            try:
                with session.begin_nested():
                    start_at, end_at = _bounds(item.planned)
                    booking = book_in(
                        uow,
                        oid,
                        item.technician_id,
                        start_at,
                        end_at,
                        source="optimizer",
                        plan_item_id=item.id,
                        travel_minutes=item.travel_seconds // 60,
                    )
                booked.append(booking.id)
                item.decision = "accepted"
            except RepairOpsError as exc:
                failed[oid] = exc.message
            except Exception as exc:  # a constraint raised inside the savepoint
                from sqlalchemy.exc import DBAPIError

                from ops_db.kit.uow import translate_db_error

                if not isinstance(exc, DBAPIError):
                    raise
                failed[oid] = translate_db_error(exc).message
        for oid in chosen:
            if oid in items and oid not in failed and diff[oid].change in ("unchanged", "dropped"):
                items[oid].decision = "accepted"
        all_assigned = {o for o, r in diff.items() if r.change not in ("unassigned",)}
        plan.status = PlanStatus.ACCEPTED if all_assigned <= chosen and not failed else PlanStatus.PARTIALLY_ACCEPTED
        plan.decided_at = uow.now()
        uow.audit(
            "plan.accept",
            "optimizer_plans",
            plan.id,
            after={"booked": len(booked), "cancelled": len(cancelled), "failed": len(failed)},
        )
        uow.commit()
        return AcceptResult(booked, cancelled, failed, plan.status.value)


# ---------------------------------------------------------------------------------------------- hand edits

BY_HAND = {"by_hand": True}  # the explanation of an item the dispatcher placed (the checker found it sound)


def move_plan_item(
    uow: UnitOfWork, plan_id: int, order_id: int, technician_id: int, start: datetime, end: datetime
) -> None:
    """Put one job of an open proposal on another technician or time (the dispatcher dragged it there).

    The caller has had the move checked by the optimizer's independent checker; this stores it.
    """
    with uow:
        uow.actor.require("plans.propose")
        if start.tzinfo is None or end.tzinfo is None:
            raise ValidationError("Give the time with a time zone.")
        if end <= start:
            raise ValidationError("A job must end after it starts.")
        plan = uow.get(OptimizerPlan, plan_id, lock=True)
        if plan.status not in (PlanStatus.PROPOSED, PlanStatus.PARTIALLY_ACCEPTED):
            raise Conflict(
                "Plan {plan} is {status}; only a current proposal can be changed.",
                plan=plan_id,
                status=plan.status.value,
            )
        item = uow.session.execute(
            select(PlanItem).where(PlanItem.plan_id == plan_id, PlanItem.order_id == order_id).with_for_update()
        ).scalar_one_or_none()
        if item is None:
            raise NotFound("Order {order} is not part of plan {plan}.", order=order_id, plan=plan_id)
        if item.decision == "accepted":
            raise Conflict("That job of plan {plan} is already booked; move the booking instead.", plan=plan_id)
        tech = uow.session.get(Technician, technician_id)
        if tech is None:
            raise NotFound("There is no technician {technician}.", technician=technician_id)
        was = _bounds(item.planned) if item.planned is not None else (None, None)
        before = {"technician_id": item.technician_id, "start": was[0], "end": was[1]}
        item.technician_id = tech.id
        item.planned = Range(start, end)
        item.sequence = None
        item.unassigned_reason = None
        item.explanation = dict(BY_HAND)
        uow.audit(
            "plan.move",
            "optimizer_plans",
            plan.id,
            before=before,
            after={"order_id": order_id, "technician_id": tech.id, "start": start, "end": end},
        )
        uow.commit()


def move_booking(uow: UnitOfWork, booking_id: int, technician_id: int, start: datetime, end: datetime) -> int:
    """Move a planned booking to another technician or time (the dispatcher dragged it there): the old booking
    is cancelled and a new one made under the no-overlap guarantee, in one transaction. Returns the new id."""
    with uow:
        uow.actor.require("workforce.book")
        booking = uow.get(Booking, booking_id, lock=True)
        if booking.status not in (BookingStatus.TENTATIVE, BookingStatus.CONFIRMED):
            raise Conflict(
                "Booking {booking} is {status}; only a planned booking can be moved.",
                booking=booking_id,
                status=booking.status.value,
            )
        booking.status = BookingStatus.CANCELLED
        uow.flush()
        moved = book_in(uow, booking.order_id, technician_id, start, end, source="manual")
        uow.audit("booking.move", "bookings", booking.id, after={"moved_to": moved.id})
        uow.commit()
        return moved.id


# ---------------------------------------------------------------------------------------------- disruptions


def technician_off_sick(uow: UnitOfWork, technician_id: int, from_time: datetime, reason: str = "sick") -> list[int]:
    """A technician goes home: they are off from ``from_time`` to the end of the day; their unstarted bookings
    are cancelled and return to the pool for the re-plan. Returns the orders freed."""
    with uow:
        uow.actor.require("workforce.manage")
        if from_time.tzinfo is None:
            raise ValidationError("Give the time with a time zone.")
        session = uow.session
        if session.get(Technician, technician_id) is None:
            raise NotFound("There is no technician {technician}.", technician=technician_id)
        end = from_time.replace(hour=23, minute=59, second=59)
        freed: list[int] = list(
            session.execute(
                text(
                    "UPDATE bookings SET status = 'cancelled' WHERE technician_id = :t AND status IN"
                    " ('tentative', 'confirmed')"
                    " AND upper(planned) > :f RETURNING order_id"
                ),
                {"t": technician_id, "f": from_time},
            ).scalars()
        )
        session.add(
            TimeOff(
                tenant_id=uow.actor.tenant_id,
                technician_id=technician_id,
                period=Range(from_time, max(end, from_time + timedelta(minutes=1))),
                reason=reason[:32],
                approved=True,
            )
        )
        session.execute(
            text(
                "UPDATE service_orders SET assigned_technician_id = NULL WHERE id = ANY(:ids)"
                " AND assigned_technician_id = :t"
            ),
            {"ids": freed, "t": technician_id},
        )
        uow.audit("technician.off", "technicians", technician_id, after={"from": from_time, "freed_orders": freed})
        uow.commit()
        return freed


def job_running_late(uow: UnitOfWork, booking_id: int, new_end: datetime) -> list[int]:
    """A job overruns: its booking ends later; the technician's later bookings that now overlap are
    released for the re-plan. Returns the orders freed."""
    with uow:
        uow.actor.require("workforce.book")
        session = uow.session
        booking = uow.get(Booking, booking_id, lock=True)
        if booking.status not in (BookingStatus.CONFIRMED, BookingStatus.IN_PROGRESS):
            raise Conflict(
                "Booking {booking} is {status}; it cannot run late.", booking=booking_id, status=booking.status.value
            )
        planned_start, planned_end = _bounds(booking.planned)
        if new_end <= planned_end:
            raise ValidationError("The new end must be later than the planned end.")
        freed: list[int] = list(
            session.execute(
                text(
                    "UPDATE bookings SET status = 'cancelled' WHERE technician_id = :t AND id <> :b"
                    " AND status IN ('tentative', 'confirmed') AND planned && tstzrange(:s, :e) RETURNING order_id"
                ),
                {"t": booking.technician_id, "b": booking.id, "s": planned_start, "e": new_end},
            ).scalars()
        )
        booking.planned = Range(planned_start, new_end)
        uow.audit("booking.late", "bookings", booking.id, after={"new_end": new_end, "freed_orders": freed})
        uow.commit()
        return freed


def current_plan_summary(uow: UnitOfWork, day: date) -> list[dict[str, Any]]:
    """Per technician, the day's active bookings in time order (what the dispatcher's Gantt shows)."""
    with uow:
        uow.actor.require("workforce.read")
        tenant = uow.session.get(Tenant, uow.actor.tenant_id)
        assert tenant is not None
        tz = ZoneInfo(tenant.time_zone)
        start = datetime.combine(day, time(0), tz)
        rows = (
            uow.session.execute(
                text(
                    "SELECT b.technician_id, t.name, b.order_id, o.order_number, lower(b.planned) AS start,"
                    " upper(b.planned) AS end, b.status FROM bookings b JOIN technicians t ON t.id = b.technician_id"
                    " JOIN service_orders o ON o.id = b.order_id"
                    " WHERE b.status IN ('tentative', 'confirmed', 'in_progress', 'done')"
                    " AND b.planned && tstzrange(:s, :e) ORDER BY b.technician_id, lower(b.planned)"
                ),
                {"s": start, "e": start + timedelta(days=1)},
            )
            .mappings()
            .all()
        )
        by_tech: dict[int, list[dict[str, Any]]] = defaultdict(list)
        for r in rows:
            by_tech[r["technician_id"]].append(dict(r))
        return [{"technician_id": t, "bookings": b} for t, b in by_tech.items()]
