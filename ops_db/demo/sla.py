"""SLA clocks replayed through an order's history, the way the order service would have left them."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

from ops_db.demo.rows import local_time
from ops_db.orders.stages import CUSTOMER_WAIT_STAGES
from ops_db.sla.calendar import Calendar


@dataclass
class Clock:
    """An SLA clock being replayed through an order's history."""

    due_at: datetime
    state: str = "running"
    paused_at: datetime | None = None
    paused_seconds: int = 0
    stopped_at: datetime | None = None

    def resume(self, cal: Calendar, at: datetime) -> None:
        """Run again after a pause; the due time moves by the business time paused."""
        if self.state == "paused" and self.paused_at is not None:
            paused = cal.seconds_between(self.paused_at, at)
            self.paused_seconds += paused
            self.due_at = cal.add_seconds(self.due_at, paused) if paused else self.due_at
            self.state, self.paused_at = "running", None

    def stop(self, cal: Calendar, at: datetime) -> None:
        """Stop the clock at ``at``: met when in time, breached when late."""
        self.resume(cal, at)
        self.state, self.stopped_at = ("met" if at <= self.due_at else "breached"), at


def replay_clock(
    cal: Calendar,
    as_of: date,
    kind: str,
    started: datetime,
    minutes: int,
    events: Sequence[tuple[str, str | None, str | None, datetime]],
) -> Clock:
    """The clock as the order and SLA services (``ops_db.sla.service``) would have left it after these stage changes.

    Business time of the calendar; paused while the customer is asked (awaiting approval, on hold);
    the response clock stops when the order leaves 'received', the resolution clock at 'ready';
    cancelling stops both. Open clocks are then judged at the demo's noon, as the SLA sensor would.
    """
    clock = Clock(due_at=cal.add_seconds(started, minutes * 60))
    for etype, frm, to, at in events:
        if etype != "stage_changed" or clock.stopped_at is not None:
            continue
        if to == "cancelled" or (kind == "response" and frm == "received"):
            clock.stop(cal, at)
            continue
        if to in CUSTOMER_WAIT_STAGES and frm not in CUSTOMER_WAIT_STAGES:
            clock.state, clock.paused_at = "paused", at
        elif frm in CUSTOMER_WAIT_STAGES and to not in CUSTOMER_WAIT_STAGES:
            clock.resume(cal, at)
        if kind == "resolution" and to == "ready":
            clock.stop(cal, at)
    if clock.stopped_at is None and clock.state != "paused":
        now = local_time(as_of, 12 * 60)
        total = cal.seconds_between(started, clock.due_at) - clock.paused_seconds
        elapsed = cal.seconds_between(started, now) - clock.paused_seconds
        clock.state = (
            "breached" if now > clock.due_at else "at_risk" if total > 0 and elapsed * 100 >= total * 80 else "running"
        )
    return clock
