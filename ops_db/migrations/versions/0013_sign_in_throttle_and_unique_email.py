"""Sign-in throttling per account and address, and one customer per normalised email per company.

``sign_in_throttles`` replaces the hard lockout (anyone who knew an email could lock its owner out for 15 minutes
at will). One row counts the recent failed sign-ins of one key: an account (``email``, ``address`` = ''), a client
address (``address``, ``email`` = '') or an account from one address (both); an hour without a failure
(``last_failure_at``) forgets them. When a key passes its free failures, ``blocked_until`` says how long its next
attempts are refused without even checking a password. The
counters live in the database so every API and UI process sees the same ones. The rows of unknown emails are
kept exactly like those of real accounts: a stranger learns nothing from being slowed down.

``ix_login_attempts_known_address`` finds quickly whether an account has signed in from an address before (the
owner, from their own address, is not held back by what strangers do to the account elsewhere).

``uq_customers_tenant_email``: at most one customer per ``lower(btrim(email))`` within a company (ten parallel
creates with one email made five customers). Customers that already share an email keep it on the oldest; each
later one keeps the address as a primary contact (role ``email shared with an older customer (0013)``) and its
own email is cleared, so nothing is lost and the downgrade puts it back.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-06
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

MOVED_ROLE = "email shared with an older customer (0013)"


def _app_role() -> str:
    return op.get_context().config.get_main_option("app_role") or "repairops_app"  # type: ignore[union-attr]


def upgrade() -> None:
    op.create_table(
        "sign_in_throttles",
        sa.Column("tenant_id", sa.BigInteger(), nullable=False),
        sa.Column("email", sa.String(length=254), server_default="", nullable=False),
        sa.Column("address", sa.String(length=64), server_default="", nullable=False),
        sa.Column("failures", sa.Integer(), server_default="0", nullable=False),
        sa.Column("last_failure_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("blocked_until", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint("failures >= 0", name=op.f("ck_sign_in_throttles_failures_nonnegative")),
        sa.CheckConstraint("email <> '' OR address <> ''", name=op.f("ck_sign_in_throttles_has_key")),
        sa.ForeignKeyConstraint(["tenant_id"], ["tenants.id"], name=op.f("fk_sign_in_throttles_tenant_id_tenants"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("tenant_id", "email", "address", name=op.f("pk_sign_in_throttles")),
    )
    op.create_index("ix_sign_in_throttles_last_failure_at", "sign_in_throttles",
                    ["tenant_id", "last_failure_at"])
    op.create_index("ix_login_attempts_known_address", "login_attempts", ["tenant_id", "email", "ip_address"],
                    postgresql_where=sa.text("succeeded"))
    role = _app_role()
    op.execute(
        f"""
        ALTER TABLE sign_in_throttles ENABLE ROW LEVEL SECURITY;
        ALTER TABLE sign_in_throttles FORCE ROW LEVEL SECURITY;
        CREATE POLICY tenant_isolation ON sign_in_throttles
            USING (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::bigint)
            WITH CHECK (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::bigint);
        CREATE POLICY customer_scope ON sign_in_throttles AS RESTRICTIVE
            USING (repairops_customer() IS NULL OR false);
        GRANT SELECT, INSERT, UPDATE, DELETE ON sign_in_throttles TO "{role}";
        """
    )
    _one_customer_per_email()


def _one_customer_per_email() -> None:
    # The owner sees every company's rows only while row-level security is not forced on it (a migration may run
    # as the owner rather than a superuser); the transaction makes the pause invisible to everyone else.
    op.execute(
        f"""
        ALTER TABLE customers NO FORCE ROW LEVEL SECURITY;
        ALTER TABLE customer_contacts NO FORCE ROW LEVEL SECURITY;
        WITH ranked AS (
            SELECT id, tenant_id, name, email,
                   row_number() OVER (PARTITION BY tenant_id, lower(btrim(email)) ORDER BY id) AS n
            FROM customers WHERE email IS NOT NULL
        ), later AS (
            INSERT INTO customer_contacts (tenant_id, customer_id, name, role, email, is_primary)
            SELECT tenant_id, id, left(name, 200), '{MOVED_ROLE}', email, true FROM ranked WHERE n > 1
            RETURNING customer_id
        )
        UPDATE customers SET email = NULL WHERE id IN (SELECT customer_id FROM later);
        ALTER TABLE customers FORCE ROW LEVEL SECURITY;
        ALTER TABLE customer_contacts FORCE ROW LEVEL SECURITY;
        CREATE UNIQUE INDEX uq_customers_tenant_email ON customers (tenant_id, lower(btrim(email)))
            WHERE email IS NOT NULL;
        """
    )


def downgrade() -> None:
    op.execute(
        f"""
        DROP INDEX uq_customers_tenant_email;
        ALTER TABLE customers NO FORCE ROW LEVEL SECURITY;
        ALTER TABLE customer_contacts NO FORCE ROW LEVEL SECURITY;
        UPDATE customers c SET email = cc.email FROM customer_contacts cc
         WHERE cc.customer_id = c.id AND cc.role = '{MOVED_ROLE}' AND c.email IS NULL;
        DELETE FROM customer_contacts WHERE role = '{MOVED_ROLE}';
        ALTER TABLE customers FORCE ROW LEVEL SECURITY;
        ALTER TABLE customer_contacts FORCE ROW LEVEL SECURITY;
        """
    )
    op.drop_index("ix_login_attempts_known_address", table_name="login_attempts")
    op.drop_table("sign_in_throttles")
