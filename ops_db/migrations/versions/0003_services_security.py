"""Service-layer support: permission catalogue, audit chain heads, customer and technician row scopes.

- ``permissions`` is filled from ``ops_db.identity.permissions`` and every tenant's system roles get
  their built-in permissions.
- ``audit_chain_heads`` holds each tenant's newest audit hash; appends lock that row, so two
  concurrent transactions can never fork the chain.
- Customer logins (``app.customer_id`` set) see only their own customers row, requests, orders and
  everything hanging off them, their devices, invoices and payments; staff-only tables show them
  nothing. Technician logins (``app.technician_id`` set) see only the customers of jobs assigned to
  them. These are RESTRICTIVE policies layered on the tenant policy.
- ``repairops_tenant_id(slug)`` resolves a public portal's tenant without opening the tenants table.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-24
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from ops_db.identity.permissions import PERMISSIONS, ROLE_PERMISSIONS

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Tables a customer may read whole (within the tenant): catalogues and reference data.
CUSTOMER_REFERENCE = (
    "service_catalog_items", "manufacturers", "equipment_models", "tax_rates", "customer_tiers",
    "sla_policies", "business_calendars", "number_sequences", "audit_chain_heads", "skills",
    "notification_templates", "notification_preferences", "price_lists", "price_list_items",
)
# Tables without customer_id/order_id whose rows belong to a customer through a parent.
CUSTOMER_VIA_PARENT = {
    "invoice_lines": "EXISTS (SELECT 1 FROM invoices p WHERE p.id = invoice_id)",
    "credit_notes": "EXISTS (SELECT 1 FROM invoices p WHERE p.id = invoice_id)",
    "refunds": "EXISTS (SELECT 1 FROM payments p WHERE p.id = payment_id)",
    "warranties": "EXISTS (SELECT 1 FROM equipment p WHERE p.id = equipment_id)",
    "meter_readings": "EXISTS (SELECT 1 FROM equipment p WHERE p.id = equipment_id)",
    "messages": "EXISTS (SELECT 1 FROM message_threads p WHERE p.id = thread_id)",
}
# Staff-only tables a customer's own actions still append to (but may not read back).
CUSTOMER_APPEND_ONLY = ("audit_log", "in_app_notifications")
TECHNICIAN_SCOPED = {
    "customers": "id",
    "customer_contacts": "customer_id",
    "customer_sites": "customer_id",
    "customer_notes": "customer_id",
    "customer_preferences": "customer_id",
}


def _app_role() -> str:
    return op.get_context().config.get_main_option("app_role") or "repairops_app"  # type: ignore[union-attr]


def _customer_condition(table: str, columns: set[str]) -> str | None:
    """The row condition for a customer login, or None when the table is open to customers."""
    if table == "customers":
        return "id = repairops_customer()"
    if table in CUSTOMER_REFERENCE or table == "tenants":
        return None
    if table in CUSTOMER_VIA_PARENT:
        return CUSTOMER_VIA_PARENT[table]
    if "customer_id" in columns:
        return "customer_id = repairops_customer()"
    if "order_id" in columns:
        return "EXISTS (SELECT 1 FROM service_orders o WHERE o.id = order_id)"
    return "false"


def upgrade() -> None:
    role = _app_role()
    op.create_table(
        "audit_chain_heads",
        sa.Column("tenant_id", sa.BigInteger(), sa.ForeignKey("tenants.id", ondelete="CASCADE"), nullable=False),
        sa.Column("last_id", sa.BigInteger(), nullable=False),
        sa.Column("last_hash", sa.String(64), nullable=False),
        sa.PrimaryKeyConstraint("tenant_id", name=op.f("pk_audit_chain_heads")),
    )
    op.execute(
        """
        ALTER TABLE audit_chain_heads ENABLE ROW LEVEL SECURITY;
        ALTER TABLE audit_chain_heads FORCE ROW LEVEL SECURITY;
        CREATE POLICY tenant_isolation ON audit_chain_heads
            USING (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::bigint)
            WITH CHECK (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::bigint);

        CREATE FUNCTION repairops_customer() RETURNS bigint LANGUAGE sql STABLE AS
            $$ SELECT NULLIF(current_setting('app.customer_id', true), '')::bigint $$;
        CREATE FUNCTION repairops_technician() RETURNS bigint LANGUAGE sql STABLE AS
            $$ SELECT NULLIF(current_setting('app.technician_id', true), '')::bigint $$;
        CREATE FUNCTION repairops_user() RETURNS bigint LANGUAGE sql STABLE AS
            $$ SELECT NULLIF(current_setting('app.user_id', true), '')::bigint $$;

        CREATE POLICY tenant_lookup ON tenants FOR SELECT
            USING (current_setting('app.tenant_lookup', true) = 'on');
        CREATE FUNCTION repairops_tenant_id(tenant_slug text) RETURNS bigint LANGUAGE plpgsql STABLE AS $$
        DECLARE found bigint;
        BEGIN
            PERFORM set_config('app.tenant_lookup', 'on', true);
            SELECT id INTO found FROM tenants WHERE slug = tenant_slug AND is_active;
            PERFORM set_config('app.tenant_lookup', '', true);
            RETURN found;
        END $$;
        """
    )
    bind = op.get_bind()
    tables: dict[str, set[str]] = {}
    for table, column in bind.execute(sa.text(
        "SELECT c.table_name, c.column_name FROM information_schema.columns c"
        " JOIN information_schema.tables t USING (table_schema, table_name)"
        " WHERE c.table_schema = 'public' AND t.table_type = 'BASE TABLE'"
        " AND c.table_name IN (SELECT table_name FROM information_schema.columns"
        "   WHERE table_schema = 'public' AND column_name = 'tenant_id')"
    )):
        tables.setdefault(table, set()).add(column)
    for table, columns in sorted(tables.items()):
        if table in ("row_deletions",):
            continue
        condition = _customer_condition(table, columns)
        if condition is None:
            continue
        command = "FOR SELECT " if table in CUSTOMER_APPEND_ONLY else ""
        op.execute(
            f"CREATE POLICY customer_scope ON {table} AS RESTRICTIVE {command}"
            f"USING (repairops_customer() IS NULL OR {condition})"
        )
    for table, column in TECHNICIAN_SCOPED.items():
        op.execute(
            f"CREATE POLICY technician_scope ON {table} AS RESTRICTIVE FOR SELECT USING ("
            f"repairops_technician() IS NULL OR EXISTS (SELECT 1 FROM service_orders o WHERE o.customer_id = "
            f"{table}.{column} AND (o.assigned_technician_id = repairops_technician() OR EXISTS ("
            "SELECT 1 FROM bookings b WHERE b.order_id = o.id AND b.technician_id = repairops_technician()))))"
        )
    op.bulk_insert(
        sa.table("permissions", sa.column("code"), sa.column("area"), sa.column("action"), sa.column("description")),
        [{"code": code, "area": code.split(".")[0], "action": code.split(".")[1], "description": text}
         for code, text in PERMISSIONS.items()],
    )
    for role_code, codes in ROLE_PERMISSIONS.items():
        op.execute(sa.text(
            "INSERT INTO role_permissions (tenant_id, role_id, permission_id)"
            " SELECT r.tenant_id, r.id, p.id FROM roles r JOIN permissions p ON p.code = ANY(:codes)"
            " WHERE r.code = :role AND r.is_system ON CONFLICT DO NOTHING"
        ).bindparams(codes=sorted(codes), role=role_code.value))
    op.execute(
        f"""
        GRANT SELECT, INSERT, UPDATE ON audit_chain_heads TO "{role}";
        GRANT EXECUTE ON FUNCTION repairops_tenant_id(text) TO "{role}";
        """
    )


def downgrade() -> None:
    op.execute(
        """
        DO $$
        DECLARE r record;
        BEGIN
            FOR r IN SELECT tablename, policyname FROM pg_policies WHERE schemaname = 'public'
                     AND policyname IN ('customer_scope', 'technician_scope') LOOP
                EXECUTE format('DROP POLICY %I ON %I', r.policyname, r.tablename);
            END LOOP;
        END $$;
        DROP POLICY tenant_lookup ON tenants;
        DROP FUNCTION repairops_tenant_id(text);
        DROP FUNCTION repairops_user();
        DROP FUNCTION repairops_technician();
        DROP FUNCTION repairops_customer();
        DELETE FROM role_permissions;
        DELETE FROM permissions;
        """
    )
    op.drop_table("audit_chain_heads")
