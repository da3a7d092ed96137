"""Hourly: refresh the warehouse (extract, dbt build, quality checks)."""

from __future__ import annotations

import dagster as dg

warehouse_job = dg.define_asset_job(
    "warehouse_job",
    selection=dg.AssetSelection.all() - dg.AssetSelection.keys(dg.AssetKey(["dispatch", "proposed_plan"])),
    description="Extract the operational tables incrementally, build every dbt model and run all checks.",
)

hourly_warehouse_schedule = dg.ScheduleDefinition(
    name="hourly_warehouse_schedule",
    job=warehouse_job,
    cron_schedule="5 * * * *",
    description="Five past every hour, bring the warehouse up to date (incremental extract, then dbt).",
)
