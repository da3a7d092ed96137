"""Run Alembic migrations programmatically (``repairops db migrate``)."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, pool

from ops_db.kit.db import ensure_app_login

MIGRATIONS_DIR = Path(__file__).parent / "migrations"


def alembic_config(url: str, app_role: str = "repairops_app") -> Config:
    """An Alembic config pointing at our migrations and the given database URL."""
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    cfg.set_main_option("app_role", app_role)
    return cfg


def upgrade(url: str, revision: str = "head") -> None:
    """Upgrade the database to ``revision`` (default: the newest), granting ``repairops_app`` its rights."""
    upgrade_with_role(url, "repairops_app", revision)


def upgrade_with_role(url: str, app_role: str, revision: str = "head") -> None:
    """Upgrade, first making ``app_role`` the application's login role (the migrations grant it its rights)."""
    ensure_app_login(url, app_role)
    command.upgrade(alembic_config(url, app_role), revision)
    ensure_app_login(url, app_role)  # and check, now that the tables exist, that it owns none


def downgrade(url: str, revision: str = "base") -> None:
    """Downgrade the database to ``revision`` (default: empty)."""
    command.downgrade(alembic_config(url), revision)


def current_revision(url: str) -> str | None:
    """The revision the database is at, or None for a database never migrated."""
    engine = create_engine(url, poolclass=pool.NullPool)
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def head_revision() -> str | None:
    """The newest revision shipped with this code."""
    return ScriptDirectory.from_config(alembic_config("postgresql://")).get_current_head()
