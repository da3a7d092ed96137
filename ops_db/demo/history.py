"""The company's history, day by day: shifts and expenses of each day, and every order received with its whole
(possibly still open) life — stage events along the orders' own stage machine, SLA clocks, lines, booking,
invoice, repair warranty and rating."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal

from ops_db.demo.finance import Finance
from ops_db.demo.rows import CENT, local_time, money
from ops_db.demo.schedule import Schedule
from ops_db.demo.sla import replay_clock
from ops_db.demo.stock import Stock
from ops_db.demo.vocabulary import FAULTS, PRIORITIES
from ops_db.orders.models import Stage
from ops_db.orders.stages import TRANSITIONS

# The happy path in the order the model declares it. Every step and side exit (hold, cancel) the demo writes is one
# the orders' own stage machine (ops_db.orders.stages.TRANSITIONS) allows: see _may_move.
STAGE_PATH = [s.value for s in Stage if s not in (Stage.ON_HOLD, Stage.CANCELLED)]
# How far along STAGE_PATH (received, diagnostics, awaiting approval, awaiting parts, repair, quality check, ready,
# closed) an order of the last ten days has got by its age in days, as weights. Like a real shop: today's intake
# mostly waits for a technician, by the second day most orders are diagnosed and booked, and an order older than
# three days (an urgent one older than one) is being repaired or done. So what waits for the dispatcher is about a
# day's work for the technicians there are, mostly within its SLA, not a fortnight's pile (issue 19).
RECENT_PROGRESS = {
    0: (40, 30, 12, 3, 15, 0, 0, 0),
    1: (0, 8, 12, 10, 40, 5, 15, 10),
    2: (0, 0, 4, 6, 25, 3, 27, 35),
    3: (0, 0, 4, 6, 25, 3, 27, 35),
}
SETTLED_PROGRESS = (0, 0, 0, 0, 8, 0, 20, 72)
URGENT = ("emergency", "high")  # rushed: they move along as an order two days older would


def _may_move(frm: str, to: str) -> bool:
    """Whether the orders' stage machine lets an order go from stage ``frm`` to ``to``."""
    return Stage(to) in TRANSITIONS[Stage(frm)]


class History(Stock, Schedule, Finance):
    """Writes the days: orders and everything that happens to them."""

    def day(self, day: date, tech_cursor: dict[int, int]) -> None:
        """All orders received on ``day`` with their whole (possibly still open) life."""
        rng = self.rng
        age = (self.as_of - day).days
        for t, _ in self.techs:
            tech_cursor[t] = 8 * 60
            if day.weekday() < 5 or day >= self.as_of:
                self._shift(t, day)
        if day > self.as_of:
            return
        self.expenses(day)
        n = max(1, int(rng.gauss(self.spec.orders_per_day, self.spec.orders_per_day * 0.15)))
        if day.weekday() >= 5:
            n //= 3
        for _ in range(n):
            self.order(day, age, tech_cursor)

    def _final_stage_index(self, age: int, priority: str) -> tuple[int, str | None]:
        """How far along the happy path an order of this age got, and whether it was cancelled/held (only from a
        stage that may be: an order never sits for weeks in a stage it could not leave)."""
        rng = self.rng
        if age > 10:
            r = rng.random()
            if r < 0.05:
                return rng.randint(1, 3), "cancelled"
            if r < 0.07:
                return rng.randint(2, 4), "on_hold"  # quality check and later cannot be put on hold
            if r < 0.10:
                return 6, None  # ready, not collected yet
            return 7, None
        weights = RECENT_PROGRESS.get(age + 2 if priority in URGENT else age, SETTLED_PROGRESS)
        index = rng.choices(range(len(STAGE_PATH)), weights=weights)[0]
        return index, ("on_hold" if index <= 4 and rng.random() < 0.05 else None)

    def order(self, day: date, age: int, tech_cursor: dict[int, int]) -> None:
        """One order received on ``day``, ``age`` days before the as-of day, with everything that happened to it."""
        rng = self.rng
        oid = self.new_id("service_orders")
        cust, site = rng.choice(self.customers)
        device, category = rng.choice(self.devices[cust]) if self.devices[cust] else (None, "phone")
        skill = self.skill_id[category]
        prio = rng.choices([p for p, _ in PRIORITIES], weights=[w for _, w in PRIORITIES])[0]
        field_job = category in ("appliance", "hvac", "tv") or rng.random() < 0.1
        self.order_seq += 1
        number = f"RO-{day.year}-{self.order_seq:06d}"
        code = f"{rng.getrandbits(80):020x}"
        received = local_time(day, rng.randint(8 * 60, 18 * 60))
        last_index, side = self._final_stage_index(age, prio)
        fault = rng.choice(FAULTS)
        # pick a technician with the skill, else anyone
        skilled = [t for t, s in self.techs if skill in s] or [t for t, _ in self.techs]
        tech = rng.choice(skilled)
        minutes = rng.choice([30, 45, 60, 90, 120])
        # events walk the path; each step 1-20 hours later
        events: list[tuple[str, str | None, str | None, datetime]] = [("created", None, "received", received)]
        at = received
        approval_needed = rng.random() < 0.4
        parts_needed = rng.random() < 0.5
        path = [
            s
            for s in STAGE_PATH[: last_index + 1]
            if (s != "awaiting_approval" or approval_needed) and (s != "awaiting_parts" or parts_needed)
        ]
        stage_times: dict[str, datetime] = {"received": received}
        prev = "received"
        for stage in path[1:]:
            assert _may_move(prev, stage), (prev, stage)
            at = at + timedelta(minutes=rng.randint(30, 20 * 60))
            if stage == "diagnostics":
                events.append(("assigned", None, None, at))
            if stage == "awaiting_approval":
                events.append(("estimate_sent", None, None, at))
            events.append(("stage_changed", prev, stage, at))
            if stage == "awaiting_approval":
                at = at + timedelta(minutes=rng.randint(30, 600))
                events.append(("estimate_approved", None, None, at))
            stage_times[stage] = at
            prev = stage
        stage = prev
        closed_at = cancelled_at = None
        before_hold = None
        if side == "cancelled" and _may_move(stage, Stage.CANCELLED):
            at = at + timedelta(hours=2)
            events.append(("stage_changed", stage, "cancelled", at))
            cancelled_at, stage = at, "cancelled"
        elif side == "on_hold" and _may_move(stage, Stage.ON_HOLD):
            at = at + timedelta(hours=1)
            events.append(("stage_changed", stage, "on_hold", at))
            before_hold, stage = stage, "on_hold"
        if stage == "closed":
            closed_at = stage_times["closed"]
        now_utc = local_time(self.as_of, 17 * 60)
        if at > now_utc:  # an order of today cannot have a future history: clamp
            shift = at - now_utc
            events = [(e, f, t, ts - shift) for e, f, t, ts in events]
            received -= shift
            stage_times = {k: v - shift for k, v in stage_times.items()}
            closed_at = closed_at - shift if closed_at else None
            cancelled_at = cancelled_at - shift if cancelled_at else None
        policy_id, resolution_minutes = self.policy[prio]
        est_amount = None
        est_status = "none"
        if approval_needed and "awaiting_approval" in stage_times:
            est_status = "approved" if any(e[0] == "estimate_approved" for e in events) else "pending"
        reached_repair = "repair" in stage_times
        # parts of an open repair are reserved at the warehouse, waiting to be picked up; later ones were used
        parts_open = stage in ("awaiting_parts", "repair", "on_hold")
        lines = self._lines(oid, skill, tech, parts_needed and (reached_repair or parts_open), category, received)
        subtotal = sum((q * p).quantize(CENT) for _k, q, p, *_ in lines) if lines else Decimal(0)
        if approval_needed:
            est_amount = money(subtotal * Decimal("1.1")) if subtotal > 0 else money(50)
        self.add(
            "service_orders",
            (
                "id",
                "order_number",
                "tracking_code",
                "customer_id",
                "equipment_id",
                "site_id",
                "stage",
                "stage_before_hold",
                "priority",
                "location",
                "sla_policy_id",
                "required_skill_id",
                "assigned_technician_id",
                "problem_description",
                "fault_type",
                "estimated_minutes",
                "estimate_amount",
                "estimate_status",
                "received_at",
                "due_at",
                "completed_at",
                "closed_at",
                "cancelled_at",
                "created_at",
                "updated_at",
            ),
            oid,
            number,
            code,
            cust,
            device,
            site,
            stage,
            before_hold,
            prio,
            "field" if field_job else "workshop",
            policy_id,
            skill,
            tech if len(path) > 1 else None,
            f"{fault.replace('_', ' ').capitalize()} reported",
            fault,
            minutes,
            est_amount,
            est_status,
            received,
            self.calendar.add_seconds(received, resolution_minutes * 60),
            stage_times.get("ready"),
            closed_at,
            cancelled_at,
            received,
            events[-1][3],
        )
        for etype, frm, to, ts in events:
            self.event(oid, etype, ts, frm, to)
        self.stats.orders += 1
        for kind, target in (("response", self.response_minutes[prio]), ("resolution", resolution_minutes)):
            clock = replay_clock(self.calendar, self.as_of, kind, received, target, events)
            self.add(
                "sla_clocks",
                (
                    "id",
                    "order_id",
                    "policy_id",
                    "kind",
                    "state",
                    "started_at",
                    "due_at",
                    "paused_at",
                    "paused_seconds",
                    "stopped_at",
                    "created_at",
                    "updated_at",
                ),
                self.new_id("sla_clocks"),
                oid,
                policy_id,
                kind,
                clock.state,
                received,
                clock.due_at,
                clock.paused_at,
                clock.paused_seconds,
                clock.stopped_at,
                received,
                events[-1][3],
            )
        line_ids = self._write_lines(oid, lines, stage_times.get("repair", received), consume=not parts_open)
        if reached_repair and stage != "cancelled":
            self._booking(oid, tech, stage_times["repair"], minutes, stage, tech_cursor, field_job)
        if "ready" in stage_times and stage != "cancelled":
            self._invoice(oid, cust, lines, line_ids, stage_times["ready"], closed_at)
        if closed_at is not None and device is not None:
            wid = self.new_id("warranties")
            self.add(
                "warranties",
                ("id", "equipment_id", "order_id", "kind", "coverage", "provider", "starts_on", "ends_on"),
                wid,
                device,
                oid,
                "repair",
                "parts",
                "Riverside Repair Co.",
                closed_at.date(),
                closed_at.date() + timedelta(days=90),
            )
            if self.rng.random() < 0.1:
                self.add(
                    "order_ratings",
                    ("id", "order_id", "score", "created_at"),
                    self.new_id("order_ratings"),
                    oid,
                    self.rng.choices([1, 2, 3, 4, 5], weights=[2, 3, 10, 35, 50])[0],
                    closed_at + timedelta(hours=3),
                )
