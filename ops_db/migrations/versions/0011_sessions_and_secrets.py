"""Sign-in sessions that can be revoked, and the application's own login role.

- ``auth_sessions``: one row per sign-in (web app or API). An API access token lives 15 minutes and names its
  session; the session's refresh token is one-use (``refresh_generation`` counts the rotations, so a token
  presented twice is recognised and ends the session). ``revoked_at``/``revoked_reason`` record how it ended;
  ``password_failures`` counts wrong current passwords given to change the password (too many end the session).
  Tenant-isolated with forced row-level security; a customer login sees only its own sessions.
- The database ends sessions itself, whoever makes the change (a service, an administrator in ``psql``):
  all of a person's sessions when they are locked or switched off, all but the current one (``app.session_id``)
  when their password changes, all of a company's when it is switched off, and those opened without a second
  factor when the company starts requiring one.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-06
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Copied from ops_db.identity.sessions (migrations never import application code).
REVOKED_REASONS = ("signed_out", "signed_out_everywhere", "signed_out_by_admin", "password_changed", "locked",
                   "deactivated", "company_deactivated", "second_factor_required", "refresh_reused",
                   "password_guessing")


def _app_role() -> str:
    return op.get_context().config.get_main_option("app_role") or "repairops_app"  # type: ignore[union-attr]


def upgrade() -> None:
    _sessions_up()


def downgrade() -> None:
    _sessions_down()


def _sessions_up() -> None:
    reasons = ", ".join(f"'{r}'" for r in REVOKED_REASONS)
    op.create_table(
        "auth_sessions",
        sa.Column("id", postgresql.UUID(as_uuid=True), nullable=False),
        sa.Column("tenant_id", sa.BigInteger(), nullable=False),
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("second_factor", sa.Boolean(), server_default="false", nullable=False),
        sa.Column("refresh_generation", sa.Integer(), server_default="0", nullable=False),
        sa.Column("password_failures", sa.SmallInteger(), server_default="0", nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("refreshed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("revoked_reason", sa.String(length=32), nullable=True),
        sa.CheckConstraint("expires_at > created_at", name=op.f("ck_auth_sessions_expires_after_start")),
        sa.CheckConstraint("refresh_generation >= 0", name=op.f("ck_auth_sessions_generation_nonnegative")),
        sa.CheckConstraint("password_failures >= 0", name=op.f("ck_auth_sessions_password_failures_nonnegative")),
        sa.CheckConstraint("(revoked_at IS NULL) = (revoked_reason IS NULL)",
                           name=op.f("ck_auth_sessions_revoked_with_reason")),
        sa.CheckConstraint(f"revoked_reason IN ({reasons})", name=op.f("ck_auth_sessions_known_reason")),
        sa.ForeignKeyConstraint(["tenant_id"], ["tenants.id"], name=op.f("fk_auth_sessions_tenant_id_tenants"),
                                ondelete="CASCADE"),
        # Composite, as every reference between company tables is (migration 0010): a session's person is always
        # of the session's company.
        sa.ForeignKeyConstraint(["tenant_id", "user_id"], ["users.tenant_id", "users.id"],
                                name=op.f("fk_auth_sessions_user_id_users"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_auth_sessions")),
    )
    op.create_index(op.f("ix_auth_sessions_tenant_id"), "auth_sessions", ["tenant_id"])
    # Ending a person's sessions touches only the live ones.
    op.create_index("ix_auth_sessions_live", "auth_sessions", ["user_id"],
                    postgresql_where=sa.text("revoked_at IS NULL"))
    op.create_index(op.f("ix_auth_sessions_user_id"), "auth_sessions", ["user_id", "expires_at"])
    role = _app_role()
    op.execute(
        f"""
        ALTER TABLE auth_sessions ENABLE ROW LEVEL SECURITY;
        ALTER TABLE auth_sessions FORCE ROW LEVEL SECURITY;
        CREATE POLICY tenant_isolation ON auth_sessions
            USING (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::bigint)
            WITH CHECK (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::bigint);
        CREATE POLICY customer_scope ON auth_sessions AS RESTRICTIVE
            USING (repairops_customer() IS NULL OR user_id = repairops_user());
        GRANT SELECT, INSERT, UPDATE, DELETE ON auth_sessions TO "{role}";

        -- Ends live sessions of one company (and one person, unless p_user is NULL). It runs inside triggers, maybe
        -- for someone outside any company's context (an administrator in psql), so it names the company for the
        -- row-level security of auth_sessions and puts the caller's setting back afterwards.
        CREATE FUNCTION repairops_end_sessions(p_tenant bigint, p_user bigint, p_reason text,
                                               p_keep_current boolean, p_without_second_factor boolean)
        RETURNS void LANGUAGE plpgsql AS $$
        DECLARE
            previous text := current_setting('app.tenant_id', true);
            keep text := CASE WHEN p_keep_current
                              THEN NULLIF(current_setting('app.session_id', true), '') END;
        BEGIN
            PERFORM set_config('app.tenant_id', p_tenant::text, true);
            UPDATE auth_sessions SET revoked_at = now(), revoked_reason = p_reason
             WHERE tenant_id = p_tenant AND revoked_at IS NULL
               AND (p_user IS NULL OR user_id = p_user)
               AND (keep IS NULL OR id::text <> keep)
               AND NOT (p_without_second_factor AND second_factor);
            PERFORM set_config('app.tenant_id', COALESCE(previous, ''), true);
        END $$;

        CREATE FUNCTION repairops_user_sessions_end() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            IF OLD.is_active AND NOT NEW.is_active THEN
                PERFORM repairops_end_sessions(NEW.tenant_id, NEW.id, 'deactivated', false, false);
            END IF;
            IF NEW.locked_until > now() AND (OLD.locked_until IS NULL OR OLD.locked_until <= now()) THEN
                PERFORM repairops_end_sessions(NEW.tenant_id, NEW.id, 'locked', false, false);
            END IF;
            IF NEW.password_hash IS DISTINCT FROM OLD.password_hash THEN
                PERFORM repairops_end_sessions(NEW.tenant_id, NEW.id, 'password_changed', true, false);
            END IF;
            RETURN NULL;
        END $$;
        CREATE TRIGGER trg_users_sessions_end AFTER UPDATE OF is_active, locked_until, password_hash ON users
            FOR EACH ROW EXECUTE FUNCTION repairops_user_sessions_end();

        CREATE FUNCTION repairops_tenant_sessions_end() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            IF OLD.is_active AND NOT NEW.is_active THEN
                PERFORM repairops_end_sessions(NEW.id, NULL, 'company_deactivated', false, false);
            END IF;
            IF NEW.require_totp AND NOT OLD.require_totp THEN
                PERFORM repairops_end_sessions(NEW.id, NULL, 'second_factor_required', false, true);
            END IF;
            RETURN NULL;
        END $$;
        CREATE TRIGGER trg_tenants_sessions_end AFTER UPDATE OF is_active, require_totp ON tenants
            FOR EACH ROW EXECUTE FUNCTION repairops_tenant_sessions_end();
        """
    )


def _sessions_down() -> None:
    op.execute(
        """
        DROP TRIGGER trg_tenants_sessions_end ON tenants;
        DROP TRIGGER trg_users_sessions_end ON users;
        DROP FUNCTION repairops_tenant_sessions_end();
        DROP FUNCTION repairops_user_sessions_end();
        DROP FUNCTION repairops_end_sessions(bigint, bigint, text, boolean, boolean);
        """
    )
    op.drop_table("auth_sessions")
