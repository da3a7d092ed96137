"""SLA escalation: the sensor notices running clocks, the job moves them to at-risk/breached and notifies.

The job goes through ``ops_db.sla.service.evaluate_clocks``, which writes the state change, the audit
record and the outbox messages (deduplicated per clock and recipient) in one transaction.
"""

# No `from __future__ import annotations`: Dagster inspects these type hints at definition time.

from datetime import UTC, datetime

import dagster as dg
from sqlalchemy import text

from ops_db.kit import db
from ops_db.kit.uow import Actor, UnitOfWork
from ops_db.sla.service import evaluate_clocks
from pipelines.resources import OpsDatabase

SLA_CHECK_EVERY_SECONDS = 300


@dg.op(description="Evaluate every tenant's running SLA clocks; at-risk and breached ones notify managers.")
def evaluate_sla_clocks(context: dg.OpExecutionContext, ops_db: OpsDatabase) -> dict[str, int]:
    engine = ops_db.app_engine()
    totals = {"at_risk": 0, "breached": 0}
    for tenant_id in ops_db.active_tenants():
        counts = evaluate_clocks(UnitOfWork(engine, Actor.system(tenant_id, "sla sensor")))
        for key, value in counts.items():
            totals[key] += value
    context.log.info(f"SLA clocks: {totals['at_risk']} newly at risk, {totals['breached']} newly breached")
    return totals


@dg.job(description="Raise SLA at-risk and breached notifications into the outbox.")
def sla_escalation_job() -> None:
    evaluate_sla_clocks()


def running_clocks(admin_url: str) -> int:
    """How many SLA clocks are running or at risk, across tenants (cheap: the sensor's question)."""
    with db.admin_engine(admin_url).connect() as conn:
        found = conn.execute(text("SELECT count(*) FROM sla_clocks WHERE state IN ('running', 'at_risk')")).scalar()
    return int(found or 0)


@dg.sensor(
    job=sla_escalation_job,
    minimum_interval_seconds=SLA_CHECK_EVERY_SECONDS,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="Every 5 minutes, if any SLA clock is running, evaluate clocks and escalate.",
)
def sla_clock_sensor(context: dg.SensorEvaluationContext, ops_db: OpsDatabase) -> dg.RunRequest | dg.SkipReason:
    running = running_clocks(ops_db.admin_url())
    if not running:
        return dg.SkipReason("No SLA clock is running.")
    bucket = datetime.now(UTC).strftime("%Y%m%d%H%M")
    return dg.RunRequest(run_key=f"sla-{bucket}", tags={"running_clocks": str(running)})
