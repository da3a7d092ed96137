"""Data-quality rules on the warehouse, validated with Great Expectations.

Each rule is a SQL query over the warehouse that returns one row per entity it judges (an ``id``
column and the value under test) and one Great Expectations expectation on that value. A failing
rule reports the ids of the offending rows, so whoever fixes the data knows where to look.
The rules are plain data and plain functions; ``pipelines/defs/quality`` turns them into Dagster
asset checks.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import duckdb

MAX_REPORTED_IDS = 50


@dataclass(frozen=True)
class Rule:
    """One data-quality rule: which asset it guards, the query, and the expectation on its ``value`` column."""

    name: str
    asset: tuple[str, ...]
    description: str
    sql: str
    expectation: Callable[[], Any]
    needs: tuple[str, ...] = ()  # other relations the query reads (skipped, not failed, while they do not exist)


@dataclass(frozen=True)
class RuleResult:
    """The outcome of one rule on the current warehouse."""

    rule: str
    passed: bool
    checked: int
    failed: int
    offending_ids: list[str]
    skipped_reason: str | None = None


def _values_true() -> Any:
    import great_expectations as gx

    return gx.expectations.ExpectColumnValuesToBeInSet(column="value", value_set=[True])


def _values_zero() -> Any:
    import great_expectations as gx

    return gx.expectations.ExpectColumnValuesToBeBetween(column="value", min_value=0, max_value=0)


def _values_not_negative() -> Any:
    import great_expectations as gx

    return gx.expectations.ExpectColumnValuesToBeBetween(column="value", min_value=0)


def _values_percent() -> Any:
    import great_expectations as gx

    return gx.expectations.ExpectColumnValuesToBeBetween(column="value", min_value=0, max_value=100)


RULES: tuple[Rule, ...] = (
    Rule(
        "closed_orders_have_closing_event",
        ("raw", "service_orders"),
        "Every closed order has a stage change to 'closed' in its history.",
        """select o.id::varchar as id, exists (select 1 from raw.order_events e
                   where e.tenant_id = o.tenant_id and e.order_id = o.id
                     and e.event_type = 'stage_changed' and e.to_stage = 'closed') as value
           from raw.service_orders o where o.stage = 'closed'""",
        _values_true,
        needs=("raw.order_events",),
    ),
    Rule(
        "invoice_totals_match_lines",
        ("raw", "invoices"),
        "Each invoice's subtotal, tax and total equal the sums of its lines (difference in cents must be 0).",
        """select i.id::varchar as id,
                  abs(i.subtotal - coalesce(l.net, 0)) + abs(i.tax_total - coalesce(l.tax, 0))
                  + abs(i.total - i.subtotal - i.tax_total) as value
           from raw.invoices i
           left join (select tenant_id, invoice_id, sum(net_amount) as net, sum(tax_amount) as tax
                      from raw.invoice_lines group by all) l
             on l.tenant_id = i.tenant_id and l.invoice_id = i.id""",
        _values_zero,
        needs=("raw.invoice_lines",),
    ),
    Rule(
        "stock_never_negative",
        ("raw", "stock_levels"),
        "No part has negative stock on hand, nor more reserved than on hand, at any location.",
        """select part_id || '@' || location_id as id, least(quantity, quantity - reserved, reserved) as value
           from raw.stock_levels""",
        _values_not_negative,
    ),
    Rule(
        "bookings_inside_shifts",
        ("raw", "bookings"),
        "Every active or done booking lies inside one of its technician's shifts.",
        """select b.id::varchar as id, exists (select 1 from raw.shifts s
                   where s.tenant_id = b.tenant_id and s.technician_id = b.technician_id
                     and s.starts_at <= b.planned_lower and s.ends_at >= b.planned_upper) as value
           from raw.bookings b where b.status <> 'cancelled'""",
        _values_true,
        needs=("raw.shifts",),
    ),
    Rule(
        "sla_clocks_monotonic",
        ("raw", "sla_clocks"),
        "SLA clocks run forward: due after start, pause and stop not before start, paused time not negative.",
        """select id::varchar as id,
                  coalesce(due_at >= started_at
                           and (stopped_at is null or stopped_at >= started_at)
                           and (paused_at is null or paused_at >= started_at)
                           and paused_seconds >= 0, false) as value
           from raw.sla_clocks""",
        _values_true,
    ),
    Rule(
        "payments_not_before_invoice",
        ("raw", "payments"),
        "No payment is dated before the invoice it pays was issued.",
        """select p.id::varchar as id, coalesce(p.received_at >= i.issued_at, false) as value
           from raw.payments p join raw.invoices i on i.tenant_id = p.tenant_id and i.id = p.invoice_id
           where p.status = 'succeeded'""",
        _values_true,
        needs=("raw.invoices",),
    ),
    Rule(
        "invoice_lines_add_up",
        ("finance", "fct_invoice_lines"),
        "In the finance mart every line's net plus tax equals its total.",
        "select invoice_line_id::varchar as id, abs(net_amount + tax_amount - total_amount) as value "
        "from finance.fct_invoice_lines",
        _values_zero,
    ),
    Rule(
        "receivables_not_negative",
        ("finance", "finance_monthly_summary"),
        "Month-end receivables are never negative (more paid than invoiced means a payment is misapplied).",
        "select tenant_id || ':' || month_start as id, receivables_end as value from finance.finance_monthly_summary",
        _values_not_negative,
    ),
    Rule(
        "sla_compliance_is_a_percentage",
        ("sla", "sla_compliance_monthly"),
        "SLA compliance percentages lie between 0 and 100.",
        "select row_number() over ()::varchar as id, compliance_pct as value from sla.sla_compliance_monthly "
        "where compliance_pct is not null",
        _values_percent,
    ),
)


def _relation_exists(con: duckdb.DuckDBPyConnection, relation: str) -> bool:
    schema, name = relation.split(".")
    row = con.execute(
        "SELECT count(*) FROM duckdb_tables() WHERE schema_name = ? AND table_name = ? "
        "UNION ALL SELECT count(*) FROM duckdb_views() WHERE schema_name = ? AND view_name = ?",
        [schema, name, schema, name],
    ).fetchall()
    return any(r[0] for r in row)


@lru_cache(maxsize=1)
def _context() -> Any:
    import great_expectations as gx
    from great_expectations.data_context.types.base import ProgressBarsConfig

    logging.getLogger("great_expectations").setLevel(logging.ERROR)
    context = gx.get_context(mode="ephemeral")
    context.variables.progress_bars = ProgressBarsConfig(globally=False)  # our callers show their own progress
    return context


def _validate(rule: Rule, frame: Any) -> Any:
    import great_expectations as gx

    context = _context()
    source = context.data_sources.add_or_update_pandas(name="warehouse")
    asset = next((a for a in source.assets if a.name == rule.name), None) or source.add_dataframe_asset(rule.name)
    batch_definition = next(
        (b for b in asset.batch_definitions if b.name == "whole"), None
    ) or asset.add_batch_definition_whole_dataframe("whole")
    batch = batch_definition.get_batch(batch_parameters={"dataframe": frame})
    suite = gx.ExpectationSuite(name=rule.name, expectations=[rule.expectation()])
    return batch.validate(suite, result_format={"result_format": "COMPLETE", "unexpected_index_column_names": ["id"]})


def evaluate(con: duckdb.DuckDBPyConnection, rule: Rule) -> RuleResult:
    """Run ``rule`` on the warehouse behind ``con``: how many rows it judged, and which ids fail."""
    relation = ".".join(rule.asset)
    for needed in (relation, *rule.needs):
        if not _relation_exists(con, needed):
            return RuleResult(rule.name, True, 0, 0, [], skipped_reason=f"{needed} is not in the warehouse yet")
    frame = con.execute(rule.sql).df()
    if frame.empty:
        return RuleResult(rule.name, True, 0, 0, [])
    frame["value"] = frame["value"].astype(bool if frame["value"].dtype == bool else float)
    result = _validate(rule, frame)
    outcome = result.results[0].result
    ids = [
        str(entry["id"]) if isinstance(entry, dict) else str(entry)
        for entry in (outcome.get("unexpected_index_list") or [])
    ]
    return RuleResult(
        rule.name, bool(result.success), len(frame), int(outcome.get("unexpected_count") or 0), ids[:MAX_REPORTED_IDS]
    )


def rules_for(asset: tuple[str, ...]) -> list[Rule]:
    """The rules that guard ``asset``."""
    return [r for r in RULES if r.asset == asset]
