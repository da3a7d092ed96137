"""Run the pipelines in this process (``repairops pipelines run``) and report progress as they go."""

from __future__ import annotations

import os
import sys
import threading
import time
import uuid
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any, TextIO, cast

from ops_db.settings import get_settings

DAGSTER_YAML = """\
# Written by RepairOps: runs, schedules and sensors of this installation live in this folder.
telemetry:
  enabled: false
"""


def dagster_home() -> Path:
    """``DAGSTER_HOME`` for this installation (``<data dir>/dagster``), created with telemetry off."""
    home = Path(os.environ.get("DAGSTER_HOME") or get_settings().data_path / "dagster").resolve()
    home.mkdir(parents=True, exist_ok=True)
    config = home / "dagster.yaml"
    if not config.exists():
        config.write_text(DAGSTER_YAML)
    os.environ["DAGSTER_HOME"] = str(home)
    return home


@dataclass
class RunSummary:
    """What a pipeline run did: materializations, and each check's outcome."""

    run_id: str
    success: bool
    seconds: float
    materialized: list[str] = field(default_factory=list)
    checks: dict[str, bool] = field(default_factory=dict)
    failed_checks: dict[str, str] = field(default_factory=dict)
    error: str | None = None
    log_file: Path | None = None  # what the run printed (dbt's whole log), kept out of the terminal


class _ThreadRoutedStream:
    """``sys.stdout``/``sys.stderr`` while a run goes: the thread that started the run (its progress bar) writes to
    the terminal as before; every other thread (the run itself: dagster-dbt re-prints each of dbt's ~1,600 log
    lines to stdout) writes to the run's log file."""

    def __init__(self, terminal: TextIO, log: IO[str], caller: threading.Thread) -> None:
        self._terminal, self._log, self._caller = terminal, log, caller

    def _target(self) -> IO[str]:
        return self._terminal if threading.current_thread() is self._caller else self._log

    def write(self, text: str) -> int:
        """Write ``text`` where the current thread's output belongs."""
        return self._target().write(text)

    def flush(self) -> None:
        """Flush the current thread's destination."""
        self._target().flush()

    def __getattr__(self, name: str) -> Any:  # isatty, encoding, fileno: the terminal's, for Rich
        return getattr(self._terminal, name)


@contextmanager
def _output_to(log_file: Path) -> Iterator[None]:
    """Send what other threads print to ``log_file`` while the block runs (see ``_ThreadRoutedStream``)."""
    log_file.parent.mkdir(parents=True, exist_ok=True)
    saved = sys.stdout, sys.stderr
    caller = threading.current_thread()
    with log_file.open("w", encoding="utf-8") as log:
        sys.stdout = cast(TextIO, _ThreadRoutedStream(saved[0], log, caller))
        sys.stderr = cast(TextIO, _ThreadRoutedStream(saved[1], log, caller))
        try:
            yield
        finally:
            sys.stdout, sys.stderr = saved


Progress = Callable[[str, int, int], None]


def _selection(defs: Any, with_plan: bool) -> tuple[list[Any], int]:
    import dagster as dg

    graph = defs.get_repository_def().asset_graph
    keys = [k for k in graph.get_all_asset_keys() if graph.get(k).is_materializable]
    if not with_plan:
        keys = [k for k in keys if k != dg.AssetKey(["dispatch", "proposed_plan"])]
    checks = [c for k in keys for c in graph.get(k).check_keys]
    return keys, len(keys) + len(checks)


def run_pipelines(
    *, full: bool = False, with_plan: bool = False, plan_seconds: float = 30.0, progress: Progress | None = None
) -> RunSummary:
    """Materialize every asset (extract → dbt models and tests → quality checks [→ tomorrow's plan]).

    ``progress(label, done, total)`` is called as assets materialize and checks finish, from the calling thread;
    what the run prints (dbt's log) goes to ``RunSummary.log_file``, not to the terminal.
    """
    home = dagster_home()
    warnings.filterwarnings("ignore", module="dagster")
    import dagster as dg

    from pipelines.definitions import defs

    keys, total = _selection(defs, with_plan)
    instance = dg.DagsterInstance.get()
    run_id = str(uuid.uuid4())
    run_config: dict[str, Any] = {
        "ops": {"ops_extract": {"config": {"full": full}}},
        # the progress bar speaks for the run; the full log stays in the Dagster UI
        "loggers": {"console": {"config": {"log_level": "ERROR"}}},
    }
    if with_plan:
        run_config["ops"]["dispatch__proposed_plan"] = {"config": {"time_limit": plan_seconds}}
    job = defs.resolve_implicit_global_asset_job_def()
    outcome: dict[str, Any] = {}

    def work() -> None:
        try:
            outcome["result"] = job.execute_in_process(
                run_config=run_config, instance=instance, asset_selection=keys, run_id=run_id, raise_on_error=False
            )
        except Exception as error:  # reported to the caller below, in one sentence
            outcome["error"] = error

    started = time.perf_counter()
    log_file = home / "run-logs" / f"{run_id}.log"
    summary = RunSummary(run_id, False, 0.0, log_file=log_file)
    with _output_to(log_file):
        thread = threading.Thread(target=work, name="pipelines-run", daemon=True)
        thread.start()
        while thread.is_alive():
            thread.join(timeout=0.5)
            _collect(instance, run_id, summary)
            if progress:
                progress(summary.materialized[-1] if summary.materialized else "starting", _done(summary), total)
    _collect(instance, run_id, summary)
    summary.seconds = time.perf_counter() - started
    if "error" in outcome:
        summary.error = str(outcome["error"])
    else:
        result = outcome["result"]
        summary.success = bool(result.success)
        if not result.success:
            failures = [e for e in result.all_events if e.is_failure]
            summary.error = failures[0].message if failures else "the run failed"
    if progress:
        progress("done", _done(summary), total)
    return summary


def _done(summary: RunSummary) -> int:
    return len(summary.materialized) + len(summary.checks)


def _collect(instance: Any, run_id: str, summary: RunSummary) -> None:
    import dagster as dg

    records = instance.get_records_for_run(
        run_id,
        of_type={dg.DagsterEventType.ASSET_MATERIALIZATION, dg.DagsterEventType.ASSET_CHECK_EVALUATION},
        limit=100_000,
    ).records
    summary.materialized.clear()
    summary.checks.clear()
    for record in records:
        event = record.event_log_entry.dagster_event
        if event is None:
            continue
        if event.event_type == dg.DagsterEventType.ASSET_MATERIALIZATION:
            summary.materialized.append(event.asset_key.to_user_string())
        else:
            evaluation = event.event_specific_data
            name = f"{evaluation.asset_key.to_user_string()}:{evaluation.check_name}"
            summary.checks[name] = bool(evaluation.passed)
            if not evaluation.passed:
                summary.failed_checks[name] = evaluation.description or ""
