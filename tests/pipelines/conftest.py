"""A seeded demo company on real Postgres and helpers to build real DuckDB warehouses from it."""

from __future__ import annotations

import os
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import duckdb

from pipelines.defs.dbt.resources import DBT_PROJECT_DIR, WAREHOUSE_ENV, dbt_executable
from tests.conftest import DEMO_AS_OF

AS_OF = DEMO_AS_OF
MART_SCHEMAS = ("finance", "sla", "reliability", "workforce", "inventory", "customers")


def dbt_build(warehouse: Path, target: Path, *, tests: bool = True) -> None:
    """Run the real ``dbt build`` (models and tests) against ``warehouse``; fail the test on any error. With
    ``tests=False`` only ``dbt run`` (the models): for a fixture that needs the marts, not their checks again,
    which take as long as the models and are proven by the pipeline tests."""
    env = {**os.environ, WAREHOUSE_ENV: str(warehouse)}
    done = subprocess.run(
        [
            dbt_executable(),
            "build" if tests else "run",
            "--project-dir",
            str(DBT_PROJECT_DIR),
            "--profiles-dir",
            str(DBT_PROJECT_DIR),
            "--target-path",
            str(target),
            "--log-path",
            str(target / "logs"),
            "--quiet",
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
        cwd=DBT_PROJECT_DIR,
    )
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]


def relations(con: duckdb.DuckDBPyConnection, schemas: tuple[str, ...]) -> list[str]:
    """Every table in ``schemas`` as ``schema.name``, sorted."""
    marks = ", ".join("?" for _ in schemas)
    rows = con.execute(
        f"SELECT schema_name || '.' || table_name FROM duckdb_tables() WHERE schema_name IN ({marks}) ORDER BY 1",
        list(schemas),
    ).fetchall()
    return [r[0] for r in rows]


def table_differences(a: Path, b: Path, schemas: tuple[str, ...]) -> dict[str, int]:
    """Rows present in one warehouse's table and not in the other's (both ways), per table; {} when identical."""
    con = duckdb.connect()
    con.execute(f"ATTACH '{a}' AS a (READ_ONLY)")
    con.execute(f"ATTACH '{b}' AS b (READ_ONLY)")
    names_a = [
        r[0]
        for r in con.execute(
            "SELECT schema_name || '.' || table_name FROM duckdb_tables() WHERE database_name = 'a'"
        ).fetchall()
        if r[0].split(".")[0] in schemas
    ]
    names_b = [
        r[0]
        for r in con.execute(
            "SELECT schema_name || '.' || table_name FROM duckdb_tables() WHERE database_name = 'b'"
        ).fetchall()
        if r[0].split(".")[0] in schemas
    ]
    assert sorted(names_a) == sorted(names_b)
    diffs: dict[str, int] = {}
    for name in names_a:
        if name == "raw._extract_runs":
            continue
        q = (
            f"SELECT count(*) FROM ((FROM a.{name} EXCEPT ALL FROM b.{name}) "
            f"UNION ALL (FROM b.{name} EXCEPT ALL FROM a.{name}))"
        )
        row = con.execute(q).fetchone()
        if row and row[0]:
            diffs[name] = int(row[0])
    con.close()
    return diffs


def money(value: object) -> Decimal:
    return Decimal(str(value or 0)).quantize(Decimal("0.01"))


def run_cli(data_dir: Path, db_url: str, *args: str) -> subprocess.CompletedProcess[str]:
    """The real ``repairops`` command line against ``db_url``, data (warehouse, Dagster home) in ``data_dir``."""
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", WAREHOUSE_ENV, "DAGSTER_HOME")}
    env.update({"REPAIROPS_DATA_DIR": str(data_dir), "DATABASE_URL": db_url, "COLUMNS": "200"})
    return subprocess.run(
        [sys.executable, "-m", "repairops.cli", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=900,
        check=False,
    )
