"""One row per submission that changed something: a second submission with the same key never acts again.

``submissions`` remembers, per company, each idempotency key a form (a key made when the form is shown) or an API
client (the ``Idempotency-Key`` header) sent with a write, which action it was for (``action``), a fingerprint of
what was asked (``fingerprint``: the same key with different values is refused), who sent it, and the first
result (``result``: the ids the action made, so a repeat gets the same answer). The service claims the key in the
same transaction as the write itself, so a failed write leaves no claim and two concurrent submissions with one
key wait for each other: the second sees the first's row and returns its result.

Tenant-isolated with forced row-level security; a customer login sees only its own customer's submissions.

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-06
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _app_role() -> str:
    return op.get_context().config.get_main_option("app_role") or "repairops_app"  # type: ignore[union-attr]


def upgrade() -> None:
    op.create_table(
        "submissions",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("tenant_id", sa.BigInteger(), nullable=False),
        sa.Column("key", sa.String(length=128), nullable=False),
        sa.Column("action", sa.String(length=64), nullable=False),
        sa.Column("fingerprint", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.BigInteger(), nullable=True),
        sa.Column("customer_id", sa.BigInteger(), nullable=True),
        sa.Column("result", postgresql.JSONB(), server_default=sa.text("'{}'::jsonb"), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint("key <> ''", name=op.f("ck_submissions_key_not_empty")),
        sa.ForeignKeyConstraint(["tenant_id"], ["tenants.id"], name=op.f("fk_submissions_tenant_id_tenants"),
                                ondelete="CASCADE"),
        # Composite, as every reference between company tables is (migration 0010).
        sa.ForeignKeyConstraint(["tenant_id", "user_id"], ["users.tenant_id", "users.id"],
                                name=op.f("fk_submissions_user_id_users"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["tenant_id", "customer_id"], ["customers.tenant_id", "customers.id"],
                                name=op.f("fk_submissions_customer_id_customers"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_submissions")),
        sa.UniqueConstraint("tenant_id", "key", name=op.f("uq_submissions_tenant_id_key")),
    )
    # Forgetting old keys reads them by age.
    op.create_index("ix_submissions_tenant_id_created_at", "submissions", ["tenant_id", "created_at"])
    role = _app_role()
    op.execute(
        f"""
        ALTER TABLE submissions ENABLE ROW LEVEL SECURITY;
        ALTER TABLE submissions FORCE ROW LEVEL SECURITY;
        CREATE POLICY tenant_isolation ON submissions
            USING (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::bigint)
            WITH CHECK (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::bigint);
        CREATE POLICY customer_scope ON submissions AS RESTRICTIVE
            USING (repairops_customer() IS NULL OR customer_id = repairops_customer());
        GRANT SELECT, INSERT, UPDATE, DELETE ON submissions TO "{role}";
        """
    )


def downgrade() -> None:
    op.drop_table("submissions")
