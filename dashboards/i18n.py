"""The UI's language: what this browser session reads, and ``_()`` to translate a message into it.

The customer-facing pages (sign in, request a repair, track a repair, my repairs), Home, the technician's My day
and the navigation are translated; the other staff pages are English for now. The choice is made in the
sidebar and starts from the company's language.
"""

from __future__ import annotations

import streamlit as st

from ops_db.i18n import LOCALES, VALUE_LABELS, gettext_for

LOCALE_KEY = "ui_locale"
NATIVE_NAMES = {"en": "English", "ru": "Русский", "pt_BR": "Português (Brasil)", "zh_CN": "简体中文"}


def ui_locale() -> str:
    """The language of this session (English until someone picks another or the company's is set)."""
    chosen = st.session_state.get(LOCALE_KEY)
    return chosen if chosen in LOCALES else "en"


def _(message: str) -> str:
    """``message`` in the session's language."""
    return gettext_for(ui_locale())(message)


def language_picker(company_locale: str | None) -> None:
    """The sidebar's language choice, starting from the company's language."""
    if LOCALE_KEY not in st.session_state:
        st.session_state[LOCALE_KEY] = company_locale if company_locale in LOCALES else "en"
    st.sidebar.selectbox("Language · Язык · Idioma · 语言", LOCALES, format_func=NATIVE_NAMES.__getitem__,
                         key=LOCALE_KEY)


def stage_words(value: str) -> str:
    """A stored stage or status ("awaiting_parts", "partially_paid") as words in the session's language."""
    return _(VALUE_LABELS.get(value, value.replace("_", " ")))
