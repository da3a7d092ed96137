"""Reads of customers and their devices for the pages: each checks ``customers.read`` first, then reads under
row-level security (a customer login sees only its own rows; the queries still say so, for clarity)."""

from __future__ import annotations

from ops_db.kit.rows import Rows, fetch_rows
from ops_db.kit.uow import UnitOfWork


def my_devices(uow: UnitOfWork) -> Rows:
    """The signed-in customer's registered devices with their latest warranty end, by model."""
    uow.actor.require("customers.read")
    return fetch_rows(
        uow,
        (
            "SELECT m.name AS model, e.serial_number, e.purchase_date,"
            " (SELECT max(w.ends_on) FROM warranties w WHERE w.equipment_id = e.id) AS warranty_until"
            " FROM equipment e JOIN equipment_models m ON m.id = e.model_id WHERE e.customer_id = :c"
            " ORDER BY m.name"
        ),
        {"c": uow.actor.customer_id},
        ("model", "serial_number", "purchase_date", "warranty_until"),
    )
