"""Service-layer throughput: N concurrent workers run whole repairs; pgbench runs on the same server for scale.

Usage: ``python benchmarks/oltp.py [--workers 1 4 16] [--seconds 20]``.

Each worker is its own process (as separate API server processes would be) and loops over the full
lifecycle through the services: intake → booking → diagnostics → reserve part → lines → repair → quality
check → ready (part consumed) → invoice → payment → close. Every service call is one transaction with its
audit record and outbox rows. Printed per N: service operations per second, lifecycles per second, p50/p95
latency per operation, and pgbench's TPS with the built-in simple-update script (``-N``) at the same N on
the same embedded server, and the ratio. Uses its own embedded Postgres in a temporary directory.
"""

from __future__ import annotations

import argparse
import multiprocessing
import re
import statistics
import subprocess
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

from rich.console import Console
from rich.table import Table

from ops_db import embedded, migrate
from ops_db.billing import service as billing
from ops_db.customers.service import CustomerIn
from ops_db.identity.tenants import TenantIn, provision_tenant
from ops_db.inventory import service as inventory
from ops_db.kit.db import app_engine
from ops_db.kit.uow import Actor, UnitOfWork
from ops_db.orders import service as orders
from ops_db.workforce import service as workforce

OPS_PER_LIFECYCLE = 13


@dataclass(frozen=True)
class Job:
    url: str
    tenant_id: int
    technician_id: int
    part_id: int
    worker: int
    seconds: float


def _lifecycle(uow: callable, job: Job, n: int, timings: list[float]) -> None:  # type: ignore[valid-type]
    def timed(call: object) -> object:
        started = time.perf_counter()
        result = call()  # type: ignore[operator]
        timings.append(time.perf_counter() - started)
        return result

    receipt = timed(
        lambda: orders.register_intake(
            uow(),
            orders.IntakeIn(
                customer=CustomerIn(f"Bench {job.worker}-{n}", phone=f"+1{job.worker:03d}{n:08d}"),
                problem_description="Does not charge",
            ),
        )
    )
    order_id = receipt.order_id  # type: ignore[attr-defined]
    # Each run (N) books its own stretch of the calendar so technicians reused across runs never clash.
    start = datetime(2027, 1, 1, tzinfo=UTC) + timedelta(days=400 * (job.worker // 1000), hours=2 * n)
    timed(lambda: workforce.book(uow(), order_id, job.technician_id, start, start + timedelta(hours=1)))
    timed(lambda: orders.transition(uow(), order_id, "diagnostics"))
    reservation = timed(lambda: inventory.reserve(uow(), order_id, job.part_id, 1))
    timed(lambda: orders.add_line(uow(), order_id, orders.LineIn(kind="part", part_id=job.part_id)))
    timed(
        lambda: orders.add_line(
            uow(), order_id, orders.LineIn(kind="labour", description="Replace port", unit_price=Decimal("20"))
        )
    )
    timed(lambda: orders.transition(uow(), order_id, "repair"))
    timed(lambda: inventory.consume(uow(), reservation.id))  # type: ignore[attr-defined]
    timed(lambda: orders.transition(uow(), order_id, "quality_check"))
    timed(lambda: orders.transition(uow(), order_id, "ready"))
    invoice = timed(lambda: billing.create_invoice(uow(), order_id))
    timed(
        lambda: billing.record_payment(
            uow(),
            invoice.id,
            invoice.total,
            "card",  # type: ignore[attr-defined]
            f"bench-{job.worker}-{n}",
        )
    )
    timed(lambda: orders.transition(uow(), order_id, "closed"))


def run_worker(job: Job) -> tuple[int, list[float], float]:
    """Loop lifecycles until the time is up; return how many finished, every operation's latency, the time."""
    engine = app_engine(job.url)
    actor = Actor.system(job.tenant_id, f"bench-{job.worker}")

    def uow() -> UnitOfWork:
        return UnitOfWork(engine, actor)

    timings: list[float] = []
    done = 0
    started = time.perf_counter()
    while time.perf_counter() - started < job.seconds:
        _lifecycle(uow, job, done, timings)
        done += 1
    elapsed = time.perf_counter() - started
    engine.dispose()
    return done, timings, elapsed


def _prepare(url: str, workers: int) -> tuple[int, list[int], int]:
    engine = app_engine(url)
    tenant_id = provision_tenant(
        engine,
        TenantIn(
            slug="bench",
            name="Bench Repairs",
            admin_email="a@bench.example",
            admin_password="bench-pass-1",
            time_zone="UTC",
            tax_pct=Decimal("20"),
        ),
    )
    system = Actor.system(tenant_id)
    technicians = [
        workforce.create_technician(UnitOfWork(engine, system), workforce.TechnicianIn(f"Tech {i}", Decimal("30"))).id
        for i in range(workers)
    ]
    part = inventory.create_part(UnitOfWork(engine, system), "PORT-1", "Charging port", unit_cost="3", sale_price="12")
    with UnitOfWork(engine, system) as uow:
        from sqlalchemy import text

        location = uow.session.execute(text("SELECT id FROM stock_locations WHERE code = 'WH1'")).scalar_one()
    inventory.adjust(UnitOfWork(engine, system), part.id, location, 1_000_000, "bench stock")
    return tenant_id, technicians, part.id


def _pgbench(socket_dir: Path, clients: int, seconds: int) -> float:
    url = embedded.libpq_url(socket_dir, "pgbench")
    tool = str(embedded.bin_dir() / "pgbench")
    out = subprocess.run(
        [tool, "-N", "-c", str(clients), "-j", str(min(clients, 2)), "-T", str(seconds), "-n", url],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    found = re.search(r"tps = ([0-9.]+)", out)
    if not found:
        raise RuntimeError(f"pgbench printed no TPS: {out[-300:]}")
    return float(found.group(1))


def _percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(pct / 100 * (len(ordered) - 1)))]


def main() -> None:
    """Run the benchmark and print its figures."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 4, 16])
    parser.add_argument("--seconds", type=float, default=20.0, help="run time per N for each side")
    args = parser.parse_args()
    if any(n < 1 or n > 64 for n in args.workers) or args.seconds <= 0:
        parser.error("workers must be 1..64 and seconds positive")
    console = Console()
    table = Table(title="Service lifecycle vs pgbench simple-update (same server)")
    for column in ("N", "ops/s", "lifecycles/s", "p50 ms", "p95 ms", "pgbench TPS", "ops/s ÷ TPS"):
        table.add_column(column, justify="right")
    with embedded.scratch_server("repairops-oltp-") as server:
        admin, socket_dir = server.url, server.socket_dir
        migrate.upgrade(admin)
        tenant_id, technicians, part_id = _prepare(admin, max(args.workers))
        subprocess.run(
            [str(embedded.bin_dir() / "createdb"), "-h", str(socket_dir), "-U", embedded.ADMIN_USER, "pgbench"],
            check=True,
        )
        subprocess.run(
            [str(embedded.bin_dir() / "pgbench"), "-i", "-s", "10", "-q", embedded.libpq_url(socket_dir, "pgbench")],
            check=True,
            capture_output=True,
        )
        ctx = multiprocessing.get_context("spawn")
        for n in args.workers:
            with console.status(f"N={n}: running lifecycles for {args.seconds:.0f} s…"):
                jobs = [Job(admin, tenant_id, technicians[i], part_id, i + 1000 * n, args.seconds) for i in range(n)]
                with ctx.Pool(n) as pool:
                    results = pool.map(run_worker, jobs)
                wall = statistics.fmean(elapsed for _, _, elapsed in results)  # excludes process start-up
            with console.status(f"N={n}: pgbench -N for {args.seconds:.0f} s…"):
                tps = _pgbench(socket_dir, n, int(args.seconds))
            timings = [t for _, ts, _ in results for t in ts]
            lifecycles = sum(done for done, _, _ in results)
            ops = len(timings) / wall
            row = (
                str(n),
                f"{ops:,.0f}",
                f"{lifecycles / wall:,.1f}",
                f"{_percentile(timings, 50) * 1000:.1f}",
                f"{_percentile(timings, 95) * 1000:.1f}",
                f"{tps:,.0f}",
                f"{ops / tps:.3f}",
            )
            table.add_row(*row)
            print(
                f"N={n} ops_per_s={ops:.0f} lifecycles_per_s={lifecycles / wall:.2f} "
                f"p50_ms={_percentile(timings, 50) * 1000:.1f} p95_ms={_percentile(timings, 95) * 1000:.1f} "
                f"mean_ms={statistics.fmean(timings) * 1000:.1f} pgbench_tps={tps:.0f} "
                f"ratio={ops / tps:.3f}",
                flush=True,
            )
    console.print(table)
    console.print(
        f"One lifecycle = {OPS_PER_LIFECYCLE} service calls, each its own transaction with "
        "audit and outbox writes; pgbench -N is 5 statements per transaction."
    )


if __name__ == "__main__":
    main()
