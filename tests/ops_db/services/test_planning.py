"""Proposed plans against current bookings: diff, accept all or part, disruptions."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import text

from ops_db.customers.schemas import CustomerIn
from ops_db.kit.errors import Conflict
from ops_db.orders import service as orders
from ops_db.workforce import planning
from ops_db.workforce import service as workforce
from ops_db.workforce.schemas import TechnicianIn
from tests.conftest import Shop

DAY = date(2031, 3, 4)


def _at(hour: int, minute: int = 0) -> datetime:
    return datetime(DAY.year, DAY.month, DAY.day, hour, minute, tzinfo=UTC)


def _world(shop: Shop) -> tuple[list[int], list[int]]:
    techs = [
        workforce.create_technician(shop.uow(), TechnicianIn(name=f"Tech {i}", hourly_cost=Decimal(30))).id
        for i in range(2)
    ]
    for t in techs:
        workforce.add_shift(shop.uow(), t, _at(8), _at(17), break_window=(_at(12), _at(14)), break_minutes=30)
    order_ids = [
        orders.register_intake(
            shop.uow(),
            orders.IntakeIn(
                customer=CustomerIn(name=f"Customer {i}", email=f"c{i}@example.com"),
                problem_description="Broken",
                location="workshop",
                estimated_minutes=60,
            ),
        ).order_id
        for i in range(4)
    ]
    return techs, order_ids


def _item(order_id: int, tech: int | None, hour: int | None, seq: int = 0) -> dict[str, object]:
    if tech is None or hour is None:
        return {"order_id": order_id, "technician_id": None, "unassigned_reason": "capacity"}
    return {
        "order_id": order_id,
        "technician_id": tech,
        "sequence": seq,
        "start": _at(hour).isoformat(),
        "end": _at(hour + 1).isoformat(),
        "explanation": {"why": "test"},
    }


def test_diff_classifies_every_change_and_accept_applies_it(shop: Shop) -> None:
    (a, b), (o1, o2, o3, o4) = _world(shop)
    workforce.book(shop.uow(), o1, a, _at(9), _at(10))  # will stay
    workforce.book(shop.uow(), o2, a, _at(10), _at(11))  # will move to 15:00
    workforce.book(shop.uow(), o3, b, _at(9), _at(10))  # will go to technician a
    snap = planning.snapshot(shop.uow(), DAY)
    assert {j["id"] for j in snap["jobs"]} == {str(o) for o in (o1, o2, o3, o4)}
    assert {t["id"] for t in snap["technicians"]} == {str(a), str(b)}
    saved = planning.save_proposed_plan(
        shop.uow(),
        DAY,
        [_item(o1, a, 9), _item(o2, a, 15), _item(o3, a, 11), _item(o4, b, 9)],
        kpis={"served": 4},
        solver="test",
        time_limit=1,
        seed=0,
    )
    changes = {r.order_id: r.change for r in planning.plan_diff(shop.uow(), saved.plan_id)}
    assert changes == {o1: "unchanged", o2: "moved", o3: "reassigned", o4: "new"}

    # o4 alone would clash with o3's current booking on b; taking both frees the slot first.
    alone = planning.accept_plan(shop.uow(), saved.plan_id, [o4])
    assert alone.failed == {o4: "The technician is already booked at that time."}
    partial = planning.accept_plan(shop.uow(), saved.plan_id, [o3, o4])
    assert len(partial.booked) == 2 and not partial.failed and partial.status == "partially_accepted"
    result = planning.accept_plan(shop.uow(), saved.plan_id)
    assert not result.failed and result.status == "accepted"
    with shop.uow() as uow:
        rows = uow.session.execute(
            text(
                "SELECT order_id, technician_id, lower(planned) FROM bookings WHERE status = 'confirmed'"
                " ORDER BY order_id"
            )
        ).all()
    # The hour in UTC, as the plan was made: the server hands timestamps back in its own zone (the machine's).
    assert [(r[0], r[1], r[2].astimezone(UTC).hour) for r in rows] == [(o1, a, 9), (o2, a, 15), (o3, a, 11), (o4, b, 9)]
    with pytest.raises(Conflict, match="only a current proposal"):
        planning.accept_plan(shop.uow(), saved.plan_id)


def test_accept_refuses_an_item_that_overlaps_a_booking_outside_the_selection(shop: Shop) -> None:
    (a, _b), (o1, o2, _o3, _o4) = _world(shop)
    workforce.book(shop.uow(), o1, a, _at(9), _at(10))
    saved = planning.save_proposed_plan(
        shop.uow(), DAY, [_item(o1, a, 9), _item(o2, a, 9)], kpis={}, solver="test", time_limit=1, seed=0
    )
    result = planning.accept_plan(shop.uow(), saved.plan_id, [o2])
    assert result.failed == {o2: "The technician is already booked at that time."}
    assert result.booked == []


def test_sick_technician_and_late_job_free_their_later_bookings(shop: Shop) -> None:
    (a, b), (o1, o2, o3, _o4) = _world(shop)
    first = workforce.book(shop.uow(), o1, a, _at(9), _at(10))
    workforce.book(shop.uow(), o2, a, _at(10), _at(11))
    workforce.book(shop.uow(), o3, b, _at(13), _at(14))
    assert planning.job_running_late(shop.uow(), first.id, _at(10, 30)) == [o2]
    assert planning.technician_off_sick(shop.uow(), b, _at(12)) == [o3]
    snap = planning.snapshot(shop.uow(), DAY, now=_at(12))
    tech_b = next(t for t in snap["technicians"] if t["id"] == str(b))
    assert tech_b["shift_end"] == _at(12).isoformat()
    freed = {j["id"]: j for j in snap["jobs"]}
    assert freed[str(o3)]["current"] is None and freed[str(o2)]["current"] is None
    assert freed[str(o3)]["windows"][0][0] == (_at(12)).isoformat()
    with pytest.raises(Conflict, match="off"):
        workforce.book(shop.uow(), o3, b, _at(15), _at(16))
    assert timedelta(0) < _at(17) - _at(12)
