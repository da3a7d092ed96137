"""The technician's day: answering an assignment, travel, check-in and check-out with location, completing a
visit with the customer's sign-off, and clocking in and out of a shift."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import select

from ops_db.comms.service import notify_customer
from ops_db.i18n import N_
from ops_db.kit import bounds
from ops_db.kit.errors import Conflict, PermissionDenied, ValidationError
from ops_db.kit.uow import UnitOfWork
from ops_db.orders.models import ServiceOrder
from ops_db.orders.schemas import FileIn
from ops_db.orders.service import assign, load_order, move, record_signoff
from ops_db.workforce.checklists import checklist_for, require_ticked
from ops_db.workforce.models import Booking, BookingStatus, Skill, Technician, TimeEntry, TimeEntryKind


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
        booking = _check_in(uow, booking_id, latitude, longitude)
        uow.commit()
        return booking


def _check_in(uow: UnitOfWork, booking_id: int, latitude: Decimal | None, longitude: Decimal | None) -> Booking:
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


def complete_visit(
    uow: UnitOfWork,
    booking_id: int,
    signed_by_name: str,
    outcome: str | None = None,
    *,
    checklist: Sequence[str] | None = None,
    signature: FileIn | None = None,
) -> Booking:
    """The end of a visit in one transaction: the customer's completion sign-off (with the signature drawn on
    screen, kept as an image), check-out, and, when the order was in repair, on to the quality check. With
    ``checklist`` (the codes ticked), every item of the job's checklist must be ticked. Nothing of it is written
    if any part is refused."""
    with uow:
        uow.actor.require("workforce.clock")
        uow.actor.require("orders.note")
        booking = _complete(uow, booking_id, signed_by_name, outcome, checklist, signature)
        uow.commit()
        return booking


def _complete(
    uow: UnitOfWork,
    booking_id: int,
    signed_by_name: str,
    outcome: str | None,
    checklist: Sequence[str] | None,
    signature: FileIn | None,
) -> Booking:
    booking = _own_booking(uow, booking_id)
    order = load_order(uow, booking.order_id, lock=True)
    done: dict[str, Any] = {"signed_by": signed_by_name}
    if checklist is not None:
        skill = uow.session.get(Skill, order.required_skill_id) if order.required_skill_id else None
        done["checklist"] = require_ticked(checklist_for(skill.code if skill else None, order.location), checklist)
    signoff = record_signoff(uow, order, "completion", signed_by_name, outcome, signature=signature)
    done["signature_attachment_id"] = signoff.signature_attachment_id
    _finish(uow, booking, outcome, done)
    if order.stage == "repair":
        move(uow, order, "quality_check")
    return booking


def _close_open_entries(uow: UnitOfWork, booking: Booking, now: datetime, note: str | None = None) -> None:
    for entry in uow.session.execute(
        select(TimeEntry).where(TimeEntry.booking_id == booking.id, TimeEntry.ended_at.is_(None))
    ).scalars():
        entry.ended_at = now
        if note:
            entry.note = bounds.text(note, N_("note"), 5000, required=False)


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
