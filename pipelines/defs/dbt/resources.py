"""The dbt project, its manifest (parsed on demand) and the CLI resource."""

from __future__ import annotations

import os
import sys
from functools import cache
from pathlib import Path

from dagster_dbt import DbtCliResource, DbtProject

from ops_db.settings import get_settings

DBT_PROJECT_DIR = Path(__file__).resolve().parents[3] / "dbt_project"
WAREHOUSE_ENV = "REPAIROPS_WAREHOUSE_PATH"


def dbt_executable() -> str:
    """The ``dbt`` of this interpreter's environment (dagster-dbt would otherwise need it on PATH)."""
    return str(Path(sys.executable).parent / "dbt")


def point_dbt_at_warehouse() -> None:
    """dbt's profile reads the warehouse path from the environment; set it from the settings if unset."""
    os.environ.setdefault(WAREHOUSE_ENV, str(get_settings().warehouse_path))


def _manifest_stale(project: DbtProject) -> bool:
    manifest = project.manifest_path
    if not manifest.exists():
        return True
    built = manifest.stat().st_mtime
    sources = [
        p for folder in ("models", "macros", "tests") for p in (DBT_PROJECT_DIR / folder).rglob("*") if p.is_file()
    ] + [DBT_PROJECT_DIR / "dbt_project.yml"]
    return any(p.stat().st_mtime > built for p in sources)


@cache
def dbt_project() -> DbtProject:
    """The project, with ``target/manifest.json`` re-parsed when any model, macro or test is newer."""
    point_dbt_at_warehouse()
    project = DbtProject(project_dir=DBT_PROJECT_DIR, profiles_dir=DBT_PROJECT_DIR)
    if _manifest_stale(project):
        from dbt.cli.main import dbtRunner

        result = dbtRunner().invoke(
            ["parse", "--project-dir", str(DBT_PROJECT_DIR), "--profiles-dir", str(DBT_PROJECT_DIR), "--quiet"]
        )
        if not result.success:
            raise RuntimeError(f"dbt could not parse {DBT_PROJECT_DIR}: {result.exception}")
    return project


def dbt_resource() -> DbtCliResource:
    """The dbt CLI resource the dbt assets run with."""
    return DbtCliResource(project_dir=dbt_project(), dbt_executable=dbt_executable())
