"""The Dagster code location of RepairOps: it only assembles what ``pipelines/defs/*`` define."""

from __future__ import annotations

import dagster as dg

from pipelines.defs.audit.checkpoints import audit_checkpoint_job, daily_audit_checkpoint_schedule
from pipelines.defs.dbt.assets import repairops_dbt_assets
from pipelines.defs.dbt.resources import dbt_resource
from pipelines.defs.notifications.delivery import deliver_notifications_job, notification_delivery_sensor
from pipelines.defs.notifications.sensors import sla_clock_sensor, sla_escalation_job
from pipelines.defs.ops_extract.assets import ops_extract
from pipelines.defs.ops_extract.schedules import hourly_warehouse_schedule, warehouse_job
from pipelines.defs.optimizer.assets import proposed_plan
from pipelines.defs.optimizer.schedules import daily_plan_job, nightly_plan_schedule
from pipelines.defs.quality.checks import QUALITY_CHECKS
from pipelines.resources import OpsDatabase, Warehouse

defs = dg.Definitions(
    assets=[ops_extract, repairops_dbt_assets, proposed_plan],
    asset_checks=QUALITY_CHECKS,
    jobs=[warehouse_job, daily_plan_job, sla_escalation_job, deliver_notifications_job, audit_checkpoint_job],
    schedules=[hourly_warehouse_schedule, nightly_plan_schedule, daily_audit_checkpoint_schedule],
    sensors=[sla_clock_sensor, notification_delivery_sensor],
    resources={"ops_db": OpsDatabase(), "warehouse": Warehouse(), "dbt": dbt_resource()},
    # One DuckDB file has one writer: steps run one after another in the run's process.
    executor=dg.in_process_executor,
)
