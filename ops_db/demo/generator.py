"""Deterministic demo company: a repair business with history that obeys every rule of the schema.

Everything is derived from one ``random.Random(seed)`` and an ``as_of`` day, so two runs with
the same arguments write identical rows (ids, timestamps, tracking codes and password hashes
included). Rows are buffered per table and written with COPY, a chunk of days at a time, so the
``large`` scale (~1M orders, ~10M events) runs in bounded memory.

The company is built in parts (``ops_db.demo``): ``vocabulary`` (fixed words), ``rows`` (buffer and COPY),
``company`` (size and shared state), ``catalogue``, ``people``, ``stock``, ``schedule``, ``finance``, ``sla`` and
``history``; this module joins them and runs the seed.
"""

from __future__ import annotations

import random
import time as _time
from datetime import date, timedelta

import psycopg
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

from ops_db.demo.catalogue import Catalogue
from ops_db.demo.company import SPECS, Scale, ScaleSpec
from ops_db.demo.history import History
from ops_db.demo.people import People
from ops_db.demo.rows import LOAD_ORDER, SeedStats, flush
from ops_db.demo.vocabulary import DEMO_PASSWORD, TIME_ZONE
from ops_db.kit.dates import company_today
from ops_db.kit.db import psycopg_conninfo

__all__ = ["DEMO_PASSWORD", "SPECS", "TIME_ZONE", "Scale", "ScaleSpec", "SeedStats", "demo_today", "is_empty", "seed"]


def demo_today() -> date:
    """The demo company's today (its date in Chicago), the default "as of" of a seed: at 02:00 UTC that is still
    yesterday, and the machine's date would put today's jobs on tomorrow."""
    return company_today(TIME_ZONE)


def is_empty(url: str) -> bool:
    """True when the database holds no tenant yet."""
    with psycopg.connect(psycopg_conninfo(url)) as conn:
        return conn.execute("SELECT NOT EXISTS (SELECT 1 FROM tenants)").fetchone() == (True,)


class _Generator(Catalogue, People, History):
    """Builds one tenant's company; ids are assigned here so foreign keys line up without lookups."""


def seed(
    url: str, scale: Scale, *, seed_value: int = 42, as_of: date | None = None, progress: bool = False
) -> SeedStats:
    """Generate the demo company into an empty database; same (scale, seed, as_of) gives identical rows."""
    from ops_db.kit.errors import Conflict

    as_of = as_of or demo_today()
    spec = SPECS[scale]
    if not is_empty(url):
        raise Conflict("The database already holds a company; seed into an empty database.")
    started = _time.perf_counter()
    gen = _Generator(random.Random(seed_value), spec, as_of)
    days = [as_of - timedelta(days=spec.days - i) for i in range(spec.days + 15)]
    with (
        psycopg.connect(psycopg_conninfo(url)) as conn,
        Progress(
            TextColumn("[bold]{task.description}"),
            BarColumn(),
            TextColumn("{task.completed}/{task.total} days"),
            TimeElapsedColumn(),
            disable=not progress,
        ) as bar,
    ):
        # Bulk load as the owner without per-row triggers (FK checks, append-only guards): the generator
        # builds consistent rows itself and the tests verify every rule with SQL afterwards.
        conn.execute("SET session_replication_role = replica")
        task = bar.add_task(f"Seeding {scale.value} company", total=len(days))
        gen.reference()
        gen.people()
        gen.initial_stock()
        cursor: dict[int, int] = {}
        for i, day in enumerate(days):
            gen.day(day, cursor)
            if i % 15 == 14:
                flush(conn, gen.buf, gen.stats)
            bar.advance(task)
        gen.finish_stock()
        gen.sequences()
        flush(conn, gen.buf, gen.stats)
        for table in LOAD_ORDER:
            has_identity = conn.execute(
                "SELECT 1 FROM information_schema.columns WHERE table_name = %s AND column_name = 'id'"
                " AND is_identity = 'YES'",
                (table,),
            ).fetchone()
            if has_identity:
                conn.execute(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                    f"(SELECT COALESCE(max(id), 0) + 1 FROM {table}), false)"
                )
        # Built-in permissions of the system roles (the catalogue itself is loaded by migration 0003).
        from ops_db.identity.tenants import sync_role_permissions_sql

        conn.execute("SELECT set_config('app.tenant_id', %s, true)", (str(gen.tenant),))
        conn.execute(sync_role_permissions_sql().encode())
        conn.commit()
    gen.stats.seconds = _time.perf_counter() - started
    return gen.stats
