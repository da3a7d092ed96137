"""The DuckDB warehouse file: opening it, and attaching the operational Postgres read-only.

DuckDB cannot download extensions on these machines, so the Postgres scanner comes from the
``duckdb-extension-postgres`` wheel (pinned to the same DuckDB version) and is installed into an
extension directory beside the warehouse the first time it is needed.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb
from sqlalchemy.engine import make_url

from ops_db.kit.errors import Conflict

PG_ALIAS = "pg"


class WarehouseBusy(Conflict):
    """Another process holds the warehouse file open for writing."""


def extension_dir(warehouse: Path) -> Path:
    """Where DuckDB keeps the installed Postgres extension for this warehouse."""
    return warehouse.parent / "duckdb_extensions"


def _postgres_extension_file() -> Path:
    import duckdb_extension_postgres

    folder = Path(duckdb_extension_postgres.__file__).parent / "extensions" / f"v{duckdb.__version__}"
    return folder / "postgres.duckdb_extension"


def connect(warehouse: Path, *, read_only: bool = False, postgres: bool = False) -> duckdb.DuckDBPyConnection:
    """Open the warehouse file; with ``postgres=True`` also load the Postgres scanner.

    Raises ``WarehouseBusy`` in one sentence when another process has the file open.
    """
    warehouse.parent.mkdir(parents=True, exist_ok=True)
    config: dict[str, str | bool | int | float | list[str]] = {"extension_directory": str(extension_dir(warehouse))}
    try:
        con = duckdb.connect(str(warehouse), read_only=read_only, config=config)
    except duckdb.IOException as error:
        if "lock" in str(error).lower():
            raise WarehouseBusy(
                f"The warehouse {warehouse} is open in another process (a pipeline run, the Dagster UI or an "
                "analyst's session); close it and try again."
            ) from error
        raise
    if postgres:
        load_postgres(con)
    return con


def load_postgres(con: duckdb.DuckDBPyConnection) -> None:
    """Install (once, from the wheel) and load the Postgres scanner into ``con``."""
    installed = con.execute(
        "SELECT installed FROM duckdb_extensions() WHERE extension_name = 'postgres_scanner'"
    ).fetchone()
    if not (installed and installed[0]):
        con.execute(f"INSTALL '{_postgres_extension_file()}'")
    con.execute("LOAD postgres")


def libpq_dsn(sqlalchemy_url: str) -> str:
    """A libpq URI for DuckDB's ATTACH from a SQLAlchemy URL."""
    return make_url(sqlalchemy_url).set(drivername="postgresql").render_as_string(hide_password=False)


@contextmanager
def attached(con: duckdb.DuckDBPyConnection, sqlalchemy_url: str) -> Iterator[str]:
    """Attach the operational database read-only as ``pg`` for the duration of the block."""
    dsn = libpq_dsn(sqlalchemy_url).replace("'", "''")
    con.execute(f"ATTACH '{dsn}' AS {PG_ALIAS} (TYPE postgres, READ_ONLY)")
    try:
        yield PG_ALIAS
    finally:
        con.execute(f"DETACH {PG_ALIAS}")
