"""Importing customers, devices or parts from a CSV file (checked first, all or nothing)."""

from __future__ import annotations

import streamlit as st

from dashboards.i18n import _, error_text
from dashboards.session import engine
from dashboards.widgets import table
from ops_db.i18n import N_
from ops_db.imports import KINDS, describe, import_csv
from ops_db.kit.errors import RepairOpsError
from ops_db.kit.uow import Actor, UnitOfWork

IMPORT_KINDS = {"customers": N_("customers"), "devices": N_("devices"), "parts": N_("parts")}


def show(actor: Actor) -> None:
    """The import tab."""
    importable = [k for k, spec in KINDS.items() if actor.can(spec.permission)]
    if not importable:
        st.info(_("You do not have access to imports."))
    else:
        st.caption(
            _(
                "Customers, devices or parts from a UTF-8 CSV with a header row. Every row is checked; if "
                "any is wrong nothing is written and each problem is listed by row and column. Columns: "
                "customers `name, email, phone, kind, language, address, city`; devices `customer_email` or "
                "`customer_phone, manufacturer, model, category, serial_number, purchase_date, "
                "warranty_until`; parts `sku, name, category, unit_cost, sale_price, warranty_months`."
            )
        )
        left, right = st.columns([1, 3])
        what = left.selectbox(
            _("What"), importable, key="import_kind", format_func=lambda k: _(IMPORT_KINDS.get(str(k), str(k)))
        )
        upload = right.file_uploader(_("CSV file"), type=["csv"], key="import_file")
        check_col, write_col = st.columns(2)
        checking = check_col.button(_("Check (dry run)"), key="import_check", disabled=upload is None)
        writing = write_col.button(_("Import"), type="primary", key="import_write", disabled=upload is None)
        if upload is not None and (checking or writing):
            try:
                with st.spinner(_("Checking every row…") if checking else _("Importing…")):
                    outcome = import_csv(UnitOfWork(engine(), actor), str(what), upload.getvalue(), dry_run=checking)
            except RepairOpsError as error:
                st.error(error_text(error))
            else:
                (st.error if outcome.errors else st.success)(describe(outcome, _))
                if outcome.errors:
                    table(
                        [
                            {
                                "row": e.row,
                                "column": e.column,
                                "problem": error_text(e.error) if e.error is not None else e.reason,
                            }
                            for e in outcome.errors
                        ]
                    )
