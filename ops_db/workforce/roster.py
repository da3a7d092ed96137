"""Who can work when: technicians and their skills, shifts and time off."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select, text
from sqlalchemy.dialects.postgresql import Range

from ops_db.i18n import N_
from ops_db.identity.models import User
from ops_db.kit import bounds
from ops_db.kit.errors import Conflict, ValidationError
from ops_db.kit.uow import UnitOfWork
from ops_db.workforce.models import Shift, ShiftBreak, Skill, Technician, TechnicianSkill, TimeOff
from ops_db.workforce.schemas import TechnicianIn, TechnicianRow

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
            reason=bounds.text(reason or "leave", N_("reason"), 32) or "leave",
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
