"""The orders board: open orders with their SLA badge, searchable, for one tenant (read-only, under RLS)."""

from __future__ import annotations

from typing import Any

import pandas as pd
from sqlalchemy import Engine, text

from dashboards.data import read_frame
from ops_db.kit.uow import Actor, UnitOfWork

BOARD_STAGES = ("received", "diagnostics", "awaiting_approval", "awaiting_parts", "repair", "quality_check",
                "ready", "on_hold")
# The SLA badge as stored English words (keys of ops_db.i18n.VALUE_LABELS): pages show them with stage_words.
SLA_BADGE = {"running": "on track", "paused": "paused", "at_risk": "at risk", "breached": "breached",
             "met": "met", None: "no SLA"}
MAX_SEARCH = 100

_BOARD_SQL = """
SELECT o.id, o.order_number, o.stage, o.priority, o.location, c.name AS customer, c.phone,
       m.name AS device, e.serial_number, t.name AS technician, o.received_at, o.due_at,
       k.state AS sla_state
FROM service_orders o
JOIN customers c ON c.id = o.customer_id
LEFT JOIN equipment e ON e.id = o.equipment_id
LEFT JOIN equipment_models m ON m.id = e.model_id
LEFT JOIN technicians t ON t.id = o.assigned_technician_id
LEFT JOIN sla_clocks k ON k.order_id = o.id AND k.kind = 'resolution'
WHERE o.stage = ANY(:stages)
  AND (:q = '' OR o.order_number ILIKE :like OR c.name ILIKE :like OR c.phone ILIKE :like
       OR e.serial_number ILIKE :like)
"""
_TABLE_SQL = _BOARD_SQL + "ORDER BY o.received_at LIMIT :limit"
# The kanban shows the oldest few cards of every column, whatever the table's limit cut off.
_CARDS_SQL = f"""
SELECT * FROM (SELECT b.*, row_number() OVER (PARTITION BY b.stage ORDER BY b.received_at) AS rn
               FROM ({_BOARD_SQL}) b) ranked
WHERE rn <= :per_stage ORDER BY received_at
"""
_COUNTS_SQL = f"""
SELECT b.stage, b.sla_state, count(*) AS n FROM ({_BOARD_SQL}) b GROUP BY b.stage, b.sla_state
"""


def clean_search(value: str | None) -> str:
    """The search text as typed, trimmed and capped (LIKE wildcards typed by the user are taken literally)."""
    text_value = (value or "").strip()[:MAX_SEARCH]
    return text_value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


COLUMNS = ["id", "order_number", "stage", "priority", "location", "customer", "phone", "device", "serial_number",
           "technician", "received_at", "due_at", "sla_state"]


def _params(search: str, stages: tuple[str, ...]) -> dict[str, Any]:
    q = clean_search(search)
    return {"stages": list(stages), "q": q, "like": f"%{q}%"}


def _frame(engine: Engine, actor: Actor, sql: str, params: dict[str, Any]) -> pd.DataFrame:
    # A unit of work sets the actor's full row-level-security context (tenant, customer, technician scope).
    with UnitOfWork(engine, actor) as uow:
        rows = uow.session.execute(text(sql), params).mappings().all()
    frame = pd.DataFrame([{k: r[k] for k in COLUMNS} for r in rows], columns=COLUMNS)
    frame["sla"] = frame["sla_state"].map(lambda s: SLA_BADGE.get(s, s))
    return frame


def open_orders(engine: Engine, actor: Actor, *, search: str = "", stages: tuple[str, ...] = BOARD_STAGES,
                limit: int = 2000) -> pd.DataFrame:
    """Open orders the actor may see (tenant; own orders for customers, own jobs' for technicians), oldest
    first, at most ``limit`` of them (:func:`open_order_counts` gives the true totals)."""
    actor.require("orders.read")
    return _frame(engine, actor, _TABLE_SQL, {**_params(search, stages), "limit": limit})


def board_cards(engine: Engine, actor: Actor, *, search: str = "", per_stage: int = 8) -> pd.DataFrame:
    """The oldest ``per_stage`` open orders of every board column (the kanban's cards)."""
    actor.require("orders.read")
    return _frame(engine, actor, _CARDS_SQL, {**_params(search, BOARD_STAGES), "per_stage": per_stage})


def open_order_counts(engine: Engine, actor: Actor, *, search: str = "") -> dict[str, int]:
    """True totals over every open order the actor may see: one entry per board column, plus ``total``,
    ``at_risk`` and ``breached`` (SLA states of the resolution clock)."""
    actor.require("orders.read")
    with UnitOfWork(engine, actor) as uow:
        rows = uow.session.execute(text(_COUNTS_SQL), _params(search, BOARD_STAGES)).all()
    counts = dict.fromkeys((*BOARD_STAGES, "total", "at_risk", "breached"), 0)
    for row in rows:
        stage, sla_state, n = str(row.stage), row.sla_state, int(row.n)
        counts[stage] += n
        counts["total"] += n
        if sla_state in ("at_risk", "breached"):
            counts[str(sla_state)] += n
    return counts


# A request "to link": its typed email or phone belongs to another (active) customer than the one it is filed
# under. Anonymous portal requests never join an existing customer by themselves (ops_db.orders.service
# ._stranger); staff who recognise the person move them with ops_db.orders.service.link_request.
_TO_LINK_SQL = """
SELECT r.id AS request_id, r.submitted_at, r.contact_name, r.contact_email, r.contact_phone,
       o.order_number, c.id AS customer_id, c.name AS customer
FROM service_requests r
JOIN customers c ON c.id <> r.customer_id AND c.is_active
     AND ((r.contact_email IS NOT NULL AND lower(c.email) = lower(r.contact_email))
          OR (r.contact_phone IS NOT NULL AND c.phone = r.contact_phone))
LEFT JOIN service_orders o ON o.request_id = r.id
WHERE NOT EXISTS (SELECT 1 FROM invoices i WHERE i.order_id = o.id AND i.status <> 'void')
ORDER BY r.submitted_at DESC, r.id DESC, c.id
LIMIT :limit
"""
TO_LINK_COLUMNS = ["request_id", "submitted_at", "contact_name", "contact_email", "contact_phone", "order_number",
                   "customer_id", "customer"]


def requests_to_link(engine: Engine, actor: Actor, *, limit: int = 200) -> pd.DataFrame:
    """Requests filed under a customer of their own whose typed email or phone belongs to an existing customer
    (one row per possible match), newest first: staff decide whether it is the same person and link it."""
    actor.require("requests.read")
    return read_frame(engine, actor, _TO_LINK_SQL, {"limit": limit}, TO_LINK_COLUMNS)
