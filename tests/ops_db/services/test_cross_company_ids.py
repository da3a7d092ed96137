"""Every service that takes ids from its caller looks each one up: another company's id (hidden by row-level
security) is refused with exactly the sentence of an id that exists nowhere, and nothing is written. What the
API does not reach is probed here: transfers, counts, purchase orders, users, technicians, skills, maintenance
plans, plan items, warranty claims, messages."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from sqlalchemy import text

from ops_db.comms.service import post_message
from ops_db.customers.schemas import CustomerIn
from ops_db.identity.service import create_user
from ops_db.inventory import service as inventory
from ops_db.inventory.schemas import PurchaseLineIn
from ops_db.kit.errors import NotFound
from ops_db.kit.uow import UnitOfWork
from ops_db.maintenance.service import create_plan
from ops_db.orders import service as orders
from ops_db.warranty.service import file_claim
from ops_db.workforce import service as workforce
from ops_db.workforce.schemas import TechnicianIn
from tests.companies import Company, build, system
from tests.conftest import Shop

START = datetime(2031, 3, 4, 9, tzinfo=UTC)
END = datetime(2031, 3, 4, 17, tzinfo=UTC)
Call = Callable[[UnitOfWork, Company, int], object]

# Each probe: which of the other company's ids it sends, and the service call that carries it (ours around it).
PROBES: dict[str, tuple[Callable[[Company], int], Call]] = {
    "transfer from": (
        lambda c: c.location,
        lambda uow, ours, i: inventory.transfer(uow, i, ours.location, [(ours.part, 1)]),
    ),
    "transfer to": (
        lambda c: c.location,
        lambda uow, ours, i: inventory.transfer(uow, ours.location, i, [(ours.part, 1)]),
    ),
    "transfer part": (
        lambda c: c.part,
        lambda uow, ours, i: inventory.transfer(uow, ours.location, ours.van, [(i, 1)]),
    ),
    "count part": (lambda c: c.part, lambda uow, ours, i: inventory.adjust(uow, i, ours.location, 3, "count")),
    "count location": (lambda c: c.location, lambda uow, ours, i: inventory.adjust(uow, ours.part, i, 3, "count")),
    "purchase supplier": (
        lambda c: c.supplier,
        lambda uow, ours, i: inventory.create_purchase_order(uow, i, ours.location, [PurchaseLineIn(ours.part, 1)]),
    ),
    "purchase delivery location": (
        lambda c: c.location,
        lambda uow, ours, i: inventory.create_purchase_order(uow, ours.supplier, i, [PurchaseLineIn(ours.part, 1)]),
    ),
    "purchase part": (
        lambda c: c.part,
        lambda uow, ours, i: inventory.create_purchase_order(uow, ours.supplier, ours.location, [PurchaseLineIn(i, 1)]),
    ),
    "purchase for order": (
        lambda c: c.order,
        lambda uow, ours, i: inventory.create_purchase_order(
            uow, ours.supplier, ours.location, [PurchaseLineIn(ours.part, 1)], for_order_id=i
        ),
    ),
    "user for customer": (
        lambda c: c.customer,
        lambda uow, ours, i: create_user(uow, "new@acme.example", "New", "new-pass-12", ["customer"], customer_id=i),
    ),
    "technician for user": (
        lambda c: c.user,
        lambda uow, ours, i: workforce.create_technician(
            uow, TechnicianIn(name="New", hourly_cost=Decimal(20), user_id=i)
        ),
    ),
    "skill of technician": (lambda c: c.technician, lambda uow, ours, i: workforce.set_skill(uow, i, "welding", 2)),
    "shift of technician": (lambda c: c.technician, lambda uow, ours, i: workforce.add_shift(uow, i, START, END)),
    "time off of technician": (
        lambda c: c.technician,
        lambda uow, ours, i: workforce.add_time_off(uow, i, START, END, "leave"),
    ),
    "intake skill": (
        lambda c: c.skill,
        lambda uow, ours, i: orders.register_intake(
            uow,
            orders.IntakeIn(
                customer=CustomerIn(name="Sam", email="sam@acme.example"),
                problem_description="Noise",
                required_skill_id=i,
            ),
        ),
    ),
    "maintenance device": (
        lambda c: c.equipment,
        lambda uow, ours, i: create_plan(uow, i, "Yearly", "Clean", 365, date(2031, 1, 1)),
    ),
    "maintenance skill": (
        lambda c: c.skill,
        lambda uow, ours, i: create_plan(
            uow, ours.equipment, "Yearly", "Clean", 365, date(2031, 1, 1), required_skill_id=i
        ),
    ),
    "booking plan item": (
        lambda c: c.plan_item,
        lambda uow, ours, i: workforce.book(
            uow, ours.order, ours.technician, START, START.replace(hour=10), plan_item_id=i
        ),
    ),
    "claim warranty": (lambda c: c.warranty, lambda uow, ours, i: file_claim(uow, i, ours.order, "10", "cracked")),
    "claim order": (lambda c: c.order, lambda uow, ours, i: file_claim(uow, ours.warranty, i, "10", "cracked")),
    "message on order": (lambda c: c.order, lambda uow, ours, i: post_message(uow, i, "Hello")),
}
WRITTEN = (
    "stock_transfers",
    "stock_levels",
    "stock_movements",
    "purchase_orders",
    "users",
    "technicians",
    "technician_skills",
    "shifts",
    "time_off",
    "service_orders",
    "maintenance_plans",
    "bookings",
    "warranty_claims",
    "messages",
)


def _counts(shop: Shop) -> dict[str, int]:
    with system(shop) as uow:
        return {t: uow.session.execute(text(f"SELECT count(*) FROM {t}")).scalar_one() for t in WRITTEN}


def _refusal(shop: Shop, call: Call, ours: Company, probed: int) -> tuple[str, str]:
    with pytest.raises(NotFound) as refused:
        call(system(shop), ours, probed)
    return refused.value.template, refused.value.message.replace(str(probed), "<id>")


def test_services_refuse_another_companys_ids_like_ids_that_exist_nowhere(shop: Shop) -> None:
    ours, theirs = build(shop), build(Shop(shop.url, slug="globex"))
    before = _counts(shop)
    nowhere = 10**12
    for case, (pick, call) in PROBES.items():
        foreign = _refusal(shop, call, ours, pick(theirs))
        assert foreign == _refusal(shop, call, ours, nowhere), case
        assert "<id>" in foreign[1], (case, foreign)  # the sentence names the id it could not find
    assert _counts(shop) == before
