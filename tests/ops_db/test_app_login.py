"""The application logs in as its own role: no superuser to fall back to, so RESET ROLE escapes nothing."""

from __future__ import annotations

import psycopg
import pytest
from psycopg import errors
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from ops_db.identity.service import authenticate, resolve_tenant
from ops_db.kit.db import admin_engine, app_engine, app_url, ensure_app_login, tenant_session
from ops_db.kit.errors import ConfigurationError
from tests.conftest import Shop, conninfo


@pytest.fixture
def two_shops(migrated_db: str) -> tuple[Shop, Shop]:
    acme = Shop(migrated_db, slug="acme")
    globex = Shop(migrated_db, slug="globex")
    with globex.uow() as uow:
        uow.session.execute(
            text("INSERT INTO customers (tenant_id, kind, name) VALUES (:t, 'person', 'Gina')"), {"t": globex.tenant_id}
        )
        uow.commit()
    return acme, globex


def test_the_app_signs_in_as_its_own_role_which_is_no_superuser(two_shops: tuple[Shop, Shop]) -> None:
    acme, _ = two_shops
    with app_engine(acme.url).connect() as conn:
        row = conn.execute(
            text(
                "SELECT current_user, session_user, r.rolsuper, r.rolbypassrls, r.rolcreatedb, r.rolcreaterole,"
                " r.rolcanlogin FROM pg_roles r WHERE r.rolname = session_user"
            )
        ).one()
    assert tuple(row) == ("repairops_app", "repairops_app", False, False, False, False, True)
    with admin_engine(acme.url).connect() as conn:
        owners = conn.execute(
            text(
                "SELECT DISTINCT pg_get_userbyid(relowner) FROM pg_class c JOIN pg_namespace n"
                " ON n.oid = c.relnamespace WHERE n.nspname = 'public' AND relkind = 'r'"
            )
        )
        assert "repairops_app" not in owners.scalars().all()


def test_reset_role_then_reading_another_company_still_returns_nothing(two_shops: tuple[Shop, Shop]) -> None:
    acme, globex = two_shops
    with tenant_session(app_engine(acme.url), acme.tenant_id) as session:
        session.execute(text("RESET ROLE"))
        session.execute(text("SET SESSION AUTHORIZATION DEFAULT"))
        assert session.execute(text("SELECT current_user")).scalar_one() == "repairops_app"
        assert (
            session.execute(
                text("SELECT count(*) FROM customers WHERE tenant_id = :t"), {"t": globex.tenant_id}
            ).scalar_one()
            == 0
        )
        assert session.execute(text("SELECT count(*) FROM tenants")).scalar_one() == 1
        # Even without any company context (an injected reset of the settings), nothing shows.
        session.execute(text("RESET ALL"))
        assert session.execute(text("SELECT count(*) FROM customers")).scalar_one() == 0


@pytest.mark.parametrize(
    "escape",
    [
        "SET ROLE postgres",
        "SET SESSION AUTHORIZATION postgres",
        "SET row_security = off",
        "ALTER TABLE customers DISABLE ROW LEVEL SECURITY",
        "CREATE ROLE intruder SUPERUSER",
        "ALTER ROLE repairops_app BYPASSRLS",
    ],
)
def test_the_app_role_cannot_become_anyone_stronger(two_shops: tuple[Shop, Shop], escape: str) -> None:
    acme, globex = two_shops
    with pytest.raises(DBAPIError) as refused, tenant_session(app_engine(acme.url), acme.tenant_id) as session:
        session.execute(text(escape))
        # row_security = off does not fail by itself: it makes any RLS-filtered read fail instead.
        session.execute(text("SELECT count(*) FROM customers WHERE tenant_id = :t"), {"t": globex.tenant_id})
    assert isinstance(refused.value.orig, errors.InsufficientPrivilege | errors.InvalidParameterValue)


def test_sign_in_and_the_tenant_lookup_work_as_the_app_role(two_shops: tuple[Shop, Shop]) -> None:
    acme, _ = two_shops
    engine = app_engine(acme.url)
    assert resolve_tenant(engine, "globex") != acme.tenant_id == resolve_tenant(engine, "acme")
    signed = authenticate(engine, acme.tenant_id, "admin@acme.example", "admin-pass-1")
    assert signed.actor.user_id is not None and signed.token


def test_a_role_someone_made_too_strong_is_put_back(migrated_db: str) -> None:
    with psycopg.connect(conninfo(migrated_db), autocommit=True) as conn:
        conn.execute("ALTER ROLE repairops_app NOLOGIN BYPASSRLS CREATEDB")
        ensure_app_login(migrated_db)
        row = conn.execute(
            "SELECT rolcanlogin, rolbypassrls, rolcreatedb FROM pg_roles WHERE rolname = 'repairops_app'"
        ).fetchone()
    assert row == (True, False, False)


def test_a_role_that_owns_a_table_or_can_become_the_owner_is_refused(migrated_db: str) -> None:
    with psycopg.connect(conninfo(migrated_db), autocommit=True) as conn:
        conn.execute("CREATE TABLE app_owned (id int)")
        conn.execute("ALTER TABLE app_owned OWNER TO repairops_app")
        with pytest.raises(ConfigurationError, match=r"owns the table app_owned.*REASSIGN OWNED BY repairops_app"):
            ensure_app_login(migrated_db)
        conn.execute("DROP TABLE app_owned")
        conn.execute("CREATE ROLE t_reporting NOLOGIN BYPASSRLS")
        conn.execute("GRANT t_reporting TO repairops_app")
        try:
            with pytest.raises(ConfigurationError, match=r"is a member of t_reporting.*REVOKE t_reporting FROM"):
                ensure_app_login(migrated_db)
        finally:
            conn.execute("DROP ROLE t_reporting")
    ensure_app_login(migrated_db)


def test_a_configured_password_is_stored_as_a_scram_verifier(migrated_db: str, monkeypatch: pytest.MonkeyPatch) -> None:
    from ops_db.settings import get_settings

    monkeypatch.setenv("REPAIROPS_APP_DATABASE_PASSWORD", "app-login-pass-2026")
    get_settings.cache_clear()
    try:
        ensure_app_login(migrated_db)
        assert ":app-login-pass-2026@" in app_url(migrated_db)
        with psycopg.connect(conninfo(migrated_db)) as conn:
            stored = conn.execute("SELECT rolpassword FROM pg_authid WHERE rolname = 'repairops_app'").fetchone()
            conn.execute("ALTER ROLE repairops_app PASSWORD NULL")
            conn.commit()
    finally:
        monkeypatch.delenv("REPAIROPS_APP_DATABASE_PASSWORD")
        get_settings.cache_clear()
    assert stored is not None and str(stored[0]).startswith("SCRAM-SHA-256$")


def test_the_database_url_may_not_be_the_app_role_itself(migrated_db: str) -> None:
    from sqlalchemy.engine import make_url

    as_app = make_url(migrated_db).set(username="repairops_app").render_as_string(hide_password=False)
    with pytest.raises(ConfigurationError, match="signs in as the application role repairops_app"):
        ensure_app_login(as_app)


def test_the_app_refuses_a_connection_whose_role_bypasses_row_level_security(migrated_db: str) -> None:
    with psycopg.connect(conninfo(migrated_db), autocommit=True) as conn:
        conn.execute("ALTER ROLE repairops_app BYPASSRLS")
        try:
            engine = app_engine(migrated_db)
            engine.dispose()
            with pytest.raises(ConfigurationError, match="can bypass row-level security; it must not"):
                engine.connect()
        finally:
            conn.execute("ALTER ROLE repairops_app NOBYPASSRLS")
    with app_engine(migrated_db).connect() as ok:
        assert ok.execute(text("SELECT current_user")).scalar_one() == "repairops_app"
