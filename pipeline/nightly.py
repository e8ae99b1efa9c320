"""The nightly run after the load: attestations and bilans remade where data changed, the run's outcome, and what an
interrupted run had committed.

Takes the run report and the settings; returns the report with what each step did and the time it took. The flow
(flows/nightly_ingest.py) calls these steps and turns the outcome into Prefect's states.
"""
from __future__ import annotations

from collections.abc import Callable, Sequence
from contextlib import nullcontext
from datetime import date
from time import perf_counter, sleep

from pipeline.attestations import AttestationsReport, attestations_in_turn, helpers_for_rounds
from pipeline.bilans import BilansReport, refresh_bilans
from pipeline.history import utc_now
from pipeline.school_years import default_school_year
from pipeline.settings import Settings
from store.certifications import mark_attestations_due, read_attestations_due
from store.database import DatabaseFailure, connect
from store.runs import finish_run, read_run_files
from transforms.report import EstablishmentReport, FileReport, RunReport


def refresh_attestations(report: RunReport, settings: Settings, today: date, *,
                         on_wait: Callable[[str], None] = lambda uai: None,
                         on_done: Callable[[AttestationsReport], None] = lambda made: None,
                         on_failure: Callable[[str, Exception], None] = lambda uai, error: None,
                         tries_again: int = 0, delay_seconds: float = 0.0) -> RunReport:
    """The attestations of each establishment of REPORT loaded whose results changed since they were made, for the
    year of its latest results (pipeline.attestations.attestations_in_turn). One made is no longer due at once (a
    night stopped later keeps it); one that failed on trouble that can pass (the database out of reach or busy) is
    tried again TRIES_AGAIN times, DELAY_SECONDS apart; one that failed for good is given to ON_FAILURE and stays
    due: the next night tries again, and the loaded data stands.
    """
    started = perf_counter()
    with connect(settings.database_url, write=False) as connection:
        due = set(read_attestations_due(connection))
    targets = [(e.uai, default_school_year(e.uai, today, database_url=settings.database_url))
               for e in report.establishments if e.error is None and e.uai in due]

    def made(attestations: AttestationsReport) -> None:
        with connect(settings.database_url) as connection:
            mark_attestations_due(connection, attestations.uai, False)
        on_done(attestations)

    done: dict[str, AttestationsReport | None] = {}
    with helpers_for_rounds(settings) if targets else nullcontext():
        remaining = targets
        for tries_left in range(tries_again, -1, -1):
            failures: dict[str, Exception] = {}
            done |= attestations_in_turn(remaining, settings, on_wait=on_wait, on_done=made,
                                         on_failure=lambda uai, error: failures.update({uai: error}))
            passing = {uai for uai, error in failures.items() if tries_left and _may_pass(error)}
            for uai, error in failures.items():
                if uai not in passing:
                    on_failure(uai, error)
            remaining = [(uai, year) for uai, year in remaining if uai in passing]
            if not remaining:
                break
            sleep(delay_seconds)
    written = {uai: None if done.get(uai) is None else sum(done[uai].pages.values()) for uai, _ in targets}
    return report.with_attestations(written).with_timing("attestations", perf_counter() - started)


def _may_pass(error: Exception) -> bool:
    return isinstance(error, DatabaseFailure) and error.transient


def refresh_establishment_bilans(report: RunReport, settings: Settings, today: date,
                                 ) -> tuple[RunReport, BilansReport]:
    """The bilan of each establishment of REPORT loaded whose data changed since its bilan was made, for the year of
    its latest results; REPORT with the time it took."""
    started = perf_counter()
    years = {e.uai: default_school_year(e.uai, today, database_url=settings.database_url)
             for e in report.establishments if e.error is None}
    refreshed = refresh_bilans(settings.database_url, settings.out_dir.resolve(), years, today,
                               workers=settings.workers)
    return report.with_timing("bilans", perf_counter() - started), refreshed


def run_status(report: RunReport) -> str:
    """The run's status in the history: failed (an establishment not loaded, or attestations not made), quarantined
    (input set aside, or a problem still open), completed."""
    if report.failed:
        return "failed"
    return "quarantined" if report.quarantined else "failed" if report.attestations_failed else "completed"


def is_clean(report: RunReport) -> bool:
    """Nothing for anyone to look at: every establishment loaded, no input set aside nor problem open, the
    attestations made."""
    return not (report.failed or report.quarantined or report.attestations_failed)


def record_interruption(settings: Settings, run_id: int, signal_name: str) -> tuple[RunReport, str]:
    """The run RUN_ID, stopped by SIGNAL_NAME, closed « interrompue » in the history with what it committed (the
    work of helper processes included, read back from the database); that report and the French message.
    DatabaseFailure when the database cannot say it: the next run closes the row then."""
    with connect(settings.database_url, write=False) as connection:
        report = committed_report(read_run_files(connection, run_id))
    message = interrupted_message(signal_name, report)
    with connect(settings.database_url) as connection:
        finish_run(connection, run_id, "interrupted", report.totals(), message, utc_now())
    return report, message


def committed_report(files: Sequence) -> RunReport:
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
