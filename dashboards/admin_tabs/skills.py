"""Technicians' skill levels, and setting one."""

from __future__ import annotations

from functools import partial

import streamlit as st

from dashboards.admin_tabs.common import (
    attempt,
)
from dashboards.data import admin
from dashboards.i18n import _
from dashboards.session import engine
from dashboards.widgets import plain, table
from ops_db.kit.uow import Actor, UnitOfWork
from ops_db.workforce.service import set_skill


def show(actor: Actor) -> None:
    """The technicians and skills tab."""
    if not actor.can("workforce.read"):
        st.info(_("You do not have access to technicians."))
    else:
        skill_listing = st.container()
        names = admin.technicians(engine(), actor, _)
        known_skills = admin.skills(engine(), actor)
        if actor.can("workforce.manage") and names:
            st.subheader(_("Set a skill level"))
            with st.form("set_skill_form"):
                left, middle, right = st.columns(3)
                tech_id = left.selectbox(
                    _("Technician"), list(names), key="skill_technician", format_func=lambda i: names.get(i, str(i))
                )
                skill_code = middle.selectbox(
                    _("Skill"),
                    list(known_skills),
                    key="skill_code",
                    format_func=lambda c: f"{known_skills.get(c, c)} ({c})",
                )
                new_code = middle.text_input(_("…or a new skill code"), key="skill_new_code")
                level = right.number_input(_("Level (1 = junior … 5 = expert)"), value=3, step=1, key="skill_level")
                save = st.form_submit_button(_("Save the level"), type="primary", key="skill_submit")
            if save:
                code = (new_code or "").strip() or (skill_code or "")
                if tech_id not in names:
                    st.error(_("Choose a technician first."))
                elif attempt(
                    partial(
                        set_skill,
                        UnitOfWork(engine(), actor),
                        int(tech_id),
                        code,
                        int(level) if level is not None else 0,
                    ),
                    _("Saving the level…"),
                ):
                    st.success(
                        _("{technician} is now at level {level} in {skill}.").format(
                            technician=plain(names[int(tech_id)].split(" (#")[0]),
                            level=int(level or 0),
                            skill=plain(code.strip().lower()),
                        )
                    )
        with skill_listing, st.spinner(_("Loading technicians…")):
            skill_table = admin.skill_matrix(engine(), actor).drop(columns=["id"])
            # one column per skill, headed by its code (tenant data, as the form above names it)
            table(skill_table, column_config={c: c for c in skill_table.columns if c in known_skills})
            st.caption(
                _("Levels run from 1 (junior) to 5 (expert); an empty cell means the technician lacks the skill.")
            )
