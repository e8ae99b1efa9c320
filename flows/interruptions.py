"""A run stopped by a signal: SIGTERM (systemd, Docker, `kill`, a worker stopping) or SIGINT (Ctrl-C).

Prefect raises SIGTERM in a flow run as TerminationSignal (its engine's capture_sigterm), Python raises SIGINT as
KeyboardInterrupt: on their way out, the transaction of the establishment in progress rolls back (its context
manager) and the archive copies no row names go (pipeline.ingest). The flow then closes its run « interrompue » with
what it did commit (pipeline.nightly.record_interruption) and ends Crashed with a French message (close_interrupted).
A cancellation asked in Prefect's UI reaches the flow as the same SIGTERM: that one is left to Prefect.
"""
from __future__ import annotations

import signal
from collections.abc import Callable

from prefect import get_run_logger
from prefect.client.orchestration import get_client
from prefect.exceptions import TerminationSignal
from prefect.runtime import flow_run
from prefect.states import Crashed, State

from pipeline.history import signal_name as stopping_signal
from pipeline.nightly import interrupted_message, record_interruption
from pipeline.settings import Settings
from store.database import DatabaseFailure
from transforms.report import RunReport
from transforms.worded import WordedError

INTERRUPTIONS = (TerminationSignal, KeyboardInterrupt)


class RunInterrupted(WordedError):
    """The data of an interrupted run's Crashed state (Prefect resolves a state's data into an exception): its French
    message, the signal's name, and the report of what the run committed before it."""

    def __init__(self, message: str, signal_name: str, report: RunReport) -> None:
        super().__init__(message)
        self.signal_name, self.report = signal_name, report

    def __reduce__(self):
        return type(self), (str(self), self.signal_name, self.report)

    @property
    def exit_status(self) -> int:
        """A shell's status for a command a signal stopped: 128 + its number (143 SIGTERM, 130 SIGINT)."""
        return 128 + signal.Signals[self.signal_name]


def signal_name(stop: BaseException) -> str:
    return stopping_signal(stop) or "SIGINT"


def is_cancelling() -> bool:
    """True when Prefect is cancelling this flow run (asked in the UI): the SIGTERM is its own, it says Cancelled."""
    if not flow_run.id:
        return False
    try:
        with get_client(sync_client=True) as client:
            state = client.read_flow_run(flow_run.id).state
    except Exception:  # noqa: BLE001 - the server out of reach: no cancellation can be known, the run is interrupted
        return False
    return state is not None and state.is_cancelling()


def close_interrupted(settings: Settings, run_id: int, stop: BaseException,
                      publish: Callable[[RunReport], None]) -> State:
    """The run stopped by STOP: its row closed « interrompue » with what it committed, the report of that PUBLISHed,
    Crashed with the same French message. A cancellation asked in the UI goes on as Prefect's own (Cancelled)."""
    if is_cancelling():
        raise stop
    name = signal_name(stop)
    try:
        report, message = record_interruption(settings, run_id, name)
    except DatabaseFailure as unrecorded:  # the next run closes the row, counting from the database then
        report = RunReport()
        message = interrupted_message(name, report)
        get_run_logger().error("Exécution non enregistrée comme interrompue : %s", unrecorded)
    publish(report)
    get_run_logger().error(message)
    return Crashed(message=message, data=RunInterrupted(message, name, report))
