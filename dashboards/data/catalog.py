"""Reference lists the forms offer (equipment models), read under the actor's row-level security."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from sqlalchemy import Engine, text

from ops_db.kit.uow import Actor, UnitOfWork


def equipment_models(engine: Engine, actor: Actor) -> dict[str, int]:
    """Label → id of the tenant's equipment models ("Apple · iPhone 13 (phone)"), sorted by label."""
    actor.require("orders.read")
    with UnitOfWork(engine, actor) as uow:
        rows = uow.session.execute(text(
            "SELECT m.id, mf.name || ' · ' || m.name || ' (' || m.category || ')' AS label "
            "FROM equipment_models m JOIN manufacturers mf ON mf.id = m.manufacturer_id ORDER BY 2")).mappings().all()
    return {str(r["label"]): int(r["id"]) for r in rows}


def order_id_by_number(engine: Engine, actor: Actor, number: str) -> int | None:
    """The id of the order with this number, if the actor may see it."""
    actor.require("orders.read")
    with UnitOfWork(engine, actor) as uow:
        found = uow.session.execute(text("SELECT id FROM service_orders WHERE order_number = :n"),
                                    {"n": (number or "").strip().upper()[:32]}).scalar()
    return int(found) if found is not None else None


def _labels(engine: Engine, actor: Actor, sql: str) -> dict[str, int]:
    with UnitOfWork(engine, actor) as uow:
        rows = uow.session.execute(text(sql)).mappings().all()
    return {str(r["label"]): int(r["id"]) for r in rows}


def services(engine: Engine, actor: Actor) -> dict[str, int]:
    """Label → id of the active catalogue services ("Screen replacement · 89.00")."""
    actor.require("orders.read")
    return _labels(engine, actor, "SELECT id, name || ' · ' || default_price AS label FROM service_catalog_items"
                                  " WHERE is_active ORDER BY name")


def parts(engine: Engine, actor: Actor) -> dict[str, int]:
    """Label → id of parts ("SCR-IP13 · iPhone 13 screen · 120.00")."""
    actor.require("inventory.read")
    return _labels(engine, actor, "SELECT id, sku || ' · ' || name || ' · ' || sale_price AS label FROM parts"
                                  " ORDER BY sku")


def stock_locations(engine: Engine, actor: Actor) -> dict[str, int]:
    """Label → id of active stock locations ("Main warehouse (warehouse)")."""
    actor.require("inventory.read")
    return _labels(engine, actor, "SELECT id, name || ' (' || kind || ')' AS label FROM stock_locations"
                                  " WHERE is_active ORDER BY kind, name")


def order_extras(engine: Engine, actor: Actor, order_id: int) -> dict[str, list[dict[str, object]]]:
    """What hangs off an order besides lines and events: reservations, notes, attachments, invoices, payments,
    refunds and warranties. Each part needs its own read permission besides ``orders.read`` (a dispatcher sees
    the order, not its money); a part the actor may not read comes back empty."""
    actor.require("orders.read")
    queries = {
        "reservations": "SELECT p.sku, p.name AS part, r.quantity, l.name AS location, r.status FROM"
                        " stock_reservations r JOIN parts p ON p.id = r.part_id JOIN stock_locations l"
                        " ON l.id = r.location_id WHERE r.order_id = :o ORDER BY r.id",
        "notes": "SELECT created_at, body, is_internal FROM order_notes WHERE order_id = :o ORDER BY created_at",
        "attachments": "SELECT filename, content_type, size_bytes FROM attachments WHERE order_id = :o ORDER BY id",
        "invoices": "SELECT id, invoice_number, status, total, due_on FROM invoices WHERE order_id = :o ORDER BY id",
        "payments": "SELECT p.received_at, p.method, p.amount, p.refunded_amount, p.status FROM payments p"
                    " JOIN invoices i ON i.id = p.invoice_id WHERE i.order_id = :o ORDER BY p.id",
        "warranties": "SELECT w.id, w.kind, w.coverage, w.starts_on, w.ends_on FROM warranties w JOIN service_orders o"
                      " ON o.equipment_id = w.equipment_id WHERE o.id = :o ORDER BY w.ends_on DESC",
        "refunds": "SELECT r.id, r.amount, r.refunded_at, r.reason FROM refunds r"
                   " JOIN payments p ON p.id = r.payment_id JOIN invoices i ON i.id = p.invoice_id"
                   " WHERE i.order_id = :o ORDER BY r.id",
    }
    with UnitOfWork(engine, actor) as uow:
        return {name: [dict(r) for r in uow.session.execute(text(sql), {"o": order_id}).mappings()]
                if actor.can(EXTRA_PERMISSION.get(name, "orders.read")) else [] for name, sql in queries.items()}


# What each part of :func:`order_extras` needs besides ``orders.read``.
EXTRA_PERMISSION = {"reservations": "inventory.read", "invoices": "billing.read", "payments": "billing.read",
                    "refunds": "billing.read", "warranties": "warranty.read"}


def tenant_zone(engine: Engine, actor: Actor) -> ZoneInfo:
    """The tenant's time zone: days, shifts, "today" and the times people read are local."""
    with UnitOfWork(engine, actor) as uow:
        name: str = uow.session.execute(text("SELECT time_zone FROM tenants WHERE id = :t"),
                                   {"t": actor.tenant_id}).scalar_one()
    return ZoneInfo(str(name))


def tenant_currency(engine: Engine, actor: Actor) -> str:
    """The tenant's currency (ISO 4217 code): money on the pages is formatted in it, per the reader's language."""
    with UnitOfWork(engine, actor) as uow:
        code: str = uow.session.execute(text("SELECT currency FROM tenants WHERE id = :t"),
                                        {"t": actor.tenant_id}).scalar_one()
    return str(code)
