"""UnitOfWork.get: the row by id, locked when asked, or NotFound in the entity's own sentence; against Postgres."""

from __future__ import annotations

import string

import psycopg
import pytest
from sqlalchemy import select

import ops_db.models  # noqa: F401  (every mapper, so the registry below lists every model)
from ops_db.identity.models import Tenant, User
from ops_db.kit.base import Base
from ops_db.kit.errors import NotFound, not_found
from tests.conftest import Shop, conninfo


def _admin_id(shop: Shop) -> int:
    with shop.uow() as uow:
        return int(uow.session.execute(select(User.id).where(User.email == f"admin@{shop.slug}.example")).scalar_one())


def test_get_returns_the_row(shop: Shop) -> None:
    admin = _admin_id(shop)
    with shop.uow() as uow:
        user = uow.get(User, admin)
        assert (user.id, user.email) == (admin, "admin@acme.example")


def test_a_missing_row_is_not_found_in_the_entitys_sentence(shop: Shop) -> None:
    with shop.uow() as uow, pytest.raises(NotFound) as caught:
        uow.get(User, 987654, lock=True)
    assert caught.value.template == "User {user} does not exist."  # the catalogs' sentence, so it translates
    assert str(caught.value) == "User 987654 does not exist."


def test_another_companys_row_reads_like_one_that_does_not_exist(shop: Shop) -> None:
    other = Shop(shop.url, slug="other")
    theirs = _admin_id(other)
    with shop.uow() as uow, pytest.raises(NotFound, match=f"User {theirs} does not exist."):
        uow.get(User, theirs)


@pytest.mark.parametrize("lock", [True, False])
def test_lock_holds_the_row_until_the_transaction_ends(shop: Shop, lock: bool) -> None:
    admin = _admin_id(shop)
    with shop.uow() as uow:
        uow.get(User, admin, lock=lock)
        with psycopg.connect(conninfo(shop.url), autocommit=True) as other:
            taken = other.execute("SELECT id FROM users WHERE id = %s FOR UPDATE SKIP LOCKED", (admin,)).fetchall()
        assert taken == ([] if lock else [(admin,)])
    with psycopg.connect(conninfo(shop.url), autocommit=True) as other:  # released with the transaction
        assert other.execute("SELECT id FROM users WHERE id = %s FOR UPDATE SKIP LOCKED", (admin,)).fetchall() == [
            (admin,)
        ]


def test_a_model_without_a_sentence_is_a_programming_error() -> None:
    with pytest.raises(TypeError, match="Tenant has no not_found sentence"):
        not_found(Tenant, 1)


def test_every_not_found_sentence_names_the_id_in_one_field() -> None:
    """uow.get fills the sentence's one field with the id; a sentence with none or two could not be filled."""
    declared = {
        mapper.class_.__name__: mapper.class_.not_found
        for mapper in Base.registry.mappers
        if isinstance(getattr(mapper.class_, "not_found", None), str)
    }
    assert "User" in declared
    for name, sentence in declared.items():
        fields = [field for _, field, _, _ in string.Formatter().parse(sentence) if field]
        assert len(fields) == 1 and sentence.endswith("."), (name, sentence)


def test_no_id_at_all_is_not_found_without_asking_the_database(shop: Shop) -> None:
    with shop.uow() as uow, pytest.raises(NotFound) as caught:
        uow.get(User, None)
    assert str(caught.value) == "User None does not exist."  # as session.get's None (and a warning) used to say
