"""Roles and the permissions each holds, as the database grants them (read-only)."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from dashboards.admin_tabs.common import (
    read_only,
)
from dashboards.data import admin
from dashboards.i18n import _, stage_words
from dashboards.session import engine
from dashboards.widgets import table
from ops_db.kit.uow import Actor


def show(actor: Actor, matrix: pd.DataFrame) -> None:
    """The roles tab."""
    st.subheader(_("Roles"))
    table(admin.roles(engine(), actor))
    st.subheader(_("Permissions per role"))
    role_columns = [c for c in matrix.columns if c not in ("permission", "description")]
    table(matrix, column_config={role: stage_words(role) for role in role_columns})
    drifted = admin.matrix_drift(matrix)
    if drifted:
        st.warning(
            _("These built-in roles differ from the permission catalogue: {roles}.").format(
                roles=", ".join(stage_words(r) for r in drifted)
            )
        )
    read_only(_("what each role may do follows the built-in permission catalogue; there is no service to change it."))
