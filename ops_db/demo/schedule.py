"""The technicians' calendar: shifts with their breaks, bookings that never overlap, and the time entries of
finished work."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from psycopg.types.range import Range

from ops_db.demo.company import Company
from ops_db.demo.rows import TZ, local_time


class Schedule(Company):
    """Writes shifts, breaks, bookings and time entries."""

    def _shift(self, tech: int, day: date) -> None:
        """The technician's 08:00-17:00 shift with a 30-minute break on ``day`` (once)."""
        if (tech, day) in self._shift_days:
            return
        self._shift_days.add((tech, day))
        sid = self.new_id("shifts")
        self.add(
            "shifts",
            ("id", "technician_id", "shift_date", "starts_at", "ends_at"),
            sid,
            tech,
            day,
            local_time(day, 8 * 60),
            local_time(day, 17 * 60),
        )
        self.add(
            "shift_breaks",
            ("id", "shift_id", "earliest_start", "latest_end", "duration_minutes"),
            sid,
            sid,
            local_time(day, 12 * 60),
            local_time(day, 14 * 60),
            30,
        )

    def _booking(
        self,
        oid: int,
        tech: int,
        repair_at: datetime,
        minutes: int,
        stage: str,
        cursor: dict[int, int],
        field_job: bool,
    ) -> None:
        """Book the technician on the repair day, sequentially, so bookings never overlap."""
        day = repair_at.astimezone(TZ).date()
        travel = 20 if field_job else 0
        start_min = cursor.get(tech, 8 * 60) + travel
        while True:  # a job that no longer fits the day's shift (08:00-17:00) moves to the next shift day
            cur = self._cursors.setdefault(day, {})
            start_min = max(start_min, cur.get(tech, 8 * 60) + travel)
            if start_min + minutes <= 17 * 60 and (day.weekday() < 5 or day >= self.as_of):
                break
            day, start_min = day + timedelta(days=1), 8 * 60 + travel
        cur[tech] = start_min + minutes
        # A busy technician's backlog can run past the days the calendar was laid out for: give them that shift.
        self._shift(tech, day)
        start, end = local_time(day, start_min), local_time(day, start_min + minutes)
        # Work is done only if it happened by the as-of day; a job pushed later is still just planned.
        finished = stage in ("quality_check", "ready", "closed") and day <= self.as_of
        status = "done" if finished else "confirmed"
        self.add(
            "bookings",
            (
                "id",
                "technician_id",
                "order_id",
                "planned",
                "status",
                "source",
                "travel_minutes",
                "created_at",
                "updated_at",
            ),
            self.new_id("bookings"),
            tech,
            oid,
            Range(start, end, "[)"),
            status,
            "manual",
            travel,
            repair_at,
            repair_at,
        )
        if status == "done":
            self.add(
                "time_entries",
                ("id", "technician_id", "order_id", "kind", "started_at", "ended_at", "created_at", "updated_at"),
                self.new_id("time_entries"),
                tech,
                oid,
                "on_site" if field_job else "workshop",
                start,
                end,
                end,
                end,
            )
