"""Great Expectations rules (``pipelines/quality.py``) as Dagster asset checks that name the offending ids."""

# No `from __future__ import annotations`: Dagster inspects these type hints at definition time.

import dagster as dg

from pipelines import quality
from pipelines.resources import Warehouse
from pipelines.warehouse import connect


def _check_for(rule: quality.Rule) -> dg.AssetChecksDefinition:
    @dg.asset_check(asset=dg.AssetKey(list(rule.asset)), name=rule.name, description=rule.description)
    def _check(warehouse: Warehouse) -> dg.AssetCheckResult:
        con = connect(warehouse.file(), read_only=True)
        try:
            result = quality.evaluate(con, rule)
        finally:
            con.close()
        metadata: dict[str, str | int] = {
            "rows_checked": result.checked,
            "rows_failed": result.failed,
            "offending_ids": ", ".join(result.offending_ids) or "none",
        }
        if result.skipped_reason:
            metadata["skipped"] = result.skipped_reason
        return dg.AssetCheckResult(
            passed=result.passed,
            metadata=metadata,
            description=None
            if result.passed
            else f"{result.failed} of {result.checked} rows break: {rule.description}",
        )

    return _check


QUALITY_CHECKS: list[dg.AssetChecksDefinition] = [_check_for(rule) for rule in quality.RULES]
