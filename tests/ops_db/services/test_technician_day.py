"""The technician's phone through the services: a visit finished with the signature drawn on screen (kept as an
image the sign-off points at) and the job type's checklist, any part from the van, and every action sent twice
with one submission key (a phone syncing its queue again after a dropped answer) done once."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text

from ops_db.customers.schemas import CustomerIn
from ops_db.inventory import service as inventory
from ops_db.inventory import van
from ops_db.kit.db import admin_engine
from ops_db.kit.errors import Conflict, ValidationError
from ops_db.kit.idempotency import AlreadyDone, submitting
from ops_db.kit.uow import Actor
from ops_db.orders import service as orders
from ops_db.settings import get_settings
from ops_db.workforce import service as workforce
from ops_db.workforce.checklists import checklist_for
from ops_db.workforce.schemas import TechnicianIn
from tests.conftest import Shop

PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89"
SIGNATURE = orders.FileIn("signature.png", "image/png", PNG)
CHECKLIST = [item.code for item in checklist_for(None, "workshop")]


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    monkeypatch.setenv("REPAIROPS_DATA_DIR", str(tmp_path))
    get_settings.cache_clear()
    yield tmp_path
    get_settings.cache_clear()


def _sql(shop: Shop, sql: str, **params: Any) -> Any:
    with admin_engine(shop.url).begin() as conn:
        return conn.execute(text(sql), params).scalar()


def _job(shop: Shop) -> tuple[Actor, int, int]:
    """A technician login with a van holding 3 fuses, and a job booked for them: (actor, booking, order)."""
    tech = workforce.create_technician(shop.uow(), TechnicianIn(name="Tia", hourly_cost=Decimal("30")))
    actor = shop.person("technician", technician_id=tech.id)
    van_id = _sql(
        shop,
        "INSERT INTO stock_locations (tenant_id, code, name, kind) VALUES (:t, 'VAN1', 'Van 1', 'van') RETURNING id",
        t=shop.tenant_id,
    )
    _sql(shop, "UPDATE technicians SET van_location_id = :v WHERE id = :t RETURNING id", v=van_id, t=tech.id)
    fuse = inventory.create_part(shop.uow(), "FUSE-1", "Fuse", unit_cost="1", sale_price="4")
    inventory.adjust(shop.uow(), fuse.id, van_id, 3, "loaded the van")
    receipt = orders.register_intake(
        shop.uow(),
        orders.IntakeIn(
            customer=CustomerIn(name="Lena", email="lena@example.com", phone="+13125550100"),
            problem_description="Fridge warm",
        ),
    )
    start = datetime.now(UTC).replace(microsecond=0) + timedelta(hours=1)
    booking = workforce.book(shop.uow(), receipt.order_id, tech.id, start, start + timedelta(hours=1))
    for stage in ("diagnostics", "repair"):
        orders.transition(shop.uow(), receipt.order_id, stage)
    return actor, booking.id, receipt.order_id


def test_the_signature_drawn_on_screen_is_kept_with_the_sign_off(shop: Shop, data_dir: Path) -> None:
    tech, booking, order = _job(shop)
    workforce.check_in(shop.uow(tech), booking)
    scribble = orders.FileIn("signature.png", "image/png", b"not a drawing")
    with pytest.raises(ValidationError, match="is not a photo"):
        workforce.complete_visit(shop.uow(tech), booking, "Lena", "Relay", signature=scribble)
    workforce.complete_visit(
        shop.uow(tech), booking, "Lena", "Relay replaced", checklist=CHECKLIST, signature=SIGNATURE
    )
    kind = _sql(
        shop,
        "SELECT a.content_type FROM order_signoffs s JOIN attachments a ON a.id = s.signature_attachment_id"
        " WHERE s.order_id = :o AND a.order_id = :o",
        o=order,
    )
    assert kind == "image/png"
    assert _sql(shop, "SELECT status FROM bookings WHERE id = :b", b=booking) == "done"


def test_a_visit_is_not_finished_while_a_checklist_item_is_unticked(shop: Shop, data_dir: Path) -> None:
    tech, booking, _order = _job(shop)
    workforce.check_in(shop.uow(tech), booking)
    with pytest.raises(ValidationError, match=r'^Tick the checklist item "Tested after the repair"'):
        workforce.complete_visit(shop.uow(tech), booking, "Lena", "Relay", checklist=CHECKLIST[:1])
    assert _sql(shop, "SELECT count(*) FROM order_signoffs") == 0
    workforce.complete_visit(shop.uow(tech), booking, "Lena", "Relay", checklist=CHECKLIST)
    ticked = _sql(shop, "SELECT after->'checklist' FROM audit_log WHERE action = 'booking.check_out'")
    assert ticked == CHECKLIST


def test_the_checklist_follows_the_job_type() -> None:
    hvac = [item.code for item in checklist_for("hvac", "workshop")]
    assert hvac[:3] == ["filters", "pressures", "thermostat"] and hvac[3:] == CHECKLIST
    assert checklist_for(None, "workshop") != checklist_for(None, "field")


def test_any_part_from_the_van_is_used_and_charged_once_per_key(shop: Shop) -> None:
    tech, booking, order = _job(shop)
    workforce.check_in(shop.uow(tech), booking)
    [fuse] = van.van_stock(shop.uow(tech)).records
    assert (fuse["sku"], fuse["free"]) == ("FUSE-1", Decimal("3"))
    van.use_from_van(shop.uow(tech), order, int(fuse["part_id"]), 2)
    assert van.van_stock(shop.uow(tech)).records[0]["free"] == Decimal("1")
    assert _sql(shop, "SELECT count(*) FROM order_lines WHERE order_id = :o AND kind = 'part'", o=order) == 1
    with pytest.raises(Conflict, match=r"^Only 1 of FUSE-1 free in your van; 2 asked\.$"):
        van.use_from_van(shop.uow(tech), order, int(fuse["part_id"]), 2)
    with pytest.raises(ValidationError, match=r"^You have no van stock"):
        van.van_stock(shop.uow(shop.person("technician")))


def test_each_queued_action_sent_twice_is_done_once(shop: Shop, data_dir: Path) -> None:
    """A phone whose answer was lost sends its queued action again with the same key (the API's Idempotency-Key
    header opens the same submission block): the second sending does nothing and says it was done."""
    tech, booking, order = _job(shop)
    [fuse] = van.van_stock(shop.uow(tech)).records
    actions: list[tuple[str, Callable[[], object]]] = [
        ("k-check-in", lambda: workforce.check_in(shop.uow(tech), booking)),
        ("k-note", lambda: orders.add_note(shop.uow(tech), order, "Compressor noisy")),
        ("k-photo", lambda: orders.add_attachment(shop.uow(tech), order, SIGNATURE, photo=True)),
        ("k-part", lambda: van.use_from_van(shop.uow(tech), order, int(fuse["part_id"]), 1)),
        ("k-done", lambda: workforce.complete_visit(shop.uow(tech), booking, "Lena", None, signature=SIGNATURE)),
    ]
    for key, act in actions:
        with submitting(key, key):
            act()
        with submitting(key, key), pytest.raises(AlreadyDone):
            act()
    assert _sql(shop, "SELECT count(*) FROM time_entries WHERE booking_id = :b", b=booking) == 1
    assert _sql(shop, "SELECT count(*) FROM order_notes WHERE order_id = :o", o=order) == 1
    assert _sql(shop, "SELECT count(*) FROM audit_log WHERE action = 'order.attach'") == 1
    assert _sql(shop, "SELECT count(*) FROM stock_movements WHERE order_id = :o", o=order) == 1
    assert _sql(shop, "SELECT count(*) FROM order_signoffs WHERE order_id = :o", o=order) == 1
