"""Nightly: propose tomorrow's plan."""

from __future__ import annotations

import dagster as dg

daily_plan_job = dg.define_asset_job(
    "daily_plan_job",
    selection=dg.AssetSelection.keys(dg.AssetKey(["dispatch", "proposed_plan"])),
    description="Propose tomorrow's technician assignments and routes for every active tenant.",
)

nightly_plan_schedule = dg.ScheduleDefinition(
    name="nightly_plan_schedule",
    job=daily_plan_job,
    cron_schedule="30 1 * * *",
    description="At 01:30 every night, propose tomorrow's plan (dispatchers review it in the morning).",
)
