"""The steps of an ingest run that touch its own bookkeeping: the database schema brought up to date, the run's
history row opened and closed. Shared by the nightly flow and its fan-out over the work pool."""
from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from prefect import get_run_logger, task
from prefect.cache_policies import NO_CACHE
from prefect.runtime import flow_run

from flows.retry import DELAY_SECONDS, TRIES_AGAIN, retry_when_transient
from pipeline.history import failure_reason, utc_now
from pipeline.processes import is_gone, this_process
from pipeline.settings import Settings
from store.database import DatabaseFailure, connect, upgrade_to_head
from store.runs import finish_run, start_run
from transforms.inbox import InboxError
from transforms.private_files import StorageFailure

# errors whose message is written for administrators and names nobody: kept as the run's reason
WORDED_ERRORS = (DatabaseFailure, InboxError, StorageFailure)


@task(retries=TRIES_AGAIN, retry_delay_seconds=DELAY_SECONDS, retry_condition_fn=retry_when_transient,
      cache_policy=NO_CACHE)
def prepare_database(settings: Settings) -> None:
    with connect(settings.database_url) as connection:
        upgrade_to_head(connection)


@task(retries=TRIES_AGAIN, retry_delay_seconds=DELAY_SECONDS, retry_condition_fn=retry_when_transient,
      cache_policy=NO_CACHE)
def open_run(settings: Settings, parameters: dict, kind: str = "ingest", uai: str | None = None) -> int:
    with connect(settings.database_url) as connection:
        return start_run(connection, kind, parameters, current_flow_run_id(), utc_now(), this_process(), is_gone,
                         uai=uai)


@task(retries=TRIES_AGAIN, retry_delay_seconds=DELAY_SECONDS, retry_condition_fn=retry_when_transient,
      cache_policy=NO_CACHE)
def close_run(settings: Settings, run_id: int, status: str, totals: dict, message: str,
              uai: str | None = None) -> None:
    with connect(settings.database_url) as connection:
        finish_run(connection, run_id, status, totals, message, utc_now(), uai)


@contextmanager
def closed_as_failed_on_error(settings: Settings, run_id: int) -> Iterator[None]:
    """The run's row closed as failed, with a reason that names nobody, when the enclosed work raises."""
    try:
        yield
    except Exception as error:
        reason = failure_reason(error, WORDED_ERRORS)
        try:
            close_run.fn(settings, run_id, "failed", {}, reason)
        except DatabaseFailure as unrecorded:  # the database is what failed: the next run marks this one interrupted
            get_run_logger().error("Exécution non enregistrée comme échouée : %s", unrecorded)
        raise


def current_flow_run_id() -> str | None:
    """The Prefect flow run this code runs in, for its history row; None outside a flow run (`.fn()`)."""
    return str(flow_run.id) if flow_run.id else None
