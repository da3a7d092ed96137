"""What the warehouse answers, per area, for one company (always filtered by ``tenant_id``): each read checks
the actor first (the area's read permission, and office staff only: see :func:`require_area`)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pandas as pd

from ops_db.analytics.warehouse import as_rows, query, query_frame
from ops_db.documents.pdf import Brand, TableSection, report_pdf
from ops_db.i18n import N_, as_is
from ops_db.identity.permissions import ANALYTICS_AREAS, ANALYTICS_DRILLS
from ops_db.kit.errors import PermissionDenied, ValidationError
from ops_db.kit.rows import Rows
from ops_db.kit.uow import Actor

PDF_ROWS = 200  # rows per table in an area's PDF; the CSV/XLSX has them all


@dataclass(frozen=True)
class Table:
    """One mart table as the page lists it: title (English, marked for the catalogs; translated where it is
    drawn), relation, the columns it orders by, and its time axis (the column the page's period filter applies
    to; None for a snapshot such as stock value)."""

    title: str
    relation: str
    order_by: str
    period: str | None = None


@dataclass(frozen=True)
class Period:
    """Months ``since`` up to and including the month that starts ``until``."""

    since: date
    until: date

    @property
    def end(self) -> date:
        """The first day after the period (exclusive bound)."""
        return date(self.until.year + self.until.month // 12, self.until.month % 12 + 1, 1)

    def label(self, t: Callable[[str], str] = as_is) -> str:
        """ "2026-01 to 2026-11", in the reader's language (``t``)."""
        return t("{since} to {until}").format(since=f"{self.since:%Y-%m}", until=f"{self.until:%Y-%m}")


# Areas are keyed by their English names (marked for the catalogs); the page translates them only for display.
AREAS: dict[str, tuple[Table, ...]] = {
    N_("Finance"): (
        Table(N_("Monthly summary"), "finance.finance_monthly_summary", "month_start", "month_start"),
        Table(N_("Receivables aging"), "finance.finance_receivables_aging_summary", "bucket_order"),
        Table(N_("Cash flow"), "finance.finance_cash_flow", "month_start", "month_start"),
        Table(N_("Expenses by category"), "finance.finance_expenses_by_category", "month_start", "month_start"),
        Table(N_("Order margin"), "finance.finance_order_margin", "order_id", "first_issued_date"),
    ),
    N_("SLA"): (
        Table(N_("Compliance by month"), "sla.sla_compliance_monthly", "month", "month"),
        Table(N_("Breaches"), "sla.sla_breaches", "due_at", "due_at"),
    ),
    N_("Reliability"): (
        Table(N_("Per equipment model"), "reliability.reliability_model_metrics", "model_id"),
        Table(N_("Failures by fault"), "reliability.reliability_failures_by_fault", "month", "month"),
    ),
    N_("Workforce"): (
        Table(N_("Technicians by month"), "workforce.workforce_technician_monthly", "month", "month"),
        Table(N_("Technicians by day"), "workforce.workforce_technician_daily", "work_date", "work_date"),
    ),
    N_("Inventory"): (
        Table(N_("Stock value"), "inventory.inventory_stock_value", "location_id"),
        Table(N_("Reorder suggestions"), "inventory.inventory_reorder_suggestions", "part_id"),
        Table(N_("Part turns"), "inventory.inventory_part_turns", "part_id"),
    ),
    N_("Customers"): (
        Table(N_("Customers"), "customers.dim_customers", "customer_id"),
        Table(N_("Devices awaiting pickup"), "customers.customers_devices_awaiting_pickup", "ready_at"),
        Table(N_("Ratings by month"), "customers.customers_ratings", "month", "month"),
    ),
}

# Which permission opens which area (the marts hold the same facts the operational pages guard); declared with
# the rest of the matrix in ops_db.identity.permissions.
AREA_PERMISSION = ANALYTICS_AREAS


def require_area(actor: Actor, area: str) -> None:
    """Refuse unless ``actor`` may read the area: its read permission, and a login that row-level security does
    not narrow. The warehouse holds the whole company's rows, so a customer or a technician-only login (whom
    Postgres shows only their own) would see everyone's there."""
    actor.require(AREA_PERMISSION[area])
    if actor.is_customer or actor.is_technician_only or "public" in actor.roles:
        raise PermissionDenied("The analytics figures are for office staff.")


def may_read(actor: Actor, area: str) -> bool:
    """Whether ``actor`` may read the area (see :func:`require_area`)."""
    try:
        require_area(actor, area)
    except PermissionDenied:
        return False
    return True


def area_of(spec: Table) -> str:
    """The area whose list holds this table (only those tables can be read: the relation goes into SQL)."""
    for area, specs in AREAS.items():
        if any(
            known.relation == spec.relation and known.order_by == spec.order_by and known.period == spec.period
            for known in specs
        ):
            return area
    raise ValidationError("There is no analytics table called {table}.", table=spec.relation)


def table(
    actor: Actor, spec: Table, period: Period | None = None, *, limit: int = 5000, path: Path | None = None
) -> Rows:
    """The company's rows of one mart, newest first where the mart has a time axis (within ``period`` if given;
    a snapshot table ignores the period)."""
    require_area(actor, area_of(spec))
    where, params = "tenant_id = ?", list[object]([actor.tenant_id])
    if period is not None and spec.period is not None:
        where += f" AND {spec.period} >= ? AND {spec.period} < ?"
        params += [period.since, period.end]
    frame = query_frame(
        f"SELECT * FROM {spec.relation} WHERE {where} ORDER BY {spec.order_by} DESC LIMIT ?",
        [*params, limit],
        path=path,
    )
    return as_rows(_dates_as_dates(frame.drop(columns=["tenant_id"])))


def _dates_as_dates(frame: pd.DataFrame) -> pd.DataFrame:
    """DuckDB DATE columns arrive as midnight timestamps; show them as the dates they are."""
    for column in frame.select_dtypes(include="datetime64").columns:
        values = frame[column]
        if (values.dropna() == values.dropna().dt.normalize()).all():
            frame[column] = values.dt.date
    return frame


def monthly_finance(actor: Actor, period: Period | None = None, *, path: Path | None = None) -> Rows:
    """Invoiced, paid and receivables per month: the finance chart."""
    require_area(actor, "Finance")
    return query(
        "SELECT strftime(month_start, '%Y-%m') AS month, invoiced_total, payments_received, refunds_paid, "
        "receivables_end "
        "FROM finance.finance_monthly_summary WHERE tenant_id = ? AND month_start >= ? AND month_start < ? "
        "ORDER BY month_start",
        [actor.tenant_id, *_bounds(period)],
        path=path,
    )


def sla_compliance(actor: Actor, period: Period | None = None, *, path: Path | None = None) -> Rows:
    """Compliance % per month and priority: the SLA chart."""
    require_area(actor, "SLA")
    return query(
        "SELECT strftime(month, '%Y-%m') AS month, priority, sum(met) AS met, sum(breached) AS breached, "
        "round(100.0 * sum(met) / nullif(sum(met) + sum(breached), 0), 1) AS compliance_pct "
        "FROM sla.sla_compliance_monthly WHERE tenant_id = ? AND month >= ? AND month < ? "
        "GROUP BY ALL ORDER BY 1, 2",
        [actor.tenant_id, *_bounds(period)],
        path=path,
    )


def _bounds(period: Period | None) -> list[date]:
    return [period.since, period.end] if period else [date(1900, 1, 1), date(9999, 1, 1)]


@dataclass(frozen=True)
class Drill:
    """From an area's figures down to the orders behind them: pick one ``label`` value (from ``choices``, a
    query of (value, label) rows for the tenant, or fixed pairs), get the orders of the period that have it.
    ``orders`` takes the parameters tenant, value, period start, period end (exclusive).

    The ``label`` and fixed choices are English messages (marked for the catalogs, translated where they are
    drawn); a query's labels are data (names), unless ``codes`` says its values are stored codes to show as
    words (``VALUE_LABELS``)."""

    label: str
    choices: str | dict[object, str]
    orders: str
    codes: bool = False


DRILLS: dict[str, Drill] = {
    "Finance": Drill(
        N_("Margin"),
        {0: N_("Loss-making orders (margin below 0 %)"), 0.2: N_("Margin below 20 %"), 10: N_("All invoiced orders")},
        "SELECT order_number, first_issued_date, revenue_net, parts_cost, labour_cost, gross_margin, "
        "round(100 * margin_pct, 1) AS margin_pct FROM finance.finance_order_margin "
        "WHERE tenant_id = ? AND margin_pct < ? AND first_issued_date >= ? AND first_issued_date < ? "
        "ORDER BY margin_pct, order_number LIMIT 1000",
    ),
    "SLA": Drill(
        N_("Resolution outcome"),
        "SELECT DISTINCT resolution_outcome, replace(resolution_outcome, '_', ' ') FROM sla.sla_order_compliance "
        "WHERE tenant_id = ? ORDER BY 1",
        "SELECT order_number, priority, customer_tier, current_stage, received_at, resolution_due_at, resolved_at, "
        "resolution_outcome FROM sla.sla_order_compliance WHERE tenant_id = ? AND resolution_outcome = ? "
        "AND received_month >= ? AND received_month < ? ORDER BY received_at DESC LIMIT 1000",
        codes=True,
    ),
    "Reliability": Drill(
        N_("Equipment model"),
        "SELECT model_id, manufacturer_name || ' · ' || model_name FROM reliability.reliability_model_metrics "
        "WHERE tenant_id = ? ORDER BY failures DESC, model_id",
        "SELECT order_number, fault_type, received_at, completed_at, repair_hours, is_first_time_fix, "
        "is_repeat_within_30d, repair_cost FROM reliability.fct_repairs WHERE tenant_id = ? AND model_id = ? "
        "AND received_month >= ? AND received_month < ? ORDER BY received_at DESC LIMIT 1000",
    ),
    "Workforce": Drill(
        N_("Technician"),
        "SELECT technician_id, name FROM workforce.dim_technicians WHERE tenant_id = ? ORDER BY name",
        "SELECT order_number, first_issued_date, revenue_net, labour_hours, labour_cost, gross_margin "
        "FROM finance.finance_order_margin WHERE tenant_id = ? AND technician_id = ? "
        "AND first_issued_date >= ? AND first_issued_date < ? ORDER BY first_issued_date DESC LIMIT 1000",
    ),
}


def require_drill(actor: Actor, area: str) -> Drill:
    """The area's drill, if ``actor`` may read the area and what its orders show (``ANALYTICS_DRILLS``)."""
    require_area(actor, area)
    for permission in ANALYTICS_DRILLS[area]:
        actor.require(permission)
    return DRILLS[area]


def may_drill(actor: Actor, area: str) -> bool:
    """Whether the area has a drill ``actor`` may use."""
    if area not in DRILLS:
        return False
    try:
        require_drill(actor, area)
    except PermissionDenied:
        return False
    return True


def drill_choices(actor: Actor, area: str, *, path: Path | None = None) -> dict[object, str]:
    """Value → label of what one can drill into in the area."""
    drill = require_drill(actor, area)
    if isinstance(drill.choices, dict):
        return drill.choices
    rows = query_frame(drill.choices, [actor.tenant_id], path=path).itertuples(index=False)
    return {row[0]: str(row[1]) for row in rows}


def drill_orders(actor: Actor, area: str, value: object, period: Period, *, path: Path | None = None) -> Rows:
    """The orders of the period behind one drill value of the area (at most 1,000)."""
    drill = require_drill(actor, area)
    return query(drill.orders, [actor.tenant_id, value, period.since, period.end], path=path)


def area_report(
    actor: Actor,
    area: str,
    period: Period,
    brand: Brand,
    *,
    t: Callable[[str], str] = as_is,
    headings: Callable[[str], str] = as_is,
    number: Callable[[int], str] = "{:,}".format,
    path: Path | None = None,
) -> bytes:
    """An area's tables (the first ``PDF_ROWS`` rows of each) as a landscape PDF, in the reader's language:
    ``t`` translates the title, subtitle, section titles and notes, ``headings`` gives a column's heading
    (by default its data name) and ``number`` writes a count."""
    require_area(actor, area)
    sections = [_section(actor, spec, period, t=t, headings=headings, number=number, path=path) for spec in AREAS[area]]
    return report_pdf(brand, t("{area} analytics").format(area=t(area)), _subtitle(period, t), sections, t=t)


def table_report(
    actor: Actor,
    spec: Table,
    period: Period,
    brand: Brand,
    *,
    t: Callable[[str], str] = as_is,
    headings: Callable[[str], str] = as_is,
    number: Callable[[int], str] = "{:,}".format,
    path: Path | None = None,
) -> bytes:
    """One analytics table (its first ``PDF_ROWS`` rows) as a landscape PDF, in the reader's language, as
    :func:`area_report` writes each of an area's tables."""
    section = _section(actor, spec, period, t=t, headings=headings, number=number, path=path)
    return report_pdf(brand, t(spec.title), _subtitle(period, t), [section], t=t)


def _subtitle(period: Period, t: Callable[[str], str]) -> str:
    return t("Period {period} (snapshot tables as of the last warehouse refresh).").format(period=period.label(t))


def _section(
    actor: Actor,
    spec: Table,
    period: Period,
    *,
    t: Callable[[str], str],
    headings: Callable[[str], str],
    number: Callable[[int], str],
    path: Path | None,
) -> TableSection:
    """One table of a PDF report: its title, headings and first rows, and a note when rows were left out."""
    found = table(actor, spec, period, path=path)
    note = (
        t("First {shown} of {total} rows.").format(shown=number(PDF_ROWS), total=number(len(found)))
        if len(found) > PDF_ROWS
        else None
    )
    return TableSection(
        t(spec.title),
        [headings(c) for c in found.columns],
        [tuple(r[c] for c in found.columns) for r in found.records[:PDF_ROWS]],
        note,
    )
