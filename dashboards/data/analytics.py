"""The analytics page's frames: the warehouse reads of :mod:`ops_db.analytics.queries` (each checks the actor)
as tables, and the months the period pickers offer."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pandas as pd

from dashboards.data import frame
from ops_db.analytics import queries
from ops_db.analytics.queries import AREA_PERMISSION, AREAS, DRILLS, Drill, Period, Table, may_drill, may_read
from ops_db.kit.uow import Actor

__all__ = [
    "AREAS",
    "AREA_KEY",
    "AREA_PERMISSION",
    "DRILLS",
    "Drill",
    "Period",
    "Table",
    "drill_orders",
    "may_drill",
    "may_read",
    "monthly_finance",
    "recent_months",
    "sla_compliance",
    "table",
]

AREA_KEY = "analytics_area"  # the page's open tab (its label): a test or a link chooses an area by it


def recent_months(today: date, count: int = 24) -> list[date]:
    """The first days of the last ``count`` months, oldest first, ending with this month."""
    months, year, month = [], today.year, today.month
    for _ in range(count):
        months.append(date(year, month, 1))
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    return months[::-1]


def table(actor: Actor, spec: Table, period: Period | None = None, *, path: Path | None = None) -> pd.DataFrame:
    """One mart's rows for the company (see :func:`ops_db.analytics.queries.table`)."""
    return frame(queries.table(actor, spec, period, path=path))


def monthly_finance(actor: Actor, period: Period | None = None) -> pd.DataFrame:
    """The finance chart's months."""
    return frame(queries.monthly_finance(actor, period))


def sla_compliance(actor: Actor, period: Period | None = None) -> pd.DataFrame:
    """The SLA chart's months and priorities."""
    return frame(queries.sla_compliance(actor, period))


def drill_orders(actor: Actor, area: str, value: object, period: Period) -> pd.DataFrame:
    """The orders behind one drill value."""
    return frame(queries.drill_orders(actor, area, value, period))
