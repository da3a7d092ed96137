"""Every page in every language (AppTest, real Postgres and warehouse): each renders without an error, its
words come from the catalog (no English message shows untranslated, every table column has a heading), and
tracking an order reads in the chosen language."""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text
from streamlit.testing.v1 import AppTest

from dashboards.columns import COLUMN_LABELS
from ops_db import i18n
from ops_db.kit import db
from tests.dashboards.conftest import APP, demo_actor

TRANSLATED = tuple(locale for locale in i18n.LOCALES if locale != "en")
PUBLIC_PAGES = {
    "app_pages/sign_in.py": "Sign in to RepairOps",
    "app_pages/request.py": "Request a repair",
    "app_pages/track.py": "Track a repair",
}


def _as(demo_db: str, email: str, locale: str) -> AppTest:
    """The app run once as this demo login, reading ``locale``."""
    app = AppTest.from_file(APP, default_timeout=120)
    app.session_state["actor"] = demo_actor(demo_db, email)
    app.session_state["ui_locale"] = locale
    return app.run()


def _visitor(locale: str) -> AppTest:
    app = AppTest.from_file(APP, default_timeout=120)
    app.session_state["ui_locale"] = locale
    return app.run()


@pytest.mark.parametrize("locale", i18n.LOCALES)
def test_every_public_page_renders_in_every_language(ops_env: Path, locale: str) -> None:
    t = i18n.gettext_for(locale)
    for page, title in PUBLIC_PAGES.items():
        # A fresh session per page: AppTest re-sends every widget's value formatted with str(), which a
        # translated selectbox (English values, translated labels) cannot match on the next page.
        app = _visitor(locale)
        app.switch_page(page).run()
        assert not app.exception, (locale, page)
        assert app.title[0].value == t(title)
        assert app.selectbox(key="ui_locale").value == locale


def test_tracking_reads_in_russian(ops_env: Path, demo_db: str) -> None:
    with db.admin_engine(demo_db).connect() as conn:
        number, code = (
            conn.execute(
                text("SELECT order_number, tracking_code FROM service_orders WHERE stage = 'ready' ORDER BY id LIMIT 1")
            )
            .tuples()
            .one()
        )
    app = _visitor("ru")
    app.switch_page("app_pages/track.py").run()
    app.text_input[1].input(number)
    app.text_input[2].input(code)
    app.button[0].click().run()
    assert not app.exception
    assert app.subheader[0].value == f"{number}: готов"
    labels = {m.label: m.value for m in app.metric}
    assert labels["Ожидается"] == "готов к выдаче" and "Сумма на сейчас" in labels


@pytest.mark.parametrize("locale", TRANSLATED)
def test_a_refusal_reads_in_the_readers_language(ops_env: Path, demo_db: str, locale: str) -> None:
    t = i18n.gettext_for(locale)
    with db.admin_engine(demo_db).connect() as conn:
        number = conn.execute(text("SELECT order_number FROM service_orders ORDER BY id LIMIT 1")).scalar_one()
    app = _visitor(locale)
    app.switch_page("app_pages/track.py").run()
    app.text_input[1].input(number)
    app.text_input[2].input("not-the-code")
    app.button[0].click().run()
    assert [e.value for e in app.error] == [t("No order matches that number and code.")]
    app = _visitor(locale)
    app.text_input[1].input("nobody@riverside.example")
    app.text_input[2].input("wrong")
    app.button[0].click().run()
    assert [e.value for e in app.error] == [t("The email, password or code is not correct.")]
    assert t("The email, password or code is not correct.") != "The email, password or code is not correct."


@pytest.mark.parametrize("locale", i18n.LOCALES)
def test_a_customers_own_page_renders_in_every_language(ops_env: Path, demo_db: str, locale: str) -> None:
    app = _as(demo_db, "customer1@mail.example", locale)
    assert not app.exception
    t = i18n.gettext_for(locale)
    assert app.title[0].value == t("My repairs")
    assert [tab.label for tab in app.tabs] == [t("Repairs"), t("Devices and warranties")]


@pytest.mark.parametrize("locale", i18n.LOCALES)
def test_a_technicians_day_renders_in_every_language(ops_env: Path, demo_db: str, locale: str) -> None:
    app = _as(demo_db, "tech1@riverside.example", locale)
    app.switch_page("app_pages/my_day.py").run()
    assert not app.exception
    assert app.title[0].value == i18n.gettext_for(locale)("My day")


@pytest.mark.parametrize("locale", i18n.LOCALES)
def test_the_managers_home_renders_in_every_language(ops_env: Path, demo_db: str, locale: str) -> None:
    app = _as(demo_db, "manager@riverside.example", locale)
    assert not app.exception
    t = i18n.gettext_for(locale)
    assert app.title[0].value == t("Today")
    assert app.expander[0].label.startswith(t("Ready but not collected"))


# One login per kind of reader: the admin gets every staff page, then a technician and a customer theirs.
READERS = ("admin@riverside.example", "tech1@riverside.example", "customer1@mail.example")


def _nodes(node: Any) -> Iterator[Any]:
    yield node
    children = getattr(node, "children", None)
    if isinstance(children, dict):
        for child in children.values():
            yield from _nodes(child)


def shown_texts(app: AppTest) -> set[str]:
    """Every text the page puts before the reader outside its tables: headings, captions, markdown, messages,
    and each widget's label, placeholder and help."""
    found: set[str] = set()
    for node in _nodes(app._tree):
        kind = getattr(node, "type", "")
        for attribute in ("label", "placeholder", "help"):
            try:
                value = getattr(node, attribute, None)
            except Exception:  # some elements compute these from parts a test run does not fill
                value = None
            if isinstance(value, str):
                found.add(value)
        if kind in ("markdown", "title", "header", "subheader", "caption", "alert", "toast", "metric", "text"):
            value = getattr(node, "value", None)
            if isinstance(value, str):
                found.add(value)
    return {t.strip() for t in found if t and t.strip()}


@cache
def _english_patterns(locale: str) -> list[tuple[str, re.Pattern[str]]]:
    """Each catalog message that reads differently in ``locale``, as a pattern of its English text (placeholders
    match anything), so an English message drawn without ``_()`` is caught with its values filled in."""
    t = i18n.gettext_for(locale)
    patterns = []
    for message in sorted(i18n.source_messages()):
        words = re.sub(r"\{[^}]*\}", "", message)
        if t(message) == message or not re.search(r"[a-z]{3,}", words):
            continue
        parts = re.split(r"\{[^}]*\}", message)
        patterns.append((message, re.compile("(.+?)".join(re.escape(p) for p in parts) + r"\Z", re.S)))
    return patterns


def english_leaks(texts: set[str], locale: str) -> list[str]:
    """The texts that are an English catalog message (bare or in markdown bold), untranslated."""
    leaks = []
    for shown in texts:
        for candidate in {shown, shown.strip("*: "), re.sub(r"\*\*", "", shown)}:
            if any(pattern.match(candidate) for _, pattern in _english_patterns(locale)):
                leaks.append(shown)
                break
    return sorted(leaks)


def unlabelled_columns(app: AppTest, named_by_data: set[str]) -> set[str]:
    """Table columns with no heading in ``dashboards/columns.py`` (they would show their data name), leaving out
    the matrices' columns that are data themselves (a role or skill per column, headed by its own name)."""
    columns: set[str] = set()
    for frame in [*app.dataframe]:
        columns |= {str(c) for c in frame.value.columns}
    return columns - set(COLUMN_LABELS) - named_by_data


def _columns_named_by_data(demo_db: str) -> set[str]:
    with db.admin_engine(demo_db).connect() as conn:
        return {str(code) for (code,) in conn.execute(text("SELECT code FROM roles UNION SELECT code FROM skills"))}


def test_the_leak_check_sees_an_english_message_with_its_values_filled_in() -> None:
    assert english_leaks({"Jobs: 3", "**My day**", "Мой день", "RO-1"}, "ru") == ["**My day**", "Jobs: 3"]


@pytest.mark.slow
@pytest.mark.parametrize("locale", TRANSLATED)
def test_every_page_reads_in_every_language(ui_env: Path, demo_db: str, locale: str) -> None:
    from dashboards.session import visible_pages

    t = i18n.gettext_for(locale)
    named_by_data = _columns_named_by_data(demo_db)
    problems: dict[str, object] = {}
    for email in READERS:
        actor = demo_actor(demo_db, email)
        for page in visible_pages(actor):
            app = AppTest.from_file(APP, default_timeout=120)
            app.session_state["actor"] = actor
            app.session_state["ui_locale"] = locale
            app.switch_page(page.path).run()
            where = f"{email} {page.path}"
            if app.exception:
                problems[where] = [e.value for e in app.exception]
                continue
            if app.title and app.title[0].value == page.title and t(page.title) != page.title:
                problems[f"{where} title"] = app.title[0].value
            if leaks := english_leaks(shown_texts(app), locale):
                problems[f"{where} English"] = leaks
            if missing := unlabelled_columns(app, named_by_data):
                problems[f"{where} columns"] = sorted(missing)
    assert problems == {}
