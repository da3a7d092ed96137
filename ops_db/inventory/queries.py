"""Reads of stock, reservations, suppliers and purchase orders: each checks ``inventory.read`` first, then reads
under row-level security."""

from __future__ import annotations

from ops_db.kit.rows import Rows, clean_search, fetch_rows
from ops_db.kit.uow import UnitOfWork

STOCK_LIMIT = 2000
STOCK_COLUMNS = (
    "part_id",
    "location_id",
    "sku",
    "part",
    "location",
    "quantity",
    "reserved",
    "available",
    "reorder_point",
)
RESERVATION_COLUMNS = ("order_number", "sku", "part", "quantity", "location", "reserved_at")
PO_COLUMNS = ("id", "po_number", "supplier", "status", "total", "expected_on", "deliver_to", "ordered_at")
PO_LINE_COLUMNS = ("line_id", "sku", "part", "quantity", "received", "outstanding", "unit_cost")
TO_BRING_COLUMNS = (
    "reservation_id",
    "order_number",
    "part_id",
    "sku",
    "part",
    "quantity",
    "pick_up_at",
    "location_kind",
    "status",
)

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

_TO_BRING_SQL = """
SELECT r.id AS reservation_id, o.order_number, p.id AS part_id, p.sku, p.name AS part, r.quantity,
       l.name AS pick_up_at, l.kind AS location_kind, r.status
FROM stock_reservations r
JOIN parts p ON p.id = r.part_id
JOIN stock_locations l ON l.id = r.location_id
JOIN service_orders o ON o.id = r.order_id
WHERE r.order_id = ANY(:orders) AND r.status = 'active'
ORDER BY o.order_number, p.sku
"""


def _ids(uow: UnitOfWork, sql: str) -> dict[int, str]:
    return {int(r["id"]): str(r["label"]) for r in fetch_rows(uow, sql)}


def _labels(uow: UnitOfWork, sql: str) -> dict[str, int]:
    return {str(r["label"]): int(r["id"]) for r in fetch_rows(uow, sql)}


def locations(uow: UnitOfWork) -> dict[int, str]:
    """Id → label ("WH1 · Main warehouse") of the active stock locations, warehouses first."""
    uow.actor.require("inventory.read")
    return _ids(
        uow,
        "SELECT id, code || ' · ' || name AS label FROM stock_locations WHERE is_active "
        "ORDER BY kind <> 'warehouse', kind, id",
    )


def parts(uow: UnitOfWork) -> dict[int, str]:
    """Id → label ("PHO-00012 · Phone part 3") of the parts catalogue, by SKU."""
    uow.actor.require("inventory.read")
    return _ids(uow, "SELECT id, sku || ' · ' || name AS label FROM parts ORDER BY sku")


def priced_parts(uow: UnitOfWork) -> dict[str, int]:
    """Label → id of parts with their sale price ("SCR-IP13 · iPhone 13 screen · 120.00"), by SKU."""
    uow.actor.require("inventory.read")
    return _labels(uow, "SELECT id, sku || ' · ' || name || ' · ' || sale_price AS label FROM parts ORDER BY sku")


def stock_locations(uow: UnitOfWork) -> dict[str, int]:
    """Label → id of active stock locations ("Main warehouse (warehouse)")."""
    uow.actor.require("inventory.read")
    return _labels(
        uow, "SELECT id, name || ' (' || kind || ')' AS label FROM stock_locations WHERE is_active ORDER BY kind, name"
    )


def suppliers(uow: UnitOfWork) -> dict[int, str]:
    """Id → name of the suppliers, by name."""
    uow.actor.require("inventory.read")
    return _ids(uow, "SELECT id, name AS label FROM suppliers ORDER BY name, id")


def stock(uow: UnitOfWork, *, location_id: int | None = None, search: str = "", limit: int = STOCK_LIMIT) -> Rows:
    """Stock levels with what is free (quantity − reserved), by SKU then location; filtered by location and
    by a search in the part's SKU or name."""
    uow.actor.require("inventory.read")
    q = clean_search(search)
    return fetch_rows(
        uow, _STOCK_SQL, {"location": location_id, "q": q, "like": f"%{q}%", "limit": limit}, STOCK_COLUMNS
    )


def active_reservations(uow: UnitOfWork, *, limit: int = 2000) -> Rows:
    """Parts held for orders and not yet used or released, oldest first."""
    uow.actor.require("inventory.read")
    return fetch_rows(uow, _RESERVATIONS_SQL, {"limit": limit}, RESERVATION_COLUMNS)


def purchase_orders(uow: UnitOfWork, *, limit: int = 500) -> Rows:
    """Purchase orders, newest first."""
    uow.actor.require("inventory.read")
    return fetch_rows(uow, _PO_SQL, {"limit": limit}, PO_COLUMNS)


def purchase_order_lines(uow: UnitOfWork, po_id: int) -> Rows:
    """The lines of one purchase order with what has arrived and what is still outstanding."""
    uow.actor.require("inventory.read")
    return fetch_rows(uow, _PO_LINES_SQL, {"po": po_id}, PO_LINE_COLUMNS)


def parts_to_bring(uow: UnitOfWork, order_ids: list[int]) -> Rows:
    """Active reservations for these orders: what to pick up where (van stock is already on board)."""
    uow.actor.require("inventory.read")
    return fetch_rows(uow, _TO_BRING_SQL, {"orders": order_ids}, TO_BRING_COLUMNS)
