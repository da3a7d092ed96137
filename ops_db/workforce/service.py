"""Workforce, the one public door: what the API, the pages, the tests and the other areas use of technicians,
bookings and field work, re-exported from the modules that do the work.

- ``roster``: technicians, skills, shifts and time off;
- ``bookings``: bookings under the no-overlap guarantee, and cancelling them (a cancelled order's too);
- ``visits``: the technician's day (answer, travel, check-in/out, completing a visit, clocking in and out);
- ``commissions``: what a technician earned over a period;
- ``planning`` (route plans and the optimizer's proposals) and ``queries`` (reads) are used directly.
"""

from __future__ import annotations

from ops_db.workforce.bookings import (
    book,
    book_in,
    cancel_bookings_for_order,
    cancel_visits_of_cancelled_order,
    list_bookings,
    unbook,
)
from ops_db.workforce.commissions import commission
from ops_db.workforce.roster import (
    MAX_BOOKING,
    add_shift,
    add_time_off,
    create_technician,
    list_technicians,
    set_skill,
)
from ops_db.workforce.schemas import TechnicianIn
from ops_db.workforce.visits import check_in, check_out, clock, complete_visit, respond, start_travel

__all__ = [
    "MAX_BOOKING",
    "TechnicianIn",
    "add_shift",
    "add_time_off",
    "book",
    "book_in",
    "cancel_bookings_for_order",
    "cancel_visits_of_cancelled_order",
    "check_in",
    "check_out",
    "clock",
    "commission",
    "complete_visit",
    "create_technician",
    "list_bookings",
    "list_technicians",
    "respond",
    "set_skill",
    "start_travel",
    "unbook",
]
