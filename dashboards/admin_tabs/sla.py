"""SLA policies and their targets, and changing one."""

from __future__ import annotations

from functools import partial

import pandas as pd
import streamlit as st

from dashboards.admin_tabs.common import (
    attempt,
    read_only,
)
from dashboards.data import admin
from dashboards.i18n import _, stage_words
from dashboards.session import engine
from dashboards.widgets import done_and_rerun, plain, table
from ops_db.kit.uow import Actor, UnitOfWork
from ops_db.sla.service import update_policy


def _sla_form(actor: Actor, policies: pd.DataFrame) -> None:
    """Change one policy's targets: new orders get them, running clocks keep their promise."""
    labels = {
        int(r.id): f"{r.name} ({stage_words(str(r.priority))}{', ' + str(r.tier) if r.tier else ''})"
        for r in policies.itertuples()
    }
    with st.form("sla_edit"):
        st.markdown(_("**Change a policy**"))
        policy_id = st.selectbox(_("Policy"), list(labels), format_func=labels.__getitem__, key="sla_policy")
        row = policies[policies["id"] == policy_id].iloc[0]
        left, middle, right = st.columns(3)
        response = left.number_input(
            _("Response target (business minutes)"),
            min_value=1,
            step=15,
            value=int(row["response_minutes"]),
            key="sla_response",
        )
        resolution = middle.number_input(
            _("Resolution target (business minutes)"),
            min_value=1,
            step=60,
            value=int(row["resolution_minutes"]),
            key="sla_resolution",
        )
        at_risk = right.number_input(
            _("At risk from (% of the target)"),
            min_value=1,
            max_value=99,
            value=int(row["at_risk_pct"]),
            key="sla_at_risk",
        )
        active = st.checkbox(_("Active"), value=bool(row["active"]), key="sla_active")
        st.caption(_("New orders get the new targets; orders already running keep the promise made at intake."))
        if st.form_submit_button(_("Save the policy")) and attempt(
            partial(
                update_policy,
                UnitOfWork(engine(), actor),
                int(policy_id),
                response_minutes=int(response),
                resolution_minutes=int(resolution),
                at_risk_pct=int(at_risk),
                is_active=active,
            ),
            _("Saving…"),
        ):
            done_and_rerun(_("SLA policy {policy} saved.").format(policy=plain(labels[int(policy_id)])))


def show(actor: Actor) -> None:
    """The SLA policies tab."""
    if not actor.can("sla.read"):
        st.info(_("You do not have access to SLA policies."))
    else:
        with st.spinner(_("Loading SLA policies…")):
            policies = admin.sla_policies(engine(), actor, _)
        if policies.empty:
            st.info(_("No SLA policy is set up, so orders get no response or resolution targets."))
        else:
            table(
                policies.drop(columns=["id", "response_minutes", "resolution_minutes"]),
                column_config={"at_risk_pct": st.column_config.NumberColumn(_("At risk from"), format="%d %%")},
            )
        st.caption(
            _("Targets count business time only: the clock runs within the calendar's hours and stops on holidays.")
        )
        if actor.can("sla.manage") and not policies.empty:
            _sla_form(actor, policies)
        else:
            read_only(_("changing SLA targets needs the SLA management permission."))
