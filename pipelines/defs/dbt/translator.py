"""How dbt models appear in Dagster: one asset group per mart area."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import dagster as dg
from dagster_dbt import DagsterDbtTranslator

MART_AREAS = ("finance", "sla", "reliability", "workforce", "inventory", "customers")


class RepairOpsDbtTranslator(DagsterDbtTranslator):
    """Keys are ``[schema, name]`` as in the warehouse (``finance/fct_payments``, ``raw/invoices``).

    Staging models form the ``staging`` group; intermediate and mart models join their area's group.
    """

    def get_asset_key(self, dbt_resource_props: Mapping[str, Any]) -> dg.AssetKey:
        if dbt_resource_props.get("resource_type") in ("model", "seed", "snapshot"):
            schema = dbt_resource_props.get("config", {}).get("schema") or dbt_resource_props.get("schema")
            return dg.AssetKey([str(schema), str(dbt_resource_props["name"])])
        return super().get_asset_key(dbt_resource_props)

    def get_group_name(self, dbt_resource_props: Mapping[str, Any]) -> str | None:
        fqn = list(dbt_resource_props.get("fqn", []))
        if dbt_resource_props.get("resource_type") == "source":
            return "raw"
        for area in MART_AREAS:
            if area in fqn[1:-1]:
                return area
        if "staging" in fqn:
            return "staging"
        return "intermediate"
