"""Files that go with an outgoing message: ``notification_attachments`` holds each document sent by email (the
PDF exactly as it was sent), next to its outbox message.

Tenant-isolated with forced row-level security; never visible to customer logins (they get the email).

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-04
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

MAX_BYTES = 10 * 1024 * 1024


def _app_role() -> str:
    return op.get_context().config.get_main_option("app_role") or "repairops_app"  # type: ignore[union-attr]


def upgrade() -> None:
    op.create_table(
        "notification_attachments",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("tenant_id", sa.BigInteger(), nullable=False),
        sa.Column("outbox_id", sa.BigInteger(), nullable=False),
        sa.Column("filename", sa.String(length=200), nullable=False),
        sa.Column("media_type", sa.String(length=100), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=False),
        sa.CheckConstraint(f"octet_length(content) BETWEEN 1 AND {MAX_BYTES}",
                           name=op.f("ck_notification_attachments_size_within_limit")),
        sa.ForeignKeyConstraint(["tenant_id"], ["tenants.id"],
                                name=op.f("fk_notification_attachments_tenant_id_tenants"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["outbox_id"], ["notification_outbox.id"],
                                name=op.f("fk_notification_attachments_outbox_id_notification_outbox"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notification_attachments")),
    )
    op.create_index(op.f("ix_notification_attachments_outbox_id"), "notification_attachments", ["outbox_id"])
    role = _app_role()
    op.execute(
        f"""
        ALTER TABLE notification_attachments ENABLE ROW LEVEL SECURITY;
        ALTER TABLE notification_attachments FORCE ROW LEVEL SECURITY;
        CREATE POLICY tenant_isolation ON notification_attachments
            USING (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::bigint)
            WITH CHECK (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::bigint);
        CREATE POLICY customer_scope ON notification_attachments AS RESTRICTIVE
            USING (repairops_customer() IS NULL OR false);
        GRANT SELECT, INSERT ON notification_attachments TO "{role}";
        """
    )


def downgrade() -> None:
    op.drop_table("notification_attachments")
