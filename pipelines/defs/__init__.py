"""Dagster definitions of RepairOps, one folder per domain; ``pipelines/definitions.py`` assembles them."""
