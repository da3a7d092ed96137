"""The customer-facing pages and the navigation in every language (AppTest, real Postgres): each renders
without an error, its words come from the catalog, and tracking an order reads in the chosen language."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import text
from streamlit.testing.v1 import AppTest

from ops_db import i18n
from ops_db.kit import db
from tests.dashboards.conftest import APP, demo_actor

PUBLIC_PAGES = {"app_pages/sign_in.py": "Sign in to RepairOps", "app_pages/request.py": "Request a repair",
                "app_pages/track.py": "Track a repair"}


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
        number, code = conn.execute(text("SELECT order_number, tracking_code FROM service_orders "
                                          "WHERE stage = 'ready' ORDER BY id LIMIT 1")).one()
    app = _visitor("ru")
    app.switch_page("app_pages/track.py").run()
    app.text_input[1].input(number)
    app.text_input[2].input(code)
    app.button[0].click().run()
    assert not app.exception
    assert app.subheader[0].value == f"{number}: готов"
    labels = {m.label: m.value for m in app.metric}
    assert labels["Ожидается"] == "готов к выдаче" and "Сумма на сейчас" in labels


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
