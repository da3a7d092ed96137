"""One multi-asset copies every table the marts need in one snapshot and one warehouse transaction."""

# No `from __future__ import annotations`: Dagster inspects these type hints at definition time.

from collections.abc import Iterator

import dagster as dg

from pipelines.extract import EXTRACTED_TABLES, run_extract
from pipelines.resources import OpsDatabase, Warehouse

RAW_GROUP = "raw"


class ExtractConfig(dg.Config):
    """``full``: reload every table instead of reading only what changed since the last run."""

    full: bool = False


def raw_key(table: str) -> dg.AssetKey:
    """The asset key of a raw table; dbt's ``source('raw', table)`` resolves to the same key."""
    return dg.AssetKey(["raw", table])


# The results stay bare `MaterializeResult`s (hence the ignore): Dagster reads the return hint at
# definition time and treats only the bare class as "a materialization, no output value".
@dg.multi_asset(
    name="ops_extract",
    specs=[
        dg.AssetSpec(
            raw_key(t),
            group_name=RAW_GROUP,
            kinds={"postgres", "duckdb"},
            description=f"Operational table `{t}` copied into the warehouse as `raw.{t}`.",
        )
        for t in EXTRACTED_TABLES
    ],
    description="Copy the operational tables from Postgres into the DuckDB warehouse in one consistent snapshot; "
    "incremental by transaction id (deletes applied), full refresh on request.",
)
def ops_extract(
    context: dg.AssetExecutionContext, config: ExtractConfig, ops_db: OpsDatabase, warehouse: Warehouse
) -> Iterator[dg.MaterializeResult]:  # type: ignore[type-arg]
    def progress(table: str, done: int, total: int) -> None:
        context.log.debug(f"extracted {table} ({done}/{total})")

    report = run_extract(warehouse.file(), ops_db.admin_url(), full=config.full, progress=progress)
    context.log.info(
        f"extract run {report.run_id}: {report.rows_read:,} rows read in {report.seconds:.1f} s "
        f"({'full' if report.full else 'incremental'}, snapshot {report.snapshot})"
    )
    for table in report.tables:
        yield dg.MaterializeResult(
            asset_key=raw_key(table.table),
            metadata={
                "mode": table.mode,
                "rows_read": table.rows_read,
                "rows_deleted": table.rows_deleted,
                "dagster/row_count": table.rows_total,
                "seconds": round(table.seconds, 3),
                "extract_run": report.run_id,
            },
        )
