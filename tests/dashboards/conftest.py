"""The demo company with its built warehouse, configured as this process's RepairOps (shared by UI tests)."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from ops_db.identity.service import authenticate, resolve_tenant
from ops_db.kit import db
from ops_db.kit.uow import Actor
from ops_db.settings import get_settings
from pipelines.extract import run_extract
from tests.conftest import DEMO_AS_OF, Templates, _temporary_database
from tests.pipelines.conftest import dbt_build

APP = str(Path(__file__).resolve().parents[2] / "dashboards" / "app.py")
DEMO_PASSWORD = "demo-pass-2026"


def demo_actor(demo_db: str, email: str) -> Actor:
    """A demo company login, signed in with its password."""
    engine = db.app_engine(demo_db)
    return authenticate(engine, resolve_tenant(engine, "riverside"), email, DEMO_PASSWORD).actor


def signed_in(demo_db: str, email: str, *, timeout: float = 120) -> AppTest:
    """The app, run once as this demo login (the Home page)."""
    app = AppTest.from_file(APP, default_timeout=timeout)
    app.session_state["actor"] = demo_actor(demo_db, email)
    return app.run()


def _forget_cached_settings() -> None:
    """Each test module has its own database: drop the settings and the app's cached engine and reads."""
    import streamlit as st

    get_settings.cache_clear()
    st.cache_resource.clear()
    st.cache_data.clear()


@pytest.fixture(scope="session")
def demo_warehouse(server_url: str, templates: Templates, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo company's warehouse, extracted and built by dbt once for the whole run. Every module's demo
    database is a copy of the same seeded company, so each module's UI reads a copy of this one."""
    built = tmp_path_factory.mktemp("demo-warehouse")
    for url in _temporary_database(server_url, templates.demo(7, DEMO_AS_OF)):
        run_extract(built / "warehouse.duckdb", url, full=True)
    dbt_build(built / "warehouse.duckdb", built / "dbt", tests=False)  # the pages need the marts
    return built / "warehouse.duckdb"


def configured(database_url: str, data: Path) -> Iterator[Path]:
    """This process's RepairOps pointed at ``database_url`` and the data folder ``data`` until the generator
    is closed."""
    patch = pytest.MonkeyPatch()
    patch.setenv("DATABASE_URL", database_url)
    patch.setenv("REPAIROPS_DATA_DIR", str(data))
    _forget_cached_settings()
    yield data
    patch.undo()
    _forget_cached_settings()


@pytest.fixture(scope="module")
def ui_env(demo_db: str, demo_warehouse: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """The demo company and its built warehouse (a copy of the run's one), configured as this process's
    RepairOps."""
    data = tmp_path_factory.mktemp("ui") / ".repairops"
    data.mkdir(parents=True)
    shutil.copyfile(demo_warehouse, data / "warehouse.duckdb")
    yield from configured(demo_db, data)
    shutil.rmtree(data, ignore_errors=True)


@pytest.fixture(scope="module")
def ops_env(demo_db: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """The demo company configured as this process's RepairOps, without a warehouse (operational pages)."""
    yield from configured(demo_db, tmp_path_factory.mktemp("ops") / ".repairops")
