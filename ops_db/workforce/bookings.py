"""Bookings: a technician reserved for an order under the no-overlap guarantee, inside time off and shifts;
cancelling them (one, or every planned visit of a cancelled order)."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from sqlalchemy import func, select, text
from sqlalchemy.dialects.postgresql import Range

from ops_db.i18n import N_
from ops_db.kit import bounds
from ops_db.kit.errors import Conflict
from ops_db.kit.uow import UnitOfWork
from ops_db.orders.events import OrderCancelled
from ops_db.orders.models import OPEN_STAGES, ServiceOrder
from ops_db.orders.service import assign, load_order
from ops_db.workforce.models import ACTIVE_BOOKING_STATUSES, Booking, BookingStatus, PlanItem, Shift, Technician
from ops_db.workforce.roster import _check_span, _technician
from ops_db.workforce.schemas import BookingRow


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
