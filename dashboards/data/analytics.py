"""What the analytics page shows, per area, for one tenant (always filtered by ``tenant_id``)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from dashboards.data.warehouse import query


@dataclass(frozen=True)
class Table:
    """One mart table as the page lists it: title, relation, and the columns it orders by."""

    title: str
    relation: str
    order_by: str


AREAS: dict[str, tuple[Table, ...]] = {
    "Finance": (
        Table("Monthly summary", "finance.finance_monthly_summary", "month_start"),
        Table("Receivables aging", "finance.finance_receivables_aging_summary", "bucket_order"),
        Table("Cash flow", "finance.finance_cash_flow", "month_start"),
        Table("Expenses by category", "finance.finance_expenses_by_category", "month_start"),
        Table("Order margin", "finance.finance_order_margin", "order_id"),
    ),
    "SLA": (
        Table("Compliance by month", "sla.sla_compliance_monthly", "month"),
        Table("Breaches", "sla.sla_breaches", "due_at"),
    ),
    "Reliability": (
        Table("Per equipment model", "reliability.reliability_model_metrics", "model_id"),
        Table("Failures by fault", "reliability.reliability_failures_by_fault", "month"),
    ),
    "Workforce": (
        Table("Technicians by month", "workforce.workforce_technician_monthly", "month"),
        Table("Technicians by day", "workforce.workforce_technician_daily", "work_date"),
    ),
    "Inventory": (
        Table("Stock value", "inventory.inventory_stock_value", "location_id"),
        Table("Reorder suggestions", "inventory.inventory_reorder_suggestions", "part_id"),
        Table("Part turns", "inventory.inventory_part_turns", "part_id"),
    ),
    "Customers": (
        Table("Customers", "customers.dim_customers", "customer_id"),
        Table("Devices awaiting pickup", "customers.customers_devices_awaiting_pickup", "ready_at"),
        Table("Ratings by month", "customers.customers_ratings", "month"),
    ),
}

# Which permission opens which area (the marts hold the same facts the operational pages guard).
AREA_PERMISSION = {"Finance": "billing.read", "SLA": "sla.read", "Reliability": "orders.read",
                   "Workforce": "workforce.read", "Inventory": "inventory.read", "Customers": "customers.read"}


def table(tenant_id: int, spec: Table, *, limit: int = 5000, path: Path | None = None) -> pd.DataFrame:
    """The tenant's rows of one mart, newest first where the mart has a time axis."""
    frame = query(f"SELECT * FROM {spec.relation} WHERE tenant_id = ? ORDER BY {spec.order_by} DESC LIMIT ?",
                  [tenant_id, limit], path=path)
    return frame.drop(columns=["tenant_id"])


def monthly_finance(tenant_id: int, *, path: Path | None = None) -> pd.DataFrame:
    """Invoiced, paid and receivables per month: the finance chart."""
    return query("SELECT strftime(month_start, '%Y-%m') AS month, invoiced_total, payments_received, refunds_paid, "
                 "receivables_end "
                 "FROM finance.finance_monthly_summary WHERE tenant_id = ? ORDER BY month_start",
                 [tenant_id], path=path)


def sla_compliance(tenant_id: int, *, path: Path | None = None) -> pd.DataFrame:
    """Compliance % per month and priority: the SLA chart."""
    return query("SELECT strftime(month, '%Y-%m') AS month, priority, sum(met) AS met, sum(breached) AS breached, "
                 "round(100.0 * sum(met) / nullif(sum(met) + sum(breached), 0), 1) AS compliance_pct "
                 "FROM sla.sla_compliance_monthly WHERE tenant_id = ? GROUP BY ALL ORDER BY 1, 2",
                 [tenant_id], path=path)
