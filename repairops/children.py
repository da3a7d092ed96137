"""Servers the command line runs as child processes (Streamlit, Dagster): they live exactly as long as it does.

A child started with ``subprocess.run`` outlives its parent whenever the parent is stopped by anything but a
Ctrl+C in its own terminal (``kill``, a closed terminal, a service manager, a crash): it keeps serving the port,
and the next ``repairops ui`` finds the port taken. Here the child is stopped with the parent: its stop signals
are passed on, it is terminated (then killed) on the way out, and on Linux the kernel stops it should the parent
die without a word (``PR_SET_PDEATHSIG``).
"""

from __future__ import annotations

import ctypes
import signal
import subprocess
import sys
from collections.abc import Sequence
from types import FrameType

# Signals that mean "stop" to a server; each is passed on to the child, and the parent then stops too.
STOP_SIGNALS = (signal.SIGTERM, signal.SIGHUP)
GRACE_SECONDS = 10.0  # how long a stopped child may take to close its connections before it is killed
_PR_SET_PDEATHSIG = 1  # linux/prctl.h


def _die_with_parent() -> None:
    """In the child, before it runs: the kernel sends it SIGTERM when its parent dies, however that happens."""
    if sys.platform.startswith("linux"):
        ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)


def stop(child: subprocess.Popen[bytes], grace: float = GRACE_SECONDS) -> int:
    """Stop ``child`` (terminate, then kill after ``grace`` seconds) and return its exit code."""
    if child.poll() is None:
        child.terminate()
        try:
            return child.wait(grace)
        except subprocess.TimeoutExpired:
            child.kill()
    return child.wait()


def run_child(command: Sequence[str]) -> int:
    """Run ``command`` until it ends or this process is told to stop; the child never outlives this process."""
    child = subprocess.Popen(list(command), preexec_fn=_die_with_parent)  # only prctl: nothing that could deadlock

    def pass_on(signum: int, _frame: FrameType | None) -> None:
        child.send_signal(signum)
        raise SystemExit(128 + signum)

    before = {signum: signal.signal(signum, pass_on) for signum in STOP_SIGNALS}
    try:
        return child.wait()
    except KeyboardInterrupt:  # Ctrl+C reached the child as well, through the terminal's process group
        return stop(child)
    finally:
        stop(child)
        for signum, handler in before.items():
            signal.signal(signum, handler)
