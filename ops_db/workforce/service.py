"""Technicians, skills, shifts, time off; bookings under the no-overlap guarantee; check-in/out; commissions."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from sqlalchemy import func, select, text
from sqlalchemy.dialects.postgresql import Range

from ops_db.comms.service import notify_customer
from ops_db.i18n import N_
from ops_db.identity.models import User
from ops_db.kit import bounds
from ops_db.kit.errors import Conflict, PermissionDenied, ValidationError
from ops_db.kit.uow import UnitOfWork
from ops_db.orders.events import OrderCancelled
from ops_db.orders.models import OPEN_STAGES, ServiceOrder
from ops_db.orders.service import assign, load_order, move, record_signoff
from ops_db.workforce.models import (
    ACTIVE_BOOKING_STATUSES,
    Booking,
    BookingStatus,
    CommissionRule,
    PlanItem,
    Shift,
    ShiftBreak,
    Skill,
    Technician,
    TechnicianSkill,
    TimeEntry,
    TimeEntryKind,
    TimeOff,
)
from ops_db.workforce.schemas import BookingRow, TechnicianIn, TechnicianRow

MAX_BOOKING = timedelta(hours=16)


def create_technician(uow: UnitOfWork, data: TechnicianIn) -> Technician:
    """Add a technician."""
    with uow:
        uow.actor.require("workforce.manage")
        name = (data.name or "").strip()
        if not name or len(name) > 200:
            raise ValidationError("Give the technician's name (at most 200 characters).")
        hourly_cost = bounds.price(data.hourly_cost, N_("hourly cost"))
        if not 1 <= data.max_daily_minutes <= 1440 or not 0 <= data.max_travel_minutes <= 1440:
            raise ValidationError("Daily limits must be within one day.")
        # Another company's user is hidden by row-level security: the same sentence as one that does not exist.
        if data.user_id is not None:
            uow.get(User, data.user_id)
        tech = Technician(
            tenant_id=uow.actor.tenant_id,
            name=name,
            email=data.email,
            phone=data.phone,
            hourly_cost=hourly_cost,
            home_latitude=data.home_latitude,
            home_longitude=data.home_longitude,
            user_id=data.user_id,
            max_daily_minutes=data.max_daily_minutes,
            max_travel_minutes=data.max_travel_minutes,
            works_in_field=data.works_in_field,
        )
        uow.session.add(tech)
        uow.flush()
        uow.audit("technician.create", "technicians", tech.id, after={"name": name})
        uow.commit()
        return tech


def set_skill(uow: UnitOfWork, technician_id: int, skill_code: str, level: int) -> None:
    """Give a technician a skill at a level from 1 to 5 (creating the skill if new)."""
    with uow:
        uow.actor.require("workforce.manage")
        if not isinstance(level, int) or not 1 <= level <= 5:
            raise ValidationError("A skill level is from 1 to 5.")
        tech = _technician(uow, technician_id)
        code = (skill_code or "").strip().lower()
        if not code or len(code) > 64:
            raise ValidationError("Give a skill code of 1 to 64 characters.")
        skill = uow.session.execute(select(Skill).where(Skill.code == code)).scalar_one_or_none()
        if skill is None:
            skill = Skill(tenant_id=uow.actor.tenant_id, code=code, name=code.replace("_", " ").title())
            uow.session.add(skill)
            uow.flush()
        row = uow.session.get(TechnicianSkill, (tech.id, skill.id))
        before = {"level": row.level} if row else None
        if row is None:
            uow.session.add(
                TechnicianSkill(tenant_id=tech.tenant_id, technician_id=tech.id, skill_id=skill.id, level=level)
            )
        else:
            row.level = level
        uow.audit("technician.skill", "technicians", tech.id, before=before, after={"skill": code, "level": level})
        uow.commit()


def add_shift(
    uow: UnitOfWork,
    technician_id: int,
    starts_at: datetime,
    ends_at: datetime,
    *,
    break_window: tuple[datetime, datetime] | None = None,
    break_minutes: int = 30,
) -> Shift:
    """Plan a technician's working time on a day, with an optional lunch break window."""
    with uow:
        uow.actor.require("workforce.manage")
        tech = _technician(uow, technician_id)
        _check_span(starts_at, ends_at, N_("shift"))
        shift = Shift(
            tenant_id=tech.tenant_id,
            technician_id=tech.id,
            shift_date=starts_at.date(),
            starts_at=starts_at,
            ends_at=ends_at,
        )
        uow.session.add(shift)
        uow.flush()
        if break_window is not None:
            earliest, latest = break_window
            if not (starts_at <= earliest and latest <= ends_at):
                raise ValidationError("The break window must lie within the shift.")
            if latest - earliest < timedelta(minutes=break_minutes) or break_minutes <= 0:
                raise ValidationError("The break must fit in its window.")
            uow.session.add(
                ShiftBreak(
                    tenant_id=tech.tenant_id,
                    shift_id=shift.id,
                    earliest_start=earliest,
                    latest_end=latest,
                    duration_minutes=break_minutes,
                )
            )
        uow.audit(
            "shift.create", "shifts", shift.id, after={"technician_id": tech.id, "start": starts_at, "end": ends_at}
        )
        uow.commit()
        return shift


def add_time_off(uow: UnitOfWork, technician_id: int, starts_at: datetime, ends_at: datetime, reason: str) -> TimeOff:
    """Mark a technician unavailable (leave, sickness, training); refuses if active bookings fall inside."""
    with uow:
        uow.actor.require("workforce.manage")
        tech = _technician(uow, technician_id)
        if ends_at <= starts_at:
            raise ValidationError("Time off must end after it starts.")
        clash: int = uow.session.execute(
            text(
                "SELECT count(*) FROM bookings WHERE technician_id = :t AND status IN"
                " ('tentative','confirmed','in_progress') AND planned && tstzrange(:a, :b)"
            ),
            {"t": tech.id, "a": starts_at, "b": ends_at},
        ).scalar_one()
        if clash:
            raise Conflict(
                "{technician} has {count} booking(s) in that time; re-plan them first.",
                technician=tech.name,
                count=clash,
            )
        row = TimeOff(
            tenant_id=tech.tenant_id,
            technician_id=tech.id,
            period=Range(starts_at, ends_at),
            reason=(reason or "leave")[:32],
            approved=True,
        )
        uow.session.add(row)
        uow.flush()
        uow.audit("time_off.create", "time_off", row.id, after={"technician_id": tech.id, "reason": row.reason})
        uow.commit()
        return row


def _technician(uow: UnitOfWork, technician_id: int) -> Technician:
    tech = uow.get(Technician, technician_id)
    return tech


def _check_span(start: datetime, end: datetime, what: str) -> None:
    if start.tzinfo is None or end.tzinfo is None:
        raise ValidationError("Give the {what} times with a time zone.", what=what)
    bounds.moment(start, what)
    bounds.moment(end, what)
    if end <= start:
        raise ValidationError("The {what} must end after it starts.", what=what)
    if end - start > MAX_BOOKING:
        raise ValidationError("A {what} can last at most 16 hours.", what=what)


def book(
    uow: UnitOfWork,
    order_id: int,
    technician_id: int,
    starts_at: datetime,
    ends_at: datetime,
    *,
    source: str = "manual",
    plan_item_id: int | None = None,
    travel_minutes: int = 0,
) -> Booking:
    """Reserve a technician for an order; refused if it overlaps another active booking, time off or the shift."""
    with uow:
        uow.actor.require("workforce.book")
        booking = book_in(
            uow,
            order_id,
            technician_id,
            starts_at,
            ends_at,
            source=source,
            plan_item_id=plan_item_id,
            travel_minutes=travel_minutes,
        )
        uow.commit()
        return booking


def book_in(
    uow: UnitOfWork,
    order_id: int,
    technician_id: int,
    starts_at: datetime,
    ends_at: datetime,
    *,
    source: str = "manual",
    plan_item_id: int | None = None,
    travel_minutes: int = 0,
) -> Booking:
    """``book`` inside the caller's unit of work (the optimizer's accept books many at once)."""
    _check_span(starts_at, ends_at, N_("booking"))
    order = load_order(uow, order_id, lock=True)
    if order.stage not in OPEN_STAGES:
        raise Conflict(
            "Order {number} is {stage}; it cannot be booked.", number=order.order_number, stage=order.stage.value
        )
    tech = _technician(uow, technician_id)
    if not tech.is_active:
        raise Conflict("{technician} is not active.", technician=tech.name)
    _check_availability(uow, tech, starts_at, ends_at)
    if plan_item_id is not None:
        uow.get(PlanItem, plan_item_id)
    booking = Booking(
        tenant_id=tech.tenant_id,
        technician_id=tech.id,
        order_id=order.id,
        planned=Range(starts_at, ends_at),
        status=BookingStatus.CONFIRMED,
        source=source,
        plan_item_id=plan_item_id,
        travel_minutes=max(0, travel_minutes),
    )
    uow.session.add(booking)
    uow.flush()  # the exclusion constraint fires here: an overlapping booking raises a Conflict
    assign(uow, order, tech.id, tech.name)
    uow.audit(
        "booking.create",
        "bookings",
        booking.id,
        after={"order_id": order.id, "technician_id": tech.id, "start": starts_at, "end": ends_at},
    )
    return booking


def _check_availability(uow: UnitOfWork, tech: Technician, start: datetime, end: datetime) -> None:
    off = uow.session.execute(
        text("SELECT reason FROM time_off WHERE technician_id = :t AND period && tstzrange(:a, :b) LIMIT 1"),
        {"t": tech.id, "a": start, "b": end},
    ).scalar()
    if off is not None:
        raise Conflict("{technician} is off ({reason}) at that time.", technician=tech.name, reason=off)
    shifts = (
        uow.session.execute(
            select(Shift).where(Shift.technician_id == tech.id, Shift.starts_at < end, Shift.ends_at > start)
        )
        .scalars()
        .all()
    )
    if not any(s.starts_at <= start and end <= s.ends_at for s in shifts):
        has_any = uow.session.execute(
            select(func.count()).select_from(Shift).where(Shift.technician_id == tech.id)
        ).scalar_one()
        if has_any:  # technicians without any shift plan are booked freely (small shops)
            raise Conflict("{technician} is not on shift for the whole of that time.", technician=tech.name)


def unbook(uow: UnitOfWork, booking_id: int) -> None:
    """Cancel a booking that has not started."""
    with uow:
        uow.actor.require("workforce.book")
        booking = uow.get(Booking, booking_id, lock=True)
        if booking.status not in (BookingStatus.TENTATIVE, BookingStatus.CONFIRMED):
            raise Conflict(
                "Booking {booking} is {status}; only planned bookings can be cancelled.",
                booking=booking_id,
                status=booking.status.value,
            )
        booking.status = BookingStatus.CANCELLED
        order = uow.session.get(ServiceOrder, booking.order_id)
        if order is not None and order.assigned_technician_id == booking.technician_id:
            still = uow.session.execute(
                select(Booking.id).where(
                    Booking.order_id == order.id,
                    Booking.technician_id == booking.technician_id,
                    Booking.status.in_(ACTIVE_BOOKING_STATUSES),
                    Booking.id != booking.id,
                )
            ).first()
            if still is None:
                assign(uow, order, None, None)
        uow.audit(
            "booking.cancel", "bookings", booking.id, before={"status": "confirmed"}, after={"status": "cancelled"}
        )
        uow.commit()


def cancel_bookings_for_order(uow: UnitOfWork, order_id: int) -> int:
    """Cancel every planned booking of a cancelled order (inside the caller's unit of work)."""
    result = uow.session.execute(
        text("UPDATE bookings SET status = 'cancelled' WHERE order_id = :o AND status IN ('tentative', 'confirmed')"),
        {"o": order_id},
    )
    return int(getattr(result, "rowcount", 0) or 0)


def cancel_visits_of_cancelled_order(uow: UnitOfWork, cancelled: OrderCancelled) -> None:
    """Subscriber (ops_db.wiring): a cancelled order's planned visits are cancelled, in the same transaction."""
    cancel_bookings_for_order(uow, cancelled.order_id)


def _own_booking(uow: UnitOfWork, booking_id: int) -> Booking:
    booking = uow.get(Booking, booking_id, lock=True)
    actor = uow.actor
    if actor.technician_id != booking.technician_id and not actor.can("workforce.book"):
        raise PermissionDenied("Only the booked technician or a dispatcher can do that.")
    return booking


def respond(uow: UnitOfWork, booking_id: int, accept: bool) -> Booking:
    """The technician accepts or declines an assignment; a decline frees the slot for re-planning."""
    with uow:
        uow.actor.require("workforce.respond")
        booking = _own_booking(uow, booking_id)
        if booking.status not in (BookingStatus.TENTATIVE, BookingStatus.CONFIRMED):
            raise Conflict(
                "Booking {booking} is {status}; it can no longer be answered.",
                booking=booking_id,
                status=booking.status.value,
            )
        booking.technician_response = "accepted" if accept else "declined"
        if not accept:
            booking.status = BookingStatus.CANCELLED
            order = uow.session.get(ServiceOrder, booking.order_id)
            if order is not None and order.assigned_technician_id == booking.technician_id:
                assign(uow, order, None, None)
        uow.audit("booking.respond", "bookings", booking.id, after={"response": booking.technician_response})
        uow.commit()
        return booking


def start_travel(uow: UnitOfWork, booking_id: int) -> None:
    """The technician sets off: the customer is told, travel time starts."""
    with uow:
        uow.actor.require("workforce.clock")
        booking = _own_booking(uow, booking_id)
        if booking.status != BookingStatus.CONFIRMED:
            raise Conflict("Booking {booking} is {status}.", booking=booking_id, status=booking.status.value)
        order = uow.session.get(ServiceOrder, booking.order_id)
        tech = uow.session.get(Technician, booking.technician_id)
        assert order is not None and tech is not None
        now = uow.now()
        uow.session.add(
            TimeEntry(
                tenant_id=tech.tenant_id,
                technician_id=tech.id,
                order_id=order.id,
                booking_id=booking.id,
                kind=TimeEntryKind.TRAVEL,
                started_at=now,
            )
        )
        notify_customer(
            uow,
            "technician_en_route",
            order.customer_id,
            {"order_number": order.order_number, "technician_name": tech.name},
            order_id=order.id,
            dedupe_key=f"en_route:{booking.id}",
        )
        uow.audit("booking.travel", "bookings", booking.id)
        uow.commit()


def check_in(
    uow: UnitOfWork, booking_id: int, latitude: Decimal | None = None, longitude: Decimal | None = None
) -> Booking:
    """The technician arrives and starts work (with location): travel ends, on-site time starts."""
    with uow:
        uow.actor.require("workforce.clock")
        booking = _own_booking(uow, booking_id)
        if booking.status != BookingStatus.CONFIRMED:
            raise Conflict(
                "Booking {booking} is {status}; it cannot be started.", booking=booking_id, status=booking.status.value
            )
        _check_location(latitude, longitude)
        now = uow.now()
        _close_open_entries(uow, booking, now)
        booking.status, booking.started_at = BookingStatus.IN_PROGRESS, now
        order = uow.session.get(ServiceOrder, booking.order_id)
        kind = TimeEntryKind.ON_SITE if order is not None and order.location == "field" else TimeEntryKind.WORKSHOP
        uow.session.add(
            TimeEntry(
                tenant_id=booking.tenant_id,
                technician_id=booking.technician_id,
                order_id=booking.order_id,
                booking_id=booking.id,
                kind=kind,
                started_at=now,
                latitude=latitude,
                longitude=longitude,
            )
        )
        uow.audit("booking.check_in", "bookings", booking.id, after={"lat": latitude, "lon": longitude})
        uow.commit()
        return booking


def check_out(
    uow: UnitOfWork,
    booking_id: int,
    latitude: Decimal | None = None,
    longitude: Decimal | None = None,
    note: str | None = None,
) -> Booking:
    """The technician finishes the visit: on-site time closes, the booking is done."""
    with uow:
        uow.actor.require("workforce.clock")
        booking = _own_booking(uow, booking_id)
        _check_location(latitude, longitude)
        _finish(uow, booking, note, {"lat": latitude, "lon": longitude})
        uow.commit()
        return booking


def _finish(uow: UnitOfWork, booking: Booking, note: str | None, where: dict[str, Any]) -> None:
    if booking.status != BookingStatus.IN_PROGRESS:
        raise Conflict(
            "Booking {booking} is {status}; check in first.", booking=booking.id, status=booking.status.value
        )
    now = uow.now()
    _close_open_entries(uow, booking, now, note)
    booking.status, booking.finished_at = BookingStatus.DONE, now
    uow.audit("booking.check_out", "bookings", booking.id, after=where)


def complete_visit(uow: UnitOfWork, booking_id: int, signed_by_name: str, outcome: str | None = None) -> Booking:
    """The end of a visit in one transaction: the customer's completion sign-off, check-out, and, when the
    order was in repair, on to the quality check. Nothing of it is written if any part is refused."""
    with uow:
        uow.actor.require("workforce.clock")
        uow.actor.require("orders.note")
        booking = _own_booking(uow, booking_id)
        order = load_order(uow, booking.order_id, lock=True)
        record_signoff(uow, order, "completion", signed_by_name, outcome)
        _finish(uow, booking, outcome, {"signed_by": signed_by_name})
        if order.stage == "repair":
            move(uow, order, "quality_check")
        uow.commit()
        return booking


def _close_open_entries(uow: UnitOfWork, booking: Booking, now: datetime, note: str | None = None) -> None:
    for entry in uow.session.execute(
        select(TimeEntry).where(TimeEntry.booking_id == booking.id, TimeEntry.ended_at.is_(None))
    ).scalars():
        entry.ended_at = now
        if note:
            entry.note = note[:5000]


def _check_location(lat: Decimal | None, lon: Decimal | None) -> None:
    if (lat is None) != (lon is None):
        raise ValidationError("Give both latitude and longitude, or neither.")
    if lat is not None and lon is not None and not (-90 <= lat <= 90 and -180 <= lon <= 180):
        raise ValidationError("That location is not on Earth.")


def clock(
    uow: UnitOfWork, clock_in: bool, latitude: Decimal | None = None, longitude: Decimal | None = None
) -> TimeEntry:
    """The technician clocks in to (or out of) their shift."""
    with uow:
        uow.actor.require("workforce.clock")
        tech_id = uow.actor.technician_id
        if tech_id is None:
            raise PermissionDenied("Only technicians clock in and out.")
        _check_location(latitude, longitude)
        now = uow.now()
        open_entry = uow.session.execute(
            select(TimeEntry)
            .where(
                TimeEntry.technician_id == tech_id, TimeEntry.kind == TimeEntryKind.SHIFT, TimeEntry.ended_at.is_(None)
            )
            .with_for_update()
        ).scalar_one_or_none()
        if clock_in:
            if open_entry is not None:
                raise Conflict("You are already clocked in.")
            entry = TimeEntry(
                tenant_id=uow.actor.tenant_id,
                technician_id=tech_id,
                kind=TimeEntryKind.SHIFT,
                started_at=now,
                latitude=latitude,
                longitude=longitude,
            )
            uow.session.add(entry)
        else:
            if open_entry is None:
                raise Conflict("You are not clocked in.")
            entry, entry.ended_at = open_entry, now
        uow.flush()
        uow.audit("clock.in" if clock_in else "clock.out", "time_entries", entry.id)
        uow.commit()
        return entry


def commission(uow: UnitOfWork, technician_id: int, period_start: date, period_end: date) -> dict[str, Any]:
    """What a technician earned over a period from completed work: base per job + labour share + bonus."""
    with uow:
        actor = uow.actor
        if actor.technician_id != technician_id:
            actor.require("workforce.commissions")
        if period_end < period_start:
            raise ValidationError("The period must end after it starts.")
        _technician(uow, technician_id)
        rule = (
            uow.session.execute(
                select(CommissionRule)
                .where(
                    (CommissionRule.technician_id == technician_id) | CommissionRule.technician_id.is_(None),
                    CommissionRule.valid_from <= period_end,
                    (CommissionRule.valid_to.is_(None)) | (CommissionRule.valid_to >= period_start),
                )
                .order_by(CommissionRule.technician_id.is_(None), CommissionRule.valid_from.desc())
            )
            .scalars()
            .first()
        )
        row = uow.session.execute(
            text(
                "SELECT count(*) AS jobs, COALESCE(sum(l.labour), 0) AS labour FROM service_orders o"
                " LEFT JOIN LATERAL (SELECT sum(round(quantity * unit_price, 2)) AS labour FROM order_lines"
                "   WHERE order_id = o.id AND kind IN ('labour', 'service')) l ON true"
                " WHERE o.assigned_technician_id = :t AND o.completed_at >= :a AND o.completed_at < :b"
            ),
            {"t": technician_id, "a": period_start, "b": period_end + timedelta(days=1)},
        ).one()
        jobs, labour = int(row.jobs), Decimal(row.labour)
        if rule is None:
            return {
                "technician_id": technician_id,
                "jobs": jobs,
                "labour_revenue": labour,
                "base": Decimal(0),
                "share": Decimal(0),
                "bonus": Decimal(0),
                "total": Decimal(0),
            }
        base = rule.base_per_job * jobs
        share = (labour * rule.labour_pct / 100).quantize(Decimal("0.01"), ROUND_HALF_UP)
        bonus = (
            rule.bonus_amount
            if rule.bonus_jobs_threshold is not None and jobs >= rule.bonus_jobs_threshold
            else Decimal(0)
        )
        return {
            "technician_id": technician_id,
            "jobs": jobs,
            "labour_revenue": labour,
            "base": base,
            "share": share,
            "bonus": bonus,
            "total": base + share + bonus,
        }


def list_technicians(uow: UnitOfWork) -> list[TechnicianRow]:
    """Technicians with their skills."""
    with uow:
        uow.actor.require("workforce.read")
        rows = (
            uow.session.execute(
                text(
                    "SELECT t.id, t.name, t.is_active, t.works_in_field, t.hourly_cost,"
                    " COALESCE(json_object_agg(s.code, ts.level) FILTER (WHERE s.id IS NOT NULL), '{}') AS skills"
                    " FROM technicians t LEFT JOIN technician_skills ts ON ts.technician_id = t.id"
                    " LEFT JOIN skills s ON s.id = ts.skill_id GROUP BY t.id ORDER BY t.id"
                )
            )
            .mappings()
            .all()
        )
        return [TechnicianRow(**r) for r in rows]  # type: ignore[typeddict-item]


def list_bookings(
    uow: UnitOfWork, *, technician_id: int | None = None, day: date | None = None, limit: int = 200, offset: int = 0
) -> tuple[list[BookingRow], int]:
    """A page of bookings, optionally for one technician and/or one day, and how many match in all."""
    with uow:
        uow.actor.require("workforce.read")
        query = select(Booking)
        if uow.actor.is_technician_only:
            technician_id = uow.actor.own_technician
        if technician_id is not None:
            query = query.where(Booking.technician_id == technician_id)
        bounds.day(day, N_("day"))
        if day is not None:
            query = query.where(
                text("planned && tstzrange(:a, :b)").bindparams(
                    a=datetime.combine(day, datetime.min.time()).astimezone(),
                    b=datetime.combine(day + timedelta(days=1), datetime.min.time()).astimezone(),
                )
            )
        total = uow.session.execute(select(func.count()).select_from(query.subquery())).scalar_one()
        rows = uow.session.execute(query.order_by(Booking.id).limit(min(limit, 500)).offset(max(offset, 0))).scalars()
        return [
            BookingRow(
                id=b.id,
                order_id=b.order_id,
                technician_id=b.technician_id,
                start=b.planned.lower,
                end=b.planned.upper,
                status=b.status.value,
                source=b.source,
            )
            for b in rows
        ], total
