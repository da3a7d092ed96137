"""Database administration used by the CLI: migrate, backup and restore with the wheel's pg tools."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

from sqlalchemy.engine import make_url

from ops_db import embedded, migrate
from ops_db.i18n import N_
from ops_db.kit.errors import ValidationError
from ops_db.settings import Settings


def _tool(name: str) -> str:
    """Path of a PostgreSQL client tool: the embedded wheel's, else one on PATH."""
    candidate = embedded.bin_dir() / name
    if candidate.exists():
        return str(candidate)
    found = shutil.which(name)
    if not found:
        raise ValidationError("The PostgreSQL tool {tool} is not available.", tool=name)
    return found


def _libpq(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def migrate_to_head(url: str, settings: Settings) -> str | None:
    """Upgrade the schema to the newest revision and return it."""
    migrate.upgrade_with_role(url, settings.app_role)
    return migrate.current_revision(url)


def backup(url: str, target: Path) -> Path:
    """Write a compressed custom-format dump of the database to ``target``."""
    target = target.expanduser().resolve()
    if target.is_dir():
        raise ValidationError("{path} is a directory; give a file name for the backup.", path=target)
    if not target.parent.exists():
        raise ValidationError("The folder {path} does not exist.", path=target.parent)
    _run([_tool("pg_dump"), "--format=custom", "--no-owner", f"--file={target}", _libpq(url)])
    return target


def restore(url: str, source: Path) -> None:
    """Replace the database's contents with those of a dump made by :func:`backup`."""
    source = source.expanduser().resolve()
    if not source.is_file():
        raise ValidationError("The backup file {path} does not exist.", path=source)
    with source.open("rb") as fh:
        if fh.read(5) != b"PGDMP":
            raise ValidationError("{path} is not a RepairOps backup (pg_dump custom format).", path=source)
    _run([_tool("pg_restore"), "--clean", "--if-exists", "--no-owner", "--single-transaction",
          f"--dbname={_libpq(url)}", str(source)])


def _run(cmd: list[str]) -> None:
    env = {**os.environ, "PGCONNECT_TIMEOUT": "10"}
    result = subprocess.run(cmd, capture_output=True, text=True, env=env, check=False)
    if result.returncode != 0:
        lines = (result.stderr or result.stdout).strip().splitlines()
        raise ValidationError("{tool} failed: {output}.", tool=Path(cmd[0]).name,
                              output=lines[-1] if lines else N_("no output"))
