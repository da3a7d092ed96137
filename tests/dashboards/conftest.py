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


@pytest.fixture(scope="module")
def ui_env(demo_db: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """The demo company and its built warehouse, configured as this process's RepairOps."""
    data = tmp_path_factory.mktemp("ui") / ".repairops"
    warehouse = data / "warehouse.duckdb"
    run_extract(warehouse, demo_db, full=True)
    dbt_build(warehouse, data / "dbt")
    patch = pytest.MonkeyPatch()
    patch.setenv("DATABASE_URL", demo_db)
    patch.setenv("REPAIROPS_DATA_DIR", str(data))
    _forget_cached_settings()
    yield data
    patch.undo()
    _forget_cached_settings()
    shutil.rmtree(data, ignore_errors=True)


@pytest.fixture(scope="module")
def ops_env(demo_db: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """The demo company configured as this process's RepairOps, without a warehouse (operational pages)."""
    data = tmp_path_factory.mktemp("ops") / ".repairops"
    patch = pytest.MonkeyPatch()
    patch.setenv("DATABASE_URL", demo_db)
    patch.setenv("REPAIROPS_DATA_DIR", str(data))
    _forget_cached_settings()
    yield data
    patch.undo()
    _forget_cached_settings()
