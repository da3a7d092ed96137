"""Migrations upgrade a fresh database to head and downgrade it back to base."""

from __future__ import annotations

import psycopg

from ops_db import migrate
from tests.conftest import conninfo


def _tables(url: str) -> set[str]:
    with psycopg.connect(conninfo(url)) as conn:
        rows = conn.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public'").fetchall()
    return {r[0] for r in rows}


def test_upgrade_to_head_then_downgrade_to_base_then_upgrade_again(fresh_db: str) -> None:
    migrate.upgrade(fresh_db)
    assert migrate.current_revision(fresh_db) == migrate.head_revision()
    tables = _tables(fresh_db)
    for public in (
        "service_orders",
        "order_events",
        "bookings",
        "invoices",
        "payments",
        "refunds",
        "customers",
        "technicians",
    ):
        assert public in tables
    migrate.downgrade(fresh_db)
    assert migrate.current_revision(fresh_db) is None
    assert _tables(fresh_db) <= {"alembic_version"}
    migrate.upgrade(fresh_db)
    assert migrate.current_revision(fresh_db) == migrate.head_revision()


def test_every_tenant_table_has_forced_row_level_security(migrated_db: str) -> None:
    with psycopg.connect(conninfo(migrated_db)) as conn:
        rows = conn.execute(
            """SELECT c.relname, c.relrowsecurity, c.relforcerowsecurity FROM pg_class c
               JOIN pg_attribute a ON a.attrelid = c.oid AND a.attname = 'tenant_id'
               JOIN pg_namespace n ON n.oid = c.relnamespace
               WHERE n.nspname = 'public' AND c.relkind = 'r'"""
        ).fetchall()
    assert len(rows) > 60
    unprotected = [name for name, rls, force in rows if not (rls and force)]
    assert unprotected == []
