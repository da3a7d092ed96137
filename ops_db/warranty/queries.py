"""Reads of warranties for the pages: each checks ``warranty.read`` first, then reads under row-level security."""

from __future__ import annotations

from ops_db.kit.rows import Rows, fetch_rows
from ops_db.kit.uow import UnitOfWork


def my_warranties(uow: UnitOfWork) -> Rows:
    """Warranties on the signed-in customer's devices (manufacturer's and on our repairs), latest end first."""
    uow.actor.require("warranty.read")
    return fetch_rows(
        uow,
        (
            "SELECT m.name AS device, e.serial_number, w.kind, w.coverage, w.starts_on, w.ends_on"
            " FROM warranties w JOIN equipment e ON e.id = w.equipment_id"
            " JOIN equipment_models m ON m.id = e.model_id WHERE e.customer_id = :c ORDER BY w.ends_on DESC"
        ),
        {"c": uow.actor.customer_id},
        ("device", "serial_number", "kind", "coverage", "starts_on", "ends_on"),
    )
