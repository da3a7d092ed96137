"""Database administration used by the CLI: migrate, backup and restore with the wheel's pg tools, and
rotating the secret key (re-encrypting every stored secret through the owner's connection)."""

from __future__ import annotations

import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import psycopg
from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from psycopg import sql
from sqlalchemy.engine import make_url

from ops_db import embedded, migrate
from ops_db.i18n import N_
from ops_db.kit import keys
from ops_db.kit.db import ensure_app_login, psycopg_conninfo
from ops_db.kit.errors import ConfigurationError, ValidationError
from ops_db.settings import Settings, get_settings


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
    """Upgrade the schema to the newest revision and return it; refuse a secret key the stored secrets don't fit."""
    migrate.upgrade_with_role(url, settings.app_role)
    problem = stored_secrets_problem(url, settings)
    if problem is not None:
        raise problem
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


def restore(url: str, source: Path, settings: Settings | None = None) -> ConfigurationError | None:
    """Replace the database's contents with those of a dump made by :func:`backup`, then migrate it to the newest
    schema. Works on a brand-new server: the application's login role (which the dump's grants name) is made
    first. Returns, without failing, the reason the secret key does not fit the restored secrets, if it doesn't."""
    settings = settings or get_settings()
    source = source.expanduser().resolve()
    if not source.is_file():
        raise ValidationError("The backup file {path} does not exist.", path=source)
    with source.open("rb") as fh:
        if fh.read(5) != b"PGDMP":
            raise ValidationError("{path} is not a RepairOps backup (pg_dump custom format).", path=source)
    ensure_app_login(url, settings.app_role)
    _run(
        [
            _tool("pg_restore"),
            "--clean",
            "--if-exists",
            "--no-owner",
            "--single-transaction",
            f"--dbname={_libpq(url)}",
            str(source),
        ]
    )
    migrate.upgrade_with_role(url, settings.app_role)
    return stored_secrets_problem(url, settings)


def _run(cmd: list[str]) -> None:
    env = {**os.environ, "PGCONNECT_TIMEOUT": "10"}
    result = subprocess.run(cmd, capture_output=True, text=True, env=env, check=False)
    if result.returncode != 0:
        lines = (result.stderr or result.stdout).strip().splitlines()
        raise ValidationError(
            "{tool} failed: {output}.", tool=Path(cmd[0]).name, output=lines[-1] if lines else N_("no output")
        )


# ---- the secret key and the secrets stored under it -----------------------------------------------------------

SAMPLE_PER_COLUMN = 20


def stored_secrets_problem(url: str, settings: Settings | None = None) -> ConfigurationError | None:
    """Why the secret key in use cannot read the secrets stored in the database, or None when it can.

    Checks a few values of every encrypted column (all companies, through the owner's connection), so a lost or
    swapped key file is reported at start-up rather than as failed sign-ins later."""
    settings = settings or get_settings()
    current = keys.cipher(keys.secret_key(settings))
    legacy = keys.cipher(keys.BUILT_IN_DEV_KEY)
    with psycopg.connect(psycopg_conninfo(url)) as conn:
        for spec in keys.ENCRYPTED_COLUMNS:
            if not _table_exists(conn, spec.table):
                continue
            for column in spec.columns:
                query = sql.SQL("SELECT {} FROM {} ORDER BY ctid DESC LIMIT %s").format(
                    sql.Identifier(column), sql.Identifier(spec.table)
                )
                for (value,) in conn.execute(query, (SAMPLE_PER_COLUMN,)):
                    if _decrypts(current, bytes(value)):
                        continue
                    if _decrypts(legacy, bytes(value)):
                        return ConfigurationError(
                            "The stored {what} are encrypted with the old built-in development key; run "
                            "`repairops secrets rotate --from-built-in-key` to move them to this installation's "
                            "own key.",
                            what=N_(spec.what),
                        )
                    return ConfigurationError(
                        "The secret key in use cannot decrypt the stored {what}; restore the key file {path} "
                        "from the backup of this installation, or set REPAIROPS_SECRET_KEY to the key they were "
                        "stored with.",
                        what=N_(spec.what),
                        path=settings.secret_key_file,
                    )
    return None


@dataclass(frozen=True)
class Rotation:
    """What `repairops secrets rotate` did: values re-encrypted per kind, and where the new key is."""

    reencrypted: dict[str, int]
    key_in_environment: bool
    finished_interrupted: bool = False


def rotate_secrets(url: str, settings: Settings | None = None, *, from_built_in_key: bool = False) -> Rotation:
    """Move every stored secret to a new secret key in one transaction, then switch the key.

    With the key in DATA_DIR/secret.key, the new key waits in ``secret.key.new`` while the stored secrets are
    re-encrypted, the previous key is kept as ``secret.key.old`` until the switch is done, and an interrupted
    rotation is finished (or undone) by running it again. With REPAIROPS_SECRET_KEY the new key comes from
    REPAIROPS_NEW_SECRET_KEY and the operator moves it into REPAIROPS_SECRET_KEY afterwards. Every API token was
    signed with the previous key, so everyone signs in again."""
    settings = settings or get_settings()
    if keys.key_from_environment(settings):
        return _rotate_environment_key(url, settings, from_built_in_key)
    path = settings.secret_key_file
    with keys.rotation_lock(path):
        pending = keys.pending_key_file(path)
        if pending.exists():
            finished = _finish_interrupted(url, path, pending)
            if finished is not None:
                return finished
        old_key = keys.secret_key(settings)
        new_key = keys.generate_key()
        keys.create_key_file(pending, new_key)
        previous = keys.previous_key_file(path)
        previous.unlink(missing_ok=True)
        os.link(path, previous)  # the previous key stays on disk until the switch is done
        try:
            counts = _reencrypt(url, settings, _decrypters(old_key, from_built_in_key), keys.cipher(new_key))
        except ConfigurationError:  # refused before the commit: nothing changed, forget the new key
            pending.unlink(missing_ok=True)
            previous.unlink(missing_ok=True)
            raise
        # Any other failure may have come after the commit: secret.key.new stays for the next run to sort out.
        _switch_key_file(path, pending)
    return Rotation(counts, key_in_environment=False)


def _rotate_environment_key(url: str, settings: Settings, from_built_in_key: bool) -> Rotation:
    """Re-encrypt from REPAIROPS_SECRET_KEY to REPAIROPS_NEW_SECRET_KEY (the operator then swaps the variables)."""
    old_key = keys.secret_key(settings)
    if settings.new_secret_key is None:
        raise ConfigurationError(
            "The secret key comes from REPAIROPS_SECRET_KEY, which RepairOps cannot change: put a new random key "
            "in REPAIROPS_NEW_SECRET_KEY and run the rotation again."
        )
    new_key = keys.check_key(settings.new_secret_key.get_secret_value(), "REPAIROPS_NEW_SECRET_KEY")
    if new_key == old_key:
        raise ConfigurationError("REPAIROPS_NEW_SECRET_KEY is the key already in use; give a new one.")
    counts = _reencrypt(url, settings, _decrypters(old_key, from_built_in_key), keys.cipher(new_key))
    return Rotation(counts, key_in_environment=True)


def _finish_interrupted(url: str, path: Path, pending: Path) -> Rotation | None:
    """After a crash: switch to the pending key if the database already holds the secrets under it, else drop it."""
    new_key = keys.read_key_file(pending)
    under_new = _decrypt_all(url, keys.cipher(new_key))
    if under_new is not None:
        _switch_key_file(path, pending)
        return Rotation(under_new, key_in_environment=False, finished_interrupted=True)
    keys.read_key_file(path)  # the database still uses the current key (checked by the rotation that follows)
    pending.unlink()
    return None


def _decrypters(key: str, from_built_in_key: bool) -> list[Fernet]:
    chosen = [keys.cipher(key)]
    if from_built_in_key:
        chosen.append(keys.cipher(keys.BUILT_IN_DEV_KEY))
    return chosen


def _switch_key_file(path: Path, pending: Path) -> None:
    """Put the pending key in place (one atomic rename), then forget the previous key."""
    os.replace(pending, path)
    keys.sync_directory(path.parent)
    keys.previous_key_file(path).unlink(missing_ok=True)


def _reencrypt(url: str, settings: Settings, decrypt_with: list[Fernet], encrypt_with: Fernet) -> dict[str, int]:
    """Re-encrypt every stored secret of every company in one transaction of the owner's connection.

    Refuses, changing nothing, while the application is connected (a running app could store a secret under
    the previous key after this point) or when a value cannot be decrypted."""
    decrypter = MultiFernet(decrypt_with)
    counts: dict[str, int] = {}
    with psycopg.connect(psycopg_conninfo(url)) as conn:
        _check_owner_sees_every_company(conn)
        _check_application_stopped(conn, settings.app_role)
        tables = [spec for spec in keys.ENCRYPTED_COLUMNS if _table_exists(conn, spec.table)]
        if tables:  # no one stores a secret meanwhile; readers go on
            conn.execute(
                sql.SQL("LOCK TABLE {} IN EXCLUSIVE MODE").format(
                    sql.SQL(", ").join(sql.Identifier(spec.table) for spec in tables)
                )
            )
        for spec in tables:
            assignments = sql.SQL(", ").join(sql.SQL("{} = %s").format(sql.Identifier(c)) for c in spec.columns)
            update = sql.SQL("UPDATE {} SET {} WHERE ctid = %s::tid").format(sql.Identifier(spec.table), assignments)
            rows = _encrypted_rows(conn, spec)
            for ctid, tenant_id, values in rows:
                try:
                    plain = [decrypter.decrypt(v) for v in values]
                except InvalidToken:
                    raise ConfigurationError(
                        "The stored {what} of company {tenant} cannot be decrypted with the current key, so "
                        "nothing was changed.",
                        what=N_(spec.what),
                        tenant=tenant_id,
                    ) from None
                conn.execute(update, [*(encrypt_with.encrypt(p) for p in plain), ctid])
            counts[spec.what] = len(rows)
        conn.commit()
    return counts


def _decrypt_all(url: str, cipher: Fernet) -> dict[str, int] | None:
    """How many values of each kind are stored, when ``cipher`` decrypts every one of them; else None."""
    counts: dict[str, int] = {}
    with psycopg.connect(psycopg_conninfo(url)) as conn:
        _check_owner_sees_every_company(conn)
        for spec in keys.ENCRYPTED_COLUMNS:
            if not _table_exists(conn, spec.table):
                continue
            rows = _encrypted_rows(conn, spec)
            if not all(_decrypts(cipher, v) for _, _, values in rows for v in values):
                return None
            counts[spec.what] = len(rows)
    return counts


def _encrypted_rows(conn: psycopg.Connection, spec: keys.EncryptedColumns) -> list[tuple[str, int, list[bytes]]]:
    """Every row of ``spec.table``: its ctid (stable while the transaction holds the table), tenant and values."""
    columns = sql.SQL(", ").join(sql.Identifier(c) for c in spec.columns)
    found = conn.execute(
        sql.SQL("SELECT ctid::text, tenant_id, {} FROM {}").format(columns, sql.Identifier(spec.table))
    ).fetchall()
    return [(str(row[0]), int(row[1]), [bytes(v) for v in row[2:]]) for row in found]


def _table_exists(conn: psycopg.Connection, table: str) -> bool:
    return conn.execute("SELECT to_regclass(%s) IS NOT NULL", (f"public.{table}",)).fetchone() == (True,)


def _check_owner_sees_every_company(conn: psycopg.Connection) -> None:
    """Rotation must see every company's rows: the owner's login has to bypass row-level security."""
    row = conn.execute("SELECT rolsuper OR rolbypassrls FROM pg_roles WHERE rolname = current_user").fetchone()
    if row != (True,):
        raise ConfigurationError(
            "The database URL's user cannot see every company's rows (it neither is a superuser nor has "
            "BYPASSRLS), so it cannot re-encrypt their secrets."
        )


def _check_application_stopped(conn: psycopg.Connection, app_role: str) -> None:
    """Refuse while the API, the UI or the pipelines are connected: they would keep using the previous key."""
    row = conn.execute(
        "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND usename = %s", (app_role,)
    ).fetchone()
    if row and row[0]:
        raise ConfigurationError(
            "Stop the API, the UI and the pipelines before rotating the key: {count} application connections are open.",
            count=row[0],
        )


def _decrypts(cipher: Fernet, value: bytes) -> bool:
    try:
        cipher.decrypt(value)
    except InvalidToken:
        return False
    return True
