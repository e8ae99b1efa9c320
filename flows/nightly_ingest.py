"""The nightly flow: class CSVs of an inbox → checked → reporting database, with the run's history.

Prefect wiring only: a coarse task per step of pipeline.ingest and pipeline.nightly (the plan of the inbox, the load
of every establishment, an académie's over the machine's cores, the attestations, the bilans), and the run's outcome
as Prefect's states. Tasks hand each other plans, ids and reports: paths and counts, never a student.
"""
from __future__ import annotations

from datetime import date
from functools import partial
from pathlib import Path

from prefect import flow, get_run_logger, task
from prefect.artifacts import create_markdown_artifact, create_table_artifact
from prefect.cache_policies import NO_CACHE
from prefect.states import Completed, Failed, State
from prefect.utilities.annotations import quote

from flows.attestations import say_waiting
from flows.failures import failure_published
from flows.fan_out import spread_establishments
from flows.interruptions import INTERRUPTIONS, RunInterrupted, close_interrupted
from flows.retry import DELAY_SECONDS, TRIES_AGAIN
from flows.run_row import WORDED_ERRORS, close_run, closed_as_failed_on_error, open_run, prepare_database
from pipeline import nightly
from pipeline.history import failure_reason
from pipeline.ingest import InboxPlan, load_inbox, plan_inbox
from pipeline.progress import establishment_progress
from pipeline.settings import Settings, current_settings
from transforms.report import RunReport
from transforms.worded import WordedError


@flow(name="nightly-ingest", log_prints=False)
def nightly_ingest(inbox: str, roster: str | None = None, uai: str | None = None,
                   report_path: str | None = None, attestations: bool = True, school_name: str | None = None,
                   schools: str | None = None, fan_out: bool = False, bilans: bool = True,
                   school_head: str | None = None) -> State:
    """Loads every class CSV of INBOX (one establishment, or one sub-folder per UAI) and records the run.

    SCHOOL_NAME (one establishment) or SCHOOLS (a uai;nom file, or the Annuaire de l'éducation export; an
    académie's etablissements.csv is found by itself) name the establishments on the attestations; SCHOOL_HEAD (one
    establishment) or a chef_etablissement column of SCHOOLS name who signs them. FAN_OUT runs
    each establishment as a flow run of its own on the work pool, so that every worker shares the night. BILANS
    remakes the bilan of each establishment whose data changed.
    """
    settings = current_settings()
    # A failure says why in the run history and in an artifact under the report's key
    with failure_published("nightly-ingest-report", WORDED_ERRORS):
        plan = plan_establishments(inbox, roster, uai, school_name, schools, school_head)
        if fan_out:
            return spread_establishments(settings, inbox, plan, roster, attestations, report_path)
        # The database at the latest schema, and this run in its history
        prepare_database(settings)
        run_id = open_run(settings, {"inbox": inbox, "roster": roster, "uai": uai, "attestations": attestations,
                                     "bilans": bilans, "school_name": school_name, "schools": schools,
                                     "establishments": len(plan.jobs)},
                          uai=plan.jobs[0].uai if len(plan.jobs) == 1 else None)
        try:
            with closed_as_failed_on_error(settings, run_id):
                # Each establishment read, checked and loaded as one unit; an académie's over every core
                report = load_establishments(quote(plan), settings, run_id)
                # Attestations only where results changed since they were last made
                if attestations:
                    report = refresh_attestations(quote(report), settings)
                # The bilans whose data changed, each class's counts and rates published as an artifact
                if bilans:
                    report = refresh_bilans(quote(report), settings)
        except INTERRUPTIONS as stop:  # SIGTERM, Ctrl-C: what was committed is recorded, the rest is not
            return close_interrupted(settings, run_id, stop, partial(publish_report.fn, report_path=report_path))
        # Record and publish the outcome; the state says it to the Prefect UI
        # the UAI of a run of one establishment read from its roster is known only now
        close_run(settings, run_id, nightly.run_status(report), report.totals(), report.state_message(),
                  report.establishments[0].uai if len(report.establishments) == 1 else None)
        publish_report(quote(report), report_path)
    return final_state(report)


@task(cache_policy=NO_CACHE)
def plan_establishments(inbox: str, roster: str | None, uai: str | None, school_name: str | None,
                        schools: str | None, school_head: str | None = None) -> InboxPlan:
    """The establishments of the inbox as jobs (paths, never contents); InboxError (a usage error) when the inbox
    cannot be used."""
    return plan_inbox(Path(inbox), Path(roster) if roster else None, uai, school_name,
                      Path(schools) if schools else None, get_run_logger(), school_head=school_head)


@task(cache_policy=NO_CACHE)
def load_establishments(plan: InboxPlan, settings: Settings, run_id: int) -> RunReport:
    """Every establishment all or nothing, in one transaction each; one log line per establishment."""
    with establishment_progress(len(plan.jobs), plan.files, get_run_logger()) as done:
        return load_inbox(plan, settings, run_id, on_done=done)


# pages and PDFs carry names: never persisted
@task(cache_policy=NO_CACHE, persist_result=False)
def refresh_attestations(report: RunReport, settings: Settings) -> RunReport:
    """The attestations of each establishment whose results changed, for the year of its latest results: a line of
    log each, its classes and pages, or why it failed (the next night tries again; the data loaded stands)."""
    logger = get_run_logger()

    def failed(uai: str, error: Exception) -> None:
        logger.error("Attestations %s : échec (%s), elles seront refaites à la prochaine exécution", uai,
                     failure_reason(error, (WordedError,)))  # an error's type, never a value that may name someone

    return nightly.refresh_attestations(report, settings, date.today(), on_wait=say_waiting,
                                        on_done=lambda made: logger.info(made.state_message()), on_failure=failed,
                                        tries_again=TRIES_AGAIN, delay_seconds=DELAY_SECONDS)


@task(cache_policy=NO_CACHE)
def refresh_bilans(report: RunReport, settings: Settings) -> RunReport:
    """The bilan of each establishment loaded whose data changed since it was made, for the year of its latest
    results. A bilan that cannot be made is logged and tried again the next night: the data loaded stands.
    """
    try:
        report, refreshed = nightly.refresh_establishment_bilans(report, settings, date.today())
    except Exception as error:  # its message may quote data: only its type is logged
        get_run_logger().error("Bilans : échec (%s), ils seront refaits à la prochaine exécution", type(error).__name__)
        return report
    for bilan in refreshed.written:
        create_table_artifact(key=f"bilan-{bilan.uai.lower()}", table=list(bilan.headline),
                              description=f"Bilan Pix {bilan.uai} : résultats par classe (effectifs et taux, "
                                          "sans données nominatives)")
    get_run_logger().info("Bilans : %d refait(s), %d inchangé(s), %d sans certification%s", len(refreshed.written),
                          len(refreshed.unchanged), len(refreshed.empty),
                          " ; synthèse académique refaite" if refreshed.academie else "")
    return report


@task(cache_policy=NO_CACHE)
def publish_report(report: RunReport, report_path: str | None) -> None:
    create_markdown_artifact(key="nightly-ingest-report", markdown=report.to_markdown(),
                             description="Fichiers, lignes chargées et mises en quarantaine (sans données nominatives)")
    if report_path:
        Path(report_path).write_text(report.to_json(), encoding="utf-8")


class RunNotClean(WordedError):
    """The data of the run's Failed state: Prefect resolves a failed state's data into an exception (a worker does,
    and would log a TypeError quoting the whole report were it not one). Its message is the state's: counts only.
    """

    def __init__(self, report: RunReport) -> None:
        super().__init__(report.state_message())
        self.report = report

    def __reduce__(self):
        return type(self), (self.report,)


def final_state(report: RunReport) -> State:
    """Completed when all is clean (pipeline.nightly.is_clean); otherwise Failed, whose message says what happened:
    « Quarantaine : … » when input was set aside or a problem of the run's establishments is still open (a
    quarantine is not green the next night just because the bad file is unchanged), the establishments not loaded,
    the attestations in failure.

    The state keeps Prefect's own name: the UI's run lists filter on state names by default (Pending … Completed,
    Cancelled, Crashed, Failed, TimedOut: prefect/server/ui's bundle, 3.8.8): a run named « Quarantined » would be
    hidden from them.
    """
    if not nightly.is_clean(report):
        return Failed(message=report.state_message(), data=RunNotClean(report))
    # quoted: Prefect walks a flow's return value for futures, and an académie's report has thousands of parts
    return Completed(message=report.state_message(), data=quote(report))


def report_of(state: State) -> RunReport | None:
    """The run's report from the flow's final state, clean or not; None when the run failed before it had one."""
    result = state.result(raise_on_failure=False)
    if isinstance(result, quote):
        result = result.unquote()
    if isinstance(result, RunNotClean | RunInterrupted):
        return result.report
    return result if isinstance(result, RunReport) else None
