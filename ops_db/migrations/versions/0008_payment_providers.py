"""Each company's own online-payment account: ``payment_providers`` holds a company's Stripe secret key and
webhook signing secret, encrypted at rest, so money paid online lands in that company's account (white label).
Companies without one use the server-wide keys.

Tenant-isolated with forced row-level security and never visible to customer logins (credentials).

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-04
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _app_role() -> str:
    return op.get_context().config.get_main_option("app_role") or "repairops_app"  # type: ignore[union-attr]


def upgrade() -> None:
    now = sa.text("now()")
    op.create_table(
        "payment_providers",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("tenant_id", sa.BigInteger(), nullable=False),
        sa.Column("provider", sa.String(length=32), nullable=False),
        sa.Column("secret_key_encrypted", sa.LargeBinary(), nullable=False),
        sa.Column("webhook_secret_encrypted", sa.LargeBinary(), nullable=False),
        sa.Column("key_hint", sa.String(length=32), nullable=False),
        sa.Column("is_active", sa.Boolean(), server_default="true", nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=now, nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=now, nullable=False),
        sa.CheckConstraint("provider IN ('stripe')", name=op.f("ck_payment_providers_provider_known")),
        sa.ForeignKeyConstraint(["tenant_id"], ["tenants.id"], name=op.f("fk_payment_providers_tenant_id_tenants"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_payment_providers")),
        sa.UniqueConstraint("tenant_id", "provider", name=op.f("uq_payment_providers_tenant_id_provider")),
    )
    role = _app_role()
    op.execute(
        f"""
        CREATE TRIGGER trg_payment_providers_updated_at BEFORE UPDATE ON payment_providers
            FOR EACH ROW EXECUTE FUNCTION repairops_set_updated_at();
        ALTER TABLE payment_providers ENABLE ROW LEVEL SECURITY;
        ALTER TABLE payment_providers FORCE ROW LEVEL SECURITY;
        CREATE POLICY tenant_isolation ON payment_providers
            USING (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::bigint)
            WITH CHECK (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::bigint);
        CREATE POLICY customer_scope ON payment_providers AS RESTRICTIVE
            USING (repairops_customer() IS NULL OR false);  -- provider credentials: staff only
        GRANT SELECT, INSERT, UPDATE ON payment_providers TO "{role}";
        """
    )


def downgrade() -> None:
    op.drop_table("payment_providers")
