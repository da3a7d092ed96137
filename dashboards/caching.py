"""What pages read, kept between reruns: a click redraws the page from memory unless the company's data changed.

Every cached read is keyed by whose data it is and who may see it, never by the browser session alone:

- the company (``tenant_id``) and the reader's rights: their user, customer and technician (row-level security
  narrows by them), permissions, roles and language, as :func:`reader` keeps them; two people with different
  rights never share an entry, and another company's entry is never even looked up;
- a data version: :func:`data_version` for the operational database (the company's newest audit record, which
  every service write moves in its own transaction), the warehouse file's stamp for the analytics marts;
- the read's own arguments.

A version that moves makes every entry of the company a miss, so a page never shows what a write just changed as
it was before. The time-to-live bounds what a clock alone changes (an SLA turning "at risk").
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Any, ParamSpec, TypeVar

import streamlit as st

from ops_db.analytics.warehouse import stamp as warehouse_stamp
from ops_db.identity.queries import data_version as read_data_version
from ops_db.kit.db import Database
from ops_db.kit.uow import Actor, UnitOfWork

P = ParamSpec("P")
T = TypeVar("T")
OPERATIONAL_TTL = 60  # seconds: what only the clock changes (SLA states, "waiting for N hours") is at most this old
WAREHOUSE_TTL = 3600  # the marts change only when the pipeline rewrites the file, which moves its stamp
ENTRIES = 512  # per cached read: enough for every open page of a busy shop, small enough to stay in memory


def reader(actor: Actor) -> Actor:
    """``actor`` as a cache key: everything that decides what they may read (company, user, customer, technician,
    permissions, roles, language), without what differs between two sign-ins of the same person (the session)."""
    return replace(actor, session_id=None)


def data_version(engine: Database, actor: Actor) -> int:
    """The company's data version now (one primary-key read): it grows with every write anyone makes there."""
    return read_data_version(UnitOfWork(engine, actor))


@st.cache_data(ttl=OPERATIONAL_TTL, max_entries=ENTRIES, show_spinner=False)
def _answer(
    _read: Callable[..., Any],
    _engine: Database,
    name: str,
    key: Actor,
    version: int,
    args: tuple[Any, ...],
    kwargs: tuple[tuple[str, Any], ...],
) -> Any:
    """The read's answer for this key (``_read`` and ``_engine`` are not part of it: ``name`` names the read)."""
    del version  # part of the key only
    return _read(_engine, key, *args, **dict(kwargs))


def cached(read: Callable[P, T]) -> Callable[P, T]:
    """``read(engine, actor, *args, **kwargs)`` (a page's read in ``dashboards/data``) answered from the cache
    while the company's data version and the reader's rights are the same (see the module's notes)."""
    name = f"{read.__module__}.{read.__qualname__}"

    def answer(*args: P.args, **kwargs: P.kwargs) -> T:
        engine, actor, *rest = args
        assert isinstance(engine, Database) and isinstance(actor, Actor)
        version = data_version(engine, actor)
        found: T = _answer(read, engine, name, reader(actor), version, tuple(rest), tuple(sorted(kwargs.items())))
        return found

    answer.__doc__ = read.__doc__
    return answer


@st.cache_data(ttl=WAREHOUSE_TTL, max_entries=ENTRIES, show_spinner=False)
def _mart_answer(
    _read: Callable[..., Any],
    name: str,
    key: Actor,
    version: tuple[int, ...],
    args: tuple[Any, ...],
) -> Any:
    """The warehouse read's answer for this key (``name`` names ``_read``)."""
    del version  # part of the key only
    return _read(key, *args)


def warehouse_cached(read: Callable[..., T]) -> Callable[..., T]:
    """``read(actor, *args)`` (a read of the analytics marts) answered from the cache while the warehouse file
    is the same one and the reader's rights are the same (see the module's notes)."""
    name = f"{read.__module__}.{read.__qualname__}"

    def answer(actor: Actor, *args: Any) -> T:
        found: T = _mart_answer(read, name, reader(actor), warehouse_stamp(), args)
        return found

    answer.__doc__ = read.__doc__
    return answer
