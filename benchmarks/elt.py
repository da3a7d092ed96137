"""Warehouse extract speed on a big company, against the physical limit (Postgres ``COPY … TO STDOUT``).

Usage: ``python benchmarks/elt.py [--scale large] [--keep DIR] [--dbt]``

1. seeds the demo company (large: ~1M orders, ~10M events) into its own embedded Postgres
   (reused from ``--keep DIR`` when given, so repeated runs skip the ~6 minute seeding);
2. full refresh into a new DuckDB warehouse: seconds and rows/s;
3. changes 1% of the orders (and adds an event to each), then an incremental refresh: seconds;
4. in the same run, ``COPY (SELECT same columns) TO STDOUT (FORMAT binary)`` of the same tables through
   psycopg, bytes discarded: the rate no extract can beat. Prints the ratio extract/COPY;
5. with ``--dbt``, also the seconds of ``dbt build`` (all models and tests) on the full warehouse.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import time
from datetime import date
from pathlib import Path

import psycopg

from ops_db import embedded, migrate
from ops_db.demo.generator import Scale, is_empty, seed
from ops_db.kit.db import psycopg_conninfo
from pipelines.extract import EXTRACTED_TABLES, discover, run_extract
from pipelines.warehouse import attached, connect

CHANGE_ONE_PERCENT = """
UPDATE service_orders SET priority = CASE priority WHEN 'high' THEN 'normal' ELSE 'high' END WHERE id % 100 = 0;
INSERT INTO order_events (tenant_id, order_id, event_type, actor_label, occurred_at, payload)
    SELECT tenant_id, id, 'note_added', 'benchmark', now(), '{}'::jsonb FROM service_orders WHERE id % 100 = 0;
"""


def _copy_rate(url: str, warehouse: Path) -> tuple[int, float]:
    """Rows and seconds to COPY every extracted table's columns out of Postgres (binary), discarding bytes."""
    con = connect(warehouse, postgres=True)
    with attached(con, url):
        tables = discover(con, EXTRACTED_TABLES)
    con.close()
    rows, started = 0, time.perf_counter()
    with psycopg.connect(psycopg_conninfo(url)) as conn, conn.cursor() as cur:
        for table in tables:
            with cur.copy(f"COPY ({table.select_sql()}) TO STDOUT (FORMAT binary)") as copy:
                for _ in copy:
                    pass
            rows += cur.rowcount if cur.rowcount > 0 else 0
    return rows, time.perf_counter() - started


def _dbt_seconds(warehouse: Path) -> float:
    from pipelines.defs.dbt.resources import DBT_PROJECT_DIR, WAREHOUSE_ENV, dbt_executable

    started = time.perf_counter()
    subprocess.run(
        [
            dbt_executable(),
            "build",
            "--project-dir",
            str(DBT_PROJECT_DIR),
            "--profiles-dir",
            str(DBT_PROJECT_DIR),
            "--quiet",
        ],
        env={**os.environ, WAREHOUSE_ENV: str(warehouse)},
        check=True,
        cwd=DBT_PROJECT_DIR,
    )
    return time.perf_counter() - started


def main() -> None:
    """Run the benchmark and print its figures."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scale", default="large", choices=[s.value for s in Scale])
    parser.add_argument("--keep", type=Path, help="Keep the seeded Postgres in this directory and reuse it.")
    parser.add_argument("--dbt", action="store_true", help="Also time dbt build on the full warehouse.")
    args = parser.parse_args()
    with embedded.scratch_server("repairops-elt-", args.keep) as server:
        migrate.upgrade(server.url)
        if is_empty(server.url):
            seed(server.url, Scale(args.scale), seed_value=42, as_of=date(2026, 11, 24), progress=True)
        _run(server.url, server.folder, args.dbt)


def _run(url: str, tmp: Path, with_dbt: bool) -> None:
    warehouse = tmp / "warehouse.duckdb"
    full = run_extract(warehouse, url, full=True)
    print(
        f"full_refresh tables={len(full.tables)} rows={full.rows_read:,} seconds={full.seconds:.1f} "
        f"rows_per_s={full.rows_read / full.seconds:,.0f}"
    )
    with psycopg.connect(psycopg_conninfo(url), autocommit=True) as conn:
        conn.execute(CHANGE_ONE_PERCENT)
        changed = conn.execute("SELECT count(*) FROM service_orders WHERE id % 100 = 0").fetchone()
    incremental = run_extract(warehouse, url)
    print(
        f"incremental_refresh changed_orders={changed[0] if changed else 0:,} rows_read={incremental.rows_read:,} "
        f"seconds={incremental.seconds:.1f} (full/incremental={full.seconds / incremental.seconds:.1f}x)"
    )
    copy_rows, copy_seconds = _copy_rate(url, tmp / "scratch.duckdb")
    print(f"copy_to_stdout rows={copy_rows:,} seconds={copy_seconds:.1f} rows_per_s={copy_rows / copy_seconds:,.0f}")
    print(f"ratio extract/COPY (rows/s) = {(full.rows_read / full.seconds) / (copy_rows / copy_seconds):.2f}")
    if with_dbt:
        print(f"dbt_build seconds={_dbt_seconds(warehouse):.1f}")


if __name__ == "__main__":
    main()
