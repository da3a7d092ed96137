"""The orders board: open orders with their SLA badge, searchable, for one tenant (read-only, under RLS)."""

from __future__ import annotations

from typing import Any

import pandas as pd
from sqlalchemy import Engine, text

from ops_db.kit.uow import Actor, UnitOfWork

BOARD_STAGES = ("received", "diagnostics", "awaiting_approval", "awaiting_parts", "repair", "quality_check",
                "ready", "on_hold")
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
ORDER BY o.received_at
LIMIT :limit
"""


def clean_search(value: str | None) -> str:
    """The search text as typed, trimmed and capped (LIKE wildcards typed by the user are taken literally)."""
    text_value = (value or "").strip()[:MAX_SEARCH]
    return text_value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def open_orders(engine: Engine, actor: Actor, *, search: str = "", stages: tuple[str, ...] = BOARD_STAGES,
                limit: int = 2000) -> pd.DataFrame:
    """Open orders the actor may see (tenant; own orders for customers, own jobs' for technicians), oldest first."""
    q = clean_search(search)
    params: dict[str, Any] = {"stages": list(stages), "q": q, "like": f"%{q}%", "limit": limit}
    # A unit of work sets the actor's full row-level-security context (tenant, customer, technician scope).
    with UnitOfWork(engine, actor) as uow:
        rows = uow.session.execute(text(_BOARD_SQL), params).mappings().all()
    frame = pd.DataFrame([dict(r) for r in rows], columns=[
        "id", "order_number", "stage", "priority", "location", "customer", "phone", "device", "serial_number",
        "technician", "received_at", "due_at", "sla_state"])
    frame["sla"] = frame["sla_state"].map(lambda s: SLA_BADGE.get(s, s))
    return frame


def stage_counts(frame: pd.DataFrame) -> dict[str, int]:
    """How many open orders sit in each board column (every column present, zero when empty)."""
    counts = frame["stage"].value_counts().to_dict() if not frame.empty else {}
    return {stage: int(counts.get(stage, 0)) for stage in BOARD_STAGES}
