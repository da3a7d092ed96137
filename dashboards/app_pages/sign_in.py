"""Sign in with company, email, password and (when required) a TOTP code."""

from __future__ import annotations

import streamlit as st

from dashboards.i18n import _, error_text
from dashboards.session import DEFAULT_TENANT, TENANT_KEY, engine, signed_in
from ops_db.identity.service import authenticate, resolve_tenant
from ops_db.kit.addresses import client_address, is_trusted, trusted_networks
from ops_db.kit.errors import RepairOpsError
from ops_db.settings import get_settings


def _browser_address() -> str | None:
    """Where the browser connects from, for the sign-in throttle: the connection's peer, or behind the trusted
    proxies (REPAIROPS_TRUSTED_PROXIES) the X-Forwarded-For address they vouch for; None when it cannot be told
    (Streamlit hides a loopback peer, which stands for everyone behind an untrusted local proxy)."""
    networks = trusted_networks(get_settings().trusted_proxies)
    peer = _text(st.context.ip_address)
    if peer is None and not is_trusted("127.0.0.1", networks):
        return None
    forwarded = [h for h in st.context.headers.get_all("X-Forwarded-For") if isinstance(h, str)]
    return client_address(peer or "127.0.0.1", forwarded, networks)


def _text(value: object) -> str | None:
    """A context value when it is text (a test harness may hand back a stand-in object)."""
    return value if isinstance(value, str) else None


st.title(_("Sign in to RepairOps"))
with st.form("sign_in"):
    company = st.text_input(_("Company"), value=st.session_state.get(TENANT_KEY, DEFAULT_TENANT))
    email = st.text_input(_("Email"))
    password = st.text_input(_("Password"), type="password")
    code = st.text_input(_("Authenticator code (if your company requires one)"))
    submitted = st.form_submit_button(_("Sign in"), type="primary")
if submitted:
    try:
        tenant_id = resolve_tenant(engine(), company.strip().lower())
        # The address and browser go with the attempt: failures are slowed down per account and per address.
        signed = authenticate(
            engine(),
            tenant_id,
            email,
            password,
            code.strip() or None,
            allow_enrolment=True,
            ip_address=_browser_address(),
            user_agent=_text(st.context.headers.get("User-Agent")),
        )
    except RepairOpsError as error:
        st.error(error_text(error))
    else:
        signed_in(signed.actor)
        st.session_state[TENANT_KEY] = company.strip().lower()
        st.rerun()
st.caption(_("Customers can follow a repair without an account: **Track a repair**."))
