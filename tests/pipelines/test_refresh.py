"""Extract truths: incremental equals full, nothing committed late is missed, a killed run changes nothing."""

from __future__ import annotations

import shutil
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import psycopg
import pytest

from ops_db.kit.db import psycopg_conninfo
from pipelines.extract import last_run, run_extract
from pipelines.warehouse import connect
from tests.pipelines.conftest import MART_SCHEMAS, dbt_build, table_differences

CHANGES = """
UPDATE service_orders SET priority = 'high' WHERE id % 37 = 0 AND priority <> 'high';
UPDATE customers SET name = name || ' (moved)' WHERE id % 11 = 0;
DELETE FROM order_ratings WHERE id % 4 = 0;
INSERT INTO order_ratings (tenant_id, order_id, score, comment, created_at)
    SELECT o.tenant_id, o.id, 4, 'late rating ✓', now() FROM service_orders o
    WHERE o.stage = 'closed' AND NOT EXISTS (SELECT 1 FROM order_ratings r WHERE r.order_id = o.id)
    ORDER BY o.id LIMIT 25;
UPDATE stock_levels SET reorder_point = reorder_point + 1 WHERE part_id % 5 = 0;
CREATE TEMP TABLE gone AS SELECT * FROM technician_skills ORDER BY technician_id, skill_id LIMIT 2;
DELETE FROM technician_skills t USING gone g
    WHERE t.technician_id = g.technician_id AND t.skill_id = g.skill_id;
INSERT INTO technician_skills (tenant_id, technician_id, skill_id, level)
    SELECT tenant_id, technician_id, skill_id, 1 FROM gone LIMIT 1;
"""


def _apply(url: str, sql: str) -> None:
    with psycopg.connect(psycopg_conninfo(url), autocommit=True) as conn:
        conn.execute(sql)


@pytest.mark.slow
def test_incremental_refresh_after_changes_gives_the_same_marts_as_a_full_refresh(demo_db: str, tmp_path: Path) -> None:
    incremental, full = tmp_path / "inc" / "w.duckdb", tmp_path / "full" / "w.duckdb"
    first = run_extract(incremental, demo_db, full=True)
    dbt_build(incremental, tmp_path / "t1", tests=False)  # checked after the refresh
    _apply(demo_db, CHANGES)

    second = run_extract(incremental, demo_db)
    assert {t.mode for t in second.tables} == {"incremental"}
    assert 0 < second.rows_read < first.rows_read / 10  # only what changed was read
    by_table = {t.table: t for t in second.tables}
    assert by_table["order_ratings"].rows_deleted > 0 and by_table["technician_skills"].rows_deleted == 2
    dbt_build(incremental, tmp_path / "t2")

    run_extract(full, demo_db, full=True)
    dbt_build(full, tmp_path / "t3", tests=False)  # the reference: compared, not checked
    assert table_differences(incremental, full, ("raw", *MART_SCHEMAS)) == {}


def test_a_transaction_committing_after_the_snapshot_is_picked_up_next_time(demo_db: str, tmp_path: Path) -> None:
    """An updated_at watermark would miss this row: it was written before the extract but committed after."""
    warehouse = tmp_path / "w.duckdb"
    run_extract(warehouse, demo_db, full=True, tables=("customers", "order_ratings"))
    with psycopg.connect(psycopg_conninfo(demo_db)) as slow:
        slow.execute("UPDATE customers SET name = 'Late Committer' WHERE id = 1")
        run_extract(warehouse, demo_db, tables=("customers", "order_ratings"))  # snapshot sees the old name
        slow.commit()
    con = connect(warehouse, read_only=True)
    assert con.execute("SELECT name FROM raw.customers WHERE id = 1").fetchone() != ("Late Committer",)
    con.close()
    run_extract(warehouse, demo_db, tables=("customers", "order_ratings"))
    con = connect(warehouse, read_only=True)
    assert con.execute("SELECT name FROM raw.customers WHERE id = 1").fetchone() == ("Late Committer",)
    con.close()


KILLED_RUN = textwrap.dedent("""
    import sys, time
    from pathlib import Path
    from pipelines.extract import run_extract

    def progress(table, done, total):
        if done == 20:
            print("HALFWAY", flush=True)
            time.sleep(120)

    run_extract(Path(sys.argv[1]), sys.argv[2], full=True, progress=progress)
""")


def test_a_run_killed_mid_extract_leaves_the_previous_state_and_the_next_run_recovers(
    demo_db: str, tmp_path: Path
) -> None:
    warehouse = tmp_path / "w" / "w.duckdb"
    run_extract(warehouse, demo_db, full=True)
    before = tmp_path / "before.duckdb"
    shutil.copy(warehouse, before)
    _apply(
        demo_db,
        "UPDATE customers SET name = name || ' *' WHERE id % 3 = 0; DELETE FROM order_ratings WHERE id % 5 = 0;",
    )

    proc = subprocess.Popen(
        [sys.executable, "-c", KILLED_RUN, str(warehouse), demo_db], stdout=subprocess.PIPE, text=True
    )
    assert proc.stdout is not None
    assert proc.stdout.readline().strip() == "HALFWAY"  # 20 tables replaced inside the open transaction
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)

    assert table_differences(before, warehouse, ("raw",)) == {}
    con = connect(warehouse, read_only=True)
    previous = last_run(con)
    con.close()
    assert previous is not None and previous[0] == 1

    recovered = run_extract(warehouse, demo_db)
    assert recovered.run_id == 2 and not recovered.full
    fresh = tmp_path / "fresh" / "w.duckdb"
    run_extract(fresh, demo_db, full=True)
    assert table_differences(warehouse, fresh, ("raw",)) == {}
