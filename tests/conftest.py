"""Shared fixtures: one real Postgres per test session (embedded, or DATABASE_URL), fresh databases on demand."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from sqlalchemy.engine import make_url

from ops_db import embedded, migrate


@pytest.fixture(scope="session")
def server_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Admin SQLAlchemy URL of the test server's ``postgres`` database."""
    external = os.environ.get("REPAIROPS_TEST_DATABASE_URL")
    if external:
        yield str(make_url(external).set(drivername="postgresql+psycopg"))
        return
    pgdata = Path(tmp_path_factory.mktemp("pg")) / "data"
    state = embedded.start(pgdata)
    assert state.socket_dir is not None
    yield embedded.sqlalchemy_url(state.socket_dir, "postgres")
    embedded.stop(pgdata)


def _conninfo(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


@pytest.fixture
def fresh_db(server_url: str) -> Iterator[str]:
    """URL of a new, empty database, dropped after the test."""
    yield from _temporary_database(server_url)


@pytest.fixture
def another_db(server_url: str) -> Iterator[str]:
    """A second new, empty database (for comparing two runs)."""
    yield from _temporary_database(server_url)


def _temporary_database(server_url: str) -> Iterator[str]:
    name = f"t_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(_conninfo(server_url), autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    url = str(make_url(server_url).set(database=name).render_as_string(hide_password=False))
    yield url
    from ops_db.kit.db import admin_engine, app_engine

    for cache in (admin_engine, app_engine):
        cache.cache_clear()
    with psycopg.connect(_conninfo(server_url), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE "{name}" WITH (FORCE)')


@pytest.fixture
def migrated_db(fresh_db: str) -> str:
    """A fresh database upgraded to the newest schema."""
    migrate.upgrade(fresh_db)
    return fresh_db


def conninfo(url: str) -> str:
    """libpq conninfo for raw psycopg connections in tests."""
    return _conninfo(url)
