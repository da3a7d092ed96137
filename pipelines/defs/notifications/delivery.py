"""Notification delivery: a sensor that notices due outbox messages and a job that sends them.

The sending itself is ``ops_db.comms.delivery.deliver_due`` (claim with a lease, send, record the
attempt, back off or give up); this module only decides when it runs. Channels come from the
settings (email when ``REPAIROPS_SMTP_HOST`` is set) and from each company's own apprise channels
(``notification_channels``: SMS, WhatsApp, its own email server).
"""

# No `from __future__ import annotations`: Dagster inspects these type hints at definition time.

from datetime import UTC, datetime

import dagster as dg

from ops_db.comms.delivery import configured_senders, deliver_due, due_count, tenant_channels
from ops_db.comms.webhooks import deliver_webhooks, webhooks_due
from ops_db.kit import db
from ops_db.settings import get_settings
from pipelines.resources import OpsDatabase

DELIVERY_CHECK_EVERY_SECONDS = 30


@dg.op(description="Send every due outbox message on the configured channels, for every active tenant.")
def deliver_notifications(context: dg.OpExecutionContext, ops_db: OpsDatabase) -> dict[str, int]:
    senders = configured_senders(get_settings())
    report = deliver_due(ops_db.app_engine(), ops_db.active_tenants(), senders)
    hooks = deliver_webhooks(ops_db.app_engine(), ops_db.active_tenants())
    for error in (report.errors + hooks.errors)[:20]:
        context.log.warning(error)
    context.log.info(
        f"notifications: {report.sent} sent, {report.failed} to retry, {report.dead} given up; "
        f"webhooks: {hooks.sent} sent, {hooks.failed} to retry, {hooks.dead} given up"
    )
    return {
        "claimed": report.claimed,
        "sent": report.sent,
        "failed": report.failed,
        "dead": report.dead,
        "webhooks_sent": hooks.sent,
    }


@dg.job(description="Deliver due notifications from the outbox (server email and each company's own channels).")
def deliver_notifications_job() -> None:
    deliver_notifications()


@dg.sensor(
    job=deliver_notifications_job,
    minimum_interval_seconds=DELIVERY_CHECK_EVERY_SECONDS,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="Every 30 seconds, if messages are due on a configured channel, run the delivery job.",
)
def notification_delivery_sensor(
    context: dg.SensorEvaluationContext, ops_db: OpsDatabase
) -> dg.RunRequest | dg.SkipReason:
    admin = db.admin_engine(ops_db.admin_url())
    channels = sorted(set(configured_senders(get_settings())) | set(tenant_channels(admin)))
    due = (due_count(admin, channels) if channels else 0) + webhooks_due(admin)
    if not due:
        return dg.SkipReason("No message is due.")
    bucket = int(datetime.now(UTC).timestamp()) // DELIVERY_CHECK_EVERY_SECONDS
    return dg.RunRequest(run_key=f"deliver-{bucket}", tags={"due_messages": str(due)})
