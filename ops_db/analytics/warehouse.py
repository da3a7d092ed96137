"""Read-only queries against the DuckDB marts.

Each query opens the warehouse read-only and closes it at once: a reader holding the file would
stop the hourly pipeline from writing it.
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import pandas as pd

from ops_db.i18n import N_
from ops_db.kit.rows import Rows
from ops_db.settings import get_settings


class WarehouseMissing(Exception):
    """The warehouse has not been built yet (its one sentence is an English message id; pages translate it)."""


def warehouse_path() -> Path:
    """The DuckDB file the pipelines build."""
    return get_settings().warehouse_path


def query_frame(sql: str, params: list[object] | None = None, *, path: Path | None = None) -> pd.DataFrame:
    """Run a read-only query on the marts (values as DuckDB hands them to pandas: decimals as floats, dates as
    timestamps); one plain sentence when the warehouse is not there yet."""
    target = path or warehouse_path()
    if not target.exists():
        raise WarehouseMissing(N_("The analytics warehouse is not built yet; run `repairops pipelines run`."))
    try:
        con = duckdb.connect(str(target), read_only=True)
    except duckdb.IOException as error:
        raise WarehouseMissing(N_("The warehouse is being refreshed right now; try again in a minute.")) from error
    try:
        return con.execute(sql, params or []).df()
    finally:
        con.close()


def as_rows(frame: pd.DataFrame) -> Rows:
    """A frame read from the marts as :class:`Rows` (the same values, column by column)."""
    columns = tuple(str(c) for c in frame.columns)
    return Rows(columns, [dict(zip(columns, values, strict=True)) for values in frame.itertuples(index=False)])


def query(sql: str, params: list[object] | None = None, *, path: Path | None = None) -> Rows:
    """Run a read-only query on the marts (see :func:`query_frame`)."""
    return as_rows(query_frame(sql, params, path=path))
