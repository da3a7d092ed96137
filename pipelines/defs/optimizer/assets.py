"""Tomorrow's dispatch plan for every active tenant, proposed by the optimizer and stored for dispatchers."""

# No `from __future__ import annotations`: Dagster inspects these type hints at definition time.

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import dagster as dg
from sqlalchemy import text

from ops_db.kit import db
from ops_db.kit.uow import Actor
from pipelines.planning import propose
from pipelines.resources import OpsDatabase

PLAN_GROUP = "dispatch"


class PlanConfig(dg.Config):
    """``time_limit``: solver seconds per tenant; ``day``: YYYY-MM-DD to plan (default: tomorrow, tenant time)."""

    time_limit: float = 60.0
    day: str = ""


def _tomorrow(time_zone: str) -> date:
    return datetime.now(ZoneInfo(time_zone)).date() + timedelta(days=1)


# The result stays a bare `MaterializeResult` (hence the ignore): Dagster reads the return hint at
# definition time and treats only the bare class as "a materialization, no output value".
@dg.asset(
    key=dg.AssetKey(["dispatch", "proposed_plan"]),
    group_name=PLAN_GROUP,
    kinds={"ortools", "postgres"},
    description="The optimizer's proposed assignments and routes for tomorrow (per tenant), written back to "
    "Postgres through ops_db services as a proposed plan that dispatchers review and accept.",
)
def proposed_plan(context: dg.AssetExecutionContext, config: PlanConfig, ops_db: OpsDatabase) -> dg.MaterializeResult:  # type: ignore[type-arg]
    engine = ops_db.app_engine()
    with db.admin_engine(ops_db.admin_url()).connect() as conn:
        tenants = conn.execute(text("SELECT id, slug, time_zone FROM tenants WHERE is_active ORDER BY id")).all()
    plans: dict[str, object] = {}
    for tenant_id, slug, time_zone in ((int(r[0]), str(r[1]), str(r[2])) for r in tenants):
        day = date.fromisoformat(config.day) if config.day else _tomorrow(time_zone)
        proposal = propose(engine, Actor.system(tenant_id, "nightly plan"), day, time_limit=config.time_limit)
        saved = proposal.saved
        plans[slug] = {
            "plan_id": saved.plan_id,
            "day": day.isoformat(),
            "assigned": saved.assigned,
            "unassigned": saved.unassigned,
            "violations": len(proposal.violations),
        }
        context.log.info(f"{slug}: plan {proposal.saved.plan_id} for {day} stored")
    return dg.MaterializeResult(metadata={"tenants": len(tenants), "plans": dg.MetadataValue.json(plans)})
