"""Reads of the DuckDB warehouse (the dbt marts): per-area tables, charts, drills and PDF reports."""
