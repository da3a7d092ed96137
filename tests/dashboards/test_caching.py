"""The pages' caches never serve one company's or one person's data to another, and never outlive a write.

Two companies share this module's database: the demo company (Riverside, with its warehouse) and a second one
provisioned here (Northside, one of everything: an invoice, a payment). Each test reads as one of them first, so
the cache holds that company's entries, then as the other.
"""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from dashboards import caching
from dashboards.data import analytics, billing
from ops_db.billing.service import record_payment
from ops_db.identity.service import authenticate
from ops_db.kit import db
from ops_db.kit.errors import PermissionDenied
from ops_db.kit.uow import Actor, UnitOfWork
from tests.companies import Company, build
from tests.conftest import Shop
from tests.dashboards.conftest import APP, demo_actor

PASSWORD = "person-pass-1"  # tests.conftest.Shop.person's
ZONE = ZoneInfo("America/Chicago")  # the demo company's


@pytest.fixture(scope="module")
def northside(ui_env: Path, demo_db: str) -> tuple[Shop, Company]:
    """A second company in the demo database, with an invoice and a payment of its own."""
    shop = Shop(demo_db, slug="northside")
    return shop, build(shop)


@pytest.fixture(autouse=True)
def empty_caches(ui_env: Path) -> Iterator[None]:
    """Each test starts with nothing cached, so what it proves does not hang on another test's reads."""
    st.cache_data.clear()
    yield
    st.cache_data.clear()


def _signed_in(shop: Shop, role: str) -> Actor:
    """A new person of ``role`` at ``shop``, signed in (with a session, as the web app has)."""
    person = shop.person(role)
    engine = db.app_engine(shop.url)
    email = f"{role}{shop._users}@{shop.slug}.example"
    signed = authenticate(engine, shop.tenant_id, email, PASSWORD).actor
    assert signed.user_id == person.user_id
    return signed


def _page(actor: Actor, page: str) -> AppTest:
    app = AppTest.from_file(APP, default_timeout=120)
    app.session_state["actor"] = actor
    app.run()
    app.switch_page(f"app_pages/{page}.py").run()
    assert not app.exception, app.exception
    return app


def _invoice_numbers(app: AppTest) -> set[str]:
    """The invoice numbers the Billing page lists."""
    for shown in app.dataframe:
        frame = shown.value
        if {"invoice_number", "paid", "due"} <= set(frame.columns):
            return set(frame["invoice_number"])
    raise AssertionError("no invoice list on the page")


def test_billing_never_shows_another_companys_cached_invoices(demo_db: str, northside: tuple[Shop, Company]) -> None:
    shop, company = northside
    riverside = _invoice_numbers(_page(demo_actor(demo_db, "finance@riverside.example"), "billing"))
    theirs = _invoice_numbers(_page(_signed_in(shop, "finance"), "billing"))
    # The same page, the same filters, read right after Riverside's filled the cache.
    with db.admin_engine(demo_db).connect() as conn:
        (own,) = conn.exec_driver_sql("SELECT invoice_number FROM invoices WHERE id = %s", (company.invoice,)).one()
    assert riverside and own not in riverside
    assert theirs == {own}
    # And the other way round: Riverside after Northside still sees only its own.
    assert _invoice_numbers(_page(demo_actor(demo_db, "finance@riverside.example"), "billing")) == riverside


def test_analytics_never_shows_another_companys_cached_figures(demo_db: str, northside: tuple[Shop, Company]) -> None:
    shop, _company = northside
    riverside = _page(demo_actor(demo_db, "manager@riverside.example"), "analytics").dataframe[0].value
    assert len(riverside) > 0  # Finance's monthly summary, now cached for Riverside's manager's rights
    theirs = _page(_signed_in(shop, "manager"), "analytics").dataframe[0].value
    assert "month_start" in theirs.columns and theirs.empty  # the warehouse has no Northside rows


def test_a_cached_read_still_refuses_whom_it_refused(demo_db: str) -> None:
    engine = db.app_engine(demo_db)
    invoices = caching.cached(billing.invoices)
    finance = demo_actor(demo_db, "finance@riverside.example")
    assert not invoices(engine, finance, ZONE).empty  # cached for finance's rights
    technician = demo_actor(demo_db, "tech1@riverside.example")
    with pytest.raises(PermissionDenied):
        invoices(engine, technician, ZONE)  # the same read, company and data version: still refused
    monthly = caching.warehouse_cached(analytics.monthly_finance)
    assert not monthly(demo_actor(demo_db, "manager@riverside.example")).empty
    with pytest.raises(PermissionDenied):
        monthly(technician)


def test_a_write_makes_the_cached_read_new(demo_db: str) -> None:
    engine = db.app_engine(demo_db)
    finance = demo_actor(demo_db, "finance@riverside.example")
    invoices = caching.cached(billing.invoices)
    first = invoices(engine, finance, ZONE, status="issued").iloc[0]
    number = str(first["invoice_number"])
    paid = Decimal(str(invoices(engine, finance, ZONE, search=number).iloc[0]["paid"]))
    before = caching.data_version(engine, finance)
    record_payment(UnitOfWork(engine, finance), int(first["id"]), "1.00", "cash", f"cache-{number}")
    assert caching.data_version(engine, finance) > before
    # The very same read (same arguments, so the same entry had the version stayed) shows the payment.
    assert Decimal(str(invoices(engine, finance, ZONE, search=number).iloc[0]["paid"])) == paid + Decimal("1.00")
