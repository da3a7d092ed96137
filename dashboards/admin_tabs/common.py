"""What several Admin tabs share: running a service call, the read-only note, and codes shown as words."""

from __future__ import annotations

from collections.abc import Callable

import streamlit as st

from dashboards.i18n import _, stage_words
from dashboards.widgets import forget_submission, submit
from ops_db.comms.service import EVENT_LABELS
from ops_db.i18n import N_

# Where a notification text comes from, and the built-in texts' channel.
SOURCE_WORDS = {"tenant": N_("tenant"), "built-in": N_("built-in"), "any": N_("any")}
# Branding settings the company form writes, as words (other keys show as they are stored).
BRAND_SETTINGS = {"primary_color": N_("Primary colour"), "logo_text": N_("Logo text")}


def event_words(event: str) -> str:
    """A notification event's code ("order_ready") as words in the reader's language."""
    return _(EVENT_LABELS.get(event, event.replace("_", " ")))


def source_words(value: str) -> str:
    """Where a template's text comes from (or its channel) as words."""
    return _(SOURCE_WORDS[value]) if value in SOURCE_WORDS else stage_words(value)


def roles_words(codes: object) -> str:
    """A user's roles ("finance, inventory") as words."""
    return ", ".join(stage_words(code) for code in str(codes or "").split(", ") if code)


def brand_setting(key: str) -> str:
    """A branding setting's key as words."""
    return _(BRAND_SETTINGS[key]) if key in BRAND_SETTINGS else key.replace("_", " ")


def attempt(call: Callable[[], object], working: str) -> bool:
    """Run one service call with a spinner, once per submission (a second click that reruns the page while the
    first is carried out finds it done: dashboards.widgets.submit); on refusal show its one sentence and report
    failure."""
    form = f"attempt:{working}"
    if submit(form, call, busy=working) is None:  # markdown: ours (every caller's text is checked where written)
        return False
    forget_submission(form)
    return True


def read_only(reason: str) -> None:
    """``reason`` is already in the reader's language."""
    st.caption(":material/lock: " + _("Read-only: {reason}").format(reason=reason))  # markdown: ours (callers')
