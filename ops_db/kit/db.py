"""Connections: resolve the server (embedded or DATABASE_URL), engines, and the per-transaction tenant context.

Two kinds of connection exist. The *admin* connection (the URL's own user: a superuser on the
embedded server) runs migrations, backups, key rotation and bulk demo loads. The *app* connection
logs in as its own role, ``repairops_app`` by default: a LOGIN role that is not a superuser, cannot
bypass row-level security, create databases or roles, owns no table and is a member of no role that
could. Its URL is the admin URL with that user (and ``REPAIROPS_APP_DATABASE_PASSWORD`` when set), so
an injected ``RESET ROLE`` or ``SET ROLE postgres`` finds nothing to escape to: Postgres row-level
security applies to every query the services run.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache

import psycopg
from psycopg import sql
from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from ops_db import embedded
from ops_db.kit.errors import ConfigurationError, DatabaseUnavailable
from ops_db.settings import Settings, get_settings

# The handle entry points (pages, the command line) open units of work on; named here so they need not import
# sqlalchemy themselves.
Database = Engine

# What the application's role must be: it may sign in, and nothing more.
APP_ROLE_ATTRIBUTES = "LOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE NOREPLICATION INHERIT"


def _driver_url(url: str) -> str:
    """Accept ``postgres://``, ``postgresql://`` or an explicit driver; use psycopg 3."""
    parsed = make_url(url)
    if parsed.drivername in ("postgres", "postgresql", "postgresql+psycopg2"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    if parsed.drivername != "postgresql+psycopg":
        raise DatabaseUnavailable("DATABASE_URL must point at PostgreSQL, not {driver}.", driver=parsed.drivername)
    return parsed.render_as_string(hide_password=False)


def server_url(settings: Settings | None = None, *, start: bool = True) -> str:
    """SQLAlchemy URL of the RepairOps database as admin, starting the embedded server if needed."""
    settings = settings or get_settings()
    if settings.database_url:
        return _driver_url(settings.database_url)
    pgdata = settings.pg_data_dir
    state = embedded.start(pgdata) if start else embedded.status(pgdata)
    if not state.running or state.socket_dir is None:
        raise DatabaseUnavailable("The embedded database is not running; start it with `repairops db start`.")
    _ensure_database(state.socket_dir, settings.database_name, settings.app_role)
    return embedded.sqlalchemy_url(state.socket_dir, settings.database_name)


def libpq_url(settings: Settings | None = None) -> str:
    """A URL for ``psql`` and other libpq tools pointing at the RepairOps database."""
    url = make_url(server_url(settings)).set(drivername="postgresql")
    return url.render_as_string(hide_password=False)


def _ensure_database(socket_dir: object, name: str, app_role: str) -> None:
    """Create the application database and the application's login role on the embedded server the first time."""
    conninfo = f"host={socket_dir} user={embedded.ADMIN_USER} dbname=postgres"
    with psycopg.connect(conninfo, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone()
        if not exists:
            conn.execute(f'CREATE DATABASE "{name}"')
        _ensure_app_login(conn, app_role, None)


def ensure_app_login(admin_url: str, app_role: str | None = None, password: str | None = None) -> None:
    """Make the application's role a login that can do nothing else: create it, or correct its attributes.

    Roles belong to the server, not to a database, so this runs before migrations and restores (a dump's
    grants name the role). ``password`` defaults to REPAIROPS_APP_DATABASE_PASSWORD; it is sent as a SCRAM
    verifier, never in clear."""
    settings = get_settings()
    role = app_role or settings.app_role
    if password is None and settings.app_database_password is not None:
        password = settings.app_database_password.get_secret_value()
    with psycopg.connect(psycopg_conninfo(admin_url), autocommit=True) as conn:
        _ensure_app_login(conn, role, password)


def _ensure_app_login(conn: psycopg.Connection, role: str, password: str | None) -> None:
    admin = str(conn.execute("SELECT current_user").fetchone()[0])  # type: ignore[index]
    if admin == role:
        raise ConfigurationError(
            "The database URL signs in as the application role {role}; give the owner's login instead "
            "(the application derives its own).",
            role=role,
        )
    attributes = sql.SQL(APP_ROLE_ATTRIBUTES)
    try:
        found = conn.execute(
            "SELECT rolsuper OR rolbypassrls OR rolcreatedb OR rolcreaterole OR rolreplication OR NOT rolcanlogin"
            " FROM pg_roles WHERE rolname = %s",
            (role,),
        ).fetchone()
        verifier = _scram_verifier(conn, role, password) if password else None
        if found is None:
            statement = sql.SQL("CREATE ROLE {} {}").format(sql.Identifier(role), attributes)
            if verifier:
                statement = sql.SQL("{} PASSWORD {}").format(statement, sql.Literal(verifier))
            conn.execute(statement)
        elif found[0]:
            conn.execute(sql.SQL("ALTER ROLE {} {}").format(sql.Identifier(role), attributes))
        if found is not None and verifier:
            _set_password(conn, role, verifier)
    except psycopg.errors.DuplicateObject:  # another process created it a moment ago
        return _ensure_app_login(conn, role, password)
    except psycopg.errors.InsufficientPrivilege:
        raise ConfigurationError(
            "The database user {user} may not create or change the role {role}; ask an administrator to run "
            "CREATE ROLE {role} LOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE PASSWORD '…'.",
            user=admin,
            role=role,
        ) from None
    _refuse_escape_routes(conn, role)
    return None


def _set_password(conn: psycopg.Connection, role: str, verifier: str) -> None:
    """Set the role's password; an owner who may not (a managed server) leaves it to the administrator."""
    try:
        conn.execute(sql.SQL("ALTER ROLE {} PASSWORD {}").format(sql.Identifier(role), sql.Literal(verifier)))
    except psycopg.errors.InsufficientPrivilege:
        return


def _scram_verifier(conn: psycopg.Connection, role: str, password: str) -> str:
    """The SCRAM-SHA-256 verifier of ``password`` computed by libpq, so the password never crosses the wire."""
    return conn.pgconn.encrypt_password(password.encode(), role.encode(), b"scram-sha-256").decode()


def _refuse_escape_routes(conn: psycopg.Connection, role: str) -> None:
    """Refuse a role that owns a table (RLS does not bind owners unless forced) or can become a role that can."""
    owned = conn.execute(
        "SELECT c.relname, current_user FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
        " WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p', 'v', 'm') AND pg_get_userbyid(c.relowner) = %s"
        " ORDER BY 1 LIMIT 1",
        (role,),
    ).fetchone()
    if owned:
        raise ConfigurationError(
            "The application role {role} owns the table {table}, so it could switch row-level security off; "
            "give what it owns to the owner with REASSIGN OWNED BY {role} TO {owner}.",
            role=role,
            table=str(owned[0]),
            owner=str(owned[1]),
        )
    stronger = conn.execute(
        "SELECT r.rolname FROM pg_roles r WHERE r.rolname <> %s AND pg_has_role(%s, r.oid, 'MEMBER')"
        " AND (r.rolsuper OR r.rolbypassrls OR r.rolcreaterole OR EXISTS (SELECT 1 FROM pg_class c"
        "      JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'public' AND c.relowner = r.oid))"
        " ORDER BY 1 LIMIT 1",
        (role, role),
    ).fetchone()
    if stronger:
        raise ConfigurationError(
            "The application role {role} is a member of {other}, which can bypass row-level security; "
            "revoke it with REVOKE {other} FROM {role}.",
            role=role,
            other=str(stronger[0]),
        )


def psycopg_conninfo(url: str) -> str:
    """Turn a SQLAlchemy URL into a libpq conninfo string for raw psycopg connections (COPY)."""
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


@lru_cache(maxsize=8)
def admin_engine(url: str) -> Engine:
    """Engine connecting as the URL's own (owner) user: migrations, bulk loads, maintenance."""
    return create_engine(url, pool_pre_ping=True)


def app_url(url: str, app_role: str = "repairops_app") -> str:
    """The application's own login: the admin ``url`` with the app role as user and its password (if any)."""
    secret = get_settings().app_database_password
    password = secret.get_secret_value() if secret is not None else None
    return make_url(url).set(username=app_role, password=password).render_as_string(hide_password=False)


@lru_cache(maxsize=8)
def app_engine(url: str, app_role: str = "repairops_app") -> Engine:
    """Engine logging in as the application role (from the admin ``url``), so row-level security applies."""
    engine = create_engine(app_url(url, app_role), pool_pre_ping=True, pool_size=10, max_overflow=20)

    @event.listens_for(engine, "connect")
    def _refuse_privileged_login(dbapi_conn, _record):  # type: ignore[no-untyped-def]
        # A role that bypasses RLS would see every company: better no service at all.
        with dbapi_conn.cursor() as cur:
            cur.execute("SELECT rolsuper OR rolbypassrls FROM pg_roles WHERE rolname = current_user")
            row = cur.fetchone()
        dbapi_conn.rollback()
        if row is None or row[0]:
            raise ConfigurationError(
                "The application role {role} can bypass row-level security; it must not.", role=app_role
            )

    return engine


@contextmanager
def tenant_session(
    engine: Engine, tenant_id: int, *, customer_id: int | None = None, user_id: int | None = None
) -> Iterator[Session]:
    """A session whose transaction sees only one tenant's rows (and one customer's, for customer logins).

    The settings are transaction-local (``set_config(..., true)``), so a pooled connection never
    carries one tenant's context into another's transaction.
    """
    with Session(engine) as session, session.begin():
        session.execute(
            text(
                "SELECT set_config('app.tenant_id', :t, true), set_config('app.customer_id', :c, true),"
                " set_config('app.user_id', :u, true)"
            ),
            {
                "t": str(tenant_id),
                "c": "" if customer_id is None else str(customer_id),
                "u": "" if user_id is None else str(user_id),
            },
        )
        yield session
