"""What the inventory page shows: stock by location, reservations, reorder suggestions, purchase orders.

Every read runs in a unit of work, so the actor's row-level security applies; writes are left to
``ops_db.inventory.service`` (the page calls it directly).
"""

from __future__ import annotations

from collections.abc import Callable

import pandas as pd
from sqlalchemy import Engine, text

from dashboards.data import read_frame
from dashboards.data.orders import clean_search
from ops_db.i18n import as_is
from ops_db.inventory.service import reorder_suggestions
from ops_db.kit.uow import Actor, UnitOfWork

STOCK_LIMIT = 2000
STOCK_COLUMNS = ["part_id", "location_id", "sku", "part", "location", "quantity", "reserved", "available",
                 "reorder_point"]
RESERVATION_COLUMNS = ["order_number", "sku", "part", "quantity", "location", "reserved_at"]
REORDER_COLUMNS = ["sku", "part", "location", "quantity", "reserved", "on_order", "reorder_point", "suggested",
                   "supplier"]
PO_COLUMNS = ["id", "po_number", "supplier", "status", "total", "expected_on", "deliver_to", "ordered_at"]
PO_LINE_COLUMNS = ["line_id", "sku", "part", "quantity", "received", "outstanding", "unit_cost"]
# Statuses in which a purchase order can still be sent, or still receive goods (as the service checks).
SENDABLE = ("draft",)
RECEIVABLE = ("sent", "partially_received")

_STOCK_SQL = """
SELECT s.part_id, s.location_id, p.sku, p.name AS part, l.code || ' · ' || l.name AS location,
       s.quantity, s.reserved, s.quantity - s.reserved AS available, s.reorder_point
FROM stock_levels s
JOIN parts p ON p.id = s.part_id
JOIN stock_locations l ON l.id = s.location_id
WHERE (CAST(:location AS bigint) IS NULL OR s.location_id = :location)
  AND (:q = '' OR p.sku ILIKE :like OR p.name ILIKE :like)
ORDER BY p.sku, l.code
LIMIT :limit
"""

_RESERVATIONS_SQL = """
SELECT o.order_number, p.sku, p.name AS part, r.quantity, l.code || ' · ' || l.name AS location,
       r.created_at AS reserved_at
FROM stock_reservations r
JOIN service_orders o ON o.id = r.order_id
JOIN parts p ON p.id = r.part_id
JOIN stock_locations l ON l.id = r.location_id
WHERE r.status = 'active'
ORDER BY r.created_at, r.id
LIMIT :limit
"""

_PO_SQL = """
SELECT po.id, po.po_number, s.name AS supplier, po.status::text AS status, po.total, po.expected_on,
       l.code || ' · ' || l.name AS deliver_to, po.ordered_at
FROM purchase_orders po
JOIN suppliers s ON s.id = po.supplier_id
JOIN stock_locations l ON l.id = po.deliver_to_location_id
ORDER BY po.id DESC
LIMIT :limit
"""

_PO_LINES_SQL = """
SELECT pl.id AS line_id, p.sku, p.name AS part, pl.quantity, pl.received_quantity AS received,
       pl.quantity - pl.received_quantity AS outstanding, pl.unit_cost
FROM purchase_order_lines pl JOIN parts p ON p.id = pl.part_id
WHERE pl.purchase_order_id = :po
ORDER BY pl.id
"""


def locations(engine: Engine, actor: Actor) -> dict[int, str]:
    """Id → label ("WH1 · Main warehouse") of the active stock locations, warehouses first."""
    actor.require("inventory.read")
    with UnitOfWork(engine, actor) as uow:
        rows = uow.session.execute(text(
            "SELECT id, code || ' · ' || name AS label FROM stock_locations WHERE is_active "
            "ORDER BY kind <> 'warehouse', kind, id")).mappings().all()
    return {int(r["id"]): str(r["label"]) for r in rows}


def parts(engine: Engine, actor: Actor) -> dict[int, str]:
    """Id → label ("PHO-00012 · Phone part 3") of the parts catalogue, by SKU."""
    actor.require("inventory.read")
    with UnitOfWork(engine, actor) as uow:
        rows = uow.session.execute(text(
            "SELECT id, sku || ' · ' || name AS label FROM parts ORDER BY sku")).mappings().all()
    return {int(r["id"]): str(r["label"]) for r in rows}


def suppliers(engine: Engine, actor: Actor) -> dict[int, str]:
    """Id → name of the suppliers, by name."""
    actor.require("inventory.read")
    with UnitOfWork(engine, actor) as uow:
        rows = uow.session.execute(text("SELECT id, name FROM suppliers ORDER BY name, id")).mappings().all()
    return {int(r["id"]): str(r["name"]) for r in rows}


def stock(engine: Engine, actor: Actor, *, location_id: int | None = None, search: str = "",
          limit: int = STOCK_LIMIT) -> pd.DataFrame:
    """Stock levels with what is free (quantity − reserved), by SKU then location; filtered by location and
    by a search in the part's SKU or name."""
    actor.require("inventory.read")
    q = clean_search(search)
    return read_frame(engine, actor, _STOCK_SQL, {"location": location_id, "q": q, "like": f"%{q}%", "limit": limit},
                  STOCK_COLUMNS)


def active_reservations(engine: Engine, actor: Actor, *, limit: int = 2000) -> pd.DataFrame:
    """Parts held for orders and not yet used or released, oldest first."""
    actor.require("inventory.read")
    return read_frame(engine, actor, _RESERVATIONS_SQL, {"limit": limit}, RESERVATION_COLUMNS)



def reorder(engine: Engine, actor: Actor, *, t: Callable[[str], str] = as_is) -> pd.DataFrame:
    """The service's reorder suggestions with location and preferred supplier named, most short first
    (``t`` translates the stand-in label of a location that is no longer active)."""
    actor.require("inventory.read")
    rows = reorder_suggestions(UnitOfWork(engine, actor))
    places, sources = locations(engine, actor), suppliers(engine, actor)
    frame = pd.DataFrame(rows, columns=["part_id", "sku", "name", "location_id", "quantity", "reserved",
                                        "on_order", "reorder_point", "reorder_quantity", "suggested",
                                        "preferred_supplier_id"])
    frame["part"] = frame["name"]
    # Inactive locations are not in the label map; show their id rather than hide the suggestion.
    frame["location"] = [places.get(int(i)) or t("location {id}").format(id=i) for i in frame["location_id"]]
    frame["supplier"] = [sources.get(int(i)) if pd.notna(i) else None for i in frame["preferred_supplier_id"]]
    return frame[REORDER_COLUMNS]


def purchase_orders(engine: Engine, actor: Actor, *, limit: int = 500) -> pd.DataFrame:
    """Purchase orders, newest first."""
    actor.require("inventory.read")
    return read_frame(engine, actor, _PO_SQL, {"limit": limit}, PO_COLUMNS)


def purchase_order_lines(engine: Engine, actor: Actor, po_id: int) -> pd.DataFrame:
    """The lines of one purchase order with what has arrived and what is still outstanding."""
    actor.require("inventory.read")
    return read_frame(engine, actor, _PO_LINES_SQL, {"po": po_id}, PO_LINE_COLUMNS)


def po_choices(orders: pd.DataFrame, statuses: tuple[str, ...], keep: int | None = None) -> dict[int, str]:
    """Id → label ("PO-2026-000001 · PartsCo") of the purchase orders in these statuses.

    ``keep`` (the one already chosen) stays in the list even if it left those statuses meanwhile: otherwise
    the choice would silently fall back to another order, and the service's refusal says what happened.
    """
    chosen = orders[orders["status"].isin(statuses) | (orders["id"] == keep)]
    return {int(r.id): f"{r.po_number} · {r.supplier}" for r in chosen.itertuples()}
