"""References never cross companies: every foreign key between two company tables is (tenant_id, id), the
database refuses a cross-company reference even on the owner connection (where row-level security does not
apply), the models declare the same keys, and migration 0010 goes down and up again cleanly."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

import psycopg
from psycopg import errors, sql
from sqlalchemy import ForeignKeyConstraint, UniqueConstraint
from sqlalchemy.dialects import postgresql

from ops_db import migrate
from ops_db.models import metadata
from tests.conftest import conninfo

ACTIONS = {"a": "NO ACTION", "r": "RESTRICT", "c": "CASCADE", "n": "SET NULL", "d": "SET DEFAULT"}

# Every foreign key whose two tables both carry tenant_id, with its columns in key order.
COMPANY_KEYS = """
    SELECT c.conname, child.relname, parent.relname,
           array(SELECT attname FROM unnest(c.conkey) WITH ORDINALITY k(n, i)
                 JOIN pg_attribute ON attrelid = c.conrelid AND attnum = k.n ORDER BY k.i),
           array(SELECT attname FROM unnest(c.confkey) WITH ORDINALITY k(n, i)
                 JOIN pg_attribute ON attrelid = c.confrelid AND attnum = k.n ORDER BY k.i),
           c.confdeltype,
           array(SELECT attname FROM unnest(coalesce(c.confdelsetcols, '{}')) k(n)
                 JOIN pg_attribute ON attrelid = c.conrelid AND attnum = k.n)
      FROM pg_constraint c
      JOIN pg_class child ON child.oid = c.conrelid
      JOIN pg_class parent ON parent.oid = c.confrelid
     WHERE c.contype = 'f' AND c.connamespace = 'public'::regnamespace
       AND EXISTS (SELECT 1 FROM pg_attribute WHERE attrelid = c.conrelid AND attname = 'tenant_id')
       AND EXISTS (SELECT 1 FROM pg_attribute WHERE attrelid = c.confrelid AND attname = 'tenant_id')
     ORDER BY child.relname, c.conname
"""


@dataclass(frozen=True)
class Key:
    """A foreign key between two company tables, as the catalog has it."""

    name: str
    child: str
    parent: str
    columns: tuple[str, ...]
    parent_columns: tuple[str, ...]
    on_delete: str

    @property
    def reference(self) -> str:
        """The referencing column (the one that is not tenant_id)."""
        return next(c for c in self.columns if c != "tenant_id")


def company_keys(conn: psycopg.Connection[Any]) -> list[Key]:
    """Every foreign key between two tables that carry tenant_id, from the catalog."""
    keys = []
    for name, child, parent, cols, parent_cols, action, set_cols in conn.execute(COMPANY_KEYS).fetchall():
        on_delete = ACTIONS[action] + (f" ({', '.join(set_cols)})" if set_cols else "")
        keys.append(Key(name, child, parent, tuple(cols), tuple(parent_cols), on_delete))
    return keys


def test_every_reference_between_company_tables_names_the_company(migrated_db: str) -> None:
    with psycopg.connect(conninfo(migrated_db)) as conn:
        keys = company_keys(conn)
    assert len(keys) > 130  # the list is generated from the catalog; it is not empty by accident
    single = [
        f"{k.child}.{k.name} {k.columns} -> {k.parent}{k.parent_columns}"
        for k in keys
        if ("tenant_id", "tenant_id") not in zip(k.columns, k.parent_columns, strict=True)
        or len(k.columns) != 2
        or k.parent_columns[1] != "id"
    ]
    assert single == []
    # ON DELETE SET NULL clears only the referencing column, never the company.
    assert [
        k.name for k in keys if k.on_delete.startswith("SET NULL") and k.on_delete != f"SET NULL ({k.reference})"
    ] == []


def _loosen(conn: psycopg.Connection[Any], table: str) -> None:
    """Let a table take a row that names only its company and its references: no CHECKs, no NOT NULL outside
    the primary key, no triggers of ours (the foreign key triggers stay; they are what is tested)."""
    ident = sql.Identifier(table)
    for (check,) in conn.execute(
        "SELECT conname FROM pg_constraint WHERE conrelid = %s::regclass AND contype = 'c'", (table,)
    ).fetchall():
        conn.execute(sql.SQL("ALTER TABLE {} DROP CONSTRAINT {}").format(ident, sql.Identifier(check)))
    for (column,) in conn.execute(
        """SELECT attname FROM pg_attribute a WHERE attrelid = %s::regclass AND attnum > 0 AND NOT attisdropped
                  AND attnotnull AND attname <> 'tenant_id' AND NOT EXISTS (
                      SELECT 1 FROM pg_constraint p WHERE p.conrelid = a.attrelid AND p.contype = 'p'
                         AND a.attnum = ANY(p.conkey))""",
        (table,),
    ).fetchall():
        conn.execute(sql.SQL("ALTER TABLE {} ALTER COLUMN {} DROP NOT NULL").format(ident, sql.Identifier(column)))
    conn.execute(sql.SQL("ALTER TABLE {} DISABLE TRIGGER USER").format(ident))


def _insert(conn: psycopg.Connection[Any], table: str, values: dict[str, Any]) -> None:
    conn.execute(
        sql.SQL("INSERT INTO {} ({}) VALUES ({})").format(
            sql.Identifier(table),
            sql.SQL(", ").join(map(sql.Identifier, values)),
            sql.SQL(", ").join(sql.Placeholder() * len(values)),
        ),
        list(values.values()),
    )


def _one(cursor: psycopg.Cursor[Any]) -> Any:
    row = cursor.fetchone()
    assert row is not None
    return row[0]


def _other_key_parts(conn: psycopg.Connection[Any], table: str) -> list[tuple[str, str, str | None]]:
    """The primary key columns a row must be given (no default): name, type, and the shared table a
    single-column foreign key of it points at (permissions), if any."""
    return [
        (r[0], r[1], r[2])
        for r in conn.execute(
            """SELECT a.attname, format_type(a.atttypid, a.atttypmod),
                  (SELECT f.confrelid::regclass::text FROM pg_constraint f WHERE f.conrelid = p.conrelid
                      AND f.contype = 'f' AND f.conkey = ARRAY[a.attnum])
             FROM pg_constraint p JOIN pg_attribute a ON a.attrelid = p.conrelid AND a.attnum = ANY(p.conkey)
            WHERE p.conrelid = %s::regclass AND p.contype = 'p' AND NOT a.atthasdef AND a.attidentity = ''""",
            (table,),
        ).fetchall()
    ]


def test_the_database_refuses_every_cross_company_reference_even_for_the_owner(migrated_db: str) -> None:
    """For every generated key: a row of company A pointing at company B's row is refused by that very key,
    and the same row pointing at A's own row is accepted (so the refusal is the key's, not the setup's)."""
    with psycopg.connect(conninfo(migrated_db)) as conn, conn.transaction(force_rollback=True):
        keys = company_keys(conn)
        companies = [
            _one(conn.execute("INSERT INTO tenants (slug, name) VALUES (%s, %s) RETURNING id", (slug, slug)))
            for slug in ("probe-a", "probe-b")
        ]
        a, b = companies
        for table in sorted({k.child for k in keys} | {k.parent for k in keys}):
            _loosen(conn, table)
        row = {
            (parent, company): _one(
                conn.execute(
                    sql.SQL("INSERT INTO {} (tenant_id) VALUES (%s) RETURNING id").format(sql.Identifier(parent)),
                    (company,),
                )
            )
            for parent in sorted({k.parent for k in keys})
            for company in companies
        }
        by_column = {(k.child, k.reference): k for k in keys}
        wrong: list[str] = []
        for key in keys:
            values: dict[str, Any] = {"tenant_id": a}
            for column, kind, shared in _other_key_parts(conn, key.child):  # the rest of a composite primary key
                other = by_column.get((key.child, column))
                if column in values or column == key.reference:
                    continue
                if other is not None:
                    values[column] = row[(other.parent, a)]
                elif shared is not None:
                    values[column] = _one(
                        conn.execute(sql.SQL("SELECT min(id) FROM {}").format(sql.Identifier(shared)))
                    )
                else:
                    assert kind == "uuid", f"{key.child}.{column}: give the probe a {kind} value"
                    values[column] = uuid.uuid4()
            try:
                with conn.transaction():
                    _insert(conn, key.child, {**values, key.reference: row[(key.parent, b)]})
                    wrong.append(f"{key.name}: accepted a reference to company B")
                    raise psycopg.Rollback()
            except errors.ForeignKeyViolation as refused:
                if refused.diag.constraint_name != key.name:
                    wrong.append(f"{key.name}: refused by {refused.diag.constraint_name} instead")
            with conn.transaction():
                _insert(conn, key.child, {**values, key.reference: row[(key.parent, a)]})
                raise psycopg.Rollback()
    assert len(keys) > 130
    assert wrong == []


def _declared(constraint: ForeignKeyConstraint) -> Key:
    """A model's foreign key in the catalog's terms (the name shortened as the DDL shortens it)."""
    name = postgresql.dialect().identifier_preparer.format_constraint(constraint)  # type: ignore[no-untyped-call]
    assert isinstance(name, str)
    columns = tuple(c.name for c in constraint.columns)
    parent_columns = tuple(e.column.name for e in constraint.elements)
    action, paren, set_columns = (constraint.ondelete or "NO ACTION").partition("(")
    return Key(
        name.strip('"'),
        constraint.table.name,
        constraint.referred_table.name,
        columns,
        parent_columns,
        f"{action.upper()}{paren}{set_columns}",
    )


def test_the_models_declare_the_keys_the_migrations_create(migrated_db: str) -> None:
    with psycopg.connect(conninfo(migrated_db)) as conn:
        in_database = set(company_keys(conn))
        unique = {
            r[0]
            for r in conn.execute(
                """SELECT t.relname FROM pg_constraint c JOIN pg_class t ON t.oid = c.conrelid WHERE c.contype = 'u'
                AND c.connamespace = 'public'::regnamespace AND c.conkey = ARRAY[
                  (SELECT attnum FROM pg_attribute WHERE attrelid = c.conrelid AND attname = 'tenant_id'),
                  (SELECT attnum FROM pg_attribute WHERE attrelid = c.conrelid AND attname = 'id')]::int2[]"""
            )
        }
    tenant_tables = {t.name for t in metadata.tables.values() if "tenant_id" in t.c}
    declared = {
        _declared(c)
        for t in metadata.tables.values()
        for c in t.constraints
        if isinstance(c, ForeignKeyConstraint) and t.name in tenant_tables and c.referred_table.name in tenant_tables
    }
    assert sorted(declared - in_database, key=str) == []
    assert sorted(in_database - declared, key=str) == []
    declared_unique = {
        t.name
        for t in metadata.tables.values()
        for c in t.constraints
        if isinstance(c, UniqueConstraint) and [col.name for col in c.columns] == ["tenant_id", "id"]
    }
    assert declared_unique == unique == {k.parent for k in in_database}


def _constraints(url: str) -> list[tuple[str, str, str]]:
    with psycopg.connect(conninfo(url)) as conn:
        return [
            (r[0], r[1], r[2])
            for r in conn.execute(
                """SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid) FROM pg_constraint
                WHERE connamespace = 'public'::regnamespace AND contype IN ('f', 'u', 'p')
                ORDER BY 1, 2"""
            ).fetchall()
        ]


def test_migration_0010_goes_down_to_the_single_column_keys_and_up_again(fresh_db: str) -> None:
    migrate.upgrade(fresh_db, "0009")
    before = _constraints(fresh_db)
    migrate.upgrade(fresh_db, "0010")
    composite = _constraints(fresh_db)
    assert composite != before
    assert "FOREIGN KEY (tenant_id, technician_id) REFERENCES technicians(tenant_id, id)" in {
        d for t, n, d in composite if n == "fk_order_lines_technician_id_technicians"
    }
    migrate.downgrade(fresh_db, "0009")
    assert _constraints(fresh_db) == before
    migrate.upgrade(fresh_db, "0010")
    assert _constraints(fresh_db) == composite
