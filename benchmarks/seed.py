"""Generate a demo company into a fresh database and print rows per second for orders and events.

Usage: ``python benchmarks/seed.py [--scale large] [--seed 42]``. Uses its own embedded Postgres
in a temporary directory, so it never touches ``.repairops/``.
"""

from __future__ import annotations

import argparse
from datetime import date

from ops_db import embedded, migrate
from ops_db.demo.generator import Scale, seed


def main() -> None:
    """Run the benchmark and print its figures."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--scale", default="large", choices=[s.value for s in Scale])
    parser.add_argument("--seed", type=int, default=42)
    args = parser.parse_args()
    with embedded.scratch_server("repairops-bench-") as server:
        migrate.upgrade(server.url)
        stats = seed(server.url, Scale(args.scale), seed_value=args.seed, as_of=date(2026, 11, 24), progress=True)
    print(
        f"scale={args.scale} orders={stats.orders} events={stats.events} rows={stats.rows} seconds={stats.seconds:.1f}"
    )
    print(
        f"orders_per_s={stats.orders / stats.seconds:,.0f} events_per_s={stats.events / stats.seconds:,.0f} "
        f"rows_per_s={stats.rows / stats.seconds:,.0f}"
    )


if __name__ == "__main__":
    main()
