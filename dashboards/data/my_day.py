"""A technician's day: their jobs in route order, each device's history, the parts to bring, their clock.

The reads live in ``ops_db`` (``workforce.queries.my_jobs``, ``orders.queries.device_history``,
``inventory.queries.parts_to_bring``); every one runs under the technician's row-level security, so only their
own jobs' orders and customers are visible whatever the query asks for.
"""

from __future__ import annotations

from datetime import date, datetime

import pandas as pd

from dashboards.data import frame
from ops_db.inventory import queries as inventory_queries
from ops_db.inventory import van
from ops_db.kit.db import Database
from ops_db.kit.errors import ValidationError
from ops_db.kit.uow import Actor, UnitOfWork
from ops_db.orders import queries as order_queries
from ops_db.workforce import queries as workforce_queries


def jobs(engine: Database, actor: Actor, day: date) -> pd.DataFrame:
    """The technician's bookings on the day in route order, with the order, customer, site and device."""
    found = frame(workforce_queries.my_jobs(UnitOfWork(engine, actor), day))
    if found.empty:
        return pd.DataFrame(columns=["booking_id", "order_id", "status", "start", "end", "order_number"])
    found[["latitude", "longitude"]] = found[["latitude", "longitude"]].astype(float)
    return found


def device_history(engine: Database, actor: Actor, equipment_id: int, before_order_id: int) -> pd.DataFrame:
    """Earlier orders on the same device (what was wrong, when, how it ended)."""
    return frame(order_queries.device_history(UnitOfWork(engine, actor), equipment_id, before_order_id))


def parts_to_bring(engine: Database, actor: Actor, order_ids: list[int]) -> pd.DataFrame:
    """Active reservations for these orders: what to pick up where (van stock is already on board)."""
    return frame(inventory_queries.parts_to_bring(UnitOfWork(engine, actor), order_ids))


def clocked_in_since(engine: Database, actor: Actor) -> datetime | None:
    """When the technician clocked in, if they are clocked in now."""
    return workforce_queries.clocked_in_since(UnitOfWork(engine, actor))


def van_stock(engine: Database, actor: Actor) -> pd.DataFrame:
    """The parts free in the technician's van (empty when they have no van)."""
    try:
        return frame(van.van_stock(UnitOfWork(engine, actor)))
    except ValidationError:
        return pd.DataFrame(columns=list(van.VAN_COLUMNS))
