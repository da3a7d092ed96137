"""Each invariant is attempted directly in SQL and refused by the database itself."""

from __future__ import annotations

from collections.abc import Iterator

import psycopg
import pytest
from psycopg import errors
from sqlalchemy import text

from ops_db.kit.db import app_engine, tenant_session
from tests.conftest import conninfo

SETUP = """
INSERT INTO tenants (id, slug, name) VALUES (1, 'alpha', 'Alpha Repairs'), (2, 'beta', 'Beta Fix');
INSERT INTO customers (id, tenant_id, kind, name) VALUES (1, 1, 'person', 'Ann Alpha'), (2, 2, 'person', 'Bob Beta');
INSERT INTO technicians (id, tenant_id, name, hourly_cost) VALUES (1, 1, 'Tia Tech', 30);
INSERT INTO service_orders (id, tenant_id, order_number, tracking_code, customer_id, problem_description,
                            received_at)
VALUES (1, 1, 'RO-2026-000001', 'aaaaaaaaaaaaaaaa', 1, 'Broken screen', now()),
       (2, 1, 'RO-2026-000002', 'bbbbbbbbbbbbbbbb', 1, 'No power', now()),
       (3, 2, 'RO-2026-000001', 'cccccccccccccccc', 2, 'Leak', now());
INSERT INTO parts (id, tenant_id, sku, name, category, unit_cost, sale_price)
VALUES (1, 1, 'P1', 'Screen', 'phone', 10, 20);
INSERT INTO stock_locations (id, tenant_id, code, name, kind) VALUES (1, 1, 'WH', 'Warehouse', 'warehouse');
INSERT INTO stock_levels (tenant_id, part_id, location_id, quantity, reserved, updated_at)
VALUES (1, 1, 1, 2, 0, now());
INSERT INTO invoices (id, tenant_id, invoice_number, order_id, customer_id, status, currency, issued_at,
                      subtotal, tax_total, total)
VALUES (1, 1, 'INV-2026-000001', 1, 1, 'issued', 'USD', now(), 100, 8, 108);
INSERT INTO payments (id, tenant_id, invoice_id, customer_id, method, idempotency_key, amount, received_at)
VALUES (1, 1, 1, 1, 'card', 'key-1', 108, now());
INSERT INTO bookings (tenant_id, technician_id, order_id, planned, status)
VALUES (1, 1, 1, tstzrange('2026-11-25 09:00+00', '2026-11-25 11:00+00'), 'confirmed');
SELECT setval(pg_get_serial_sequence(t, 'id'), 100)
  FROM unnest(ARRAY['tenants', 'customers', 'technicians', 'service_orders', 'parts', 'stock_locations',
                    'invoices', 'payments']) AS t;
"""


@pytest.fixture
def db(migrated_db: str) -> Iterator[psycopg.Connection]:
    with psycopg.connect(conninfo(migrated_db), autocommit=True) as conn:
        conn.execute(SETUP)
        yield conn


def test_negative_stock_is_refused(db: psycopg.Connection) -> None:
    with pytest.raises(errors.CheckViolation, match="quantity_nonnegative"):
        db.execute("UPDATE stock_levels SET quantity = -1 WHERE part_id = 1")


def test_reserved_above_quantity_is_refused(db: psycopg.Connection) -> None:
    with pytest.raises(errors.CheckViolation, match="reserved_within_quantity"):
        db.execute("UPDATE stock_levels SET reserved = 3 WHERE part_id = 1")


def test_overlapping_bookings_for_one_technician_are_refused(db: psycopg.Connection) -> None:
    with pytest.raises(errors.ExclusionViolation, match="ex_bookings_no_overlap"):
        db.execute(
            "INSERT INTO bookings (tenant_id, technician_id, order_id, planned, status) VALUES "
            "(1, 1, 2, tstzrange('2026-11-25 10:30+00', '2026-11-25 12:00+00'), 'tentative')"
        )


def test_back_to_back_and_cancelled_bookings_are_allowed(db: psycopg.Connection) -> None:
    db.execute(
        "INSERT INTO bookings (tenant_id, technician_id, order_id, planned, status) VALUES "
        "(1, 1, 2, tstzrange('2026-11-25 11:00+00', '2026-11-25 12:00+00'), 'confirmed'),"
        "(1, 1, 2, tstzrange('2026-11-25 09:30+00', '2026-11-25 10:00+00'), 'cancelled')"
    )
    assert db.execute("SELECT count(*) FROM bookings").fetchone() == (3,)


def test_refund_above_paid_amount_is_refused(db: psycopg.Connection) -> None:
    db.execute(
        "INSERT INTO refunds (tenant_id, payment_id, amount, reason, idempotency_key, refunded_at) "
        "VALUES (1, 1, 100, 'partial', 'r1', now())"
    )
    with pytest.raises(errors.CheckViolation, match="refunds_within_amount"):
        db.execute(
            "INSERT INTO refunds (tenant_id, payment_id, amount, reason, idempotency_key, refunded_at) "
            "VALUES (1, 1, 8.01, 'too much', 'r2', now())"
        )
    refunded = db.execute("SELECT refunded_amount FROM payments WHERE id = 1").fetchone()
    assert refunded is not None and refunded[0] == 100


def test_duplicate_order_number_within_a_tenant_is_refused(db: psycopg.Connection) -> None:
    with pytest.raises(errors.UniqueViolation, match="uq_service_orders_tenant_id"):
        db.execute(
            "INSERT INTO service_orders (tenant_id, order_number, tracking_code, customer_id, "
            "problem_description, received_at) VALUES (1, 'RO-2026-000001', 'dddddddddddddddd', 1, 'x', now())"
        )


def test_duplicate_payment_idempotency_key_is_refused(db: psycopg.Connection) -> None:
    with pytest.raises(errors.UniqueViolation, match="uq_payments_tenant_id"):
        db.execute(
            "INSERT INTO payments (tenant_id, invoice_id, customer_id, method, idempotency_key, amount, "
            "received_at) VALUES (1, 1, 1, 'cash', 'key-1', 5, now())"
        )


def test_order_events_are_append_only(db: psycopg.Connection) -> None:
    db.execute(
        "INSERT INTO order_events (tenant_id, order_id, event_type, to_stage, occurred_at) "
        "VALUES (1, 1, 'created', 'received', now())"
    )
    with pytest.raises(errors.CheckViolation, match="append-only"):
        db.execute("UPDATE order_events SET actor_label = 'forged'")
    with pytest.raises(errors.CheckViolation, match="append-only"):
        db.execute("DELETE FROM order_events")


def test_invoice_total_must_equal_subtotal_plus_tax(db: psycopg.Connection) -> None:
    with pytest.raises(errors.CheckViolation, match="total_is_subtotal_plus_tax"):
        db.execute("UPDATE invoices SET total = 107 WHERE id = 1")


def test_rls_hides_other_tenants_rows_from_the_app_role(migrated_db: str, db: psycopg.Connection) -> None:
    engine = app_engine(migrated_db)
    with tenant_session(engine, 1) as session:
        numbers = session.execute(text("SELECT customer_id FROM service_orders ORDER BY id")).scalars().all()
        assert numbers == [1, 1]
        assert session.execute(text("SELECT count(*) FROM customers WHERE id = 2")).scalar_one() == 0
        assert session.execute(text("SELECT count(*) FROM tenants")).scalar_one() == 1
    with tenant_session(engine, 2) as session:
        assert session.execute(text("SELECT count(*) FROM service_orders")).scalar_one() == 1
        assert session.execute(text("SELECT count(*) FROM payments")).scalar_one() == 0


def test_app_role_cannot_write_into_another_tenant(migrated_db: str, db: psycopg.Connection) -> None:
    engine = app_engine(migrated_db)
    with pytest.raises(Exception, match="row-level security"), tenant_session(engine, 2) as session:
        session.execute(text("INSERT INTO customers (tenant_id, kind, name) VALUES (1, 'person', 'Mallory')"))
    assert db.execute("SELECT count(*) FROM customers WHERE name = 'Mallory'").fetchone() == (0,)


def test_app_role_without_tenant_context_sees_nothing(migrated_db: str, db: psycopg.Connection) -> None:
    with app_engine(migrated_db).connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM service_orders")).scalar_one() == 0
