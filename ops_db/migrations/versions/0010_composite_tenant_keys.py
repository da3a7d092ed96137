"""Every reference between company tables names the company too (composite foreign keys on (tenant_id, id)).

A single-column foreign key is checked without row-level security, so an order line could point at another
company's technician, part or service item. From here on every foreign key between two tables that carry
``tenant_id`` is ``(tenant_id, col) REFERENCES parent (tenant_id, id)``: the database refuses a row that
points across companies, whoever writes it (this is also the key shape a sharded Postgres such as Citus
needs). Each referenced table gets ``UNIQUE (tenant_id, id)`` for the keys to point at.

The keys are found in the catalog (``pg_constraint``) rather than listed, so none is forgotten; each keeps its
name, its ON DELETE / ON UPDATE actions and its deferrability, and ``ON DELETE SET NULL`` becomes
``ON DELETE SET NULL (col)`` so that only the referencing column is cleared, never ``tenant_id``
(PostgreSQL 15+). References to the shared tables (tenants, permissions) have no ``tenant_id`` and stay as they
are. ``service_orders.warranty_id`` had no foreign key at all (0001 declared it ``use_alter`` and Alembic's
``create_table`` leaves those out); it gets its composite key here.

An upgrade over data that already crosses companies stops at the first offending key, which Postgres names
(table, constraint, key); correct those rows and run it again. The downgrade restores the single-column keys.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-06
"""

import hashlib
from collections.abc import Sequence
from typing import NamedTuple

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

MAX_IDENTIFIER = 63
ACTIONS = {"a": "NO ACTION", "r": "RESTRICT", "c": "CASCADE", "n": "SET NULL", "d": "SET DEFAULT"}
# The one reference that had no foreign key before this revision (added here, dropped again on downgrade).
WARRANTY_KEY = ("service_orders", "warranty_id", "warranties", "fk_service_orders_warranty_id_warranties")

# A table of one company: it has a NOT NULL tenant_id (tenants, permissions and row_deletions do not).
_TENANT_TABLE = """EXISTS (SELECT 1 FROM pg_attribute t WHERE t.attrelid = {rel} AND t.attname = 'tenant_id'
                           AND t.attnotnull AND NOT t.attisdropped)"""

SINGLE_COLUMN_KEYS = f"""
    SELECT c.conname AS name, child.relname AS child, a.attname AS col, parent.relname AS parent,
           pa.attname AS parent_col, c.confdeltype AS on_delete, c.confupdtype AS on_update,
           c.condeferrable AS deferrable, c.condeferred AS deferred
      FROM pg_constraint c
      JOIN pg_class child ON child.oid = c.conrelid
      JOIN pg_class parent ON parent.oid = c.confrelid
      JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = c.conkey[1]
      JOIN pg_attribute pa ON pa.attrelid = c.confrelid AND pa.attnum = c.confkey[1]
     WHERE c.contype = 'f' AND c.connamespace = 'public'::regnamespace AND cardinality(c.conkey) = 1
       AND a.attname <> 'tenant_id' AND pa.attname = 'id' AND {_TENANT_TABLE.format(rel="c.conrelid")}
       AND {_TENANT_TABLE.format(rel="c.confrelid")}
     ORDER BY child.relname, c.conname
"""

COMPOSITE_KEYS = """
    SELECT c.conname AS name, child.relname AS child, a.attname AS col, parent.relname AS parent,
           pa.attname AS parent_col, c.confdeltype AS on_delete, c.confupdtype AS on_update,
           c.condeferrable AS deferrable, c.condeferred AS deferred
      FROM pg_constraint c
      JOIN pg_class child ON child.oid = c.conrelid
      JOIN pg_class parent ON parent.oid = c.confrelid
      JOIN pg_attribute ta ON ta.attrelid = c.conrelid AND ta.attnum = c.conkey[1]
      JOIN pg_attribute tp ON tp.attrelid = c.confrelid AND tp.attnum = c.confkey[1]
      JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = c.conkey[2]
      JOIN pg_attribute pa ON pa.attrelid = c.confrelid AND pa.attnum = c.confkey[2]
     WHERE c.contype = 'f' AND c.connamespace = 'public'::regnamespace AND cardinality(c.conkey) = 2
       AND ta.attname = 'tenant_id' AND tp.attname = 'tenant_id'
     ORDER BY child.relname, c.conname
"""

TENANT_KEYS = """
    SELECT c.conname, t.relname FROM pg_constraint c JOIN pg_class t ON t.oid = c.conrelid
     WHERE c.contype = 'u' AND c.connamespace = 'public'::regnamespace
       AND c.conkey = ARRAY[(SELECT attnum FROM pg_attribute WHERE attrelid = c.conrelid AND attname = 'tenant_id'),
                            (SELECT attnum FROM pg_attribute WHERE attrelid = c.conrelid AND attname = 'id')]::int2[]
     ORDER BY t.relname
"""


class Key(NamedTuple):
    """A foreign key as the catalog describes it."""

    name: str
    child: str
    col: str
    parent: str
    parent_col: str
    on_delete: str
    on_update: str
    deferrable: bool
    deferred: bool


def _keys(sql: str) -> list[Key]:
    return [Key(**row) for row in op.get_bind().execute(sa.text(sql)).mappings().all()]


def _name(name: str) -> str:
    """A constraint name as SQLAlchemy's naming convention shortens it past 63 characters (the models agree)."""
    if len(name) <= MAX_IDENTIFIER:
        return name
    return f"{name[:MAX_IDENTIFIER - 8]}_{hashlib.md5(name.encode()).hexdigest()[-4:]}"


def _tail(key: Key, on_delete: str) -> str:
    update = ACTIONS[key.on_update]
    deferral = (" DEFERRABLE INITIALLY DEFERRED" if key.deferred else " DEFERRABLE") if key.deferrable else ""
    return f"ON DELETE {on_delete} ON UPDATE {update}{deferral}"


def _ensure_tenant_key(table: str, existing: set[str]) -> None:
    """``UNIQUE (tenant_id, id)`` on a referenced table, once (named as the models' naming convention does)."""
    if table in existing:
        return
    op.execute(f'ALTER TABLE "{table}" ADD CONSTRAINT "{_name(f"uq_{table}_tenant_id_id")}" UNIQUE (tenant_id, id)')
    existing.add(table)


def upgrade() -> None:
    keys = _keys(SINGLE_COLUMN_KEYS)
    with_key = {str(table) for _, table in op.get_bind().execute(sa.text(TENANT_KEYS)).all()}
    for key in keys:
        _ensure_tenant_key(key.parent, with_key)
    _ensure_tenant_key(WARRANTY_KEY[2], with_key)
    for key in keys:
        on_delete = ACTIONS[key.on_delete]
        if key.on_delete in ("n", "d"):  # clear the referencing column only, never tenant_id
            on_delete += f' ("{key.col}")'
        op.execute(f'ALTER TABLE "{key.child}" DROP CONSTRAINT "{key.name}"')
        op.execute(f'ALTER TABLE "{key.child}" ADD CONSTRAINT "{key.name}" FOREIGN KEY (tenant_id, "{key.col}")'
                   f' REFERENCES "{key.parent}" (tenant_id, "{key.parent_col}") {_tail(key, on_delete)}')
    child, col, parent, name = WARRANTY_KEY
    op.execute(f'ALTER TABLE "{child}" ADD CONSTRAINT "{name}" FOREIGN KEY (tenant_id, "{col}")'
               f' REFERENCES "{parent}" (tenant_id, id)')


def downgrade() -> None:
    warranty = WARRANTY_KEY[3]
    for key in _keys(COMPOSITE_KEYS):
        op.execute(f'ALTER TABLE "{key.child}" DROP CONSTRAINT "{key.name}"')
        if key.name == warranty:
            continue
        op.execute(f'ALTER TABLE "{key.child}" ADD CONSTRAINT "{key.name}" FOREIGN KEY ("{key.col}")'
                   f' REFERENCES "{key.parent}" ("{key.parent_col}") {_tail(key, ACTIONS[key.on_delete])}')
    for name, table in op.get_bind().execute(sa.text(TENANT_KEYS)).all():
        if name == _name(f"uq_{table}_tenant_id_id"):
            op.execute(f'ALTER TABLE "{table}" DROP CONSTRAINT "{name}"')
