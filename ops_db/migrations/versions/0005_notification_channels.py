"""``notification_channels``: each company's own senders (an apprise URL per channel: SMS, WhatsApp, email).

Tenant-isolated like every business table (forced row-level security), never visible to customer logins
(the URLs hold provider credentials), with ``updated_at`` and deletion logging by trigger.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-02
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _app_role() -> str:
    return op.get_context().config.get_main_option("app_role") or "repairops_app"  # type: ignore[union-attr]


def upgrade() -> None:
    op.create_table(
        "notification_channels",
        sa.Column("channel", sa.Enum("email", "sms", "whatsapp", "in_app", "phone", name="configured_channel",
                                     native_enum=False, create_constraint=True, length=32), nullable=False),
        sa.Column("apprise_url", sa.Text(), nullable=False),
        sa.Column("is_active", sa.Boolean(), server_default="true", nullable=False),
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("tenant_id", sa.BigInteger(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint("position('{address}' in apprise_url) > 0",
                           name=op.f("ck_notification_channels_url_has_address")),
        sa.ForeignKeyConstraint(["tenant_id"], ["tenants.id"], name=op.f("fk_notification_channels_tenant_id_tenants"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notification_channels")),
        sa.UniqueConstraint("tenant_id", "channel", name=op.f("uq_notification_channels_tenant_id_channel")),
    )
    op.create_index(op.f("ix_notification_channels_tenant_id"), "notification_channels", ["tenant_id"], unique=False)
    role = _app_role()
    op.execute(
        f"""
        CREATE TRIGGER trg_notification_channels_updated_at BEFORE UPDATE ON notification_channels
            FOR EACH ROW EXECUTE FUNCTION repairops_set_updated_at();
        CREATE TRIGGER trg_notification_channels_log_deletion AFTER DELETE ON notification_channels
            FOR EACH ROW EXECUTE FUNCTION repairops_log_deletion();
        ALTER TABLE notification_channels ENABLE ROW LEVEL SECURITY;
        ALTER TABLE notification_channels FORCE ROW LEVEL SECURITY;
        CREATE POLICY tenant_isolation ON notification_channels
            USING (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::bigint)
            WITH CHECK (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::bigint);
        CREATE POLICY customer_scope ON notification_channels AS RESTRICTIVE
            USING (repairops_customer() IS NULL OR false);  -- provider credentials: staff only
        GRANT SELECT, INSERT, UPDATE, DELETE ON notification_channels TO "{role}";
        """
    )


def downgrade() -> None:
    op.drop_table("notification_channels")
