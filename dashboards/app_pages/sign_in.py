"""Sign in with company, email, password and (when required) a TOTP code."""

from __future__ import annotations

import streamlit as st

from dashboards.i18n import _, error_text
from dashboards.session import DEFAULT_TENANT, TENANT_KEY, engine, signed_in
from ops_db.identity.service import authenticate, resolve_tenant
from ops_db.kit.errors import RepairOpsError

st.title(_("Sign in to RepairOps"))
with st.form("sign_in"):
    company = st.text_input(_("Company"), value=st.session_state.get(TENANT_KEY, DEFAULT_TENANT), max_chars=64)
    email = st.text_input(_("Email"), max_chars=254)
    password = st.text_input(_("Password"), type="password", max_chars=200)
    code = st.text_input(_("Authenticator code (if your company requires one)"), max_chars=6)
    submitted = st.form_submit_button(_("Sign in"), type="primary")
if submitted:
    try:
        tenant_id = resolve_tenant(engine(), company.strip().lower())
        signed = authenticate(engine(), tenant_id, email, password, code.strip() or None, allow_enrolment=True)
    except RepairOpsError as error:
        st.error(error_text(error))
    else:
        signed_in(signed.actor)
        st.session_state[TENANT_KEY] = company.strip().lower()
        st.rerun()
st.caption(_("Customers can follow a repair without an account: **Track a repair**."))
