"""Users: create one, grant roles, unlock an account, and the list of users."""

from __future__ import annotations

from functools import partial

import pandas as pd
import streamlit as st

from dashboards.admin_tabs.common import (
    attempt,
    roles_words,
)
from dashboards.data import admin
from dashboards.i18n import _, moment_text, number_text, stage_words
from dashboards.session import engine
from dashboards.widgets import plain, table
from ops_db.identity.service import create_user, grant_roles, unlock_user
from ops_db.kit.uow import Actor, UnitOfWork


def show(actor: Actor) -> pd.DataFrame:
    """The users tab; returns the role × permission matrix it read (the roles tab shows it)."""
    listing = st.container()
    include_customers = listing.checkbox(_("Include customer portal logins"), value=False, key="show_customer_logins")
    with st.spinner(_("Loading roles…")):
        matrix = admin.role_matrix(engine(), actor)
    if actor.can("identity.manage_users"):
        offered = admin.grantable_roles(matrix, actor)
        st.subheader(_("Create a user"))
        with st.form("create_user_form"):
            left, right = st.columns(2)
            email = left.text_input(_("Email"), key="new_user_email")
            full_name = right.text_input(_("Full name"), key="new_user_name")
            password = left.text_input(
                _("Initial password (at least 8 characters)"), type="password", key="new_user_password"
            )
            chosen = right.multiselect(_("Roles"), offered, key="new_user_roles", format_func=stage_words)
            create = st.form_submit_button(_("Create the user"), type="primary", key="create_user_submit")
        if create and attempt(
            partial(create_user, UnitOfWork(engine(), actor), email, full_name, password, list(chosen)),
            _("Creating the user…"),
        ):
            st.success(
                _("{email} can now sign in with the roles {roles}.").format(
                    email=plain(email.strip()), roles=", ".join(stage_words(r) for r in sorted(chosen))
                )
            )
        st.caption(
            _(
                "Customer portal logins belong to a customer record and are not created here; roles that "
                "carry a permission you lack are not offered."
            )
        )

        people = admin.users(engine(), actor)  # read after a creation, so the new user can be chosen below
        staff = people[~people["customer_login"].astype(bool)]
        user_labels = {int(r.id): f"{r.email} · {r.name}" for r in staff.itertuples()}
        st.subheader(_("Grant more roles"))
        with st.form("grant_roles_form"):
            left, right = st.columns(2)
            grantee = left.selectbox(
                _("User"), list(user_labels), key="grant_user", format_func=lambda i: user_labels.get(i, str(i))
            )
            more = right.multiselect(_("Roles to add"), offered, key="grant_roles", format_func=stage_words)
            grant = st.form_submit_button(_("Grant the roles"), key="grant_submit")
        if grant:
            if grantee not in user_labels:
                st.error(_("Choose a user first."))
            elif not more:
                st.error(_("Choose at least one role to grant."))
            elif attempt(
                partial(grant_roles, UnitOfWork(engine(), actor), int(grantee), list(more)), _("Granting the roles…")
            ):
                st.success(
                    _("{user} now also has {roles}.").format(
                        user=plain(user_labels[int(grantee)].split(" · ")[0]),
                        roles=", ".join(stage_words(r) for r in sorted(more)),
                    )
                )

        st.subheader(_("Unlock an account"))
        locked = people[people["locked"].astype(bool)]
        if locked.empty:
            st.caption(_("No account is locked right now."))
        else:
            locked_labels = {
                int(r.id): f"{r.email} · " + _("locked until {time}").format(time=moment_text(r.locked_until))
                for r in locked.itertuples()
            }
            locked_emails = {int(r.id): str(r.email) for r in locked.itertuples()}
            left, right = st.columns([3, 1])
            to_unlock = left.selectbox(
                _("Locked account"),
                list(locked_labels),
                key="unlock_user",
                format_func=lambda i: locked_labels.get(i, str(i)),
            )
            if (
                right.button(_("Unlock"), key="unlock_submit")
                and to_unlock in locked_labels
                and attempt(partial(unlock_user, UnitOfWork(engine(), actor), int(to_unlock)), _("Unlocking…"))
            ):
                st.success(_("{email} can sign in again.").format(email=plain(locked_emails[int(to_unlock)])))
    with listing, st.spinner(_("Loading users…")):
        shown = admin.users(engine(), actor, include_customers=include_customers)
        table(
            shown.drop(columns=["id"]).assign(roles=shown["roles"].map(roles_words)),
            column_config={
                "locked_until": st.column_config.DatetimeColumn(),
                "last_login_at": st.column_config.DatetimeColumn(),
                "totp_enrolled": st.column_config.CheckboxColumn(_("TOTP set up")),
                "customer_login": st.column_config.CheckboxColumn(),
            },
        )
        st.caption(
            _("{users} users · {locked} locked · {totp} with a second factor").format(
                users=number_text(len(shown)),
                locked=number_text(int(shown["locked"].sum())),
                totp=number_text(int(shown["totp_enrolled"].sum())),
            )
        )
    return matrix
