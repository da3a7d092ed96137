"""Shared fixtures: one real Postgres per test session (embedded, or REPAIROPS_TEST_DATABASE_URL), databases on
demand, copied from templates built once per run (the migrated schema; the seeded demo company).

``REPAIROPS_TEST_CLOCK`` runs the whole session as if it were another hour (see ``tests/clock.py``); tests marked
``clock`` (the ones that read the hour, the date or the time zone) are what ``make test-clock`` runs that way.
"""

from __future__ import annotations

import email
import hashlib
import os
import socket
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from email.message import Message
from pathlib import Path
from typing import TYPE_CHECKING, Any

import psycopg
import pytest
from aiosmtpd.controller import Controller
from sqlalchemy.engine import make_url

from ops_db import embedded, migrate
from tests import clock

if TYPE_CHECKING:  # for annotations only: the methods import these late, after the settings below are in place
    from ops_db.kit.uow import Actor, UnitOfWork

# There is no built-in secret key: one random key for the session, inherited by every subprocess it starts.
os.environ.setdefault("REPAIROPS_SECRET_KEY", os.urandom(32).hex())

# Test modules that read the current hour, date or time zone (directly or through the code they drive): marked
# ``clock`` so that ``make test-clock`` runs them under a second time zone and a pinned hour. A module can also
# mark itself with ``pytestmark = pytest.mark.clock``.
CLOCK_SENSITIVE = (
    "tests/api/test_api.py",
    "tests/dashboards/test_dispatch.py",
    "tests/dashboards/test_inventory_billing.py",
    "tests/dashboards/test_people.py",
    "tests/ops_db/services/test_delivery.py",
    "tests/ops_db/services/test_invoice_corrections.py",
    "tests/ops_db/services/test_lifecycle.py",
    "tests/ops_db/services/test_planning.py",
    "tests/ops_db/services/test_security_sla_warranty.py",
    "tests/repairops/test_plan.py",
)


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "clock: reads the hour, the date or the time zone (`make test-clock` runs "
        "these under a second time zone and a pinned hour)",
    )
    try:
        clock.activate()
    except clock.ClockError as exc:
        raise pytest.UsageError(str(exc)) from None


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    root = Path(str(config.rootpath))
    for item in items:
        path = Path(str(item.path))
        if path.is_relative_to(root) and path.relative_to(root).as_posix() in CLOCK_SENSITIVE:
            item.add_marker(pytest.mark.clock)


@contextmanager
def _environment(values: dict[str, str]) -> Iterator[None]:
    """``os.environ`` with ``values`` set, for the processes started inside the block only."""
    saved = {name: os.environ.get(name) for name in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


@pytest.fixture(scope="session")
def server_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Admin SQLAlchemy URL of the test server's ``postgres`` database (its clock pinned with the run's)."""
    external = os.environ.get("REPAIROPS_TEST_DATABASE_URL")
    offset = clock.offset_seconds()
    if external:
        if offset is not None:
            pytest.exit(
                f"{clock.CLOCK_ENV} cannot move the clock of an outside server "
                "(REPAIROPS_TEST_DATABASE_URL); run the pinned hour on the embedded one.",
                returncode=4,
            )
        yield str(make_url(external).set(drivername="postgresql+psycopg"))
        return
    pgdata = Path(tmp_path_factory.mktemp("pg")) / "data"
    try:
        with _environment(clock.server_environment(offset) if offset is not None else {}):
            state = embedded.start(pgdata)
    except clock.ClockError as exc:
        pytest.exit(str(exc), returncode=4)
    assert state.socket_dir is not None
    url = embedded.sqlalchemy_url(state.socket_dir, "postgres")
    if offset is not None:
        with psycopg.connect(_conninfo(url)) as conn:
            database_now = conn.execute("SELECT now()").fetchone()[0]  # type: ignore[index]
        try:
            clock.check_agreement(database_now, offset)
        except clock.ClockError as exc:
            embedded.stop(pgdata)
            pytest.exit(str(exc), returncode=4)
    yield url
    embedded.stop(pgdata)


def _conninfo(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


@pytest.fixture
def fresh_db(server_url: str) -> Iterator[str]:
    """URL of a new, empty database, dropped after the test."""
    yield from _temporary_database(server_url)


@pytest.fixture
def another_db(server_url: str) -> Iterator[str]:
    """A second new, empty database (for comparing two runs)."""
    yield from _temporary_database(server_url)


def _database_url(server_url: str, name: str) -> str:
    return str(make_url(server_url).set(database=name).render_as_string(hide_password=False))


def _temporary_database(server_url: str, template: str | None = None) -> Iterator[str]:
    """A new database (a copy of ``template`` when given: about 0.2 s where migrating takes seconds), dropped
    when the generator is closed."""
    name = f"t_{uuid.uuid4().hex[:12]}"
    copy = f' TEMPLATE "{template}"' if template else ""
    with psycopg.connect(_conninfo(server_url), autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"{copy}')
    yield _database_url(server_url, name)
    from ops_db.kit.db import admin_engine, app_engine

    for cache in (admin_engine, app_engine):
        cache.cache_clear()
    with psycopg.connect(_conninfo(server_url), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE "{name}" WITH (FORCE)')


def _sources_key(*places: Path) -> str:
    """A short digest of the files at ``places`` (folders: every file under them), so that a template built by
    other code is never reused."""
    digest = hashlib.sha256()
    for place in places:
        files = sorted(p for p in place.rglob("*") if p.is_file()) if place.is_dir() else [place]
        for path in (f for f in files if "__pycache__" not in f.parts):
            digest.update(path.relative_to(place.parent).as_posix().encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()[:12]


OPS_DB = Path(migrate.__file__).resolve().parent


class Templates:
    """Databases built once per run and then only copied (``CREATE DATABASE … TEMPLATE``): the migrated schema,
    and seeded demo companies. Each is named after a digest of the code that built it, so a server kept between
    runs (REPAIROPS_TEST_DATABASE_URL) never hands out a template from older migrations or an older generator."""

    def __init__(self, server_url: str) -> None:
        self.server_url = server_url
        self._built: dict[str, str] = {}

    def schema(self) -> str:
        """The template at the newest schema, made by ``migrate.upgrade`` (whatever migrations exist now); named
        after the head revision and a digest of the migrations and of what runs them (roles, grants)."""
        key = _sources_key(OPS_DB / "migrations", OPS_DB / "migrate.py", OPS_DB / "kit" / "db.py")
        return self._template(f"tmpl_schema_{migrate.head_revision()}_{key}", migrate.upgrade, source=None)

    def demo(self, seed_value: int, as_of: date) -> str:
        """The template holding the small demo company for ``seed_value`` as of ``as_of``."""
        from ops_db.demo.generator import Scale, seed

        def build(url: str) -> None:
            seed(url, Scale.SMALL, seed_value=seed_value, as_of=as_of)

        # The demo's stored secrets are encrypted with the session's key: a kept template must have used the same.
        key = hashlib.sha256(_sources_key(OPS_DB).encode() + os.environ.get("REPAIROPS_SECRET_KEY", "").encode())
        return self._template(
            f"tmpl_demo_{seed_value}_{as_of:%Y%m%d}_{key.hexdigest()[:12]}", build, source=self.schema()
        )

    def _template(self, name: str, build: Callable[[str], None], source: str | None) -> str:
        if name in self._built:
            return name
        with psycopg.connect(_conninfo(self.server_url), autocommit=True) as conn:
            kept = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s AND datistemplate", (name,)).fetchone()
        if not kept:
            self._build(name, build, source)
        self._built[name] = name
        return name

    def _build(self, name: str, build: Callable[[str], None], source: str | None) -> None:
        building = f"{name[:40]}_{uuid.uuid4().hex[:8]}"
        copy = f' TEMPLATE "{source}"' if source else ""
        with psycopg.connect(_conninfo(self.server_url), autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{building}"{copy}')
        url = _database_url(self.server_url, building)
        try:
            build(url)
        finally:
            _close_connections(self.server_url, url, building)
        with psycopg.connect(_conninfo(self.server_url), autocommit=True) as conn:
            try:
                conn.execute(f'ALTER DATABASE "{building}" RENAME TO "{name}"')
            except psycopg.errors.DuplicateDatabase:  # another worker built the same one meanwhile: use theirs
                conn.execute(f'DROP DATABASE "{building}" WITH (FORCE)')
                return
            # No connections: a copy needs a template nobody is connected to.
            conn.execute(f'ALTER DATABASE "{name}" WITH IS_TEMPLATE true ALLOW_CONNECTIONS false')


def _close_connections(server_url: str, url: str, name: str) -> None:
    """Close this process's pooled connections to ``url`` and end any other session on it."""
    from ops_db.kit.db import admin_engine, app_engine

    for cached in (admin_engine, app_engine):
        cached(url).dispose()
        cached.cache_clear()
    with psycopg.connect(_conninfo(server_url), autocommit=True) as conn:
        conn.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()",
            (name,),
        )


@pytest.fixture(scope="session")
def templates(server_url: str) -> Templates:
    """The run's template databases (built on first use)."""
    return Templates(server_url)


DEMO_AS_OF = date(2026, 11, 2)


@pytest.fixture(scope="module")
def demo_db(server_url: str, templates: Templates) -> Iterator[str]:
    """A migrated database holding the small demo company (as of a pinned day), one per test module: a copy of
    the one seeded for the whole run."""
    yield from _temporary_database(server_url, templates.demo(7, DEMO_AS_OF))


@pytest.fixture
def migrated_db(server_url: str, templates: Templates) -> Iterator[str]:
    """A fresh database at the newest schema (a copy of the run's migrated template)."""
    yield from _temporary_database(server_url, templates.schema())


def conninfo(url: str) -> str:
    """libpq conninfo for raw psycopg connections in tests."""
    return _conninfo(url)


class Shop:
    """A provisioned tenant on a migrated database, with helpers to act as people of each role."""

    def __init__(self, url: str, slug: str = "acme", tax_pct: str = "10") -> None:
        from decimal import Decimal

        from ops_db.identity.tenants import TenantIn, provision_tenant
        from ops_db.kit.db import app_engine

        self.url = url
        self.engine = app_engine(url)
        self.slug = slug
        self.tenant_id = provision_tenant(
            self.engine,
            TenantIn(
                slug=slug,
                name=f"{slug.title()} Repairs",
                admin_email=f"admin@{slug}.example",
                admin_password="admin-pass-1",
                time_zone="UTC",
                tax_pct=Decimal(tax_pct),
            ),
        )
        self._users = 0

    def system(self) -> Actor:
        from ops_db.kit.uow import Actor

        return Actor.system(self.tenant_id)

    def uow(self, actor: Actor | None = None) -> UnitOfWork:
        from ops_db.kit.uow import Actor, UnitOfWork

        chosen = actor if actor is not None else Actor.system(self.tenant_id)
        assert isinstance(chosen, Actor)
        return UnitOfWork(self.engine, chosen)

    def person(self, role: str, *, customer_id: int | None = None, technician_id: int | None = None) -> Actor:
        """A new user with ``role`` (linked to a customer or technician) as an Actor."""
        from sqlalchemy import text

        from ops_db.identity.service import create_user, load_actor
        from ops_db.kit.uow import Actor, UnitOfWork

        self._users += 1
        user = create_user(
            UnitOfWork(self.engine, Actor.system(self.tenant_id)),
            f"{role}{self._users}@{self.slug}.example",
            f"{role.title()} {self._users}",
            "person-pass-1",
            [role],
            customer_id=customer_id,
        )
        if technician_id is not None:
            with UnitOfWork(self.engine, Actor.system(self.tenant_id)) as uow:
                uow.session.execute(
                    text("UPDATE technicians SET user_id = :u WHERE id = :t"), {"u": user.id, "t": technician_id}
                )
                uow.commit()
        return load_actor(self.engine, self.tenant_id, user.id)


@pytest.fixture
def shop(migrated_db: str) -> Shop:
    """A fresh tenant ("acme", 10% tax) on a fresh database."""
    return Shop(migrated_db)


# ---- a real SMTP server on loopback ------------------------------------------------------------------------


@dataclass
class Inbox:
    """What the loopback SMTP server received, and how many sessions (EHLOs) it saw; ``refuse`` makes it answer
    550 to every recipient."""

    messages: list[Message] = field(default_factory=list)
    refuse: bool = False
    sessions: int = 0

    async def handle_EHLO(  # noqa: N802
        self,
        server: Any,
        session: Any,
        envelope: Any,
        hostname: str,
        responses: list[str],
    ) -> list[str]:
        self.sessions += 1
        session.host_name = hostname
        return responses

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str, options: Any) -> str:  # noqa: N802
        if self.refuse:
            return "550 mailbox unavailable"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        self.messages.append(email.message_from_bytes(envelope.content))
        return "250 Message accepted"


def free_port() -> int:
    """A TCP port on loopback nobody listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def smtp() -> Iterator[tuple[Inbox, int]]:
    """A real SMTP server on loopback: (what it received, its port)."""
    port = free_port()
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    yield inbox, port
    controller.stop()
