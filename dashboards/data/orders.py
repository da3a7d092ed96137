"""The orders board: open orders with their SLA badge, searchable (read by ``ops_db.orders.queries`` under the
actor's permission and row-level security)."""

from __future__ import annotations

from typing import Any

import pandas as pd

from dashboards.data import frame
from ops_db.kit.db import Database
from ops_db.kit.rows import MAX_SEARCH, Rows
from ops_db.kit.uow import Actor, UnitOfWork
from ops_db.orders import queries, records
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
    engine: Database,
    actor: Actor,
    *,
    search: str = "",
    stages: tuple[str, ...] = BOARD_STAGES,
    limit: int = 2000,
    offset: int = 0,
    waiting_for_technician: bool = False,
) -> pd.DataFrame:
    """Open orders the actor may see, oldest first, one page of ``limit`` from ``offset``, with their SLA badge
    (with ``waiting_for_technician``, only those: the Dispatch queue's definition)."""
    uow = UnitOfWork(engine, actor)
    return _board(
        queries.open_orders(
            uow,
            search=search,
            stages=stages,
            limit=limit,
            offset=offset,
            waiting_for_technician=waiting_for_technician,
        )
    )


def board_cards(
    engine: Database,
    actor: Actor,
    *,
    search: str = "",
    per_stage: int = 8,
    page: int = 0,
    stages: tuple[str, ...] = BOARD_STAGES,
) -> pd.DataFrame:
    """Page ``page`` of every board column's open orders (the kanban's cards), with their SLA badge."""
    uow = UnitOfWork(engine, actor)
    return _board(queries.board_cards(uow, search=search, per_stage=per_stage, page=page, stages=stages))


def board_pages(counts: dict[str, int], stages: tuple[str, ...], per_page: int) -> int:
    """How many pages the board has: its longest shown column's cards, ``per_page`` a page (at least one)."""
    longest = max((counts.get(stage, 0) for stage in stages), default=0)
    return max(1, -(-longest // per_page))


def moved_card(before: dict[str, list[str]], after: dict[str, list[str]]) -> tuple[str, str] | None:
    """The card dragged to another column, as (card, new column), comparing the board before and after a drop;
    None when nothing changed column (a card reordered within its column changes nothing)."""
    for column, cards in after.items():
        for card in cards:
            if card not in before.get(column, []):
                return card, column
    return None


def open_order_counts(engine: Database, actor: Actor, *, search: str = "") -> dict[str, int]:
    """True totals over every open order the actor may see (see :func:`ops_db.orders.queries.open_order_counts`)."""
    return queries.open_order_counts(UnitOfWork(engine, actor), search=search)


def requests_to_link(engine: Database, actor: Actor, *, limit: int = 200) -> pd.DataFrame:
    """Requests whose typed email or phone belongs to an existing customer, newest first."""
    return frame(queries.requests_to_link(UnitOfWork(engine, actor), limit=limit))


def find_customers(engine: Database, actor: Actor, search: str) -> pd.DataFrame:
    """Customers matching a name, phone, email or a device's serial (the front desk chooses among them)."""
    return pd.DataFrame(records.find_customers(UnitOfWork(engine, actor), search), columns=list(records.FIND_COLUMNS))


def order_header(engine: Database, actor: Actor, order_id: int) -> dict[str, Any] | None:
    """The facts at the top of the Order page: customer, contact, device, address, technician, dates, invoice."""
    return records.order_header(UnitOfWork(engine, actor), order_id)


def customer_record(engine: Database, actor: Actor, customer_id: int) -> dict[str, pd.DataFrame]:
    """One customer's parts as tables (``customer`` has one row, or none when it is not visible)."""
    return {k: pd.DataFrame(v) for k, v in records.customer_record(UnitOfWork(engine, actor), customer_id).items()}


def device_record(engine: Database, actor: Actor, equipment_id: int) -> dict[str, pd.DataFrame]:
    """One device's parts as tables (``device`` has one row, or none when it is not visible)."""
    return {k: pd.DataFrame(v) for k, v in records.device_record(UnitOfWork(engine, actor), equipment_id).items()}


def technician_record(engine: Database, actor: Actor, technician_id: int) -> dict[str, pd.DataFrame]:
    """One technician's parts as tables (``technician`` has one row, or none when it is not visible)."""
    return {k: pd.DataFrame(v) for k, v in records.technician_record(UnitOfWork(engine, actor), technician_id).items()}
