"""Run Alembic migrations programmatically (``repairops db migrate``)."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, pool

MIGRATIONS_DIR = Path(__file__).parent / "migrations"


def alembic_config(url: str, app_role: str = "repairops_app") -> Config:
    """An Alembic config pointing at our migrations and the given database URL."""
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    cfg.set_main_option("app_role", app_role)
    return cfg


def upgrade(url: str, revision: str = "head") -> None:
    """Upgrade the database to ``revision`` (default: the newest)."""
    command.upgrade(alembic_config(url), revision)


def upgrade_with_role(url: str, app_role: str, revision: str = "head") -> None:
    """Upgrade, granting the named application role its rights."""
    command.upgrade(alembic_config(url, app_role), revision)


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
