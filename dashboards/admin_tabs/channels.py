"""The company's own channels, webhooks and Stripe account."""

from __future__ import annotations

from functools import partial

import streamlit as st

from dashboards.admin_tabs.common import (
    attempt,
)
from dashboards.data import admin
from dashboards.i18n import _, error_text, stage_words
from dashboards.session import engine
from dashboards.widgets import done_and_rerun, inline_code, table
from ops_db.billing.stripe_payments import configure_stripe, stripe_account
from ops_db.comms.service import (
    configure_channel,
)
from ops_db.comms.webhooks import add_endpoint
from ops_db.identity.queries import Branding
from ops_db.kit.errors import RepairOpsError
from ops_db.kit.uow import Actor, UnitOfWork

EXAMPLE_ENDPOINT = "https://example.com/repairops"  # a placeholder URL, not language
STRIPE_KEY_FORM, STRIPE_SIGNING_FORM = "sk_live_…", "whsec_…"  # how Stripe's keys begin, not language


def _online_payments(actor: Actor, brand: Branding | None) -> None:
    """The company's own Stripe account: money paid online lands there instead of the server's account."""
    st.subheader(_("Online payments (Stripe)"))
    account = stripe_account(UnitOfWork(engine(), actor))
    slug = brand.slug if brand is not None else "…"
    if account is None:
        st.caption(
            _(
                "Customers pay online into the server's Stripe account, if the server has one. Enter the "
                "company's own keys to take payments into its own account."
            )
        )
    else:
        state = _("active") if account.is_active else _("switched off")
        st.caption(
            _("The company's own account, key {key} ({state}).").format(  # markdown: ours (state)
                key=inline_code(account.key_hint), state=state
            )
        )
    st.caption(
        _(
            "In Stripe, send the event checkout.session.completed to {path} on the RepairOps API and copy "
            "that endpoint's signing secret here."
        ).format(path=inline_code(f"POST /api/v1/webhooks/stripe/{slug}"))
    )
    with st.form("stripe_edit"):
        left, right = st.columns(2)
        key = left.text_input(_("Secret key"), type="password", placeholder=STRIPE_KEY_FORM, key="stripe_key")
        signing = right.text_input(
            _("Webhook signing secret"),
            type="password",
            placeholder=STRIPE_SIGNING_FORM,
            key="stripe_signing",
        )
        active = st.checkbox(_("Take online payments into this account"), value=True, key="stripe_active")
        if st.form_submit_button(_("Save the Stripe account"), key="stripe_submit") and attempt(
            partial(configure_stripe, UnitOfWork(engine(), actor), key, signing, is_active=active), _("Saving…")
        ):
            done_and_rerun(_("The company's Stripe account is saved."), "stripe_key", "stripe_signing")


def show(actor: Actor, brand: Branding | None) -> None:
    """The channels and webhooks tab."""
    if not actor.can("settings.manage"):
        st.info(_("You do not have access to the company's channels and webhooks."))
    else:
        st.subheader(_("Own channels"))
        table(admin.channels(engine(), actor))
        st.caption(
            _(
                "Messages go out on the server's email unless the company has its own sender here: any "
                "apprise URL with `{address}` where the recipient goes, e.g. "
                "`twilio://SID:TOKEN@+15550001111/{address}` for SMS."
            )
        )
        with st.form("channel_edit"):
            left, right = st.columns([1, 3])
            channel = left.selectbox(
                _("Channel"), ["sms", "whatsapp", "email"], key="channel_kind", format_func=stage_words
            )
            url = right.text_input(_("Apprise URL"), type="password", key="channel_url")
            active = st.checkbox(_("Active"), value=True, key="channel_active")
            if st.form_submit_button(_("Save the channel")) and attempt(
                partial(configure_channel, UnitOfWork(engine(), actor), str(channel), url, is_active=active),
                _("Checking the URL…"),
            ):
                done_and_rerun(
                    _("The {channel} channel is saved.").format(channel=stage_words(str(channel))), "channel_url"
                )
        st.subheader(_("Webhooks"))
        table(admin.webhook_endpoints(engine(), actor))
        st.caption(
            _(
                "Every order event is POSTed as JSON, signed `X-RepairOps-Signature: t=…,v1=…` "
                "(HMAC-SHA256 of `t.body`), with `X-RepairOps-Event-Id` to drop duplicates."
            )
        )
        with st.form("webhook_add"):
            hook_url = st.text_input(_("Endpoint URL"), placeholder=EXAMPLE_ENDPOINT, key="webhook_url")
            if st.form_submit_button(_("Add the endpoint")):
                try:
                    _token, secret = add_endpoint(UnitOfWork(engine(), actor), hook_url)
                except RepairOpsError as error:
                    st.error(error_text(error))
                else:
                    st.success(_("Endpoint added. Its signing secret is shown once; keep it in the receiving system:"))
                    st.code(secret, language="text")
        _online_payments(actor, brand)
