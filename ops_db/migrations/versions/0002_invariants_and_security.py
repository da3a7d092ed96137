"""Invariants the database enforces itself, and row-level security.

- ``updated_at`` kept by trigger (warehouse watermarks); deletions logged to ``row_deletions``.
- Append-only ledgers: ``order_events``, ``stock_movements``, ``audit_log``, ``refunds`` refuse
  UPDATE, and DELETE unless a maintenance session sets ``repairops.purge = on``.
- A refund adds to ``payments.refunded_amount`` whose CHECK caps it at the amount paid: no refund
  above what was paid, even when two refunds race (the UPDATE serialises them on the payment row).
- One technician cannot hold two overlapping active bookings (exclusion constraint over range
  types: a one-point ``int8range`` for the technician, since the embedded server has no btree_gist).
- RLS: every table with ``tenant_id`` is filtered on ``app.tenant_id`` (FORCE, so the owner too),
  and the non-owner application role gets DML rights.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-24
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

APPEND_ONLY = ("order_events", "stock_movements", "audit_log", "refunds")
ACTIVE_BOOKING = "status IN ('tentative', 'confirmed', 'in_progress')"


def _app_role() -> str:
    return op.get_context().config.get_main_option("app_role") or "repairops_app"  # type: ignore[union-attr]


def upgrade() -> None:
    role = _app_role()
    op.execute(
        """
        CREATE FUNCTION repairops_set_updated_at() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            IF NEW IS DISTINCT FROM OLD THEN NEW.updated_at := clock_timestamp(); END IF;
            RETURN NEW;
        END $$;

        CREATE FUNCTION repairops_log_deletion() RETURNS trigger LANGUAGE plpgsql AS $$
        DECLARE key text;
        BEGIN
            key := COALESCE(to_jsonb(OLD)->>'id',
                            (SELECT string_agg(value, ',' ORDER BY ord) FROM
                               (SELECT to_jsonb(OLD)->>a.attname AS value, k.ord
                                  FROM unnest((SELECT conkey FROM pg_constraint
                                               WHERE conrelid = TG_RELID AND contype = 'p'))
                                       WITH ORDINALITY AS k(attnum, ord)
                                  JOIN pg_attribute a ON a.attrelid = TG_RELID AND a.attnum = k.attnum) s));
            INSERT INTO row_deletions (tenant_id, table_name, row_key)
            VALUES ((to_jsonb(OLD)->>'tenant_id')::bigint, TG_TABLE_NAME, key);
            RETURN OLD;
        END $$;

        CREATE FUNCTION repairops_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            IF TG_OP = 'DELETE' AND current_setting('repairops.purge', true) = 'on' THEN
                RETURN OLD;
            END IF;
            RAISE EXCEPTION '% is append-only: % is not allowed', TG_TABLE_NAME, TG_OP
                USING ERRCODE = 'check_violation';
        END $$;

        CREATE FUNCTION repairops_apply_refund() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            UPDATE payments SET refunded_amount = refunded_amount + NEW.amount
             WHERE id = NEW.payment_id AND tenant_id = NEW.tenant_id;
            IF NOT FOUND THEN
                RAISE EXCEPTION 'refund % points at no payment of its tenant', NEW.id
                    USING ERRCODE = 'foreign_key_violation';
            END IF;
            RETURN NEW;
        END $$;
        """
    )
    op.execute(
        """
        DO $$
        DECLARE t text;
        BEGIN
            FOR t IN SELECT c.table_name FROM information_schema.columns c
                     JOIN information_schema.tables tb USING (table_schema, table_name)
                     WHERE c.table_schema = 'public' AND c.column_name = 'updated_at'
                       AND tb.table_type = 'BASE TABLE'
            LOOP
                EXECUTE format('CREATE TRIGGER trg_%s_updated_at BEFORE UPDATE ON %I
                                FOR EACH ROW EXECUTE FUNCTION repairops_set_updated_at()', t, t);
            END LOOP;

            FOR t IN SELECT c.table_name FROM information_schema.columns c
                     JOIN information_schema.tables tb USING (table_schema, table_name)
                     WHERE c.table_schema = 'public' AND c.column_name = 'tenant_id'
                       AND tb.table_type = 'BASE TABLE' AND c.table_name <> 'row_deletions'
            LOOP
                EXECUTE format('CREATE TRIGGER trg_%s_log_deletion AFTER DELETE ON %I
                                FOR EACH ROW EXECUTE FUNCTION repairops_log_deletion()', t, t);
                EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
                EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', t);
                EXECUTE format('CREATE POLICY tenant_isolation ON %I
                                USING (tenant_id = NULLIF(current_setting(''app.tenant_id'', true), '''')::bigint)
                                WITH CHECK (tenant_id = NULLIF(current_setting(''app.tenant_id'', true), '''')::bigint)',
                               t);
            END LOOP;
        END $$;

        ALTER TABLE tenants ENABLE ROW LEVEL SECURITY;
        ALTER TABLE tenants FORCE ROW LEVEL SECURITY;
        CREATE POLICY tenant_isolation ON tenants
            USING (id = NULLIF(current_setting('app.tenant_id', true), '')::bigint);
        ALTER TABLE row_deletions ENABLE ROW LEVEL SECURITY;
        ALTER TABLE row_deletions FORCE ROW LEVEL SECURITY;
        CREATE POLICY tenant_isolation ON row_deletions
            USING (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::bigint);
        CREATE POLICY record_deletions ON row_deletions FOR INSERT WITH CHECK (true);
        """
    )
    for table in APPEND_ONLY:
        op.execute(
            f"CREATE TRIGGER trg_{table}_append_only BEFORE UPDATE OR DELETE ON {table} "
            "FOR EACH ROW EXECUTE FUNCTION repairops_append_only()"
        )
    op.execute(
        """
        CREATE TRIGGER trg_refunds_apply AFTER INSERT ON refunds
            FOR EACH ROW EXECUTE FUNCTION repairops_apply_refund();

        ALTER TABLE bookings ADD CONSTRAINT ex_bookings_no_overlap EXCLUDE USING gist (
            int8range(technician_id, technician_id, '[]') WITH &&,
            planned WITH &&
        ) WHERE ("""
        + ACTIVE_BOOKING
        + """);
        CREATE INDEX ix_time_off_period ON time_off USING gist (period);
        """
    )
    op.execute(
        f"""
        DO $$ BEGIN
            IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '{role}') THEN
                CREATE ROLE "{role}" NOLOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE;
            END IF;
        END $$;
        DO $$ BEGIN
            EXECUTE format('GRANT "{role}" TO %I', current_user);
        EXCEPTION WHEN others THEN NULL;  -- already a member, or we are that role
        END $$;
        GRANT USAGE ON SCHEMA public TO "{role}";
        GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO "{role}";
        REVOKE INSERT, UPDATE, DELETE ON permissions, alembic_version FROM "{role}";
        GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO "{role}";
        """
    )


def downgrade() -> None:
    role = _app_role()
    op.execute(
        f"""
        REVOKE ALL ON ALL TABLES IN SCHEMA public FROM "{role}";
        REVOKE ALL ON ALL SEQUENCES IN SCHEMA public FROM "{role}";
        REVOKE USAGE ON SCHEMA public FROM "{role}";
        DROP INDEX ix_time_off_period;
        ALTER TABLE bookings DROP CONSTRAINT ex_bookings_no_overlap;
        DROP TRIGGER trg_refunds_apply ON refunds;
        """
    )
    for table in APPEND_ONLY:
        op.execute(f"DROP TRIGGER trg_{table}_append_only ON {table}")
    op.execute(
        """
        DO $$
        DECLARE r record;
        BEGIN
            FOR r IN SELECT tablename, policyname FROM pg_policies WHERE schemaname = 'public' LOOP
                EXECUTE format('DROP POLICY %I ON %I', r.policyname, r.tablename);
            END LOOP;
            FOR r IN SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                     WHERE n.nspname = 'public' AND c.relkind = 'r' AND c.relrowsecurity LOOP
                EXECUTE format('ALTER TABLE %I NO FORCE ROW LEVEL SECURITY', r.relname);
                EXECUTE format('ALTER TABLE %I DISABLE ROW LEVEL SECURITY', r.relname);
            END LOOP;
            FOR r IN SELECT event_object_table AS tbl, trigger_name FROM information_schema.triggers
                     WHERE trigger_schema = 'public'
                       AND (trigger_name LIKE 'trg\\_%\\_updated\\_at' OR trigger_name LIKE 'trg\\_%\\_log\\_deletion')
                     GROUP BY 1, 2 LOOP
                EXECUTE format('DROP TRIGGER %I ON %I', r.trigger_name, r.tbl);
            END LOOP;
        END $$;
        DROP FUNCTION repairops_apply_refund();
        DROP FUNCTION repairops_append_only();
        DROP FUNCTION repairops_log_deletion();
        DROP FUNCTION repairops_set_updated_at();
        """
    )
