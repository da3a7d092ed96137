"""With the database down, every ``repairops`` command that needs it prints one sentence and exits 1: no traceback.
The CLI runs as a real subprocess pointed at a server that is not there (a loopback port nobody listens on)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import free_port

COMMANDS = [
    ("db", "status"),
    ("db", "migrate"),
    ("demo", "seed"),
    ("audit", "verify"),
    ("plan",),
    ("notify", "run"),
    ("documents", "render", "invoice", "1", "-o", "{tmp}/invoice.pdf"),
    ("import", "parts", "{tmp}/parts.csv"),
    ("pipelines", "run", "--no-plan"),
    ("api",),
    ("ui",),
]
SENTENCE = "Error: The database cannot be reached; try again in a minute."


@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: " ".join(c[:2]))
def test_a_command_with_the_database_down_prints_one_sentence(command: tuple[str, ...], tmp_path: Path) -> None:
    (tmp_path / "parts.csv").write_text("sku,name\nX-1,Thing\n", encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REPAIROPS_DATABASE_URL")}
    env.update(
        {
            "REPAIROPS_DATA_DIR": str(tmp_path / ".repairops"),
            "COLUMNS": "200",
            "DATABASE_URL": f"postgresql://repairops@127.0.0.1:{free_port()}/repairops",
        }
    )
    args = [part.format(tmp=tmp_path) for part in command]
    done = subprocess.run(
        [sys.executable, "-m", "repairops.cli", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=180,
        check=False,
    )
    assert done.returncode == 1, (done.stdout, done.stderr)
    assert "Traceback" not in done.stdout + done.stderr, done.stderr
    assert done.stderr.strip().splitlines() == [SENTENCE], done.stderr
