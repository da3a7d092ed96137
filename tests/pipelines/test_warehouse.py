"""The warehouse as its users meet it: built by the real CLI through Dagster, reconciled with Postgres."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path

import dagster as dg
import duckdb
import psycopg
import pytest
from sqlalchemy import text

from ops_db.kit import db
from ops_db.kit.db import psycopg_conninfo
from pipelines import quality
from pipelines.warehouse import WarehouseBusy, connect
from tests.pipelines.conftest import AS_OF, MART_SCHEMAS, money, relations, run_cli

MARTS = {
    "finance": {
        "fct_invoice_lines",
        "fct_payments",
        "fct_refunds",
        "finance_revenue_daily",
        "finance_order_margin",
        "finance_receivables_aging",
        "finance_cash_flow",
        "finance_expenses_by_category",
        "finance_monthly_summary",
    },
    "sla": {"sla_order_compliance", "sla_compliance_monthly", "sla_breaches"},
    "reliability": {"reliability_model_metrics", "reliability_failures_by_fault", "fct_repairs"},
    "workforce": {"dim_technicians", "workforce_technician_daily", "workforce_technician_monthly"},
    "inventory": {
        "inventory_stock_value",
        "inventory_part_turns",
        "inventory_stockouts",
        "inventory_parts_usage_by_model",
        "inventory_reorder_suggestions",
    },
    "customers": {"dim_customers", "customers_devices_awaiting_pickup", "customers_ratings"},
}


@pytest.fixture(scope="module")
def built(demo_db: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, str]]:
    """The demo company's warehouse, built by ``repairops pipelines run --no-plan`` (Dagster, in-process)."""
    data_dir = tmp_path_factory.mktemp("data") / ".repairops"
    done = run_cli(data_dir, demo_db, "pipelines", "run", "--no-plan")
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    yield data_dir / "warehouse.duckdb", done.stdout


def test_the_cli_builds_every_mart_and_all_checks_pass(built: tuple[Path, str]) -> None:
    warehouse, output = built
    assert "Warehouse built" in output and "check failed" not in output, output
    con = duckdb.connect(str(warehouse), read_only=True)
    found = set(relations(con, MART_SCHEMAS))
    con.close()
    expected = {f"{schema}.{name}" for schema, names in MARTS.items() for name in names}
    assert expected <= found, expected - found


def test_the_cli_shows_a_summary_and_keeps_dbts_log_in_a_file(built: tuple[Path, str]) -> None:
    """`make demo` and `repairops pipelines run` print a progress bar and a summary, not dbt's ~1,600 lines."""
    _, output = built
    lines = [line for line in output.splitlines() if line.strip()]
    assert len(lines) <= 5, output[-3000:]
    assert not any("dbt" in line and "log" not in line for line in lines), lines
    log_line = next(line for line in lines if line.startswith("The run's full log"))
    log = Path(log_line.split(": ", 1)[1].strip())
    text_of_log = log.read_text(encoding="utf-8")
    assert "Running with dbt" in text_of_log and " PASS " in text_of_log


def _postgres_month_figures(url: str, as_of: datetime) -> dict[tuple[int, str], dict[str, Decimal]]:
    """Invoiced, paid, refunded and month-end receivables per tenant and month, computed in Postgres only.

    Months run from the first invoice's to the warehouse's as-of moment (the data's "now").
    """
    sql = """
    WITH months AS (
        SELECT t.id AS tenant_id, t.time_zone, m::date AS month_start,
               ((m + interval '1 month')::timestamp AT TIME ZONE t.time_zone) AS month_end
        FROM tenants t CROSS JOIN LATERAL generate_series(
            (SELECT date_trunc('month', min(issued_at AT TIME ZONE t.time_zone)) FROM invoices WHERE tenant_id = t.id),
            date_trunc('month', %(as_of)s AT TIME ZONE t.time_zone), interval '1 month') AS m
    ), inv AS (SELECT * FROM invoices WHERE status NOT IN ('draft', 'void') AND issued_at IS NOT NULL)
    SELECT m.tenant_id, m.month_start::text,
      (SELECT coalesce(sum(total), 0) FROM inv WHERE inv.tenant_id = m.tenant_id
          AND date_trunc('month', inv.issued_at AT TIME ZONE m.time_zone)::date = m.month_start) AS invoiced,
      (SELECT coalesce(sum(amount), 0) FROM payments p WHERE p.tenant_id = m.tenant_id AND p.status = 'succeeded'
          AND date_trunc('month', p.received_at AT TIME ZONE m.time_zone)::date = m.month_start) AS paid,
      (SELECT coalesce(sum(amount), 0) FROM refunds r WHERE r.tenant_id = m.tenant_id
          AND date_trunc('month', r.refunded_at AT TIME ZONE m.time_zone)::date = m.month_start) AS refunded,
      (SELECT coalesce(sum(inv.total
            - (SELECT coalesce(sum(p.amount), 0) FROM payments p WHERE p.invoice_id = inv.id
                  AND p.status = 'succeeded' AND p.received_at < m.month_end)
            + (SELECT coalesce(sum(r.amount), 0) FROM refunds r JOIN payments p ON p.id = r.payment_id
                  WHERE p.invoice_id = inv.id AND r.refunded_at < m.month_end)
            - (SELECT coalesce(sum(c.amount), 0) FROM credit_notes c WHERE c.invoice_id = inv.id
                  AND c.issued_at < m.month_end)), 0)
         FROM inv WHERE inv.tenant_id = m.tenant_id AND inv.issued_at < m.month_end
           AND (inv.written_off_at IS NULL OR inv.written_off_at >= m.month_end)) AS receivables
    FROM months m ORDER BY 1, 2
    """
    with psycopg.connect(psycopg_conninfo(url)) as conn:
        rows = conn.execute(sql, {"as_of": as_of}).fetchall()
    return {
        (r[0], r[1]): {
            "invoiced": money(r[2]),
            "paid": money(r[3]),
            "refunded": money(r[4]),
            "receivables": money(r[5]),
        }
        for r in rows
    }


def test_revenue_payments_refunds_and_receivables_reconcile_to_the_cent(built: tuple[Path, str], demo_db: str) -> None:
    warehouse, _ = built
    con = duckdb.connect(str(warehouse), read_only=True)
    rows = con.execute(
        "SELECT tenant_id, month_start::varchar, invoiced_total, payments_received, refunds_paid, receivables_end "
        "FROM finance.finance_monthly_summary ORDER BY 1, 2"
    ).fetchall()
    (as_of,) = con.execute("SELECT as_of_at FROM intermediate.int_ops_as_of").fetchone() or (None,)
    con.close()
    marts = {
        (r[0], r[1]): {
            "invoiced": money(r[2]),
            "paid": money(r[3]),
            "refunded": money(r[4]),
            "receivables": money(r[5]),
        }
        for r in rows
    }
    expected = _postgres_month_figures(demo_db, as_of)
    assert len(expected) >= 3 and sum(v["invoiced"] for v in expected.values()) > 0
    assert marts == expected


def test_an_analyst_opens_the_warehouse_read_only_while_dagster_is_idle(built: tuple[Path, str], demo_db: str) -> None:
    warehouse, _ = built
    analyst = duckdb.connect(str(warehouse), read_only=True)
    count = analyst.execute("SELECT count(*) FROM finance.fct_payments WHERE status = 'succeeded'").fetchone()
    with psycopg.connect(psycopg_conninfo(demo_db)) as conn:
        in_postgres = conn.execute("SELECT count(*) FROM payments WHERE status = 'succeeded'").fetchone()
    assert count == in_postgres
    with pytest.raises(duckdb.Error):
        analyst.execute("CREATE TABLE finance.scratch AS SELECT 1")  # read-only: nothing can be changed
    with pytest.raises(WarehouseBusy, match="open in another process"):
        _open_for_writing_elsewhere(warehouse)
    analyst.close()


def _open_for_writing_elsewhere(warehouse: Path) -> None:
    import subprocess
    import sys

    done = subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys; from pathlib import Path; from pipelines.warehouse import connect; connect(Path(sys.argv[1]))",
            str(warehouse),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    if "WarehouseBusy" in done.stderr:
        raise WarehouseBusy(done.stderr.strip().splitlines()[-1])
    assert done.returncode == 0, done.stderr


def test_a_failing_rule_names_the_offending_rows(built: tuple[Path, str], tmp_path: Path) -> None:
    copy = tmp_path / "broken.duckdb"
    shutil.copy(built[0], copy)
    con = connect(copy)
    con.execute(
        "UPDATE raw.stock_levels SET quantity = -3 WHERE (part_id, location_id) IN "
        "(SELECT part_id, location_id FROM raw.stock_levels ORDER BY 1, 2 LIMIT 2)"
    )
    bad = [
        f"{p}@{loc}"
        for p, loc in con.execute(
            "SELECT part_id, location_id FROM raw.stock_levels WHERE quantity < 0 ORDER BY 1, 2"
        ).fetchall()
    ]
    con.execute("UPDATE raw.invoices SET total = total + 0.01 WHERE id = (SELECT min(id) FROM raw.invoices)")
    (first_invoice,) = con.execute("SELECT min(id)::varchar FROM raw.invoices").fetchone() or ("",)
    results = {r.name: quality.evaluate(con, r) for r in quality.RULES}
    con.close()
    assert not results["stock_never_negative"].passed
    assert sorted(results["stock_never_negative"].offending_ids) == sorted(bad)
    assert results["invoice_totals_match_lines"].offending_ids == [first_invoice]
    assert results["closed_orders_have_closing_event"].passed and results["closed_orders_have_closing_event"].checked


def test_definitions_load_with_jobs_schedules_sensors_and_mart_groups() -> None:
    from pipelines.definitions import defs

    repo = defs.get_repository_def()
    assert {"warehouse_job", "daily_plan_job", "sla_escalation_job", "deliver_notifications_job"} <= set(repo.job_names)
    assert {s.name for s in repo.schedule_defs} == {
        "hourly_warehouse_schedule",
        "nightly_plan_schedule",
        "daily_audit_checkpoint_schedule",
    }
    assert {s.name for s in repo.sensor_defs} == {"sla_clock_sensor", "notification_delivery_sensor"}
    graph = repo.asset_graph
    assert graph.get(dg.AssetKey(["finance", "fct_invoice_lines"])).group_name == "finance"
    assert graph.get(dg.AssetKey(["sla", "sla_order_compliance"])).group_name == "sla"
    assert dg.AssetKey(["raw", "invoices"]) in graph.get(dg.AssetKey(["staging", "stg_ops__invoices"])).parent_keys
    checks = {c.name for c in graph.get(dg.AssetKey(["raw", "invoices"])).check_keys}
    assert "invoice_totals_match_lines" in checks


def test_the_sla_sensor_asks_for_a_run_and_the_job_raises_notifications(demo_db: str) -> None:
    from pipelines.defs.notifications.sensors import sla_clock_sensor, sla_escalation_job
    from pipelines.resources import OpsDatabase

    resource = OpsDatabase(url=demo_db)
    with dg.build_sensor_context(resources={"ops_db": resource}) as context:
        request = sla_clock_sensor(context)
    assert isinstance(request, dg.RunRequest)
    engine = db.admin_engine(demo_db)
    with engine.connect() as conn:
        before = conn.execute(text("SELECT count(*) FROM notification_outbox WHERE event LIKE 'sla_%'")).scalar()
    result = sla_escalation_job.execute_in_process(resources={"ops_db": resource})
    assert result.success
    totals = result.output_for_node("evaluate_sla_clocks")
    with engine.connect() as conn:
        after = conn.execute(text("SELECT count(*) FROM notification_outbox WHERE event LIKE 'sla_%'")).scalar()
        still_running = conn.execute(
            text("SELECT count(*) FROM sla_clocks WHERE state = 'running' AND due_at < now()")
        ).scalar()
    assert totals["breached"] > 0 and (after or 0) > (before or 0)
    assert still_running == 0  # every clock past its due time is now breached


def test_the_daily_plan_asset_writes_a_proposed_plan(demo_db: str) -> None:
    from pipelines.defs.optimizer.assets import proposed_plan
    from pipelines.resources import OpsDatabase

    day = (AS_OF + timedelta(days=1)).isoformat()
    result = dg.materialize(
        [proposed_plan],
        resources={"ops_db": OpsDatabase(url=demo_db)},
        run_config={"ops": {"dispatch__proposed_plan": {"config": {"time_limit": 3, "day": day}}}},
    )
    assert result.success
    with db.admin_engine(demo_db).connect() as conn:
        plans = conn.execute(
            text("SELECT count(*) FROM optimizer_plans WHERE plan_date = :d AND status = 'proposed'"), {"d": day}
        ).scalar()
        items = conn.execute(
            text(
                "SELECT count(*) FROM plan_items i JOIN optimizer_plans p ON p.id = i.plan_id "
                "WHERE p.plan_date = :d AND i.technician_id IS NOT NULL"
            ),
            {"d": day},
        ).scalar()
    assert plans == 1 and (items or 0) > 0


def test_the_dagster_ui_serves_the_assets(built: tuple[Path, str], demo_db: str) -> None:
    import json
    import os
    import socket
    import subprocess
    import sys
    import time
    import urllib.request

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "DAGSTER_HOME")}
    env.update({"REPAIROPS_DATA_DIR": str(built[0].parent), "DATABASE_URL": demo_db})
    ui = subprocess.Popen(
        [sys.executable, "-m", "repairops.cli", "pipelines", "ui", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        query = json.dumps({"query": "{ assetNodes { assetKey { path } groupName } }"}).encode()
        deadline, nodes = time.monotonic() + 180, None
        while time.monotonic() < deadline and nodes is None:
            time.sleep(2)
            try:
                request = urllib.request.Request(
                    f"http://127.0.0.1:{port}/graphql", data=query, headers={"Content-Type": "application/json"}
                )
                with urllib.request.urlopen(request, timeout=10) as answer:
                    nodes = json.load(answer)["data"]["assetNodes"]
            except (OSError, KeyError, TypeError):
                continue
        assert nodes, "the Dagster UI did not answer within 3 minutes"
        groups = {n["groupName"] for n in nodes}
        assert {
            "raw",
            "staging",
            "finance",
            "sla",
            "reliability",
            "workforce",
            "inventory",
            "customers",
            "dispatch",
        } <= groups
    finally:
        import signal

        os.killpg(ui.pid, signal.SIGTERM)
        ui.wait(timeout=60)
