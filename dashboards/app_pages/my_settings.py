"""My settings: what each signed-in person decides for themself. Their language (picked in the sidebar, kept on
their account), a second sign-in step with an authenticator app, and how they hear from the shop: staff choose
which notifications also come by email and whether emails arrive at once or as one daily digest; customers
choose the channel, the language of messages and quiet hours."""

from __future__ import annotations

import io
from dataclasses import replace
from datetime import time
from urllib.parse import parse_qs, urlparse

import segno
import streamlit as st

from dashboards.i18n import NATIVE_NAMES, _, stage_words, ui_locale
from dashboards.session import current_actor, engine, signed_in
from dashboards.widgets import inline_code, run_action, show_flash
from ops_db.comms.service import EVENT_LABELS, STAFF_EVENTS, email_choices, set_email_choices
from ops_db.customers.service import CONTACT_CHANNELS, preferences, set_preferences
from ops_db.i18n import LOCALES
from ops_db.identity.service import confirm_totp, enroll_totp, has_second_factor, load_actor
from ops_db.kit.uow import UnitOfWork

TOTP_URI_KEY = "totp_setup_uri"  # the set-up in progress: shown until the first code is confirmed
DEFAULT_DIGEST = time(8, 0)
DEFAULT_QUIET = (time(21, 0), time(8, 0))

actor = current_actor()
assert actor is not None
st.title(_("My settings"))
show_flash()
st.caption(
    _("Your language: {language}. Pick another in the sidebar; your next sign-in starts in it.").format(
        language=NATIVE_NAMES[ui_locale()]
    )
)


def qr_png(uri: str) -> bytes:
    """The set-up link as a QR code an authenticator app can scan."""
    buffer = io.BytesIO()
    segno.make(uri, error="m").save(buffer, kind="png", scale=6, border=2)
    return buffer.getvalue()


def _second_factor() -> None:
    """Start, show and confirm an authenticator app (TOTP); once confirmed, sign-in asks for its code."""
    assert actor is not None
    st.subheader(_("Authenticator app"))
    if actor.second_factor_pending:
        st.warning(_("Your company requires a second sign-in step. Set up an authenticator app to continue."))
    if has_second_factor(UnitOfWork(engine(), actor)):
        st.success(_("Your sign-in asks for a 6-digit code from your authenticator app."))
        return
    uri = st.session_state.get(TOTP_URI_KEY)
    if uri is None:
        st.caption(
            _(
                "Add a second step to your sign-in: a 6-digit code from an app such as Google Authenticator, "
                "Microsoft Authenticator or FreeOTP, so a stolen password alone cannot open your account."
            )
        )
        if st.button(_("Set up an authenticator app"), key="totp_start", icon=":material/qr_code_2:"):
            run_action(
                lambda: st.session_state.__setitem__(TOTP_URI_KEY, enroll_totp(UnitOfWork(engine(), actor))),
                _("Scan the code with your app."),
                busy=_("Preparing…"),
            )
        return
    left, right = st.columns([1, 2])
    left.image(qr_png(str(uri)), width=220)
    key = parse_qs(urlparse(str(uri)).query).get("secret", [""])[0]
    right.markdown(_("Scan the code with your app, or type this key into it: {key}").format(key=inline_code(key)))
    with right.form("totp_confirm"):
        code = st.text_input(_("The 6-digit code your app shows"), key="totp_code")
        if st.form_submit_button(_("Confirm"), type="primary", key="totp_confirm_submit"):

            def confirm() -> None:
                assert actor is not None and actor.user_id is not None
                confirm_totp(UnitOfWork(engine(), actor), code)
                st.session_state.pop(TOTP_URI_KEY, None)  # set up: the page now says so
                if actor.second_factor_pending:  # the code proved the second factor: the whole app opens
                    # Same session: confirming marked it as opened with the second factor.
                    signed_in(
                        replace(load_actor(engine(), actor.tenant_id, actor.user_id), session_id=actor.session_id)
                    )

            run_action(confirm, _("Done: your next sign-in asks for a code."))


def _staff_emails() -> None:
    """Which notifications also come by email, and when."""
    assert actor is not None
    st.subheader(_("Email notifications"))
    current = email_choices(UnitOfWork(engine(), actor))
    with st.form("email_choices"):
        st.caption(_("Every notification shows in the app at once; choose which ones also come by email."))
        emailed = {
            event
            for event in STAFF_EVENTS
            if st.checkbox(_(EVENT_LABELS[event]), value=event in current.emailed, key=f"email_{event}")
        }
        digest = st.radio(
            _("When emails go out"),
            ["now", "digest"],
            horizontal=True,
            key="email_when",
            index=0 if current.digest_at is None else 1,
            format_func=lambda when: _("As it happens") if when == "now" else _("One digest a day"),
        )
        at = st.time_input(
            _("Digest time (the company's time)"),
            value=current.digest_at or DEFAULT_DIGEST,
            step=900,
            key="email_digest_at",
        )
        if st.form_submit_button(_("Save my email choices"), type="primary", key="email_submit"):
            chosen_at = at if digest == "digest" else None
            run_action(
                lambda: set_email_choices(UnitOfWork(engine(), actor), emailed, chosen_at),
                _("Your email choices are saved."),
            )


def _customer_contact() -> None:
    """How the shop contacts this customer: channel, language of messages, quiet hours."""
    assert actor is not None and actor.customer_id is not None
    customer_id = actor.customer_id
    st.subheader(_("How we contact you"))
    current = preferences(UnitOfWork(engine(), actor), customer_id)
    channel_now = str(current.channel) if current is not None else "email"
    language_now = current.language if current is not None and current.language in LOCALES else ui_locale()
    quiet_now = (current.quiet_hours_start, current.quiet_hours_end) if current is not None else (None, None)
    with st.form("contact_preferences"):
        left, right = st.columns(2)
        channel = left.selectbox(
            _("Channel"),
            CONTACT_CHANNELS,
            format_func=stage_words,
            key="contact_channel",
            index=CONTACT_CHANNELS.index(channel_now) if channel_now in CONTACT_CHANNELS else 0,
        )
        language = right.selectbox(
            _("Language of messages"),
            LOCALES,
            format_func=NATIVE_NAMES.__getitem__,
            index=LOCALES.index(language_now),
            key="contact_language",
        )
        quiet = st.checkbox(
            _("Quiet hours: hold messages until they end"), value=quiet_now[0] is not None, key="contact_quiet"
        )
        start_col, end_col = st.columns(2)
        start = start_col.time_input(
            _("From"), value=quiet_now[0] or DEFAULT_QUIET[0], step=900, key="contact_quiet_from"
        )
        end = end_col.time_input(
            _("Until"), value=quiet_now[1] or DEFAULT_QUIET[1], step=900, key="contact_quiet_until"
        )
        if st.form_submit_button(_("Save"), type="primary", key="contact_submit"):
            run_action(
                lambda: set_preferences(
                    UnitOfWork(engine(), actor),
                    customer_id,
                    channel=str(channel),
                    language=str(language),
                    quiet_from=start if quiet else None,
                    quiet_until=end if quiet else None,
                ),
                _("Saved: we contact you that way from now on."),
            )


_second_factor()
if actor.second_factor_pending:
    st.stop()  # the rest waits until the second factor is set up
if actor.is_customer:
    _customer_contact()
else:
    _staff_emails()
