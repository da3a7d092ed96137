"""Connections: resolve the server (embedded or DATABASE_URL), engines, and the per-transaction tenant context.

Two kinds of connection exist. The *admin* connection (the URL's own user: a superuser on the
embedded server) runs migrations, backups and bulk demo loads. The *app* connection switches to
the non-owner role ``repairops_app`` on connect, so Postgres row-level security applies to every
query the services run.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache

import psycopg
from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from ops_db import embedded
from ops_db.kit.errors import DatabaseUnavailable
from ops_db.settings import Settings, get_settings


def _driver_url(url: str) -> str:
    """Accept ``postgres://``, ``postgresql://`` or an explicit driver; use psycopg 3."""
    parsed = make_url(url)
    if parsed.drivername in ("postgres", "postgresql", "postgresql+psycopg2"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    if parsed.drivername != "postgresql+psycopg":
        raise DatabaseUnavailable("DATABASE_URL must point at PostgreSQL, not {driver}.", driver=parsed.drivername)
    return parsed.render_as_string(hide_password=False)


def server_url(settings: Settings | None = None, *, start: bool = True) -> str:
    """SQLAlchemy URL of the RepairOps database as admin, starting the embedded server if needed."""
    settings = settings or get_settings()
    if settings.database_url:
        return _driver_url(settings.database_url)
    pgdata = settings.pg_data_dir
    state = embedded.start(pgdata) if start else embedded.status(pgdata)
    if not state.running or state.socket_dir is None:
        raise DatabaseUnavailable("The embedded database is not running; start it with `repairops db start`.")
    _ensure_database(state.socket_dir, settings.database_name)
    return embedded.sqlalchemy_url(state.socket_dir, settings.database_name)


def libpq_url(settings: Settings | None = None) -> str:
    """A URL for ``psql`` and other libpq tools pointing at the RepairOps database."""
    url = make_url(server_url(settings)).set(drivername="postgresql")
    return url.render_as_string(hide_password=False)


def _ensure_database(socket_dir: object, name: str) -> None:
    """Create the application database on the embedded server the first time."""
    conninfo = f"host={socket_dir} user={embedded.ADMIN_USER} dbname=postgres"
    with psycopg.connect(conninfo, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone()
        if not exists:
            conn.execute(f'CREATE DATABASE "{name}"')


def psycopg_conninfo(url: str) -> str:
    """Turn a SQLAlchemy URL into a libpq conninfo string for raw psycopg connections (COPY)."""
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


@lru_cache(maxsize=8)
def admin_engine(url: str) -> Engine:
    """Engine connecting as the URL's own (owner) user: migrations, bulk loads, maintenance."""
    return create_engine(url, pool_pre_ping=True)


@lru_cache(maxsize=8)
def app_engine(url: str, app_role: str = "repairops_app") -> Engine:
    """Engine whose connections run as the non-owner application role, so RLS applies."""
    engine = create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=20)

    @event.listens_for(engine, "connect")
    def _set_role(dbapi_conn, _record):  # type: ignore[no-untyped-def]
        with dbapi_conn.cursor() as cur:
            cur.execute(f'SET ROLE "{app_role}"')
        dbapi_conn.commit()

    return engine


@contextmanager
def tenant_session(
    engine: Engine, tenant_id: int, *, customer_id: int | None = None, user_id: int | None = None
) -> Iterator[Session]:
    """A session whose transaction sees only one tenant's rows (and one customer's, for customer logins).

    The settings are transaction-local (``set_config(..., true)``), so a pooled connection never
    carries one tenant's context into another's transaction.
    """
    with Session(engine) as session, session.begin():
        session.execute(
            text(
                "SELECT set_config('app.tenant_id', :t, true), set_config('app.customer_id', :c, true),"
                " set_config('app.user_id', :u, true)"
            ),
            {"t": str(tenant_id), "c": "" if customer_id is None else str(customer_id),
             "u": "" if user_id is None else str(user_id)},
        )
        yield session
