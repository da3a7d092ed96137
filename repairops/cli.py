"""``repairops``: start the database, migrate, seed the demo company, and (later) pipelines and UI."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import psycopg
import typer
from rich.console import Console
from rich.table import Table
from sqlalchemy.exc import DBAPIError

from ops_db import admin, embedded, migrate
from ops_db.kit import db
from ops_db.kit.errors import RepairOpsError
from ops_db.settings import get_settings
from optimizer.travel import RoutingServiceError

if TYPE_CHECKING:  # annotations only: the commands import what they use late, so `repairops --help` stays quick
    from sqlalchemy import Engine

    from ops_db.kit.uow import Actor

app = typer.Typer(
    help="RepairOps: run a repair-service business.", no_args_is_help=True, pretty_exceptions_enable=False
)
db_app = typer.Typer(help="The operational Postgres database.", no_args_is_help=True)
demo_app = typer.Typer(help="The demo company.", invoke_without_command=True)
app.add_typer(db_app, name="db")
app.add_typer(demo_app, name="demo")
audit_app = typer.Typer(help="The audit trail.", no_args_is_help=True)
app.add_typer(audit_app, name="audit")
pipelines_app = typer.Typer(help="The analytics pipelines (Dagster) and the DuckDB warehouse.", no_args_is_help=True)
app.add_typer(pipelines_app, name="pipelines")

console = Console()
err = Console(stderr=True)


def _fail(message: str) -> None:
    err.print(f"[red]Error:[/red] {message}")
    raise typer.Exit(code=1)


@db_app.command("start")
def db_start() -> None:
    """Start the embedded Postgres (or check that DATABASE_URL answers)."""
    settings = get_settings()
    url = db.server_url(settings)
    if settings.embedded:
        console.print(f"Embedded Postgres running, data in {settings.pg_data_dir}")
    else:
        console.print("Using the server in DATABASE_URL.")
    db.admin_engine(url).connect().close()


@db_app.command("stop")
def db_stop() -> None:
    """Stop the embedded Postgres."""
    settings = get_settings()
    if not settings.embedded:
        _fail("DATABASE_URL is set: RepairOps does not manage that server, so it will not stop it.")
    stopped = embedded.stop(settings.pg_data_dir)
    console.print("Stopped." if stopped else "The embedded Postgres was not running.")


@db_app.command("status")
def db_status() -> None:
    """Show whether the database runs, where its data lives, and the schema revision."""
    settings = get_settings()
    if not settings.embedded:
        url = db.server_url(settings)
        console.print(f"server: DATABASE_URL\nschema revision: {migrate.current_revision(url) or 'none'}")
        return
    state = embedded.status(settings.pg_data_dir)
    console.print(f"data directory: {state.data_dir}")
    console.print(f"initialized: {'yes' if state.initialized else 'no'}")
    console.print(f"running: {f'yes (pid {state.pid})' if state.running else 'no'}")
    if state.running:
        url = db.server_url(settings, start=False)
        console.print(
            f"schema revision: {migrate.current_revision(url) or 'none'} (code expects {migrate.head_revision()})"
        )


@db_app.command("url")
def db_url() -> None:
    """Print a libpq URL of the database (for psql and other tools)."""
    print(db.libpq_url(get_settings()))


@db_app.command("migrate")
def db_migrate() -> None:
    """Upgrade the schema to the newest revision (Alembic upgrade head)."""
    settings = get_settings()
    revision = admin.migrate_to_head(db.server_url(settings), settings)
    console.print(f"Schema at revision {revision}.")


@db_app.command("backup")
def db_backup(file: Annotated[Path, typer.Argument(help="Where to write the dump.")]) -> None:
    """Dump the database to FILE (pg_dump custom format)."""
    settings = get_settings()
    target = admin.backup(db.server_url(settings), file)
    console.print(f"Backup written to {target} ({target.stat().st_size:,} bytes).")
    if not settings.secret_key:
        console.print(
            f"Its stored secrets are encrypted with the key in {settings.secret_key_file}: keep a copy "
            "of that file too, apart from the backup."
        )


@db_app.command("restore")
def db_restore(file: Annotated[Path, typer.Argument(help="A dump made by `repairops db backup`.")]) -> None:
    """Replace the database's contents with the dump in FILE and migrate it (a new data directory is fine)."""
    settings = get_settings()
    problem = admin.restore(db.server_url(settings), file, settings)
    console.print(f"Restored from {file}; schema at revision {migrate.head_revision()}.")
    if problem is not None:
        err.print(f"[yellow]Warning:[/yellow] {problem.message}")


secrets_app = typer.Typer(
    help="The server's secret key (encrypts stored secrets, signs API tokens).", no_args_is_help=True
)
app.add_typer(secrets_app, name="secrets")


@secrets_app.command("rotate")
def secrets_rotate(
    from_built_in_key: Annotated[
        bool,
        typer.Option(
            "--from-built-in-key",
            help="Also read secrets stored under the old built-in development key (databases from before keys were "
            "generated).",
        ),
    ] = False,
) -> None:
    """Replace the secret key: re-encrypt every stored secret in one transaction, then switch the key."""
    settings = get_settings()
    url = db.server_url(settings)
    migrate.upgrade_with_role(url, settings.app_role)
    done = admin.rotate_secrets(url, settings, from_built_in_key=from_built_in_key)
    what = ", ".join(f"{count:,} {kind}" for kind, count in done.reencrypted.items())
    if done.finished_interrupted:
        console.print(f"Finished the interrupted rotation: {what} were already under the new key.")
    else:
        console.print(f"Re-encrypted {what} under the new key.")
    if done.key_in_environment:
        console.print(
            "Now set REPAIROPS_SECRET_KEY to the value of REPAIROPS_NEW_SECRET_KEY wherever RepairOps "
            "runs, and remove REPAIROPS_NEW_SECRET_KEY, before starting it again."
        )
    else:
        console.print(f"The new key is in {settings.secret_key_file} (mode 0600); keep a copy with your backups.")
    console.print(
        "Every API token was signed with the previous key: everyone signs in again. "
        "Take a new backup now: older backups hold the secrets under the previous key."
    )


@demo_app.callback()
def demo(
    ctx: typer.Context,
    serve_ui: Annotated[bool, typer.Option("--ui/--no-ui", help="End by serving the UI (Ctrl+C stops it).")] = True,
    port: Annotated[int, typer.Option(help="TCP port of the UI.", min=1, max=65535)] = 8501,
) -> None:
    """Start the database, migrate, seed the demo company if empty, build the warehouse, plan tomorrow, serve the UI."""
    if ctx.invoked_subcommand is not None:
        return
    from ops_db.demo import summary

    settings = get_settings()
    url = db.server_url(settings)
    admin.migrate_to_head(url, settings)
    from ops_db.demo.generator import Scale, demo_today, is_empty, seed

    if is_empty(url):
        seed(url, Scale.SMALL, seed_value=42, as_of=demo_today(), progress=True)
    _print_summary(summary.counts(url))
    _build_warehouse(full=False, with_plan=False, plan_seconds=0)
    _propose_tomorrow(url)
    _print_logins(port)
    if serve_ui:
        ui(port=port, host="127.0.0.1")


def _print_logins(port: int) -> None:
    from ops_db.demo.generator import DEMO_PASSWORD

    table = Table(title=f"Sign in at http://127.0.0.1:{port} (company: {DEMO_TENANT}, password: {DEMO_PASSWORD})")
    table.add_column("role")
    table.add_column("email")
    for role, email in (
        ("admin", "admin"),
        ("manager", "manager"),
        ("dispatcher", "dispatcher"),
        ("front desk", "frontdesk"),
        ("inventory", "inventory"),
        ("finance", "finance"),
        ("auditor", "auditor"),
        ("technician", "tech1"),
        ("customer", None),
    ):
        table.add_row(role, f"{email}@{DEMO_TENANT}.example" if email else "customer1@mail.example")
    console.print(table)


def _propose_tomorrow(url: str) -> None:
    """Let the optimizer propose tomorrow's assignments for the demo company (nothing is booked)."""
    from datetime import timedelta

    from ops_db.identity.service import resolve_tenant
    from ops_db.kit.uow import Actor
    from pipelines.planning import propose

    engine = db.app_engine(url)
    actor = Actor.system(resolve_tenant(engine, DEMO_TENANT), "repairops demo")
    tomorrow = _company_today(engine, actor) + timedelta(days=1)
    with console.status(f"Optimising tomorrow ({tomorrow}) for up to {DEMO_PLAN_SECONDS:g} s…"):
        proposal = propose(engine, actor, tomorrow, time_limit=DEMO_PLAN_SECONDS)
    _print_plan(proposal)
    console.print(
        f"Proposal {proposal.saved.plan_id} for {tomorrow} stored; see the diff and accept it with "
        f"`repairops plan --date {tomorrow} --accept` (re-plans first) or in the Dispatch page."
    )


@demo_app.command("seed")
def demo_seed(
    scale: Annotated[str, typer.Option(help="small | medium | large")] = "small",
    seed_value: Annotated[int, typer.Option("--seed", help="Random seed; same seed, same company.")] = 42,
    as_of: Annotated[
        str | None, typer.Option(help="The demo's 'today' (YYYY-MM-DD; default: today in the company's Chicago).")
    ] = None,
) -> None:
    """Write a realistic demo company (deterministic for a seed) into an empty database."""
    from ops_db.demo.generator import Scale, demo_today, seed

    try:
        chosen = Scale(scale)
    except ValueError:
        _fail(f"Unknown scale {scale!r}; choose small, medium or large.")
        return
    try:
        day = date.fromisoformat(as_of) if as_of else demo_today()
    except ValueError:
        _fail(f"--as-of must be a date like 2026-11-24, not {as_of!r}.")
        return
    from ops_db.kit.bounds import EARLIEST_DAY, LATEST_DAY

    if not EARLIEST_DAY <= day <= LATEST_DAY:  # the demo's history and plans are computed from it
        _fail(f"--as-of must be between {EARLIEST_DAY} and {LATEST_DAY}.")
    settings = get_settings()
    url = db.server_url(settings)
    admin.migrate_to_head(url, settings)
    stats = seed(url, chosen, seed_value=seed_value, as_of=day, progress=True)
    console.print(f"Seeded {stats.orders:,} orders and {stats.events:,} events in {stats.seconds:.1f} s.")


@audit_app.command("verify")
def audit_verify(
    tenant: Annotated[str, typer.Option(help="The company's slug.")] = "riverside",
    checkpoints: Annotated[
        Path | None,
        typer.Option(
            help="A folder of signed checkpoints the chain must still match "
            "(default: DATA_DIR/audit-checkpoints, when it exists)."
        ),
    ] = None,
    public_key: Annotated[
        Path | None, typer.Option(help="The audit public key that signed them (default: this installation's own key).")
    ] = None,
) -> None:
    """Recompute the audit hash chain of a company in one snapshot, check it against the signed checkpoints,
    and report the first tampered record, if any."""
    from ops_db.audit.checkpoints import trusted_checkpoints
    from ops_db.audit.service import verify_chain
    from ops_db.identity.service import resolve_tenant
    from ops_db.kit.uow import Actor, UnitOfWork

    sealed = trusted_checkpoints(checkpoints, public_key)
    engine = db.app_engine(db.server_url(get_settings()))
    tenant_id = resolve_tenant(engine, tenant)
    with console.status("Verifying the audit chain…"):
        report = verify_chain(UnitOfWork(engine, Actor.system(tenant_id, "audit verify")), sealed)
    if report.ok:
        matched = f", matching {report.checkpoints} signed checkpoints" if report.checkpoints else ""
        console.print(f"Audit chain intact: {report.records:,} records verified{matched}.")
        return
    where = f"record {report.first_bad_id}" if report.first_bad_id else "the chain head"
    _fail(f"The audit chain is broken at {where}: {report.problem}.")


@audit_app.command("checkpoint")
def audit_checkpoint(
    tenant: Annotated[str, typer.Option(help="The company's slug.")] = "riverside",
    every_company: Annotated[bool, typer.Option("--all", help="Every active company, one file each.")] = False,
    out: Annotated[
        Path | None,
        typer.Option(help="The folder to write to (default: DATA_DIR/audit-checkpoints); copy it off this machine."),
    ] = None,
) -> None:
    """Check a company's audit chain and write a signed checkpoint of its head to a file outside the database."""
    from sqlalchemy import text

    from ops_db.audit import checkpoints as seals
    from ops_db.identity.service import resolve_tenant

    settings = get_settings()
    url = db.server_url(settings)
    directory = (out or seals.default_directory(settings)).expanduser().resolve()
    key = seals.signing_key(seals.key_path(settings))
    # The chain must still match every earlier checkpoint: a rewritten history is never signed anew.
    earlier = seals.read_checkpoints(directory, key.public_key()) if directory.is_dir() else []
    if every_company:
        with db.admin_engine(url).connect() as conn:
            slugs = list(conn.execute(text("SELECT slug FROM tenants WHERE is_active ORDER BY id")).scalars())
    else:
        slugs = [tenant]
    engine, broken = db.app_engine(url), 0
    for slug in slugs:
        try:
            with console.status(f"Checking the audit chain of {slug}…"):
                seal, path = seals.seal_company(engine, resolve_tenant(engine, slug), slug, key, directory, earlier)
        except RepairOpsError as exc:  # one broken company does not stop the others' checkpoints
            err.print(f"[red]Error:[/red] {exc.message}")
            broken += 1
            continue
        console.print(f"Checkpoint of {slug} written to {path} (record {seal.last_id}, {seal.records:,} records).")
    if broken:
        raise typer.Exit(code=1)


@audit_app.command("public-key")
def audit_public_key(
    out: Annotated[Path | None, typer.Option(help="Write it to this file instead of printing it.")] = None,
) -> None:
    """Show the public half of the audit key, so checkpoints can be checked where the private key is not."""
    from ops_db.audit import checkpoints as seals

    pem = seals.public_key_pem(seals.signing_key(seals.key_path(get_settings())).public_key())
    if out is None:
        console.print(pem, end="", markup=False, highlight=False)
        return
    try:
        out.expanduser().resolve().write_text(pem, encoding="ascii")
    except OSError:
        _fail(f"The audit public key could not be written to {out}.")
    console.print(f"Audit public key written to {out}.")


documents_app = typer.Typer(
    help="Documents: receipts, estimates, invoices, certificates as PDF, DOCX, XLSX.", no_args_is_help=True
)
app.add_typer(documents_app, name="documents")


@documents_app.command("render")
def documents_render(
    kind: Annotated[
        str,
        typer.Argument(
            help="intake_receipt, estimate, work_order, release_act, invoice, "
            "refund_note, warranty_certificate or purchase_order."
        ),
    ],
    record_id: Annotated[
        int, typer.Argument(metavar="ID", help="The order, invoice, refund, warranty or purchase order id.")
    ],
    output: Annotated[Path, typer.Option("--output", "-o", help="Where to write the file.")],
    fmt: Annotated[str, typer.Option("--format", help="pdf, docx or xlsx.")] = "pdf",
    locale: Annotated[str | None, typer.Option(help="en, ru, pt_BR or zh_CN (default: the company's).")] = None,
    tenant: Annotated[str, typer.Option(help="The company's slug.")] = "riverside",
) -> None:
    """Render one document to a file."""
    from ops_db.documents.render import render
    from ops_db.identity.service import resolve_tenant
    from ops_db.kit.uow import Actor, UnitOfWork

    if output.exists() and output.is_dir():
        _fail(f"{output} is a directory; give a file name.")
        return
    engine = db.app_engine(db.server_url(get_settings()))
    actor = Actor.system(resolve_tenant(engine, tenant), "repairops documents")
    with console.status(f"Rendering the {kind.replace('_', ' ')} {record_id}…"):
        data = render(UnitOfWork(engine, actor), kind, record_id, fmt, locale)
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_bytes(data)
    console.print(f"Wrote {output} ({len(data):,} bytes).")


@app.command("import")
def import_file(
    kind: Annotated[str, typer.Argument(help="customers, devices or parts.")],
    file: Annotated[Path, typer.Argument(help="A UTF-8 CSV file with a header row.")],
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Check every row and write nothing.")] = False,
    tenant: Annotated[str, typer.Option(help="The company's slug.")] = "riverside",
) -> None:
    """Import customers, devices or parts from CSV: all rows or none, every problem listed by row and column."""
    from ops_db.identity.service import resolve_tenant
    from ops_db.imports import describe, import_csv
    from ops_db.kit.uow import Actor, UnitOfWork

    if not file.is_file():
        _fail(f"There is no file {file}.")
        return
    engine = db.app_engine(db.server_url(get_settings()))
    actor = Actor.system(resolve_tenant(engine, tenant), f"repairops import {kind}")
    with console.status(f"{'Checking' if dry_run else 'Importing'} {file.name}…"):
        report = import_csv(UnitOfWork(engine, actor), kind, file.read_bytes(), dry_run=dry_run)
    if report.errors:
        table = Table("row", "column", "problem", title=f"{file.name}: {len(report.errors):,} problems")
        for error in report.errors[:200]:
            table.add_row(str(error.row), error.column, error.reason)
        err.print(table)
        _fail(describe(report))
        return
    console.print(describe(report))


DEMO_TENANT = "riverside"
DEMO_PLAN_SECONDS = 10.0


@app.command("plan")
def plan(
    day: Annotated[str, typer.Option("--date", help="The day to plan (YYYY-MM-DD); default tomorrow.")] = "",
    time_limit: Annotated[float, typer.Option(help="Solver time limit in seconds.", min=0.1, max=3600)] = 10.0,
    seed_value: Annotated[int, typer.Option("--seed", help="Solver seed; same seed, same plan.")] = 0,
    accept: Annotated[bool, typer.Option("--accept", help="Book every proposed change at once.")] = False,
    accept_only: Annotated[
        list[int] | None,
        typer.Option("--accept-only", help="Book only these orders' proposed changes (order id; repeat the option)."),
    ] = None,
    replan: Annotated[
        bool, typer.Option("--replan", help="Plan the rest of the day from now: started and accepted jobs stay fixed.")
    ] = False,
    sick: Annotated[
        list[int] | None,
        typer.Option("--sick", help="This technician (id) goes home now: free their later bookings, then re-plan."),
    ] = None,
    tenant: Annotated[str, typer.Option(help="The company's slug.")] = "riverside",
) -> None:
    """Propose a day's technician assignments and routes, print the KPIs and the diff, optionally accept."""
    from datetime import UTC, datetime, timedelta

    from ops_db.identity.service import resolve_tenant
    from ops_db.kit.uow import Actor, UnitOfWork
    from ops_db.workforce import planning as db_planning
    from pipelines.planning import propose

    now = datetime.now(UTC) if (replan or sick) else None
    try:
        asked = date.fromisoformat(day) if day else None
    except ValueError:
        _fail(f"--date must be a date like 2026-11-25, not {day!r}.")
        return
    if accept and accept_only:
        _fail("Use either --accept (everything) or --accept-only (chosen orders), not both.")
    engine = db.app_engine(db.server_url(get_settings()))
    actor = Actor.system(resolve_tenant(engine, tenant), "repairops plan")
    # "Tomorrow" and "today" are the company's, as on its Dispatch page, whatever zone this machine runs in.
    chosen = asked or _company_today(engine, actor) + timedelta(days=0 if now else 1)
    for tech_id in sick or []:
        assert now is not None
        freed = db_planning.technician_off_sick(UnitOfWork(engine, actor), tech_id, now)
        console.print(f"Technician {tech_id} is off from now; {len(freed)} later jobs go back to planning.")
    with console.status(f"Optimising {chosen} for up to {time_limit:g} s…"):
        proposal = propose(engine, actor, chosen, time_limit=time_limit, seed=seed_value, now=now)
    _print_plan(proposal)
    diff = db_planning.plan_diff(UnitOfWork(engine, actor), proposal.saved.plan_id)
    _print_diff(diff, proposal.time_zone)
    if accept or accept_only:
        result = db_planning.accept_plan(UnitOfWork(engine, actor), proposal.saved.plan_id, accept_only or None)
        console.print(
            f"Accepted: {len(result.booked)} booked, {len(result.cancelled)} replaced, "
            f"{len(result.failed)} refused; plan is {result.status}."
        )
        for order_id, why in sorted(result.failed.items()):
            console.print(f"  order {order_id}: {why}")
    else:
        console.print(f"Proposal {proposal.saved.plan_id} stored; accept it with --accept or in the Dispatch page.")


def _company_today(engine: Engine, actor: Actor) -> date:
    """The company's today, in its own time zone (not this machine's date)."""
    from ops_db.identity.queries import tenant_zone
    from ops_db.kit.dates import company_today
    from ops_db.kit.uow import UnitOfWork

    return company_today(tenant_zone(UnitOfWork(engine, actor)))


def _print_plan(proposal: object) -> None:
    from pipelines.planning import Proposal

    assert isinstance(proposal, Proposal)
    kpis = proposal.plan.kpis()
    base = proposal.baseline_kpis
    table = Table(title=f"Plan {proposal.saved.plan_id} ({proposal.plan.solver})")
    table.add_column("KPI")
    table.add_column("optimizer", justify="right")
    table.add_column("manual baseline", justify="right")
    table.add_row("jobs served", str(kpis.served), str(base["served"]))
    table.add_row("travel (h)", f"{kpis.travel_time / 3600:.1f}", f"{int(str(base['travel_seconds'])) / 3600:.1f}")
    table.add_row("travel (km)", f"{kpis.travel_distance / 1000:.1f}", f"{int(str(base['travel_meters'])) / 1000:.1f}")
    table.add_row("overtime (min)", f"{kpis.overtime / 60:.0f}", f"{int(str(base['overtime_seconds'])) / 60:.0f}")
    table.add_row(
        "SLA lateness (h)", f"{kpis.sla_lateness / 3600:.1f}", f"{int(str(base['sla_lateness_seconds'])) / 3600:.1f}"
    )
    table.add_row("unassigned", str(proposal.saved.unassigned), "")
    console.print(table)
    if proposal.violations:
        err.print(
            f"[yellow]Warning:[/yellow] the checker found {len(proposal.violations)} problems, e.g. "
            f"{proposal.violations[0]}"
        )


def _print_diff(rows: Sequence[object], time_zone: str) -> None:
    from collections import Counter
    from zoneinfo import ZoneInfo

    from ops_db.workforce.planning import DiffRow

    diff = [r for r in rows if isinstance(r, DiffRow)]
    counts = Counter(r.change for r in diff)
    console.print(
        "Diff against current bookings: "
        + ", ".join(
            f"{counts.get(k, 0)} {k}" for k in ("new", "moved", "reassigned", "unchanged", "dropped", "unassigned")
        )
    )
    tz = ZoneInfo(time_zone)
    table = Table(show_lines=False, caption=f"times in {time_zone}")
    for col in ("order", "change", "technician", "start", "was"):
        table.add_column(col)
    shown = [r for r in diff if r.change != "unchanged"][:20]
    for r in shown:
        was = f"{r.current_technician_id} @ {r.current_start.astimezone(tz):%H:%M}" if r.current_start else ""
        start = f"{r.start.astimezone(tz):%H:%M}" if r.start else (r.unassigned_reason or "")
        table.add_row(r.order_number, r.change, str(r.technician_id or ""), start, was)
    if shown:
        console.print(table)


@pipelines_app.command("run")
def pipelines_run(
    full: Annotated[bool, typer.Option("--full", help="Reload every table instead of only what changed.")] = False,
    plan: Annotated[bool, typer.Option("--plan/--no-plan", help="Also propose tomorrow's dispatch plan.")] = True,
    plan_seconds: Annotated[float, typer.Option(help="Solver seconds per tenant for the plan.", min=1)] = 30.0,
) -> None:
    """Materialize everything in this process: extract, dbt models and tests, quality checks, tomorrow's plan."""
    settings = get_settings()
    admin.migrate_to_head(db.server_url(settings), settings)
    if not _build_warehouse(full=full, with_plan=plan, plan_seconds=plan_seconds):
        raise typer.Exit(code=1)


@contextmanager
def _terminal() -> Iterator[Console]:
    """A console on a copy of this process's standard output: Dagster captures each step's output at the file
    descriptor (its compute logs), which would swallow a progress bar drawn on descriptor 1 until the run ends."""
    try:
        copy = os.fdopen(os.dup(sys.stdout.fileno()), "w", encoding="utf-8", closefd=True)
    except (OSError, ValueError, AttributeError):  # no real descriptor (a test's captured stream): draw as before
        yield console
        return
    with copy:
        yield Console(file=copy, width=console.width if console.is_terminal else None)


def _build_warehouse(*, full: bool, with_plan: bool, plan_seconds: float) -> bool:
    """Run the pipelines with a progress bar; print the outcome and any failing checks. True when it succeeded."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from pipelines.run import run_pipelines

    columns = (
        TextColumn("[bold]Warehouse[/bold] {task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
    )
    # Drawn from this thread only (no refresh thread): whatever other threads print while the run goes (dbt's
    # whole log) goes to the run's log file, so the terminal shows this one bar and then the summary.
    with _terminal() as screen, Progress(*columns, console=screen, transient=True, auto_refresh=False) as bar:
        task = bar.add_task("starting", total=None)

        def progress(label: str, done: int, total: int) -> None:
            bar.update(task, description=label[-48:], completed=done, total=total)
            bar.refresh()

        result = run_pipelines(full=full, with_plan=with_plan, plan_seconds=plan_seconds, progress=progress)
    passed = sum(result.checks.values())
    console.print(
        f"Warehouse {'built' if result.success else 'NOT built'} in {result.seconds:.0f} s: "
        f"{len(result.materialized)} tables and views, {passed} of {len(result.checks)} checks passed "
        f"-> {get_settings().warehouse_path}"
    )
    if result.log_file is not None:
        console.print(f"The run's full log (dbt's included): {result.log_file}", soft_wrap=True)
    for name, description in result.failed_checks.items():
        console.print(f"  [yellow]check failed[/yellow] {name}: {description}")
    if result.error:
        err.print(f"[red]Error:[/red] {result.error}")
    return result.success


notify_app = typer.Typer(help="Notifications: deliver the outbox.", no_args_is_help=True)
app.add_typer(notify_app, name="notify")


@notify_app.command("run")
def notify_run() -> None:
    """Send every due outbox message once (the Dagster sensor does this every 30 seconds)."""
    from ops_db.comms.delivery import configured_senders, deliver_due, tenant_channels
    from ops_db.comms.webhooks import deliver_webhooks
    from pipelines.resources import OpsDatabase

    settings = get_settings()
    senders = configured_senders(settings)
    resource = OpsDatabase()
    own = tenant_channels(db.admin_engine(resource.admin_url()))
    with console.status("Delivering webhooks…"):
        hooks = deliver_webhooks(resource.app_engine(), resource.active_tenants())
    if hooks.sent or hooks.failed or hooks.dead:
        console.print(f"Webhooks: {hooks.sent} sent, {hooks.failed} to retry later, {hooks.dead} given up.")
    if not senders and not own:
        _fail(
            "No delivery channel is configured; set REPAIROPS_SMTP_HOST (and REPAIROPS_SMTP_PORT) for email, "
            "or give a company its own channel on the Admin page."
        )
    with console.status("Delivering notifications…"):
        report = deliver_due(resource.app_engine(), resource.active_tenants(), senders)
    console.print(
        f"{report.sent} sent, {report.failed} to retry later, {report.dead} given up "
        f"({', '.join(sorted(set(senders) | set(own)))})."
    )
    for error in report.errors[:10]:
        console.print(f"  [yellow]{error}[/yellow]")


@pipelines_app.command("ui")
def pipelines_ui(
    port: Annotated[int, typer.Option(help="TCP port of the Dagster UI.", min=1, max=65535)] = 3000,
) -> None:
    """Start the Dagster UI (runs, assets, checks, schedules, sensors) on localhost."""
    from pipelines.run import dagster_home
    from repairops.children import run_child

    home = dagster_home()
    db.server_url(get_settings())  # start the embedded Postgres first, so the UI's runs find it
    exe = Path(sys.executable).parent / "dagster"
    console.print(f"Dagster UI on http://127.0.0.1:{port}  (DAGSTER_HOME={home}); Ctrl+C stops it.")
    run_child([str(exe), "dev", "-m", "pipelines.definitions", "-h", "127.0.0.1", "-p", str(port)])


@app.command("ui")
def ui(
    port: Annotated[int, typer.Option(help="TCP port of the UI.", min=1, max=65535)] = 8501,
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
) -> None:
    """Serve the Streamlit operations UI (sign in with a demo login; Ctrl+C stops it)."""
    from repairops.children import run_child

    settings = get_settings()
    admin.migrate_to_head(db.server_url(settings), settings)
    app_file = Path(__file__).resolve().parents[1] / "dashboards" / "app.py"
    console.print(f"RepairOps UI on http://{host}:{port}  (Ctrl+C stops it)")
    run_child(  # the Streamlit server stops with this command, however it is stopped
        [
            sys.executable,
            "-m",
            "streamlit",
            "run",
            str(app_file),
            "--server.port",
            str(port),
            "--server.address",
            host,
            "--server.headless",
            "true",
            "--browser.gatherUsageStats",
            "false",
            # Streamlit takes 200 MB per file by default; no service takes more than 20 MB (a photo, a CSV).
            "--server.maxUploadSize",
            "20",
            "--client.toolbarMode",
            "minimal",
        ],
    )  # no "Deploy" button for a shop's staff


@app.command("api")
def api(
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port.", min=1, max=65535)] = 8000,
) -> None:
    """Serve the REST API (OpenAPI at /openapi.json, docs at /docs)."""
    from api.app import serve

    settings = get_settings()
    url = db.server_url(settings)
    admin.migrate_to_head(url, settings)
    console.print(f"RepairOps API on http://{host}:{port}  (docs: http://{host}:{port}/docs)")
    serve(url, host=host, port=port)


def _print_summary(counts: dict[str, int]) -> None:
    table = Table(title="RepairOps demo company")
    table.add_column("table")
    table.add_column("rows", justify="right")
    for name, n in counts.items():
        table.add_row(name, f"{n:,}")
    console.print(table)
    s = get_settings()
    where = s.pg_data_dir if s.embedded else "DATABASE_URL"
    console.print(f"Data lives in: {where}")
    console.print(f'Connect with psql: psql "{db.libpq_url(s)}"', soft_wrap=True)


def main() -> None:
    """Entry point: run the CLI, turning domain errors into one plain sentence."""
    try:
        app()
    except RepairOpsError as exc:
        err.print(f"[red]Error:[/red] {exc.message}")
        sys.exit(1)
    except RoutingServiceError as exc:  # travel times from a configured OSRM/Valhalla server
        err.print(f"[red]Error:[/red] {exc}")
        sys.exit(1)
    except (DBAPIError, psycopg.Error) as exc:  # the database is down, or refused outside a unit of work
        from ops_db.kit.uow import translate_db_error

        wrapped = exc if isinstance(exc, DBAPIError) else DBAPIError.instance(None, None, exc, psycopg.Error)
        sentence = translate_db_error(wrapped).message if isinstance(wrapped, DBAPIError) else str(exc)
        err.print(f"[red]Error:[/red] {sentence}")
        sys.exit(1)


if __name__ == "__main__":
    main()
