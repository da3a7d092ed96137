"""Reads of the records around an order, so each one opens the others: the order's header (customer, contact,
device, address, technician, promised date, invoice), a customer with their sites, devices, orders and invoices,
a device with its owner, orders and warranties, a technician with their open jobs, and the front desk's customer
search. Each part needs its own read permission besides the record's; a part the actor may not read comes back
empty (a dispatcher sees an order, not its money)."""

from __future__ import annotations

from typing import Any

from ops_db.kit.rows import clean_search, fetch, fetch_rows
from ops_db.kit.uow import UnitOfWork

FIND_LIMIT = 8

_FIND_SQL = """
SELECT c.id, c.name, c.phone, c.email,
       (SELECT count(*) FROM equipment e WHERE e.customer_id = c.id) AS devices,
       (SELECT max(o.received_at) FROM service_orders o WHERE o.customer_id = c.id) AS last_order_at,
       (SELECT string_agg(e.serial_number, ', ') FROM equipment e
         WHERE e.customer_id = c.id AND e.serial_number ILIKE :like) AS serial_number
FROM customers c
WHERE c.is_active AND (c.name ILIKE :like OR c.phone ILIKE :like OR c.email ILIKE :like
      OR regexp_replace(coalesce(c.phone, ''), '[^0-9]', '', 'g') LIKE :digits
      OR EXISTS (SELECT 1 FROM equipment e WHERE e.customer_id = c.id AND e.serial_number ILIKE :like))
ORDER BY (lower(c.name) LIKE lower(:q) || '%') DESC, c.name, c.id
LIMIT :limit
"""
FIND_COLUMNS = ("id", "name", "phone", "email", "devices", "last_order_at", "serial_number")

_HEADER_SQL = """
SELECT o.id, o.order_number, o.tracking_code, o.location, o.promised_at, o.due_at,
       c.id AS customer_id, c.name AS customer, c.email AS customer_email, c.phone AS customer_phone,
       e.id AS equipment_id, m.name AS device, e.serial_number,
       concat_ws(', ', s.address_line1, s.address_line2, s.postal_code, s.city) AS address,
       t.id AS technician_id, t.name AS technician, t.phone AS technician_phone, tn.slug AS company
FROM service_orders o
JOIN customers c ON c.id = o.customer_id
JOIN tenants tn ON tn.id = o.tenant_id
LEFT JOIN equipment e ON e.id = o.equipment_id
LEFT JOIN equipment_models m ON m.id = e.model_id
LEFT JOIN customer_sites s ON s.id = coalesce(o.site_id, e.site_id)
LEFT JOIN technicians t ON t.id = o.assigned_technician_id
WHERE o.id = :o
"""
_ORDER_INVOICE_SQL = """
SELECT i.id AS invoice_id, i.invoice_number, i.status AS invoice_status, i.total AS invoice_total,
       greatest(i.total - coalesce((SELECT sum(p.amount - p.refunded_amount) FROM payments p
                                    WHERE p.invoice_id = i.id AND p.status = 'succeeded'), 0)
                        - coalesce((SELECT sum(n.amount) FROM credit_notes n WHERE n.invoice_id = i.id), 0), 0)
         AS invoice_due
FROM invoices i WHERE i.order_id = :o AND i.status <> 'void' ORDER BY i.id DESC LIMIT 1
"""

_CUSTOMER_SQL = {
    "customer": "SELECT id, name, kind, email, phone, segment, is_active FROM customers WHERE id = :c",
    "sites": "SELECT id, label, concat_ws(', ', address_line1, address_line2, postal_code, city) AS address,"
    " access_notes FROM customer_sites WHERE customer_id = :c ORDER BY id",
    "devices": "SELECT e.id, m.name AS model, e.serial_number, e.purchase_date, e.status FROM equipment e"
    " JOIN equipment_models m ON m.id = e.model_id WHERE e.customer_id = :c ORDER BY e.id",
    "orders": "SELECT o.order_number, o.stage, o.received_at, m.name AS device, t.name AS technician,"
    " o.problem_description, o.equipment_id, o.assigned_technician_id AS technician_id"
    " FROM service_orders o LEFT JOIN equipment e ON e.id = o.equipment_id"
    " LEFT JOIN equipment_models m ON m.id = e.model_id LEFT JOIN technicians t ON t.id = o.assigned_technician_id"
    " WHERE o.customer_id = :c ORDER BY o.received_at DESC LIMIT 200",
    "invoices": "SELECT i.id, i.invoice_number, o.order_number, i.status, i.total, i.due_on FROM invoices i"
    " LEFT JOIN service_orders o ON o.id = i.order_id WHERE i.customer_id = :c ORDER BY i.id DESC LIMIT 200",
}
_DEVICE_SQL = {
    "device": "SELECT e.id, m.name AS model, e.serial_number, e.purchase_date, e.status, e.location_note,"
    " c.id AS customer_id, c.name AS customer FROM equipment e JOIN equipment_models m ON m.id = e.model_id"
    " JOIN customers c ON c.id = e.customer_id WHERE e.id = :e",
    "orders": "SELECT o.order_number, o.stage, o.received_at, t.name AS technician, o.problem_description,"
    " o.assigned_technician_id AS technician_id FROM service_orders o"
    " LEFT JOIN technicians t ON t.id = o.assigned_technician_id WHERE o.equipment_id = :e"
    " ORDER BY o.received_at DESC LIMIT 200",
    "warranties": "SELECT kind, coverage, starts_on, ends_on FROM warranties WHERE equipment_id = :e"
    " ORDER BY ends_on DESC",
}
_TECHNICIAN_SQL = {
    "technician": "SELECT id, name, email, phone, works_in_field, is_active FROM technicians WHERE id = :t",
    "orders": "SELECT o.order_number, o.stage, o.priority, c.name AS customer, m.name AS device, o.received_at,"
    " o.customer_id, o.equipment_id FROM service_orders o JOIN customers c ON c.id = o.customer_id"
    " LEFT JOIN equipment e ON e.id = o.equipment_id"
    " LEFT JOIN equipment_models m ON m.id = e.model_id WHERE o.assigned_technician_id = :t"
    " AND o.stage NOT IN ('closed', 'cancelled') ORDER BY o.received_at LIMIT 500",
}
PART_PERMISSION = {
    "orders": "orders.read",
    "invoices": "billing.read",
    "warranties": "warranty.read",
}


def _parts(uow: UnitOfWork, queries: dict[str, str], params: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
    """Each part of a record the actor may read (the others empty), in one unit of work."""
    actor = uow.actor
    with uow:
        return {
            name: fetch(uow, sql, params).records if actor.can(PART_PERMISSION.get(name, "orders.read")) else []
            for name, sql in queries.items()
        }


def find_customers(uow: UnitOfWork, search: str, *, limit: int = FIND_LIMIT) -> list[dict[str, Any]]:
    """Customers whose name, phone (digits compared), email or a device's serial number holds ``search``, the
    names starting with it first; nothing for fewer than two characters. The front desk chooses among them."""
    uow.actor.require("customers.read")
    q = clean_search(search)
    if len(q) < 2:
        return []
    digits = "".join(ch for ch in q if ch.isdigit())
    params = {"q": q, "like": f"%{q}%", "digits": f"%{digits}%" if len(digits) >= 3 else "-", "limit": limit}
    return fetch_rows(uow, _FIND_SQL, params, FIND_COLUMNS).records


def order_header(uow: UnitOfWork, order_id: int) -> dict[str, Any] | None:
    """What the top of the Order page shows: customer and contact, device, address, technician, promised and
    due times, the tracking code and, with ``billing.read``, the live invoice and what is still due."""
    uow.actor.require("orders.read")
    with uow:
        found = fetch(uow, _HEADER_SQL, {"o": order_id}).records
        if not found:
            return None
        header = {**found[0], "invoice_id": None, "invoice_number": None, "invoice_status": None}
        if uow.actor.can("billing.read"):
            header.update(next(iter(fetch(uow, _ORDER_INVOICE_SQL, {"o": order_id}).records), {}))
        return header


def customer_record(uow: UnitOfWork, customer_id: int) -> dict[str, list[dict[str, Any]]]:
    """One customer (``customer``: one row or none) with sites, devices, orders and invoices."""
    uow.actor.require("customers.read")
    return _parts(uow, _CUSTOMER_SQL, {"c": customer_id})


def device_record(uow: UnitOfWork, equipment_id: int) -> dict[str, list[dict[str, Any]]]:
    """One device (``device``: one row or none) with its owner, orders and warranties."""
    uow.actor.require("customers.read")
    return _parts(uow, _DEVICE_SQL, {"e": equipment_id})


def technician_record(uow: UnitOfWork, technician_id: int) -> dict[str, list[dict[str, Any]]]:
    """One technician (``technician``: one row or none) with the open orders assigned to them."""
    uow.actor.require("workforce.read")
    return _parts(uow, _TECHNICIAN_SQL, {"t": technician_id})
