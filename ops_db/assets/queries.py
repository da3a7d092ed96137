"""Reads of the equipment catalogue for the forms: each checks the actor's permission first, then reads under
row-level security."""

from __future__ import annotations

from ops_db.kit.rows import fetch_rows
from ops_db.kit.uow import UnitOfWork


def equipment_models(uow: UnitOfWork) -> dict[str, int]:
    """Label → id of the company's equipment models ("Apple · iPhone 13 (phone)"), sorted by label (what intake
    offers: ``orders.read``)."""
    uow.actor.require("orders.read")
    found = fetch_rows(
        uow,
        "SELECT m.id, mf.name || ' · ' || m.name || ' (' || m.category || ')' AS label "
        "FROM equipment_models m JOIN manufacturers mf ON mf.id = m.manufacturer_id ORDER BY 2",
    )
    return {str(r["label"]): int(r["id"]) for r in found}
