"""The run history of the on-demand flows: a pipeline_runs row opened before the work, closed after it.

Takes the run's kind, its parameters (never personal data) and the Prefect flow-run id; the work fills
in its counts and French summary, and a failure closes the row with a message that names nobody.
"""
from __future__ import annotations

import signal
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from pipeline.processes import is_gone, this_process
from store.database import DatabaseFailure, connect
from store.runs import finish_run, start_run
from transforms.private_files import StorageFailure


@dataclass
class RunOutcome:
    """What the work says of itself when it succeeds: counts for the history, a French summary without names."""

    counts: dict[str, Any] = field(default_factory=dict)
    message: str = ""
    run_id: int | None = None  # the run's row, for work that points to it (None: not recorded)
    uai: str | None = None  # the establishment the work found it was for, when none was asked (the only one)


@contextmanager
def recorded_run(kind: str, parameters: dict[str, Any], flow_run_id: str | None = None, *,
                 database_url: str, worded_errors: tuple[type[BaseException], ...] = ()) -> Iterator[RunOutcome]:
    """Records the enclosed work as one run of KIND in the database at DATABASE_URL: completed with the outcome it fills in, or failed.

    Messages of WORDED_ERRORS are written for administrators and name nobody: they are kept; any other
    failure may quote a value from the data, so only its type is recorded.
    """
    outcome = RunOutcome()
    url = database_url
    with connect(url) as connection:
        run_id = outcome.run_id = start_run(connection, kind, parameters, flow_run_id, utc_now(), this_process(),
                                             is_gone, uai=_asked_uai(parameters))
    try:
        yield outcome
    except BaseException as error:
        stopped_by = signal_name(error)
        if stopped_by:  # SIGTERM, Ctrl-C: not a failure of the work, which the next run does again
            _finish(url, run_id, "interrupted", {}, f"Exécution interrompue ({stopped_by}) avant sa fin : relancez-la.")
            raise
        _finish(url, run_id, "failed", {}, failure_reason(error, worded_errors))
        raise
    _finish(url, run_id, "completed", outcome.counts, outcome.message, outcome.uai)


def _asked_uai(parameters: dict[str, Any]) -> str | None:
    uai = parameters.get("uai")
    return uai if isinstance(uai, str) and uai else None


def failure_reason(error: BaseException, worded_errors: tuple[type[BaseException], ...] = ()) -> str:
    """Why a run failed, for its history row, its artifact and its state: the message of an error written for
    administrators (WORDED_ERRORS, the database's, the disk's), which names nobody; of any other error, which may
    quote a value from the data, its type only."""
    if isinstance(error, (*worded_errors, DatabaseFailure, StorageFailure)):
        return str(error)
    return f"Échec : {type(error).__name__}"


def _finish(database_url: str, run_id: int, status: str, counts: dict[str, Any], message: str,
            uai: str | None = None) -> None:
    with connect(database_url) as connection:
        finish_run(connection, run_id, status, counts, message, utc_now(), uai)


def utc_now() -> datetime:
    """The time a run's history row records: aware, in UTC, whatever the machine's zone."""
    return datetime.now(timezone.utc)


def signal_name(stop: BaseException) -> str | None:
    """The signal that stopped the work, when a signal did: Ctrl-C is Python's KeyboardInterrupt, a SIGTERM the
    orchestrator's exception carrying the signal's number (Prefect's TerminationSignal); None for any other error."""
    if isinstance(stop, KeyboardInterrupt):
        return "SIGINT"
    number = getattr(stop, "signal", None)
    return signal.Signals(number).name if isinstance(number, int) and not isinstance(stop, Exception) else None
