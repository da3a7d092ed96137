"""The UI's language: what this browser session reads, and ``_()`` to translate a message into it.

Every page is translated (English, Russian, Brazilian Portuguese, Simplified Chinese): its words through
``_()``, table headings and stored codes through ``dashboards.widgets.table``, money, numbers and dates through
``money_text``/``number_text``/``day_text``. The choice is made in the sidebar and starts from the company's
language; a signed-in person's pick is kept on their account (``users.locale``) and is where their next
sign-in starts.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import streamlit as st

from ops_db.i18n import LOCALES, VALUE_LABELS, day, gettext_for, moment, money, number, value_words
from ops_db.kit.dates import company_today
from ops_db.kit.errors import RepairOpsError, Verbatim

LOCALE_KEY = "ui_locale"
NEXT_LOCALE_KEY = "ui_locale_next"  # the language the next run starts in (a widget's own key is set only before it)
ZONE_KEY = "company_time_zone"  # the zone of the company this session shows (set with its branding, every run)
NATIVE_NAMES = {"en": "English", "ru": "Русский", "pt_BR": "Português (Brasil)", "zh_CN": "简体中文"}


def ui_locale() -> str:
    """The language of this session (English until someone picks another or the company's is set)."""
    chosen = st.session_state.get(LOCALE_KEY)
    return chosen if chosen in LOCALES else "en"


def _(message: str) -> str:
    """``message`` in the session's language."""
    return gettext_for(ui_locale())(message)


def language_picker(company_locale: str | None, on_change: Callable[[], None] | None = None) -> None:
    """The sidebar's language choice, starting from the company's language (``on_change`` runs when the
    reader picks another: a signed-in person's choice is kept on their account)."""
    if LOCALE_KEY not in st.session_state:
        st.session_state[LOCALE_KEY] = company_locale if company_locale in LOCALES else "en"
    if (wanted := st.session_state.pop(NEXT_LOCALE_KEY, None)) in LOCALES:  # set before the widget exists
        st.session_state[LOCALE_KEY] = wanted
    st.sidebar.selectbox(
        "Language · Язык · Idioma · 语言",
        LOCALES,
        format_func=NATIVE_NAMES.__getitem__,
        key=LOCALE_KEY,
        on_change=on_change,
    )


def stage_words(value: str) -> str:
    """A stored stage or status ("awaiting_parts", "partially_paid") as words in the session's language."""
    return value_words(value, _)


def humanized(name: str) -> str:
    """A data column's name as English words ("order_number" → "Order number")."""
    words = name.replace("_", " ").strip()
    return words[:1].upper() + words[1:]


def column_label(name: str) -> str:
    """A table column's heading in the session's language."""
    from dashboards.columns import COLUMN_LABELS

    return _(COLUMN_LABELS.get(name, humanized(name)))


def money_text(amount: Decimal | int | float, currency: str) -> str:
    """An amount as the reader's language writes money ("$1,234.50", "1 234,50 $")."""
    return money(amount, currency, ui_locale())


def number_text(value: Decimal | int | float) -> str:
    """A quantity or rate as the reader's language writes it ("2.5", "2,5"; "1,234" / "1 234")."""
    return number(value, ui_locale())


def day_text(value: date) -> str:
    """A date in the reader's language ("Dec 2, 2026", "2 дек. 2026 г.")."""
    return day(value, ui_locale())


def remember_zone(time_zone: str | None) -> None:
    """Keep the time zone of the company this session shows, for every time the pages write (``company_zone``)."""
    st.session_state[ZONE_KEY] = time_zone or "UTC"


def company_zone() -> ZoneInfo:
    """The time zone of the company this session shows: every time a person reads is its wall clock."""
    return ZoneInfo(str(st.session_state.get(ZONE_KEY) or "UTC"))


def today() -> date:
    """The company's today (its date where it works, not the server's): the default day of a page."""
    return company_today(company_zone().key)


def wall_clock(value: datetime, zone: ZoneInfo | None = None) -> datetime:
    """An instant as the company's wall clock without a zone attached, for charts: the browser draws the hours it
    is given (on a UTC scale) instead of moving them into its own zone."""
    return value.astimezone(zone or company_zone()).replace(tzinfo=None)


def moment_text(value: datetime) -> str:
    """An instant as the company's wall clock in the reader's language ("12/2/26, 9:30 AM")."""
    return moment(value, company_zone(), ui_locale())


def clock_text(value: datetime) -> str:
    """An instant's hour and minute on the company's wall clock ("09:30")."""
    return f"{value.astimezone(company_zone()):%H:%M}"


def error_text(error: RepairOpsError) -> str:
    """A service's refusal in the reader's language: its sentence from the catalogs, stored codes in it as words.

    Every screen shows it as markdown, so the fields it names (a customer's name, a file name someone uploaded)
    are escaped with ``widgets.plain``: they read as typed, never as a link or an image."""
    from dashboards.widgets import plain  # widgets imports this module

    t = gettext_for(ui_locale())
    return _escaped_fields(error, plain).in_language(
        t, lambda value: plain(value_words(value, t) if value in VALUE_LABELS else t(value))
    )


def _escaped_fields(error: RepairOpsError, escape: Callable[[str], str]) -> RepairOpsError:
    """A copy of ``error`` whose fields that skip translation (verbatim text, nested errors) are escaped too."""

    def field(value: object) -> object:
        if isinstance(value, RepairOpsError):
            return _escaped_fields(value, escape)
        if isinstance(value, list | tuple):
            return [field(item) for item in value]
        return Verbatim(escape(value)) if isinstance(value, Verbatim) else value

    escaped = copy.copy(error)
    escaped.fields = {name: field(value) for name, value in error.fields.items()}
    return escaped
