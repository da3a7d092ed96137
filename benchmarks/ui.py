"""Server-side render time of the busiest operations pages with 10,000 open orders.

Usage: ``python benchmarks/ui.py [--open-orders 10000] [--runs 5] [--keep DIR]``

1. seeds the ``medium`` demo company (60 technicians, ~110k orders over a year) as of today into its
   own embedded Postgres (reused from ``--keep DIR`` when given, so repeated runs skip the seeding);
2. tops the open orders up to ``--open-orders`` by copying existing open orders (customer, device,
   priority, skill, SLA policy) as new ones received over the last ten days, each with its SLA clocks,
   so the board and the dispatch queue see a realistic backlog, then ``VACUUM ANALYZE`` as autovacuum
   would have on a running server;
3. signs in as the demo manager and renders the Orders board and Dispatch (its default day, tomorrow)
   with Streamlit's AppTest, which runs the page script exactly as the server does for a browser:
   every query, dataframe and chart spec, without the network and the browser's paint;
4. prints min / median / max seconds over ``--runs`` renders of each page (after one warm-up render,
   which fills the connection pool and the catalog caches as a running server already has).

There is no peer figure: no other repair-shop UI runs here.
"""

from __future__ import annotations

import argparse
import logging
import os
import statistics
import time
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import psycopg
from streamlit.testing.v1 import AppTest

from ops_db import embedded, migrate
from ops_db.demo.generator import Scale, is_empty, seed
from ops_db.kit.db import psycopg_conninfo

DEMO_TIME_ZONE = ZoneInfo("America/Chicago")  # the demo company's time zone
APP = str(Path(__file__).resolve().parents[1] / "dashboards" / "app.py")
PAGES = ("app_pages/orders_board.py", "app_pages/dispatch.py")
OPEN = "stage NOT IN ('closed', 'cancelled')"

# New open orders copied from the existing ones (round robin), with their SLA clocks re-based on the new
# received time; a clock already past its due time is breached, as the SLA sweep would have marked it.
TOP_UP = f"""
WITH template AS (
    SELECT o.*, row_number() OVER (ORDER BY o.id) AS rn, count(*) OVER () AS n
    FROM service_orders o WHERE {OPEN}
), source AS (
    SELECT g, 'RO-BENCH-' || lpad(g::text, 6, '0') AS number, t.*,
           now() - random() * interval '10 days' AS new_received_at
    FROM generate_series(1, %(missing)s) AS g JOIN template t ON t.rn = 1 + (g %% t.n)
), inserted AS (
    INSERT INTO service_orders (tenant_id, order_number, tracking_code, customer_id, equipment_id, site_id,
                                priority, location, sla_policy_id, required_skill_id, problem_description,
                                estimated_minutes, received_at, due_at, stage)
    SELECT tenant_id, number, md5(number || random()::text), customer_id, equipment_id, site_id, priority,
           location, sla_policy_id, required_skill_id, problem_description, estimated_minutes,
           new_received_at, NULL, 'received'
    FROM source
    RETURNING id, tenant_id, order_number, received_at
)
INSERT INTO sla_clocks (tenant_id, order_id, policy_id, kind, state, started_at, due_at)
SELECT i.tenant_id, i.id, c.policy_id, c.kind,
       CASE WHEN i.received_at + (c.due_at - c.started_at) < now() THEN 'breached' ELSE 'running' END,
       i.received_at, i.received_at + (c.due_at - c.started_at)
FROM inserted i JOIN source s ON s.number = i.order_number JOIN sla_clocks c ON c.order_id = s.id
"""


def open_orders(url: str) -> int:
    """How many orders are neither closed nor cancelled."""
    with psycopg.connect(psycopg_conninfo(url)) as conn:
        row = conn.execute(f"SELECT count(*) FROM service_orders WHERE {OPEN}").fetchone()
    return int(row[0]) if row else 0


def top_up(url: str, target: int) -> int:
    """Add open orders (with SLA clocks) until there are ``target``; returns how many were added."""
    missing = target - open_orders(url)
    if missing <= 0:
        return 0
    with psycopg.connect(psycopg_conninfo(url)) as conn:
        conn.execute(TOP_UP, {"missing": missing})
    return missing


def settle(url: str) -> None:
    """VACUUM ANALYZE, as autovacuum has long done on a running server: fresh statistics and visibility maps
    (without it the first minutes after a bulk load read heap pages an index-only scan would skip)."""
    with psycopg.connect(psycopg_conninfo(url), autocommit=True) as conn:
        conn.execute("VACUUM (ANALYZE)")


def _what_it_shows(app: AppTest) -> str:
    """The page's own headline figures, printed so a run proves the page saw the whole backlog."""
    metrics = [f"{metric.label}: {metric.value}" for metric in app.metric]
    captions = [caption.value for caption in app.caption if "open orders" in caption.value]
    return "; ".join(metrics + captions)


def render_seconds(url: str, data_dir: Path, runs: int) -> dict[str, tuple[list[float], str]]:
    """Seconds of each AppTest render of each page, and what the page showed, signed in as the demo manager."""
    os.environ["DATABASE_URL"] = url
    os.environ["REPAIROPS_DATA_DIR"] = str(data_dir)
    # Imported after the environment is set: the app reads its settings once.
    from ops_db.identity.service import authenticate, resolve_tenant
    from ops_db.kit import db

    engine = db.app_engine(url)
    actor = authenticate(
        engine, resolve_tenant(engine, "riverside"), "manager@riverside.example", "demo-pass-2026"
    ).actor
    timings: dict[str, tuple[list[float], str]] = {}
    for page in PAGES:
        seconds_per_run: list[float] = []
        for attempt in range(runs + 1):  # the first render warms the pool and caches
            app = AppTest.from_file(APP, default_timeout=600)
            app.session_state["actor"] = actor
            app.run()
            started = time.perf_counter()
            app.switch_page(page).run()
            seconds = time.perf_counter() - started
            if app.exception:
                raise SystemExit(f"{page} failed: {app.exception[0].message}")
            if attempt:
                seconds_per_run.append(seconds)
        timings[page] = (seconds_per_run, _what_it_shows(app))
    return timings


def _quiet_bare_mode_warnings() -> None:
    """AppTest runs Streamlit without a server; its "missing ScriptRunContext" warnings are noise here."""
    logger = logging.getLogger("streamlit.runtime.scriptrunner_utils.script_run_context")
    logger.addFilter(lambda record: "missing ScriptRunContext" not in record.getMessage())


def main() -> None:
    """Run the benchmark and print its figures."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--open-orders", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--keep", type=Path, help="Keep the seeded Postgres in this directory and reuse it.")
    args = parser.parse_args()
    _quiet_bare_mode_warnings()
    with embedded.scratch_server("repairops-ui-", args.keep) as server:
        url = server.url
        migrate.upgrade(url)
        if is_empty(url):
            seed(url, Scale.MEDIUM, seed_value=42, as_of=datetime.now(DEMO_TIME_ZONE).date(), progress=True)
        added = top_up(url, args.open_orders)
        settle(url)
        print(f"open_orders={open_orders(url):,} (added {added:,} for the benchmark)")
        for page, (seconds, shown) in render_seconds(url, server.folder / ".repairops", args.runs).items():
            print(
                f"{page.removeprefix('app_pages/').removesuffix('.py')}: runs={len(seconds)} "
                f"min={min(seconds):.2f}s median={statistics.median(seconds):.2f}s max={max(seconds):.2f}s"
                f" | shows: {shown}"
            )


if __name__ == "__main__":
    main()
