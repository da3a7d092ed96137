"""Issue 17 §6: one customer per normalised email per company, enforced by the database (ten parallel creates
made five customers), with the service's clear sentence, and the migration that tidies existing duplicates."""

from __future__ import annotations

import threading
from typing import Any

import psycopg
import pytest
from sqlalchemy import text

from ops_db import migrate
from ops_db.customers import service as customers
from ops_db.customers.schemas import CustomerIn
from ops_db.customers.service import create_customer
from ops_db.kit.errors import Conflict
from ops_db.kit.uow import Actor, UnitOfWork
from tests.conftest import Shop, conninfo


def _system(shop: Shop) -> UnitOfWork:
    return UnitOfWork(shop.engine, Actor.system(shop.tenant_id))


def _customers_with(shop: Shop, email: str) -> list[int]:
    with _system(shop) as uow:
        return list(
            uow.session.execute(
                text("SELECT id FROM customers WHERE lower(btrim(email)) = :e ORDER BY id"), {"e": email}
            ).scalars()
        )


def test_ten_parallel_creates_with_one_email_make_exactly_one_customer(shop: Shop) -> None:
    spellings = ["ana@example.com", "Ana@Example.com", " ANA@example.com", "ana@EXAMPLE.com "] * 3
    start = threading.Barrier(10)
    made: list[int] = []
    refused: list[str] = []

    def create(i: int) -> None:
        start.wait()
        try:
            made.append(create_customer(_system(shop), CustomerIn(name=f"Ana {i}", email=spellings[i])).id)
        except Conflict as error:
            refused.append(str(error))

    threads = [threading.Thread(target=create, args=(i,)) for i in range(10)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert refused == []  # everyone who raced got the customer that won, as one caller after another would
    assert len(_customers_with(shop, "ana@example.com")) == 1
    assert set(made) == set(_customers_with(shop, "ana@example.com"))


def test_the_database_refuses_a_second_customer_with_the_same_email_in_one_sentence(shop: Shop) -> None:
    first = create_customer(_system(shop), CustomerIn(name="Ana", email="ana@example.com"))
    with pytest.raises(Conflict, match=r"^A customer with that email already exists\.$"), _system(shop) as uow:
        uow.session.execute(
            text(
                "INSERT INTO customers (tenant_id, kind, name, email) VALUES (:t, 'person',"
                " 'Other Ana', '  ANA@example.com')"
            ),
            {"t": shop.tenant_id},
        )
    assert _customers_with(shop, "ana@example.com") == [first.id]


def test_another_company_may_have_a_customer_with_the_same_email(shop: Shop) -> None:
    other = Shop(shop.url, slug="beta")
    ours = create_customer(_system(shop), CustomerIn(name="Ana", email="ana@example.com"))
    theirs = create_customer(
        UnitOfWork(other.engine, Actor.system(other.tenant_id)), CustomerIn(name="Ana", email="ana@example.com")
    )
    assert ours.id != theirs.id


def test_a_customer_this_actor_cannot_see_is_a_conflict_not_a_second_customer(
    shop: Shop, monkeypatch: pytest.MonkeyPatch
) -> None:
    create_customer(_system(shop), CustomerIn(name="Ana", email="ana@example.com"))
    # As for an actor whose row-level security hides the other customer: the look-up finds nothing.
    monkeypatch.setattr(customers, "_existing", lambda *_: None)
    with pytest.raises(Conflict) as refused:
        create_customer(_system(shop), CustomerIn(name="Ana Again", email="ANA@example.com"))
    assert str(refused.value) == "A customer with the email ANA@example.com already exists."
    assert len(_customers_with(shop, "ana@example.com")) == 1


def _rows(url: str, sql: str) -> list[tuple[Any, ...]]:
    with psycopg.connect(conninfo(url)) as conn:
        return conn.execute(sql).fetchall()


def test_the_migration_keeps_each_email_on_its_oldest_customer_and_the_downgrade_restores_the_rest(
    fresh_db: str,
) -> None:
    migrate.upgrade(fresh_db, "0012")
    with psycopg.connect(conninfo(fresh_db), autocommit=True) as conn:
        tenant = conn.execute("INSERT INTO tenants (slug, name) VALUES ('dup', 'Dup') RETURNING id").fetchone()
        assert tenant is not None
        for name, email in (
            ("Old Ana", "ana@example.com"),
            ("New Ana", " ANA@example.com"),
            ("Bob", "bob@example.com"),
            ("No Mail", None),
        ):
            conn.execute(
                "INSERT INTO customers (tenant_id, kind, name, email) VALUES (%s, 'person', %s, %s)",
                (tenant[0], name, email),
            )
    migrate.upgrade(fresh_db)
    assert _rows(fresh_db, "SELECT name, email FROM customers ORDER BY id") == [
        ("Old Ana", "ana@example.com"),
        ("New Ana", None),
        ("Bob", "bob@example.com"),
        ("No Mail", None),
    ]
    assert _rows(
        fresh_db,
        "SELECT c.name, cc.email, cc.is_primary FROM customer_contacts cc JOIN customers c ON c.id = cc.customer_id",
    ) == [("New Ana", " ANA@example.com", True)]
    migrate.downgrade(fresh_db, "0012")
    assert _rows(fresh_db, "SELECT name, email FROM customers ORDER BY id") == [
        ("Old Ana", "ana@example.com"),
        ("New Ana", " ANA@example.com"),
        ("Bob", "bob@example.com"),
        ("No Mail", None),
    ]
    assert _rows(fresh_db, "SELECT count(*) FROM customer_contacts") == [(0,)]
