"""Row-level security by raw SQL, the second factor, SLA clocks and warranties, against real Postgres."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pyotp
import pytest
from sqlalchemy import CursorResult, text

from ops_db.customers.schemas import CustomerIn
from ops_db.customers.service import create_customer
from ops_db.identity.service import AuthenticationFailed, authenticate, confirm_totp, enroll_totp
from ops_db.inventory import service as inventory
from ops_db.kit.db import admin_engine
from ops_db.kit.errors import Conflict, NotFound, PermissionDenied, ValidationError
from ops_db.kit.uow import Actor, UnitOfWork
from ops_db.orders import service as orders
from ops_db.sla.service import evaluate_clocks
from ops_db.warranty import service as warranty
from ops_db.workforce import service as workforce
from ops_db.workforce.schemas import TechnicianIn
from tests.conftest import Shop


def _order(shop: Shop, name: str, *, priority: str = "normal") -> tuple[int, int]:
    customer = create_customer(shop.uow(), CustomerIn(name=name, email=f"{name.lower()}@example.com"))
    receipt = orders.register_intake(
        shop.uow(),
        orders.IntakeIn(customer=None, customer_id=customer.id, problem_description="Broken", priority=priority),
    )
    return customer.id, receipt.order_id


def _rows(shop: Shop, actor: Actor, sql: str) -> list[int]:
    """What raw SQL returns inside the actor's database context, with no service-level filtering."""
    with UnitOfWork(shop.engine, actor) as uow:
        return sorted(uow.session.execute(text(sql)).scalars())


def test_postgres_itself_hides_other_customers_rows_from_a_customer(shop: Shop) -> None:
    ann_id, ann_order = _order(shop, "Ann")
    _bob_id, _bob_order = _order(shop, "Bob")
    ann = shop.person("customer", customer_id=ann_id)
    assert isinstance(ann, Actor)
    assert _rows(shop, ann, "SELECT id FROM service_orders") == [ann_order]
    assert _rows(shop, ann, "SELECT id FROM customers") == [ann_id]
    assert _rows(shop, ann, "SELECT DISTINCT order_id FROM order_events") == [ann_order]
    assert _rows(shop, ann, "SELECT id FROM technicians") == []  # staff tables are closed to customers
    with UnitOfWork(shop.engine, ann) as uow:  # and writing past the policy fails in the database
        update = uow.session.execute(
            text("UPDATE service_orders SET problem_description = 'x' WHERE id <> :o"), {"o": ann_order}
        )
        assert isinstance(update, CursorResult)  # a DML statement's result: it has a rowcount
        changed = update.rowcount
    assert changed == 0


def test_a_technician_sees_only_customers_of_jobs_assigned_to_them(shop: Shop) -> None:
    ann_id, ann_order = _order(shop, "Ann")
    bob_id, _ = _order(shop, "Bob")
    tech = workforce.create_technician(shop.uow(), TechnicianIn(name="Tia", hourly_cost=Decimal("30")))
    other = workforce.create_technician(shop.uow(), TechnicianIn(name="Tom", hourly_cost=Decimal("30")))
    tia = shop.person("technician", technician_id=tech.id)
    assert isinstance(tia, Actor)
    assert _rows(shop, tia, "SELECT id FROM customers") == []
    from datetime import UTC, datetime

    start = datetime.now(UTC).replace(microsecond=0) + timedelta(days=1)
    workforce.book(shop.uow(), ann_order, tech.id, start, start + timedelta(hours=1))
    assert _rows(shop, tia, "SELECT id FROM customers") == [ann_id]
    assert bob_id not in _rows(shop, tia, "SELECT id FROM customers")
    assert other.id > 0
    # A login with the technician role that nobody linked to a technician record sees no one's jobs (it used to
    # count as office staff and see every order).
    loose = shop.person("technician")
    assert isinstance(loose, Actor) and loose.technician_id is None and loose.is_technician_only
    assert _rows(shop, loose, "SELECT id FROM customers") == []
    assert orders.list_orders(shop.uow(loose)) == ([], 0)
    with pytest.raises(NotFound):
        orders.get_order(shop.uow(loose), ann_order)


def test_tenants_are_walled_off_even_for_raw_sql(shop: Shop) -> None:
    _order(shop, "Ann")
    globex = Shop(shop.url, slug="globex")
    assert _rows(shop, Actor.system(globex.tenant_id), "SELECT id FROM service_orders") == []
    assert (
        _rows(shop, Actor.system(globex.tenant_id), f"SELECT id FROM audit_log WHERE tenant_id = {shop.tenant_id}")
        == []
    )


def test_second_factor_is_required_once_set_up_and_a_code_cannot_be_replayed(shop: Shop) -> None:
    person = shop.person("manager")
    assert isinstance(person, Actor) and person.user_id is not None
    email = f"manager{shop._users}@acme.example"
    uri = enroll_totp(UnitOfWork(shop.engine, person))
    totp = pyotp.parse_uri(uri)
    assert isinstance(totp, pyotp.TOTP)
    with pytest.raises(ValidationError):
        confirm_totp(UnitOfWork(shop.engine, person), "000000" if totp.now() != "000000" else "111111")
    confirm_totp(UnitOfWork(shop.engine, person), totp.now())

    with pytest.raises(AuthenticationFailed, match="6-digit code"):
        authenticate(shop.engine, shop.tenant_id, email, "person-pass-1")
    assert pyotp.TOTP(totp.secret).at(datetime_now_plus(30)) is not None
    signed = authenticate(
        shop.engine, shop.tenant_id, email, "person-pass-1", pyotp.TOTP(totp.secret).at(datetime_now_plus(30))
    )
    assert signed.actor.user_id == person.user_id
    with pytest.raises(AuthenticationFailed):  # the same code again is a replay
        authenticate(
            shop.engine, shop.tenant_id, email, "person-pass-1", pyotp.TOTP(totp.secret).at(datetime_now_plus(30))
        )


def datetime_now_plus(seconds: int) -> int:
    import time

    return int(time.time()) + seconds


def test_tenant_requiring_totp_refuses_users_without_it(shop: Shop) -> None:
    with shop.uow() as uow:
        uow.session.execute(text("UPDATE tenants SET require_totp = true"))
        uow.commit()
    with pytest.raises(AuthenticationFailed, match="requires a second sign-in step"):
        authenticate(shop.engine, shop.tenant_id, "admin@acme.example", "admin-pass-1")
    # The web app lets the right password through to set one up, and to nothing else.
    pending = authenticate(shop.engine, shop.tenant_id, "admin@acme.example", "admin-pass-1", allow_enrolment=True)
    assert pending.token == "" and pending.actor.second_factor_pending and not pending.actor.permissions
    with pytest.raises(PermissionDenied):
        create_customer(shop.uow(pending.actor), CustomerIn(name="Sneaky", email="sneaky@mail.example"))
    with pytest.raises(AuthenticationFailed, match="not correct"):
        authenticate(shop.engine, shop.tenant_id, "admin@acme.example", "wrong-pass", allow_enrolment=True)


def _clock_states(shop: Shop, order_id: int) -> dict[str, str]:
    with shop.uow() as uow:
        rows = uow.session.execute(
            text("SELECT kind, state FROM sla_clocks WHERE order_id = :o"), {"o": order_id}
        ).all()
    return {r.kind: r.state for r in rows}


def test_sla_clocks_start_on_intake_pause_for_the_customer_and_go_at_risk_then_breached(shop: Shop) -> None:
    _, order_id = _order(shop, "Ann", priority="high")
    assert _clock_states(shop, order_id) == {"response": "running", "resolution": "running"}
    orders.transition(shop.uow(), order_id, "diagnostics")
    assert _clock_states(shop, order_id)["response"] in ("met", "breached")
    orders.add_line(shop.uow(), order_id, orders.LineIn(kind="labour", description="Work", unit_price=Decimal("500")))
    orders.send_estimate(shop.uow(), order_id)
    assert _clock_states(shop, order_id)["resolution"] == "paused"
    with shop.uow() as uow:
        due: Any = uow.session.execute(  # Any, not datetime: a second assignment below would read as Never
            text("SELECT due_at FROM sla_clocks WHERE order_id = :o AND kind = 'resolution'"), {"o": order_id}
        ).scalar_one()
    assert evaluate_clocks(shop.uow(), now=due + timedelta(days=30)) == {"at_risk": 0, "breached": 0}
    orders.decide_estimate(shop.uow(), order_id, True)
    assert _clock_states(shop, order_id)["resolution"] == "running"
    with shop.uow() as uow:
        due = uow.session.execute(
            text("SELECT due_at FROM sla_clocks WHERE order_id = :o AND kind = 'resolution'"), {"o": order_id}
        ).scalar_one()
    assert evaluate_clocks(shop.uow(), now=due - timedelta(seconds=1)) == {"at_risk": 1, "breached": 0}
    assert evaluate_clocks(shop.uow(), now=due + timedelta(seconds=1)) == {"at_risk": 0, "breached": 1}
    with shop.uow() as uow:
        sent = (
            uow.session.execute(text("SELECT event FROM notification_outbox WHERE event LIKE 'sla_%' ORDER BY id"))
            .scalars()
            .all()
        )
    assert sent[:1] == ["sla_at_risk"] and "sla_breached" in sent


def _clocks_due(shop: Shop, order_id: int) -> dict[str, datetime]:
    with shop.uow() as uow:
        rows = uow.session.execute(
            text("SELECT kind, due_at FROM sla_clocks WHERE order_id = :o"), {"o": order_id}
        ).all()
    return {r.kind: r.due_at for r in rows}


def test_triage_raises_the_priority_retargets_the_sla_clocks_and_is_audited(shop: Shop) -> None:
    _, order_id = _order(shop, "Tia")
    before = _clocks_due(shop, order_id)
    desk = shop.person("front_desk")
    order = orders.set_priority(shop.uow(desk), order_id, "emergency", reason="Customer's only phone")
    assert order.priority == "emergency"
    after = _clocks_due(shop, order_id)
    assert after["response"] < before["response"] and after["resolution"] < before["resolution"]
    with shop.uow() as uow:
        audited = uow.session.execute(
            text(
                "SELECT before->>'priority', after->>'priority' FROM audit_log"
                " WHERE action = 'order.priority' AND entity_id = :o"
            ),
            {"o": order_id},
        ).one()
    assert tuple(audited) == ("normal", "emergency")


def test_triage_refuses_bad_input_and_changes_nothing(shop: Shop) -> None:
    _, order_id = _order(shop, "Uma")
    before = _clocks_due(shop, order_id)
    with pytest.raises(ValidationError, match="priority must be one of"):
        orders.set_priority(shop.uow(), order_id, "whenever")
    with pytest.raises(Conflict, match="already normal priority"):
        orders.set_priority(shop.uow(), order_id, "normal")
    with pytest.raises(PermissionDenied):
        orders.set_priority(shop.uow(shop.person("finance")), order_id, "high")
    orders.transition(shop.uow(), order_id, "cancelled")
    with pytest.raises(Conflict, match="no longer matters"):
        orders.set_priority(shop.uow(), order_id, "high")
    assert _clocks_due(shop, order_id) == before


def _stages(shop: Shop, order_ids: list[int]) -> dict[int, tuple[str, str]]:
    with shop.uow() as uow:
        rows = uow.session.execute(
            text("SELECT id, stage, priority FROM service_orders WHERE id = ANY(:ids)"), {"ids": order_ids}
        ).all()
    return {r.id: (r.stage, r.priority) for r in rows}


def test_bulk_actions_change_every_chosen_order_in_one_transaction(shop: Shop) -> None:
    ids = [_order(shop, name)[1] for name in ("Vic", "Wes", "Xia")]
    desk = shop.person("front_desk")
    moved = orders.bulk_transition(shop.uow(desk), [*ids, ids[0]], "diagnostics")
    assert len(moved) == 3
    assert orders.bulk_set_priority(shop.uow(desk), ids, "high", reason="storm week") == moved
    assert set(_stages(shop, ids).values()) == {("diagnostics", "high")}
    with shop.uow() as uow:
        events = uow.session.execute(
            text("SELECT count(*) FROM order_events WHERE order_id = ANY(:ids) AND to_stage = 'diagnostics'"),
            {"ids": ids},
        ).scalar_one()
    assert events == 3


def test_bulk_action_refused_for_one_order_changes_none(shop: Shop) -> None:
    ids = [_order(shop, name)[1] for name in ("Yan", "Zoe")]
    orders.transition(shop.uow(), ids[1], "cancelled")
    before = _stages(shop, ids)
    with pytest.raises(Conflict, match=r"Nothing was changed\.$"):
        orders.bulk_transition(shop.uow(), ids, "diagnostics")
    with pytest.raises(Conflict, match="no longer matters"):
        orders.bulk_set_priority(shop.uow(), ids, "emergency")
    with pytest.raises(ValidationError, match="at least one order"):
        orders.bulk_transition(shop.uow(), [], "diagnostics")
    with pytest.raises(ValidationError, match="at most 500 orders"):
        orders.bulk_set_priority(shop.uow(), list(range(1, 502)), "high")
    with pytest.raises(PermissionDenied):
        orders.bulk_transition(shop.uow(shop.person("finance")), ids[:1], "diagnostics")
    assert _stages(shop, ids) == before


def _device_order(shop: Shop, customer_id: int, model_id: int) -> int:
    receipt = orders.register_intake(
        shop.uow(),
        orders.IntakeIn(
            customer=None,
            customer_id=customer_id,
            problem_description="Dead",
            model_id=model_id,
            serial_number="SN-777",
            purchase_date=date.today() - timedelta(days=800),
        ),
    )
    return receipt.order_id


def _complete(shop: Shop, order_id: int, part_id: int) -> None:
    orders.transition(shop.uow(), order_id, "diagnostics")
    orders.add_line(shop.uow(), order_id, orders.LineIn(kind="part", part_id=part_id, unit_price=Decimal("10")))
    orders.transition(shop.uow(), order_id, "repair")
    orders.transition(shop.uow(), order_id, "quality_check")
    orders.transition(shop.uow(), order_id, "ready")


def test_repair_warranty_is_created_on_completion_and_a_warranty_repair_does_not_reset_it(shop: Shop) -> None:
    with shop.uow() as uow:
        maker = uow.session.execute(
            text("INSERT INTO manufacturers (tenant_id, name) VALUES (:t, 'Acme Devices') RETURNING id"),
            {"t": shop.tenant_id},
        ).scalar_one()
        model = uow.session.execute(
            text(
                "INSERT INTO equipment_models (tenant_id, manufacturer_id, name, category,"
                " default_warranty_months) VALUES (:t, :m, 'Phone X', 'phone', 12)"
                " RETURNING id"
            ),
            {"t": shop.tenant_id, "m": maker},
        ).scalar_one()
        uow.commit()
    part = inventory.create_part(shop.uow(), "SCR-9", "Screen", unit_cost="5", sale_price="10", warranty_months=6)
    customer = create_customer(shop.uow(), CustomerIn(name="Ann", email="ann@example.com"))
    first = _device_order(shop, customer.id, model)
    assert warranty.lookup(shop.uow(), "SN-777")[0]["active"] is False  # the 12-month maker warranty expired
    _complete(shop, first, part.id)
    covers = [w for w in warranty.lookup(shop.uow(), "SN-777") if w["active"]]
    assert len(covers) == 1 and covers[0]["kind"] == "repair"
    assert covers[0]["ends_on"] - covers[0]["starts_on"] >= timedelta(days=180)

    second = _device_order(shop, customer.id, model)  # the device comes back under warranty
    assert orders.get_order(shop.uow(), second)["is_warranty_repair"] is True
    _complete(shop, second, part.id)
    after = [w for w in warranty.lookup(shop.uow(), "SN-777") if w["active"]]
    assert after == covers  # not reset, not extended

    claim = warranty.file_claim(shop.uow(), covers[0]["warranty_id"], second, "10.00", "screen failed again")
    decided = warranty.decide_claim(shop.uow(), claim.id, True, "8.00")
    assert decided.approved_amount == Decimal("8.00")
    with pytest.raises(Conflict, match="already"):
        warranty.decide_claim(shop.uow(), claim.id, False)
    with pytest.raises(ValidationError):
        warranty.file_claim(shop.uow(), covers[0]["warranty_id"], second, "-1", "x")


def test_a_signed_in_customer_writes_through_the_services_and_the_audit_chain_holds(shop: Shop) -> None:
    """Customer actions append to the audit log they may not read back (regression: RETURNING broke them)."""
    from ops_db.audit.service import verify_chain

    ann_id, ann_order = _order(shop, "Cid")
    ann = shop.person("customer", customer_id=ann_id)
    assert isinstance(ann, Actor)
    orders.transition(shop.uow(), ann_order, "diagnostics")
    orders.send_estimate(shop.uow(), ann_order, Decimal("80.00"))
    orders.decide_estimate(UnitOfWork(shop.engine, ann), ann_order, True)
    assert _rows(shop, ann, "SELECT id FROM audit_log") == []  # appended, yet invisible to the customer
    auditor = shop.person("auditor")
    assert isinstance(auditor, Actor)
    report = verify_chain(UnitOfWork(shop.engine, auditor))
    assert report.ok and report.records > 0, report


def test_nobody_grants_a_role_carrying_permissions_they_do_not_hold(shop: Shop) -> None:
    from ops_db.identity.service import create_user, grant_roles
    from ops_db.kit.errors import PermissionDenied

    manager = shop.person("manager")
    assert isinstance(manager, Actor) and not manager.can("identity.manage_roles")
    with pytest.raises(PermissionDenied, match=r"identity\.manage_roles"):
        create_user(UnitOfWork(shop.engine, manager), "new.admin@example.com", "New Admin", "long-pass-1", ["admin"])
    clerk = create_user(UnitOfWork(shop.engine, manager), "clerk@example.com", "Clerk", "long-pass-1", ["inventory"])
    with pytest.raises(PermissionDenied):
        grant_roles(UnitOfWork(shop.engine, manager), clerk.id, ["admin"])
    with pytest.raises(ValidationError, match="linked to a customer"):
        grant_roles(UnitOfWork(shop.engine, manager), clerk.id, ["customer"])
    with pytest.raises(ValidationError, match="at least one role"):
        grant_roles(UnitOfWork(shop.engine, manager), clerk.id, [])
    from ops_db.kit.db import admin_engine

    with admin_engine(shop.url).connect() as conn:
        roles = (
            conn.execute(
                text("SELECT r.code FROM role_grants g JOIN roles r ON r.id = g.role_id WHERE g.user_id = :u"),
                {"u": clerk.id},
            )
            .scalars()
            .all()
        )
        admins = conn.execute(text("SELECT count(*) FROM users WHERE email = 'new.admin@example.com'")).scalar()
    assert roles == ["inventory"] and admins == 0


def test_a_clock_that_started_later_than_now_stops_met_instead_of_breaking_its_rule(shop: Shop) -> None:
    """An order received later today (seeded or imported with its intake time) whose response clock therefore starts
    after now: moving it on before that time stopped the clock before it started ('A value breaks the rule
    sla_clocks_stopped_after_start.'), so the front desk could not diagnose the order until the intake time."""
    _, order_id = _order(shop, "Early", priority="high")
    with admin_engine(shop.url).begin() as conn:  # the owner: nobody's role may move a clock by hand
        moved = conn.execute(
            text("UPDATE sla_clocks SET started_at = started_at + interval '3 hours' WHERE order_id = :o"),
            {"o": order_id},
        )
    assert moved.rowcount == 2
    orders.transition(shop.uow(), order_id, "diagnostics")
    with shop.uow() as uow:
        stopped = uow.session.execute(
            text("SELECT state, stopped_at = started_at FROM sla_clocks WHERE order_id = :o AND kind = 'response'"),
            {"o": order_id},
        ).one()
    assert tuple(stopped) == ("met", True)
    orders.transition(shop.uow(), order_id, "cancelled", reason="the customer changed their mind")
    assert _clock_states(shop, order_id)["resolution"] == "met"
