"""Resources shared by every domain: the operational database and the warehouse file."""

from __future__ import annotations

from pathlib import Path

import dagster as dg
from sqlalchemy import Engine, text

from ops_db.kit import db
from ops_db.settings import get_settings


# Bare `ConfigurableResource`, as Dagster documents it: subscripting this pydantic generic would create
# a new base class at run time, so the type argument stays out and only the type checker is told.
class OpsDatabase(dg.ConfigurableResource):  # type: ignore[type-arg]
    """The operational Postgres. Empty ``url`` means the configured one (``DATABASE_URL`` or embedded)."""

    url: str = ""

    def admin_url(self) -> str:
        """SQLAlchemy URL as the owner (reads every tenant; used by the extract)."""
        return self.url or db.server_url(get_settings())

    def app_engine(self) -> Engine:
        """Engine whose sessions run as the application role, so services see RLS as in production."""
        return db.app_engine(self.admin_url(), get_settings().app_role)

    def active_tenants(self) -> list[int]:
        """Ids of the tenants that are active (schedules work for each)."""
        with db.admin_engine(self.admin_url()).connect() as conn:
            return [int(r[0]) for r in conn.execute(text("SELECT id FROM tenants WHERE is_active ORDER BY id"))]


class Warehouse(dg.ConfigurableResource):  # type: ignore[type-arg]
    """The DuckDB warehouse file. Empty ``path`` means the configured one (``.repairops/warehouse.duckdb``)."""

    path: str = ""

    def file(self) -> Path:
        return Path(self.path).resolve() if self.path else get_settings().warehouse_path
