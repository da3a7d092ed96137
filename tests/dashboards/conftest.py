"""The demo company with its built warehouse, configured as this process's RepairOps (shared by UI tests)."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from ops_db.settings import get_settings
from pipelines.extract import run_extract
from tests.pipelines.conftest import dbt_build


@pytest.fixture(scope="module")
def ui_env(demo_db: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """The demo company and its built warehouse, configured as this process's RepairOps."""
    data = tmp_path_factory.mktemp("ui") / ".repairops"
    warehouse = data / "warehouse.duckdb"
    run_extract(warehouse, demo_db, full=True)
    dbt_build(warehouse, data / "dbt")
    patch = pytest.MonkeyPatch()
    patch.setenv("DATABASE_URL", demo_db)
    patch.setenv("REPAIROPS_DATA_DIR", str(data))
    get_settings.cache_clear()
    yield data
    patch.undo()
    get_settings.cache_clear()
    shutil.rmtree(data, ignore_errors=True)
