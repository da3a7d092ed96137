"""Shared fixtures: one real Postgres per test session (embedded, or DATABASE_URL), fresh databases on demand."""

from __future__ import annotations

import email
import os
import socket
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from email.message import Message
from pathlib import Path
from typing import Any

import psycopg
import pytest
from aiosmtpd.controller import Controller
from sqlalchemy.engine import make_url

from ops_db import embedded, migrate


@pytest.fixture(scope="session")
def server_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Admin SQLAlchemy URL of the test server's ``postgres`` database."""
    external = os.environ.get("REPAIROPS_TEST_DATABASE_URL")
    if external:
        yield str(make_url(external).set(drivername="postgresql+psycopg"))
        return
    pgdata = Path(tmp_path_factory.mktemp("pg")) / "data"
    state = embedded.start(pgdata)
    assert state.socket_dir is not None
    yield embedded.sqlalchemy_url(state.socket_dir, "postgres")
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


def _temporary_database(server_url: str) -> Iterator[str]:
    name = f"t_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(_conninfo(server_url), autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    url = str(make_url(server_url).set(database=name).render_as_string(hide_password=False))
    yield url
    from ops_db.kit.db import admin_engine, app_engine

    for cache in (admin_engine, app_engine):
        cache.cache_clear()
    with psycopg.connect(_conninfo(server_url), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE "{name}" WITH (FORCE)')


DEMO_AS_OF = date(2026, 11, 2)


@pytest.fixture(scope="module")
def demo_db(server_url: str) -> Iterator[str]:
    """A migrated database holding the small demo company (as of a pinned day), one per test module."""
    from ops_db.demo.generator import Scale, seed

    for url in _temporary_database(server_url):
        migrate.upgrade(url)
        seed(url, Scale.SMALL, seed_value=7, as_of=DEMO_AS_OF)
        yield url


@pytest.fixture
def migrated_db(fresh_db: str) -> str:
    """A fresh database upgraded to the newest schema."""
    migrate.upgrade(fresh_db)
    return fresh_db


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
        self.tenant_id = provision_tenant(self.engine, TenantIn(
            slug=slug, name=f"{slug.title()} Repairs", admin_email=f"admin@{slug}.example",
            admin_password="admin-pass-1", time_zone="UTC", tax_pct=Decimal(tax_pct)))
        self._users = 0

    def system(self) -> object:
        from ops_db.kit.uow import Actor

        return Actor.system(self.tenant_id)

    def uow(self, actor: object | None = None) -> object:
        from ops_db.kit.uow import Actor, UnitOfWork

        chosen = actor if actor is not None else Actor.system(self.tenant_id)
        assert isinstance(chosen, Actor)
        return UnitOfWork(self.engine, chosen)

    def person(self, role: str, *, customer_id: int | None = None, technician_id: int | None = None) -> object:
        """A new user with ``role`` (linked to a customer or technician) as an Actor."""
        from sqlalchemy import text

        from ops_db.identity.service import create_user, load_actor
        from ops_db.kit.uow import Actor, UnitOfWork

        self._users += 1
        user = create_user(UnitOfWork(self.engine, Actor.system(self.tenant_id)),
                           f"{role}{self._users}@{self.slug}.example", f"{role.title()} {self._users}",
                           "person-pass-1", [role], customer_id=customer_id)
        if technician_id is not None:
            with UnitOfWork(self.engine, Actor.system(self.tenant_id)) as uow:
                uow.session.execute(text("UPDATE technicians SET user_id = :u WHERE id = :t"),
                                    {"u": user.id, "t": technician_id})
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

    async def handle_EHLO(self, server: Any, session: Any, envelope: Any, hostname: str,  # noqa: N802
                          responses: list[str]) -> list[str]:
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
