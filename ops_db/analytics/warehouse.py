"""Read-only queries against the DuckDB marts.

Each query opens the warehouse read-only and closes it at once: a reader holding the file would
stop the hourly pipeline from writing it. Inside :func:`reading`, the queries of one page share one connection,
closed when the block ends.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
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


def stamp(path: Path | None = None) -> tuple[int, ...]:
    """The warehouse file's version: its and its write-ahead log's modification times and sizes (a refresh moves
    them), empty when it is not built."""
    target = path or warehouse_path()
    found: list[int] = []
    for file in (target, target.with_name(target.name + ".wal")):
        if file.exists():
            status = file.stat()
            found += [status.st_mtime_ns, status.st_size]
    return tuple(found)


@dataclass
class _Shared:
    """The connection the queries inside :func:`reading` share, opened by the first of them."""

    path: Path
    connection: duckdb.DuckDBPyConnection | None = None


_shared: ContextVar[_Shared | None] = ContextVar("warehouse_reading", default=None)


@contextmanager
def reading(path: Path | None = None) -> Iterator[None]:
    """The queries inside the block share one read-only connection (opened by the first, closed at the end):
    a page that reads many tables opens the file once."""
    if _shared.get() is not None:
        yield
        return
    shared = _Shared(path or warehouse_path())
    token = _shared.set(shared)
    try:
        yield
    finally:
        _shared.reset(token)
        if shared.connection is not None:
            shared.connection.close()


def _connect(target: Path) -> duckdb.DuckDBPyConnection:
    if not target.exists():
        raise WarehouseMissing(N_("The analytics warehouse is not built yet; run `repairops pipelines run`."))
    try:
        return duckdb.connect(str(target), read_only=True)
    except duckdb.IOException as error:
        raise WarehouseMissing(N_("The warehouse is being refreshed right now; try again in a minute.")) from error


def query_frame(sql: str, params: list[object] | None = None, *, path: Path | None = None) -> pd.DataFrame:
    """Run a read-only query on the marts (values as DuckDB hands them to pandas: decimals as floats, dates as
    timestamps); one plain sentence when the warehouse is not there yet."""
    target = path or warehouse_path()
    shared = _shared.get()
    if shared is not None and shared.path == target:
        if shared.connection is None:
            shared.connection = _connect(target)
        return shared.connection.execute(sql, params or []).df()
    con = _connect(target)
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
