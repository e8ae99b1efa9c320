"""The run history of the on-demand flows: a pipeline_runs row opened before the work, closed after it.

Takes the run's kind, its parameters (never personal data) and the Prefect flow-run id; the work fills
in its counts and French summary, and a failure closes the row with a message that names nobody.
"""
from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from prefect.runtime import flow_run

from flows import config
from flows.interruptions import INTERRUPTIONS, signal_name
from flows.processes import is_gone, this_process
from store.database import DatabaseFailure, connect
from store.runs import finish_run, start_run
from transforms.private_files import StorageFailure


@dataclass
class RunOutcome:
    """What the work says of itself when it succeeds: counts for the history, a French summary without names."""

    counts: dict[str, Any] = field(default_factory=dict)
    message: str = ""
    run_id: int | None = None  # the run's row, for work that points to it (None: not recorded)


@contextmanager
def recorded_run(kind: str, parameters: dict[str, Any], flow_run_id: str | None = None, *,
                 worded_errors: tuple[type[BaseException], ...] = (), enabled: bool = True) -> Iterator[RunOutcome]:
    """Records the enclosed work as one run of KIND: completed with the outcome it fills in, or failed.

    Messages of WORDED_ERRORS are written for administrators and name nobody: they are kept; any other
    failure may quote a value from the data, so only its type is recorded. ENABLED=False records nothing
    (a subflow whose parent run is already in the history).
    """
    outcome = RunOutcome()
    if not enabled:
        yield outcome
        return
    with connect(config.database_url()) as connection:
        run_id = outcome.run_id = start_run(connection, kind, parameters, flow_run_id, utc_now(), this_process(),
                                             is_gone)
    try:
        yield outcome
    except INTERRUPTIONS as stop:  # SIGTERM, Ctrl-C: not a failure of the work, which the next run does again
        _finish(run_id, "interrupted", {}, f"Exécution interrompue ({signal_name(stop)}) avant sa fin : relancez-la.")
        raise
    except BaseException as error:
        _finish(run_id, "failed", {}, failure_reason(error, worded_errors))
        raise
    _finish(run_id, "completed", outcome.counts, outcome.message)


def failure_reason(error: BaseException, worded_errors: tuple[type[BaseException], ...] = ()) -> str:
    """Why a run failed, for its history row, its artifact and its state: the message of an error written for
    administrators (WORDED_ERRORS, the database's, the disk's), which names nobody; of any other error, which may
    quote a value from the data, its type only."""
    if isinstance(error, (*worded_errors, DatabaseFailure, StorageFailure)):
        return str(error)
    return f"Échec : {type(error).__name__}"


def _finish(run_id: int, status: str, counts: dict[str, Any], message: str) -> None:
    with connect(config.database_url()) as connection:
        finish_run(connection, run_id, status, counts, message, utc_now())


def utc_now() -> datetime:
    """The time a run's history row records: aware, in UTC, whatever the machine's zone."""
    return datetime.now(timezone.utc)


def current_flow_run_id() -> str | None:
    """The Prefect flow run this code runs in, for its history row; None outside a flow run (tests, `.fn()`)."""
    return str(flow_run.id) if flow_run.id else None
