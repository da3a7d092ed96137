"""Every dbt model is an asset; dbt tests are its asset checks."""

# No `from __future__ import annotations`: Dagster inspects these type hints at definition time.

import os
from collections.abc import Iterator
from typing import Any

import dagster as dg
from dagster_dbt import DbtCliResource, dbt_assets

from pipelines.defs.dbt.resources import WAREHOUSE_ENV, dbt_project
from pipelines.defs.dbt.translator import RepairOpsDbtTranslator
from pipelines.resources import Warehouse


@dbt_assets(manifest=dbt_project().manifest_path, dagster_dbt_translator=RepairOpsDbtTranslator(), name="repairops_dbt")
def repairops_dbt_assets(context: dg.AssetExecutionContext, dbt: DbtCliResource, warehouse: Warehouse) -> Iterator[Any]:
    """Build (run + test) the selected dbt models in the DuckDB warehouse."""
    os.environ[WAREHOUSE_ENV] = str(warehouse.file())  # the dbt subprocess's profile reads it
    yield from dbt.cli(["build"], context=context).stream()
