"""Every night, a signed checkpoint of every active company's audit chain (``repairops audit checkpoint --all``).

The checkpoints go to ``DATA_DIR/audit-checkpoints`` with the installation's audit key; copy that folder somewhere
the database's owner cannot write, so a history rewritten in the database no longer verifies against it.
"""

# No `from __future__ import annotations`: Dagster inspects these type hints at definition time.

import dagster as dg
from sqlalchemy import text

from ops_db.audit import checkpoints as seals
from ops_db.kit import db
from ops_db.kit.errors import RepairOpsError
from ops_db.settings import get_settings
from pipelines.resources import OpsDatabase


@dg.op(description="Check every active company's audit chain and write a signed checkpoint of its head.")
def checkpoint_audit_chains(context: dg.OpExecutionContext, ops_db: OpsDatabase) -> dict[str, int]:
    settings = get_settings()
    directory = seals.default_directory(settings)
    key = seals.signing_key(seals.key_path(settings))
    earlier = seals.read_checkpoints(directory, key.public_key()) if directory.is_dir() else []
    with db.admin_engine(ops_db.admin_url()).connect() as conn:
        companies = [
            (int(r.id), str(r.slug))
            for r in conn.execute(text("SELECT id, slug FROM tenants WHERE is_active ORDER BY id"))
        ]
    engine = ops_db.app_engine()
    written: dict[str, int] = {}
    broken: list[str] = []
    for tenant_id, slug in companies:
        try:
            seal, path = seals.seal_company(
                engine, tenant_id, slug, key, directory, earlier, label="audit checkpoint schedule"
            )
        except RepairOpsError as exc:  # one broken company does not stop the others' checkpoints
            broken.append(exc.message)
            continue
        written[slug] = seal.last_id
        context.log.info(f"Checkpoint of {slug} written to {path} (record {seal.last_id})")
    if broken:
        raise dg.Failure(description=" ".join(broken), metadata={"written": len(written)})
    return written


@dg.job(description="Signed checkpoints of every active company's audit chain, kept outside the database.")
def audit_checkpoint_job() -> None:
    checkpoint_audit_chains()


daily_audit_checkpoint_schedule = dg.ScheduleDefinition(
    name="daily_audit_checkpoint_schedule",
    job=audit_checkpoint_job,
    cron_schedule="15 2 * * *",
    description="At 02:15 every night, a signed checkpoint of every company's audit chain.",
)
