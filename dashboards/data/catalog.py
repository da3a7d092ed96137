"""Reference lists the forms offer and the company's zone and currency, from the queries of ``ops_db`` (each
checks the actor and runs under row-level security)."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from ops_db.assets.queries import equipment_models as _equipment_models
from ops_db.identity import queries as identity_queries
from ops_db.inventory import queries as inventory_queries
from ops_db.kit.db import Database
from ops_db.kit.uow import Actor, UnitOfWork
from ops_db.orders import queries as order_queries


def equipment_models(engine: Database, actor: Actor) -> dict[str, int]:
    """Label → id of the company's equipment models ("Apple · iPhone 13 (phone)"), sorted by label."""
    return _equipment_models(UnitOfWork(engine, actor))


def parts(engine: Database, actor: Actor) -> dict[str, int]:
    """Label → id of parts ("SCR-IP13 · iPhone 13 screen · 120.00")."""
    return inventory_queries.priced_parts(UnitOfWork(engine, actor))


def stock_locations(engine: Database, actor: Actor) -> dict[str, int]:
    """Label → id of active stock locations ("Main warehouse (warehouse)")."""
    return inventory_queries.stock_locations(UnitOfWork(engine, actor))


def tenant_zone(engine: Database, actor: Actor) -> ZoneInfo:
    """The company's time zone: days, shifts, "today" and the times people read are local."""
    return ZoneInfo(identity_queries.tenant_zone(UnitOfWork(engine, actor)))


def tenant_currency(engine: Database, actor: Actor) -> str:
    """The company's currency (ISO 4217 code): money on the pages is formatted in it, per the reader's language."""
    return identity_queries.tenant_currency(UnitOfWork(engine, actor))


def order_id_by_number(engine: Database, actor: Actor, number: str) -> int | None:
    """The id of the order with this number, if the actor may see it."""
    return order_queries.order_id_by_number(UnitOfWork(engine, actor), number)


def services(engine: Database, actor: Actor) -> dict[str, int]:
    """Label → id of the active catalogue services ("Screen replacement · 89.00")."""
    return order_queries.catalog_services(UnitOfWork(engine, actor))


def order_extras(engine: Database, actor: Actor, order_id: int) -> dict[str, list[dict[str, object]]]:
    """What hangs off an order besides lines and events (each part under its own read permission)."""
    return order_queries.order_extras(UnitOfWork(engine, actor), order_id)
