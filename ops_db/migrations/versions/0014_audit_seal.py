"""The audit chain grows only through its append path; checkpoints are signed.

- ``repairops_audit_append(actor_user_id, actor_label, entries)`` is the one way into ``audit_log``: a
  SECURITY DEFINER function (owned by the migrating owner role, ``search_path`` pinned) that locks the company's
  chain head, hashes each entry onto the previous hash itself and moves the head. The application role keeps
  SELECT on ``audit_log`` and ``audit_chain_heads`` but loses INSERT, UPDATE and DELETE on both, so it can neither
  write a record with a hash of its choosing nor move the head.
- Records the database hashes carry ``hash_format = 2``: SHA-256 over the previous hash and the ``jsonb`` text of
  the record (its id included), built with built-in functions only, so a verifier can rebuild the same text.
  Records written before this revision keep ``hash_format = 1`` (hashed by the application) and still verify.
- The company comes from ``app.tenant_id`` (the row-level-security context), the time from ``now()`` (the
  transaction's clock), never from the caller.

Downgrade gives the application role its write rights back and drops the function and the column; records
hashed by the database (format 2) then no longer verify with the older code.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-06
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The text a format-2 hash covers (copied in ops_db.audit.service.CANONICAL_SQL, which the verifier runs over the
# stored columns; the two must build the same text from the same values).
CANONICAL = """pg_catalog.jsonb_build_object(
    'id', new_id, 'tenant_id', tenant, 'actor_user_id', actor_user_id, 'actor_label', actor_label,
    'action', entry->>'action', 'entity', entry->>'entity', 'entity_id', (entry->>'entity_id')::bigint,
    'before', NULLIF(entry->'before', 'null'::jsonb), 'after', NULLIF(entry->'after', 'null'::jsonb),
    'occurred_at', pg_catalog.to_char(stamp AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'))::text"""

APPEND = """
CREATE FUNCTION repairops_audit_append(actor_user_id bigint, actor_label text, entries jsonb) RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
DECLARE
    tenant bigint := NULLIF(current_setting('app.tenant_id', true), '')::bigint;
    stamp timestamptz := now();
    prev text;
    entry jsonb;
    new_id bigint;
    canonical text;
    digest text;
BEGIN
    IF tenant IS NULL THEN
        RAISE EXCEPTION 'audit entries belong to a company: app.tenant_id is not set'
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    IF jsonb_typeof(entries) IS DISTINCT FROM 'array' THEN
        RAISE EXCEPTION 'audit entries must be a JSON array' USING ERRCODE = 'invalid_parameter_value';
    END IF;
    -- The head's row lock serialises appends per company: two transactions never chain onto one hash.
    SELECT h.last_hash INTO prev FROM public.audit_chain_heads h WHERE h.tenant_id = tenant FOR UPDATE;
    IF NOT FOUND THEN
        INSERT INTO public.audit_chain_heads (tenant_id, last_id, last_hash)
            VALUES (tenant, 0, repeat('0', 64)) ON CONFLICT DO NOTHING;
        SELECT h.last_hash INTO prev FROM public.audit_chain_heads h WHERE h.tenant_id = tenant FOR UPDATE;
    END IF;
    FOR entry IN SELECT value FROM jsonb_array_elements(entries) LOOP
        -- The id is drawn first so the hash covers it (no RETURNING: customers may append but not read back).
        new_id := nextval(pg_get_serial_sequence('public.audit_log', 'id'));
        canonical := CANONICAL;
        digest := encode(sha256(convert_to(prev || canonical, 'UTF8')), 'hex');
        INSERT INTO public.audit_log (id, tenant_id, actor_user_id, actor_label, action, entity, entity_id,
                                      before, after, occurred_at, prev_hash, hash, hash_format)
        VALUES (new_id, tenant, actor_user_id, actor_label, entry->>'action', entry->>'entity',
                (entry->>'entity_id')::bigint, NULLIF(entry->'before', 'null'::jsonb),
                NULLIF(entry->'after', 'null'::jsonb), stamp, prev, digest, 2);
        prev := digest;
    END LOOP;
    IF new_id IS NOT NULL THEN
        UPDATE public.audit_chain_heads SET last_id = new_id, last_hash = prev WHERE tenant_id = tenant;
    END IF;
END $$;
""".replace("CANONICAL;", CANONICAL + ";")


def _app_role() -> str:
    return op.get_context().config.get_main_option("app_role") or "repairops_app"  # type: ignore[union-attr]


def upgrade() -> None:
    role = _app_role()
    op.add_column("audit_log", sa.Column("hash_format", sa.SmallInteger(), server_default="1", nullable=False))
    op.create_check_constraint(op.f("ck_audit_log_hash_format_known"), "audit_log", "hash_format IN (1, 2)")
    op.execute(APPEND)
    op.execute(
        f"""
        REVOKE ALL ON FUNCTION repairops_audit_append(bigint, text, jsonb) FROM PUBLIC;
        GRANT EXECUTE ON FUNCTION repairops_audit_append(bigint, text, jsonb) TO "{role}";
        REVOKE INSERT, UPDATE, DELETE, TRUNCATE ON audit_log, audit_chain_heads FROM "{role}";
        GRANT SELECT ON audit_log, audit_chain_heads TO "{role}";
        """
    )


def downgrade() -> None:
    role = _app_role()
    op.execute(
        f"""
        DROP FUNCTION repairops_audit_append(bigint, text, jsonb);
        GRANT SELECT, INSERT, UPDATE, DELETE ON audit_log TO "{role}";
        GRANT SELECT, INSERT, UPDATE ON audit_chain_heads TO "{role}";
        """
    )
    op.drop_constraint(op.f("ck_audit_log_hash_format_known"), "audit_log", type_="check")
    op.drop_column("audit_log", "hash_format")
