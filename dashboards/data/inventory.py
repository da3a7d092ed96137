"""What the inventory page shows: stock by location, reservations, reorder suggestions, purchase orders.

The reads live in ``ops_db.inventory.queries`` (each checks ``inventory.read`` and runs under the actor's
row-level security); writes are left to ``ops_db.inventory.service`` (the page calls it directly).
"""

from __future__ import annotations

from collections.abc import Callable

import pandas as pd

from dashboards.data import frame
from ops_db.i18n import as_is
from ops_db.inventory import queries
from ops_db.inventory.queries import STOCK_LIMIT
from ops_db.inventory.service import reorder_suggestions
from ops_db.kit.db import Database
from ops_db.kit.uow import Actor, UnitOfWork

__all__ = ["STOCK_LIMIT"]

REORDER_COLUMNS = [
    "sku",
    "part",
    "location",
    "quantity",
    "reserved",
    "on_order",
    "reorder_point",
    "suggested",
    "supplier",
]
# Statuses in which a purchase order can still be sent, or still receive goods (as the service checks).
SENDABLE = ("draft",)
RECEIVABLE = ("sent", "partially_received")


def locations(engine: Database, actor: Actor) -> dict[int, str]:
    """Id → label ("WH1 · Main warehouse") of the active stock locations, warehouses first."""
    return queries.locations(UnitOfWork(engine, actor))


def parts(engine: Database, actor: Actor) -> dict[int, str]:
    """Id → label ("PHO-00012 · Phone part 3") of the parts catalogue, by SKU."""
    return queries.parts(UnitOfWork(engine, actor))


def suppliers(engine: Database, actor: Actor) -> dict[int, str]:
    """Id → name of the suppliers, by name."""
    return queries.suppliers(UnitOfWork(engine, actor))


def stock(
    engine: Database, actor: Actor, *, location_id: int | None = None, search: str = "", limit: int = STOCK_LIMIT
) -> pd.DataFrame:
    """Stock levels with what is free (quantity − reserved), by SKU then location."""
    return frame(queries.stock(UnitOfWork(engine, actor), location_id=location_id, search=search, limit=limit))


def active_reservations(engine: Database, actor: Actor, *, limit: int = 2000) -> pd.DataFrame:
    """Parts held for orders and not yet used or released, oldest first."""
    return frame(queries.active_reservations(UnitOfWork(engine, actor), limit=limit))


def reorder(engine: Database, actor: Actor, *, t: Callable[[str], str] = as_is) -> pd.DataFrame:
    """The service's reorder suggestions with location and preferred supplier named, most short first
    (``t`` translates the stand-in label of a location that is no longer active)."""
    rows = reorder_suggestions(UnitOfWork(engine, actor))
    places, sources = locations(engine, actor), suppliers(engine, actor)
    suggested = pd.DataFrame(
        rows,
        columns=[
            "part_id",
            "sku",
            "name",
            "location_id",
            "quantity",
            "reserved",
            "on_order",
            "reorder_point",
            "reorder_quantity",
            "suggested",
            "preferred_supplier_id",
        ],
    )
    suggested["part"] = suggested["name"]
    # Inactive locations are not in the label map; show their id rather than hide the suggestion.
    suggested["location"] = [places.get(int(i)) or t("location {id}").format(id=i) for i in suggested["location_id"]]
    suggested["supplier"] = [sources.get(int(i)) if pd.notna(i) else None for i in suggested["preferred_supplier_id"]]
    return suggested[REORDER_COLUMNS]


def purchase_orders(engine: Database, actor: Actor, *, limit: int = 500) -> pd.DataFrame:
    """Purchase orders, newest first."""
    return frame(queries.purchase_orders(UnitOfWork(engine, actor), limit=limit))


def purchase_order_lines(engine: Database, actor: Actor, po_id: int) -> pd.DataFrame:
    """The lines of one purchase order with what has arrived and what is still outstanding."""
    return frame(queries.purchase_order_lines(UnitOfWork(engine, actor), po_id))


def po_choices(orders: pd.DataFrame, statuses: tuple[str, ...], keep: int | None = None) -> dict[int, str]:
    """Id → label ("PO-2026-000001 · PartsCo") of the purchase orders in these statuses.

    ``keep`` (the one already chosen) stays in the list even if it left those statuses meanwhile: otherwise
    the choice would silently fall back to another order, and the service's refusal says what happened.
    """
    chosen = orders[orders["status"].isin(statuses) | (orders["id"] == keep)]
    return {int(r.id): f"{r.po_number} · {r.supplier}" for r in chosen.itertuples()}
