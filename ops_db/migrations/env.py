"""Alembic environment: runs against the URL passed in the config (``sqlalchemy.url``)."""

from __future__ import annotations

from alembic import context
from sqlalchemy import create_engine, pool

from ops_db.models import metadata

config = context.config


def run_migrations_online() -> None:
    """Run migrations on a live connection (one transaction for the whole upgrade)."""
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    engine = create_engine(config.get_main_option("sqlalchemy.url") or "", poolclass=pool.NullPool)
    with engine.connect() as conn:
        _run(conn)


def _run(connection) -> None:  # type: ignore[no-untyped-def]
    context.configure(
        connection=connection, target_metadata=metadata, compare_type=True, transaction_per_migration=False
    )
    with context.begin_transaction():
        context.run_migrations()


run_migrations_online()
