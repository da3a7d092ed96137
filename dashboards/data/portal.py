"""What a signed-in customer sees: their devices, warranties, orders with invoices, ratings.

The reads live in ``ops_db`` (orders, customers and warranty queries); row-level security scopes every one to
the customer's own rows, and the queries still say so, for clarity.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from dashboards.data import frame
from ops_db.customers.queries import my_devices as _my_devices
from ops_db.kit.db import Database
from ops_db.kit.uow import Actor, UnitOfWork
from ops_db.orders import queries as order_queries
from ops_db.warranty.queries import my_warranties as _my_warranties


def my_orders(engine: Database, actor: Actor) -> pd.DataFrame:
    """The customer's orders, newest first, with the invoice and their rating if any."""
    return frame(order_queries.my_orders(UnitOfWork(engine, actor)))


def my_devices(engine: Database, actor: Actor) -> pd.DataFrame:
    """The customer's registered devices with their latest warranty end."""
    return frame(_my_devices(UnitOfWork(engine, actor)))


def my_warranties(engine: Database, actor: Actor) -> pd.DataFrame:
    """Warranties on the customer's devices (manufacturer's and on our repairs), latest first."""
    return frame(_my_warranties(UnitOfWork(engine, actor)))


def order_timeline(engine: Database, actor: Actor, order_id: int) -> list[dict[str, Any]]:
    """The stages an order went through, oldest first, as ``{"stage", "at"}``."""
    return order_queries.stages_passed(UnitOfWork(engine, actor), order_id)
