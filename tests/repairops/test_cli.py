"""The ``repairops`` command line, run as a real subprocess against a real embedded Postgres."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from ops_db import embedded, migrate


def run(data_dir: Path, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    full_env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REPAIROPS_DATABASE_URL")}
    full_env.update({"REPAIROPS_DATA_DIR": str(data_dir), "COLUMNS": "200"}, **(env or {}))
    return subprocess.run(
        [sys.executable, "-m", "repairops.cli", *args],
        capture_output=True,
        text=True,
        env=full_env,
        timeout=300,
        check=False,
    )


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    path = tmp_path_factory.mktemp("cli") / ".repairops"
    yield path
    embedded.stop((path / "pg").resolve())


def test_start_status_url_migrate_stop(data_dir: Path) -> None:
    started = run(data_dir, "db", "start")
    assert started.returncode == 0, started.stderr
    assert "Embedded Postgres running" in started.stdout
    assert run(data_dir, "db", "start").returncode == 0  # reuses the running server
    migrated = run(data_dir, "db", "migrate")
    assert migrated.returncode == 0, migrated.stderr
    assert f"Schema at revision {migrate.head_revision()}" in migrated.stdout
    status = run(data_dir, "db", "status")
    assert "running: yes" in status.stdout and f"schema revision: {migrate.head_revision()}" in status.stdout
    url = run(data_dir, "db", "url").stdout.strip()
    assert url.startswith("postgresql://")
    psql = subprocess.run(
        [str(embedded.bin_dir() / "psql"), url, "-tAc", "SELECT count(*) FROM service_orders"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert psql.returncode == 0, psql.stderr
    assert psql.stdout.strip() == "0"
    with psycopg.connect(url) as conn:
        assert conn.execute("SELECT current_database()").fetchone() == ("repairops",)


def test_backup_and_restore_round_trip(data_dir: Path, tmp_path: Path) -> None:
    url = run(data_dir, "db", "url").stdout.strip()
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("INSERT INTO tenants (slug, name) VALUES ('keep', 'Kept Co')")
    dump = tmp_path / "backup.dump"
    made = run(data_dir, "db", "backup", str(dump))
    assert made.returncode == 0, made.stderr
    assert dump.stat().st_size > 1000
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("INSERT INTO tenants (slug, name) VALUES ('lose', 'Lost Co')")
    restored = run(data_dir, "db", "restore", str(dump))
    assert restored.returncode == 0, restored.stderr
    with psycopg.connect(url) as conn:
        assert [r[0] for r in conn.execute("SELECT slug FROM tenants ORDER BY slug")] == ["keep"]


def test_bad_input_gets_one_sentence_and_no_traceback(data_dir: Path, tmp_path: Path) -> None:
    cases = [
        (("db", "restore", str(tmp_path / "missing.dump")), "does not exist"),
        (("db", "backup", str(tmp_path / "no" / "such" / "dir.dump")), "does not exist"),
        (("db", "backup", str(tmp_path)), "is a directory"),
        (("demo", "seed", "--scale", "huge"), "Unknown scale"),
        (("demo", "seed", "--as-of", "yesterday"), "--as-of must be a date"),
    ]
    not_a_dump = tmp_path / "notes.txt"
    not_a_dump.write_text("hello")
    cases.append((("db", "restore", str(not_a_dump)), "is not a RepairOps backup"))
    for args, expected in cases:
        result = run(data_dir, *args)
        assert result.returncode == 1, (args, result.stdout, result.stderr)
        assert expected in result.stderr, (args, result.stderr)
        assert "Traceback" not in result.stderr


def test_broken_data_directory_gets_a_clear_message(tmp_path: Path) -> None:
    broken = tmp_path / ".repairops"
    (broken / "pg").mkdir(parents=True)
    (broken / "pg" / "stray.txt").write_text("not a database")
    result = run(broken, "db", "start")
    assert result.returncode == 1
    assert "holds no Postgres data" in result.stderr and "Traceback" not in result.stderr
    (broken / "pg" / "stray.txt").unlink()
    (broken / "pg" / "PG_VERSION").write_text("9\n")
    result = run(broken, "db", "start")
    assert result.returncode == 1
    assert "PostgreSQL 9" in result.stderr and "Traceback" not in result.stderr


def test_stop_reports_and_status_after_stop(tmp_path: Path) -> None:
    own = tmp_path / ".repairops"
    assert run(own, "db", "start").returncode == 0
    stopped = run(own, "db", "stop")
    assert stopped.returncode == 0 and "Stopped." in stopped.stdout
    assert "not running" in run(own, "db", "stop").stdout
    assert "running: no" in run(own, "db", "status").stdout


def test_stop_refuses_to_touch_an_external_server(tmp_path: Path) -> None:
    result = run(tmp_path, "db", "stop", env={"DATABASE_URL": "postgresql://nobody@127.0.0.1:1/x"})
    assert result.returncode == 1 and "does not manage that server" in result.stderr
