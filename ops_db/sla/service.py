"""SLA clocks: start on intake, pause while waiting for the customer, stop when met, mark at-risk and breached."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select, text

from ops_db import i18n
from ops_db.comms.service import notify_user
from ops_db.i18n import N_
from ops_db.kit.errors import ValidationError
from ops_db.kit.uow import UnitOfWork
from ops_db.orders.models import ServiceOrder
from ops_db.sla.calendar import Calendar
from ops_db.sla.models import BusinessCalendar, ClockKind, ClockState, SlaClock, SlaPolicy

OPEN_CLOCK_STATES = (ClockState.RUNNING, ClockState.AT_RISK, ClockState.PAUSED)


def _calendar(uow: UnitOfWork, policy: SlaPolicy) -> Calendar:
    row = uow.session.get(BusinessCalendar, policy.calendar_id)
    if row is None:
        return Calendar.always()
    return Calendar.from_row(row.time_zone, row.weekly_hours, row.holidays or ())


def choose_policy(uow: UnitOfWork, priority: str, tier_id: int | None) -> SlaPolicy | None:
    """The active policy for a priority, preferring one made for the customer's tier."""
    rows = (
        uow.session.execute(
            select(SlaPolicy)
            .where(SlaPolicy.priority == priority, SlaPolicy.is_active)
            .order_by(SlaPolicy.customer_tier_id.is_(None), SlaPolicy.id)
        )
        .scalars()
        .all()
    )
    for policy in rows:
        if policy.customer_tier_id in (None, tier_id):
            return policy
    return None


def start_clocks(uow: UnitOfWork, order: ServiceOrder, at: datetime) -> None:
    """Start the response and resolution clocks of an order under its policy (no policy, no clocks)."""
    if order.sla_policy_id is None:
        return
    policy = uow.session.get(SlaPolicy, order.sla_policy_id)
    if policy is None:
        return
    cal = _calendar(uow, policy)
    for kind, minutes in (
        (ClockKind.RESPONSE, policy.response_minutes),
        (ClockKind.RESOLUTION, policy.resolution_minutes),
    ):
        uow.session.add(
            SlaClock(
                tenant_id=order.tenant_id,
                order_id=order.id,
                policy_id=policy.id,
                kind=kind,
                state=ClockState.RUNNING,
                started_at=at,
                due_at=cal.add_seconds(at, minutes * 60),
            )
        )


def _clocks(uow: UnitOfWork, order_id: int, kinds: tuple[ClockKind, ...]) -> list[SlaClock]:
    return list(
        uow.session.execute(
            select(SlaClock)
            .where(SlaClock.order_id == order_id, SlaClock.kind.in_(kinds), SlaClock.state.in_(OPEN_CLOCK_STATES))
            .with_for_update()
        ).scalars()
    )


def pause_clocks(uow: UnitOfWork, order_id: int, at: datetime) -> None:
    """Stop the clocks ticking while the ball is in the customer's court."""
    for clock in _clocks(uow, order_id, (ClockKind.RESPONSE, ClockKind.RESOLUTION)):
        if clock.state != ClockState.PAUSED:
            clock.state, clock.paused_at = ClockState.PAUSED, _not_before_start(clock, at)


def resume_clocks(uow: UnitOfWork, order_id: int, at: datetime) -> None:
    """Restart paused clocks, moving their due time by the working time spent paused."""
    for clock in _clocks(uow, order_id, (ClockKind.RESPONSE, ClockKind.RESOLUTION)):
        if clock.state == ClockState.PAUSED and clock.paused_at is not None:
            policy = uow.session.get(SlaPolicy, clock.policy_id)
            assert policy is not None
            cal = _calendar(uow, policy)
            paused = cal.seconds_between(clock.paused_at, at)
            clock.paused_seconds += paused
            clock.due_at = cal.add_seconds(clock.due_at, paused) if paused else clock.due_at
            clock.state, clock.paused_at = ClockState.RUNNING, None


def _not_before_start(clock: SlaClock, at: datetime) -> datetime:
    """When a clock stops: ``at``, or its start if that is later. A clock started on an order received later than
    now (an imported or seeded order whose intake time is later today) stops at once, met, rather than break the
    rule that a clock never stops before it starts."""
    return max(at, clock.started_at)


def stop_clock(uow: UnitOfWork, order_id: int, kind: ClockKind, at: datetime) -> None:
    """The promise was kept (met) or not (breached); either way the clock stops."""
    for clock in _clocks(uow, order_id, (kind,)):
        stopped = _not_before_start(clock, at)
        if clock.state == ClockState.PAUSED:
            resume_clocks(uow, order_id, stopped)
        clock.state = ClockState.MET if stopped <= clock.due_at else ClockState.BREACHED
        clock.stopped_at = stopped


def retarget_clocks(uow: UnitOfWork, order_id: int, policy: SlaPolicy) -> None:
    """The order's priority changed: its open clocks now answer to ``policy``, due from when they started
    (plus the working time they spent paused). An at-risk clock runs again until the next evaluation says."""
    cal = _calendar(uow, policy)
    for clock in _clocks(uow, order_id, (ClockKind.RESPONSE, ClockKind.RESOLUTION)):
        minutes = policy.response_minutes if clock.kind == ClockKind.RESPONSE else policy.resolution_minutes
        clock.policy_id = policy.id
        clock.due_at = cal.add_seconds(clock.started_at, minutes * 60 + clock.paused_seconds)
        if clock.state == ClockState.AT_RISK:
            clock.state = ClockState.RUNNING


def cancel_clocks(uow: UnitOfWork, order_id: int, at: datetime) -> None:
    """A cancelled order keeps no promise: open clocks stop where they are."""
    for clock in _clocks(uow, order_id, (ClockKind.RESPONSE, ClockKind.RESOLUTION)):
        if clock.state == ClockState.PAUSED:
            clock.state, clock.paused_at = ClockState.RUNNING, None
        clock.stopped_at = _not_before_start(clock, at)
        clock.state = ClockState.MET if clock.stopped_at <= clock.due_at else ClockState.BREACHED


def evaluate_clocks(uow: UnitOfWork, now: datetime | None = None) -> dict[str, int]:
    """Mark running clocks at risk or breached and notify the order's owner once per change."""
    with uow:
        uow.actor.require("sla.manage")
        now = now or uow.now()
        counts = {"at_risk": 0, "breached": 0}
        rows = uow.session.execute(
            select(SlaClock, SlaPolicy)
            .join(SlaPolicy, SlaPolicy.id == SlaClock.policy_id)
            .where(SlaClock.state.in_((ClockState.RUNNING, ClockState.AT_RISK)))
            .with_for_update(of=SlaClock)
        ).all()
        for clock, policy in rows:
            new_state = _state_at(uow, clock, policy, now)
            if new_state == clock.state:
                continue
            clock.state = new_state
            counts[new_state.value] += 1
            order = uow.session.get(ServiceOrder, clock.order_id)
            if order is None:
                continue
            event = "sla_breached" if new_state == ClockState.BREACHED else "sla_at_risk"
            fields: dict[str, Any] = {"order_number": order.order_number, "kind": i18n.Word(clock.kind.value)}
            for user_id in _escalation_users(uow, order):
                notify_user(uow, event, user_id, fields, order_id=order.id, dedupe_key=f"{event}:{clock.id}:{user_id}")
            uow.audit(f"sla.{new_state.value}", "sla_clocks", clock.id, after={"order_id": order.id})
        uow.commit()
        return counts


def _state_at(uow: UnitOfWork, clock: SlaClock, policy: SlaPolicy, now: datetime) -> ClockState:
    if now > clock.due_at:
        return ClockState.BREACHED
    cal = _calendar(uow, policy)
    total = cal.seconds_between(clock.started_at, clock.due_at) - clock.paused_seconds
    elapsed = cal.seconds_between(clock.started_at, now) - clock.paused_seconds
    if total > 0 and elapsed * 100 >= total * policy.at_risk_pct:
        return ClockState.AT_RISK
    return clock.state if clock.state == ClockState.AT_RISK else ClockState.RUNNING


def _escalation_users(uow: UnitOfWork, order: ServiceOrder) -> list[int]:
    """Who hears about an SLA problem: the order's creator and the tenant's managers and admins."""
    managers: list[int] = list(
        uow.session.execute(
            text(
                "SELECT DISTINCT g.user_id FROM role_grants g JOIN roles r ON r.id = g.role_id"
                " JOIN users u ON u.id = g.user_id WHERE r.code IN ('manager', 'admin') AND u.is_active ORDER BY 1"
            )
        )
        .scalars()
        .all()
    )
    users = [order.created_by] if order.created_by else []
    return list(dict.fromkeys([*users, *managers]))


MAX_TARGET_MINUTES = 90 * 24 * 60  # a quarter of a year of business minutes is already no promise


def _whole_minutes(value: Any, what: str) -> int:
    if isinstance(value, int) and not isinstance(value, bool) and 1 <= value <= MAX_TARGET_MINUTES:
        return value
    raise ValidationError(
        "The {what} target must be a whole number of minutes from 1 to {limit}.",
        what=what,
        limit=format(MAX_TARGET_MINUTES, ","),
    )


def update_policy(
    uow: UnitOfWork,
    policy_id: int,
    *,
    response_minutes: int,
    resolution_minutes: int,
    at_risk_pct: int,
    is_active: bool = True,
) -> SlaPolicy:
    """Change an SLA policy's targets (business minutes), its at-risk threshold, or switch it off.

    New orders get the new targets; clocks already running keep the promise made when their order came in.
    Audited."""
    with uow:
        uow.actor.require("sla.manage")
        response = _whole_minutes(response_minutes, N_("response"))
        resolution = _whole_minutes(resolution_minutes, N_("resolution"))
        if resolution < response:
            raise ValidationError("The resolution target cannot be shorter than the response target.")
        if isinstance(at_risk_pct, bool) or not isinstance(at_risk_pct, int) or not 1 <= at_risk_pct <= 99:
            raise ValidationError("A clock turns at risk at between 1 and 99 percent of its target.")
        policy = uow.get(SlaPolicy, policy_id, lock=True)
        before = {
            "response_minutes": policy.response_minutes,
            "resolution_minutes": policy.resolution_minutes,
            "at_risk_pct": policy.at_risk_pct,
            "is_active": policy.is_active,
        }
        policy.response_minutes, policy.resolution_minutes = response, resolution
        policy.at_risk_pct, policy.is_active = at_risk_pct, bool(is_active)
        uow.audit(
            "sla_policy.updated",
            "sla_policies",
            policy.id,
            before=before,
            after={
                "response_minutes": response,
                "resolution_minutes": resolution,
                "at_risk_pct": at_risk_pct,
                "is_active": policy.is_active,
            },
        )
        uow.commit()
        return policy
