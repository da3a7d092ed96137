"""A closed stock location (a retired van) takes no stock and no reservations, and stock can still leave it."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import text

from ops_db.inventory import service as inventory
from ops_db.kit.errors import Conflict
from tests.api.test_stripe import _invoice
from tests.conftest import Shop


def _locations(shop: Shop) -> tuple[int, int]:
    """(the main warehouse, a van that is then closed)."""
    with shop.uow() as uow:
        warehouse = uow.session.execute(text("SELECT id FROM stock_locations WHERE code = 'WH1'")).scalar_one()
        van = uow.session.execute(
            text(
                "INSERT INTO stock_locations (tenant_id, code, name, kind) VALUES "
                "(current_setting('app.tenant_id')::bigint, 'VAN9', 'Old van', 'van') RETURNING id"
            )
        ).scalar_one()
        uow.commit()
    return int(warehouse), int(van)


def test_a_closed_location_takes_nothing_in_but_can_be_emptied(shop: Shop) -> None:
    warehouse, van = _locations(shop)
    part = inventory.create_part(shop.uow(), "FAN-1", "Fan", unit_cost="5")
    inventory.adjust(shop.uow(), part.id, van, 4, "found in the van")
    inventory.adjust(shop.uow(), part.id, warehouse, 1, "count")
    with shop.uow() as uow:
        uow.session.execute(text("UPDATE stock_locations SET is_active = false WHERE id = :v"), {"v": van})
        uow.commit()
    with pytest.raises(Conflict, match=r"VAN9 · Old van is closed; choose an active location\."):
        inventory.transfer(shop.uow(), warehouse, van, [(part.id, 1)])
    _customer, _invoice_id = _invoice(shop)  # a finished order; reserve against a fresh one below
    with shop.uow() as uow:
        order_id = uow.session.execute(text("SELECT id FROM service_orders ORDER BY id LIMIT 1")).scalar_one()
        uow.session.execute(text("UPDATE service_orders SET stage = 'repair' WHERE id = :o"), {"o": order_id})
        uow.commit()
    with pytest.raises(Conflict, match="is closed"):
        inventory.reserve(shop.uow(), order_id, part.id, 1, van)
    picked = inventory.reserve(shop.uow(), order_id, part.id, 1)  # the van has more, but it is closed
    assert picked.location_id == warehouse
    inventory.transfer(shop.uow(), van, warehouse, [(part.id, 4)])  # emptying the old van is fine
    with shop.uow() as uow:
        levels = dict(
            uow.session.execute(
                text("SELECT location_id, quantity FROM stock_levels WHERE part_id = :p"), {"p": part.id}
            )
            .tuples()
            .all()
        )
    assert levels == {warehouse: Decimal(5), van: Decimal(0)}
