"""The answer of a read as a table: column names in order and one record per row, for the pages to show.

Queries (``ops_db/<area>/queries.py``) return :class:`Rows` where the caller shows a table, so the UI, the API and
the CLI share one read, and none of them needs to know SQL. The columns are fixed even when no row came back.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import text

from ops_db.kit.uow import UnitOfWork


@dataclass(frozen=True)
class Rows:
    """Rows of one read: ``columns`` in order, and ``records`` each holding exactly those keys."""

    columns: tuple[str, ...]
    records: list[dict[str, Any]]

    def __len__(self) -> int:
        return len(self.records)

    def __iter__(self) -> Iterator[dict[str, Any]]:
        return iter(self.records)

    def column(self, name: str) -> list[Any]:
        """Every row's value of one column, in order."""
        return [record[name] for record in self.records]


def fetch(
    uow: UnitOfWork, sql: str, params: Mapping[str, Any] | None = None, columns: Sequence[str] | None = None
) -> Rows:
    """Run one read in the open unit of work (the actor's row-level security applies); ``columns`` picks and
    orders the columns (by default the statement's own)."""
    result = uow.session.execute(text(sql), dict(params or {}))
    names = tuple(columns) if columns is not None else tuple(result.keys())
    return Rows(names, [{name: row.get(name) for name in names} for row in result.mappings()])


def fetch_rows(
    uow: UnitOfWork, sql: str, params: Mapping[str, Any] | None = None, columns: Sequence[str] | None = None
) -> Rows:
    """Open the unit of work, run one read in it (see :func:`fetch`) and close it."""
    with uow:
        return fetch(uow, sql, params, columns)


MAX_SEARCH = 100


def clean_search(value: str | None) -> str:
    """The search text as typed, trimmed and capped (LIKE wildcards typed by the user are taken literally)."""
    text_value = (value or "").strip()[:MAX_SEARCH]
    return text_value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
