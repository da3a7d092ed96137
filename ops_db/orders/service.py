"""Service orders, the one public door: what the API, the pages, the CLI, the pipelines, the tests and the other
areas use of the orders area, re-exported from the modules that do the work.

- ``intake``: portal requests, requests taken by staff, front-desk intake, opening an order;
- ``stages``: the stage machine (pure); ``lifecycle``: stage changes with their guards, priority, bulk, assignment;
- ``estimates``: price the repair, the customer decides; ``lines``: charges and totals;
- ``notes``: notes, sign-offs, ratings; ``files``: photos and documents;
- ``queries``: reads for staff (public tracking by number and code is ``ops_db.tracking``, above billing);
- ``schemas``: the shapes that go in and come back; ``common``: what the modules share (package-private).
"""

from __future__ import annotations

from ops_db.orders.common import CENT, load_order, number_is, record_event
from ops_db.orders.estimates import decide_estimate, send_estimate
from ops_db.orders.files import ALLOWED_CONTENT_TYPES, MAX_ATTACHMENT_BYTES, add_attachment
from ops_db.orders.intake import (
    MAX_PHOTOS,
    check_required_skill,
    convert_request,
    link_request,
    open_order,
    record_request,
    register_intake,
    submit_request,
)
from ops_db.orders.lifecycle import (
    MAX_BULK,
    assign,
    bulk_set_priority,
    bulk_transition,
    move,
    needs_approval,
    set_priority,
    transition,
)
from ops_db.orders.lines import add_line, append_line, apply_loyalty_discount, line_amounts, order_totals, remove_line
from ops_db.orders.notes import add_note, rate_order, record_signoff, sign_off
from ops_db.orders.queries import get_order, list_orders, order_dict, timeline
from ops_db.orders.schemas import FileIn, IntakeIn, LineIn, Receipt, RequestIn
from ops_db.orders.stages import CUSTOMER_WAIT_STAGES, TRANSITIONS, allowed_transitions

__all__ = [
    "ALLOWED_CONTENT_TYPES",
    "CENT",
    "CUSTOMER_WAIT_STAGES",
    "MAX_ATTACHMENT_BYTES",
    "MAX_BULK",
    "MAX_PHOTOS",
    "TRANSITIONS",
    "FileIn",
    "IntakeIn",
    "LineIn",
    "Receipt",
    "RequestIn",
    "add_attachment",
    "add_line",
    "add_note",
    "allowed_transitions",
    "append_line",
    "apply_loyalty_discount",
    "assign",
    "bulk_set_priority",
    "bulk_transition",
    "check_required_skill",
    "convert_request",
    "decide_estimate",
    "get_order",
    "line_amounts",
    "link_request",
    "list_orders",
    "load_order",
    "move",
    "needs_approval",
    "number_is",
    "open_order",
    "order_dict",
    "order_totals",
    "rate_order",
    "record_event",
    "record_request",
    "record_signoff",
    "register_intake",
    "remove_line",
    "send_estimate",
    "set_priority",
    "sign_off",
    "submit_request",
    "timeline",
    "transition",
]
