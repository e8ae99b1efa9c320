"""A run stopped by a signal: SIGTERM (systemd, Docker, `kill`, a worker stopping) or SIGINT (Ctrl-C).

Prefect raises SIGTERM in a flow run as TerminationSignal (its engine's capture_sigterm), Python raises SIGINT as
KeyboardInterrupt: on their way out, the transaction of the establishment in progress rolls back (its context
manager) and the archive copies no row names go (pipeline.ingest). The flow then closes its run « interrompue » with what
it did commit, read back from the database (the work of helper processes included), and ends Crashed with a French
message. A cancellation asked in Prefect's UI reaches the flow as the same SIGTERM: that one is left to Prefect.
"""
from __future__ import annotations

import signal

from prefect.client.orchestration import get_client
from prefect.exceptions import TerminationSignal
from prefect.runtime import flow_run

from pipeline.history import signal_name as stopping_signal
from transforms.report import EstablishmentReport, FileReport, RunReport
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


def committed_report(files) -> RunReport:
    """The report of an interrupted run from the files it registered (store.runs.read_run_files): per file its
    status and counts, per establishment its UAI; what the run did not commit is in no row, so in no report."""
    reports = [FileReport(name=f.name, uai=f.uai, status=f.status, rows_read=f.rows_read, rows_loaded=f.rows_loaded,
                          rows_quarantined=f.rows_quarantined) for f in files]
    uais = dict.fromkeys(f.uai for f in files)
    return RunReport(reports, [EstablishmentReport(uai, 0, has_roster=True) for uai in uais])


def interrupted_message(name: str, report: RunReport) -> str:
    totals = report.totals()
    return (f"Exécution interrompue ({name}) : {totals['establishments']} établissement(s) enregistré(s) avant l'arrêt "
            f"({totals['files']} fichier(s), {totals['rows_loaded']} ligne(s) chargée(s)) ; l'établissement en cours "
            "n'est pas chargé, la prochaine exécution reprendra ce qui reste.")
