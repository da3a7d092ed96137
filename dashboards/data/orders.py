"""The orders board: open orders with their SLA badge, searchable (read by ``ops_db.orders.queries`` under the
actor's permission and row-level security)."""

from __future__ import annotations

import pandas as pd

from dashboards.data import frame
from ops_db.kit.db import Database
from ops_db.kit.rows import MAX_SEARCH, Rows
from ops_db.kit.uow import Actor, UnitOfWork
from ops_db.orders import queries
from ops_db.orders.queries import BOARD_STAGES

__all__ = ["BOARD_STAGES", "MAX_SEARCH"]

# The SLA badge as stored English words (keys of ops_db.i18n.VALUE_LABELS): pages show them with stage_words.
SLA_BADGE = {
    "running": "on track",
    "paused": "paused",
    "at_risk": "at risk",
    "breached": "breached",
    "met": "met",
    None: "no SLA",
}


def _board(rows: Rows) -> pd.DataFrame:
    board = frame(rows)
    board["sla"] = board["sla_state"].map(lambda s: SLA_BADGE.get(s, s))
    return board


def open_orders(
    engine: Database, actor: Actor, *, search: str = "", stages: tuple[str, ...] = BOARD_STAGES, limit: int = 2000
) -> pd.DataFrame:
    """Open orders the actor may see, oldest first, at most ``limit`` of them, with their SLA badge."""
    return _board(queries.open_orders(UnitOfWork(engine, actor), search=search, stages=stages, limit=limit))


def board_cards(engine: Database, actor: Actor, *, search: str = "", per_stage: int = 8) -> pd.DataFrame:
    """The oldest ``per_stage`` open orders of every board column (the kanban's cards), with their SLA badge."""
    return _board(queries.board_cards(UnitOfWork(engine, actor), search=search, per_stage=per_stage))


def open_order_counts(engine: Database, actor: Actor, *, search: str = "") -> dict[str, int]:
    """True totals over every open order the actor may see (see :func:`ops_db.orders.queries.open_order_counts`)."""
    return queries.open_order_counts(UnitOfWork(engine, actor), search=search)


def requests_to_link(engine: Database, actor: Actor, *, limit: int = 200) -> pd.DataFrame:
    """Requests whose typed email or phone belongs to an existing customer, newest first."""
    return frame(queries.requests_to_link(UnitOfWork(engine, actor), limit=limit))
