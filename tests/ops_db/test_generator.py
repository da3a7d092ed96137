"""The demo company obeys the business rules (checked with SQL) and is deterministic for a seed."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from typing import Any

import psycopg
import pytest

from ops_db import migrate
from ops_db.demo.generator import Scale, seed
from ops_db.kit.errors import Conflict
from ops_db.orders.models import Stage
from ops_db.orders.stages import TRANSITIONS
from tests.conftest import Templates, _temporary_database, conninfo

AS_OF = date(2026, 11, 24)

RULES = {
    "events in a valid stage order, ending at the order's stage": """
        WITH ev AS (
            SELECT o.id, o.stage, e.from_stage, e.to_stage,
                   lag(e.to_stage) OVER (PARTITION BY o.id ORDER BY e.occurred_at, e.id) AS prev_to,
                   last_value(e.to_stage) OVER (PARTITION BY o.id ORDER BY e.occurred_at, e.id
                       ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING) AS final_to
            FROM service_orders o JOIN order_events e ON e.order_id = o.id
            WHERE e.event_type IN ('created', 'stage_changed'))
        SELECT count(*) FROM ev WHERE (from_stage IS DISTINCT FROM prev_to) OR final_to <> stage""",
    "invoice totals equal their lines plus tax": """
        SELECT count(*) FROM invoices i JOIN (
            SELECT invoice_id, sum(net_amount) AS net, sum(tax_amount) AS tax FROM invoice_lines GROUP BY 1
        ) l ON l.invoice_id = i.id WHERE i.subtotal <> l.net OR i.tax_total <> l.tax OR i.total <> l.net + l.tax""",
    "payments never exceed invoices": """
        SELECT count(*) FROM invoices i JOIN (SELECT invoice_id, sum(amount) AS paid FROM payments GROUP BY 1) p
        ON p.invoice_id = i.id WHERE p.paid > i.total""",
    "refunds equal the payments' refunded amounts": """
        SELECT count(*) FROM payments p LEFT JOIN (SELECT payment_id, sum(amount) s FROM refunds GROUP BY 1) r
        ON r.payment_id = p.id WHERE p.refunded_amount <> COALESCE(r.s, 0)""",
    "stock ledger sums to stock levels": """
        SELECT count(*) FROM stock_levels l FULL JOIN (
            SELECT part_id, location_id, sum(quantity_delta) q FROM stock_movements GROUP BY 1, 2
        ) m USING (part_id, location_id) WHERE l.quantity IS DISTINCT FROM m.q""",
    "no technician is booked twice at once": """
        SELECT count(*) FROM bookings a JOIN bookings b ON a.technician_id = b.technician_id AND a.id < b.id
        AND a.planned && b.planned AND a.status <> 'cancelled' AND b.status <> 'cancelled'""",
    "payments not before their invoice": """
        SELECT count(*) FROM payments p JOIN invoices i ON i.id = p.invoice_id WHERE p.received_at < i.issued_at""",
    "closed orders have a closing event": """
        SELECT count(*) FROM service_orders o WHERE stage = 'closed' AND NOT EXISTS (
            SELECT 1 FROM order_events e WHERE e.order_id = o.id AND e.to_stage = 'closed')""",
    "every foreign key resolves (loaded without triggers)": """
        SELECT (SELECT count(*) FROM order_events e LEFT JOIN service_orders o ON o.id = e.order_id WHERE o.id IS NULL)
             + (SELECT count(*) FROM service_orders o LEFT JOIN customers c ON c.id = o.customer_id WHERE c.id IS NULL)
             + (SELECT count(*) FROM bookings b LEFT JOIN technicians t ON t.id = b.technician_id WHERE t.id IS NULL)
             + (SELECT count(*) FROM invoice_lines l LEFT JOIN invoices i ON i.id = l.invoice_id WHERE i.id IS NULL)""",
}


@pytest.fixture(scope="module")
def seeded(server_url: str, templates: Templates) -> Iterator[str]:
    """Seeded once for the module: the rules only read it, and seeding it again is refused."""
    for url in _temporary_database(server_url, templates.schema()):
        stats = seed(url, Scale.SMALL, seed_value=7, as_of=AS_OF)
        assert stats.orders > 2500 and stats.events > 20000
        yield url


@pytest.mark.parametrize("rule", list(RULES))
def test_generated_history_obeys_rule(seeded: str, rule: str) -> None:
    with psycopg.connect(conninfo(seeded)) as conn:
        assert conn.execute(RULES[rule]).fetchone() == (0,), rule


def test_stage_transitions_follow_the_lifecycle(seeded: str) -> None:
    """Every stage change in the demo's history is one the orders' stage machine allows (the demo never resumes an
    order from hold, so the table without the way back is the whole rule)."""
    with psycopg.connect(conninfo(seeded)) as conn:
        pairs = conn.execute(
            "SELECT DISTINCT from_stage, to_stage FROM order_events WHERE event_type = 'stage_changed'"
        ).fetchall()
    illegal = [(a, b) for a, b in pairs if Stage(b) not in TRANSITIONS[Stage(a)]]
    assert illegal == []
    assert {
        ("received", "diagnostics"),
        ("ready", "closed"),
        ("repair", "on_hold"),
        ("diagnostics", "cancelled"),
    } <= set(pairs)  # the happy path and both side exits are there


def _one(conn: psycopg.Connection, sql: str) -> tuple[Any, ...]:
    """The one row a query returns (an aggregate always returns one)."""
    row = conn.execute(sql).fetchone()
    assert row is not None
    return row


def test_open_work_today_and_scale_of_small_company(seeded: str) -> None:
    with psycopg.connect(conninfo(seeded)) as conn:
        open_orders = _one(conn, "SELECT count(*) FROM service_orders WHERE stage NOT IN ('closed', 'cancelled')")[0]
        techs, customers, devices = _one(
            conn,
            "SELECT (SELECT count(*) FROM technicians), (SELECT count(*) FROM customers),"
            " (SELECT count(*) FROM equipment)",
        )
    assert open_orders > 50
    assert (techs, customers, devices) == (12, 400, 800)


def _fingerprint(url: str) -> dict[str, str]:
    tables = [
        "service_orders",
        "order_events",
        "order_lines",
        "bookings",
        "invoices",
        "payments",
        "refunds",
        "stock_movements",
        "stock_levels",
        "users",
        "customers",
        "warranties",
    ]
    with psycopg.connect(conninfo(url)) as conn:
        return {t: _one(conn, f"SELECT md5(string_agg(x::text, '|' ORDER BY x::text)) FROM {t} x")[0] for t in tables}


def test_same_seed_gives_identical_data(seeded: str, another_db: str) -> None:
    migrate.upgrade(another_db)
    seed(another_db, Scale.SMALL, seed_value=7, as_of=AS_OF)
    assert _fingerprint(seeded) == _fingerprint(another_db)


def test_seeding_a_non_empty_database_is_refused(seeded: str) -> None:
    with pytest.raises(Conflict, match="already holds a company"):
        seed(seeded, Scale.SMALL, seed_value=1, as_of=AS_OF)
