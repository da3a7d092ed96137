"""``repairops ui`` and the Streamlit server it starts stop together, however the command is stopped (issue 19:
a stopped ``repairops ui`` left Streamlit serving the port)."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from ops_db import embedded
from tests.conftest import free_port

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    path = tmp_path_factory.mktemp("ui-process") / ".repairops"
    yield path
    embedded.stop((path / "pg").resolve())


def _listening(port: int) -> bool:
    with socket.socket() as probe:
        probe.settimeout(1)
        return probe.connect_ex(("127.0.0.1", port)) == 0


def _wait(condition: object, seconds: float) -> bool:
    assert callable(condition)
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.25)
    return bool(condition())


def _serving(port: int) -> bool:
    try:
        return httpx.get(f"http://127.0.0.1:{port}/_stcore/health", timeout=2).status_code == 200
    except httpx.HTTPError:
        return False


@pytest.mark.parametrize("stop_signal", [signal.SIGTERM, signal.SIGHUP, signal.SIGKILL])
def test_stopping_repairops_ui_stops_the_streamlit_server(data_dir: Path, stop_signal: signal.Signals) -> None:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REPAIROPS_DATABASE_URL")}
    env["REPAIROPS_DATA_DIR"] = str(data_dir)
    # A session of its own, so whatever is left behind can be cleaned up by the group this test started.
    command = subprocess.Popen(
        [sys.executable, "-m", "repairops.cli", "ui", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        assert _wait(lambda: _serving(port), 180), "the UI never answered"
        command.send_signal(stop_signal)
        command.wait(30)
        assert _wait(lambda: not _listening(port), 20), f"Streamlit still serves port {port} after {stop_signal.name}"
    finally:
        with contextlib.suppress(ProcessLookupError):  # nothing left of the group: as it should be
            os.killpg(command.pid, signal.SIGKILL)
        command.wait(30)
