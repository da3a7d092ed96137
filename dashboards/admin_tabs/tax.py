"""Tax rates, and adding or changing one."""

from __future__ import annotations

from functools import partial

import streamlit as st

from dashboards.admin_tabs.common import (
    attempt,
    read_only,
)
from dashboards.data import admin
from dashboards.i18n import _
from dashboards.session import engine
from dashboards.widgets import done_and_rerun, plain, table, typed_amount
from ops_db.billing.service import save_tax_rate
from ops_db.kit.uow import Actor, UnitOfWork


def _tax_form(actor: Actor) -> None:
    """Add a rate or change one by its code; one rate is the default for new lines."""
    with st.form("tax_edit"):
        st.markdown(_("**Add or change a rate** (an existing code is changed)"))
        left, middle, right = st.columns(3)
        code = left.text_input(_("Code"), placeholder="VAT20", key="tax_code")
        name = middle.text_input(_("Name"), placeholder=_("VAT standard"), key="tax_name")
        rate = right.text_input(_("Rate (%)"), placeholder="20", key="tax_rate")
        default = st.checkbox(_("Make it the default for new order lines"), key="tax_default")
        if st.form_submit_button(_("Save the rate")) and attempt(
            partial(
                save_tax_rate,
                UnitOfWork(engine(), actor),
                code,
                name,
                typed_amount(rate) or "",
                is_default=True if default else None,
            ),
            _("Saving…"),
        ):
            done_and_rerun(
                _("Tax rate {code} saved.").format(code=plain(code.strip().upper())), "tax_code", "tax_name", "tax_rate"
            )


def show(actor: Actor) -> None:
    """The tax rates tab."""
    if not actor.can("billing.read"):
        st.info(_("You do not have access to tax rates."))
    else:
        rates = admin.tax_rates(engine(), actor)
        if rates.empty:
            st.info(_("No tax rate is set up."))
        else:
            table(rates, column_config={"rate_pct": st.column_config.NumberColumn(_("Rate"), format="%.3f %%")})
        if actor.can("settings.manage"):
            _tax_form(actor)
        else:
            read_only(_("changing tax rates needs the company settings permission."))
