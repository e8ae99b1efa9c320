"""The nightly flow: class CSVs of an inbox → checked → reporting database, with the run's history.

Prefect orchestration only: one coarse task loads every establishment (pipeline.ingest does the work, an
académie's establishments over the machine's cores); tasks hand each other paths, ids and counts.
"""
from __future__ import annotations

from datetime import date
from pathlib import Path
from time import perf_counter

from prefect import flow, get_run_logger, task
from prefect.artifacts import create_markdown_artifact, create_table_artifact
from prefect.cache_policies import NO_CACHE
from prefect.states import Completed, Crashed, Failed, State
from prefect.utilities.annotations import quote

from pipeline import config
from flows.attestations import make_attestations
from flows.failures import failure_published
from flows.fan_out import spread_establishments
from flows.heartbeats import without_heartbeats
from pipeline.ingest import EstablishmentJob, Settings, ingest_establishments
from flows.interruptions import (INTERRUPTIONS, RunInterrupted, committed_report, interrupted_message,
                                 is_cancelling, signal_name)
from pipeline.progress import establishment_progress
from flows.run_row import WORDED_ERRORS, close_run, closed_as_failed_on_error, open_run, prepare_database
from pipeline.school_years import default_school_year
from store.certifications import mark_attestations_due, read_attestations_due
from store.database import DatabaseFailure, connect
from store.runs import read_run_files
from transforms.inbox import IgnoredEntry, InboxError, RefusedFile, find_schools_file, list_inbox, read_inbox_file
from transforms.printable import printable
from transforms.report import RunReport
from transforms.schools import given_head, read_schools
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
    # A failure says why in the run history and in an artifact under the report's key
    with failure_published("nightly-ingest-report", WORDED_ERRORS):
        jobs, ignored, schools_problems = plan_establishments(inbox, roster, uai, school_name, schools, school_head)
        if fan_out:
            return spread_establishments(inbox, jobs, ignored, roster, attestations, report_path, schools_problems)
        # The database at the latest schema, and this run in its history
        prepare_database()
        run_id = open_run({"inbox": inbox, "roster": roster, "uai": uai, "attestations": attestations,
                           "bilans": bilans, "school_name": school_name, "schools": schools})
        try:
            with closed_as_failed_on_error(run_id):
                # Each establishment read, checked and loaded as one unit; an académie's over every core
                started = perf_counter()
                report = load_establishments(quote(jobs), quote(ignored), quote(schools_problems), run_id)
                report = report.with_timing("load", perf_counter() - started)
                # Attestations only where results changed since they were last made
                if attestations:
                    started = perf_counter()
                    report = refresh_attestations(report).with_timing("attestations", perf_counter() - started)
                # The bilans whose data changed, each class's counts and rates published as an artifact
                if bilans:
                    started = perf_counter()
                    refresh_bilans([e.uai for e in report.establishments if e.error is None])
                    report = report.with_timing("bilans", perf_counter() - started)
        except INTERRUPTIONS as stop:  # SIGTERM, Ctrl-C: what was committed is recorded, the rest is not
            return close_interrupted(run_id, stop, report_path)
        # Record and publish the outcome; the state says it to the Prefect UI
        close_run(run_id, _run_status(report), report.totals(), report.state_message())
        publish_report(report.to_markdown(), report.to_json() if report_path else None, report_path)
    return final_state(report)


@task(cache_policy=NO_CACHE)
def plan_establishments(inbox: str, roster: str | None, uai: str | None, school_name: str | None,
                        schools: str | None, school_head: str | None = None
                        ) -> tuple[tuple[EstablishmentJob, ...], tuple[IgnoredEntry, ...], tuple[dict, ...]]:
    """The establishments of the inbox, as paths, the entries at the root of an académie inbox that are not
    read, and the problems of its list of establishments (lines set aside, UAIs to check); InboxError (a usage
    error) when the inbox cannot be used.
    """
    schools_file = Path(schools) if schools else find_schools_file(Path(inbox))
    names, heads, problems = None, {}, ()
    try:
        # the one found in the inbox is read as any inbox file is (a link swapped in is not followed)
        content = None if schools_file is None else schools_file.read_bytes() if schools else \
            read_inbox_file(schools_file)
    except RefusedFile as refused:
        get_run_logger().warning("%s : non lu (%s), établissements sans nom", printable(schools_file.name),
                                 refused.rule)
        content = None
    if content is not None:
        directory = read_schools(schools_file.name, content)
        problems = directory.problems
        for problem in problems:
            get_run_logger().warning("%s, ligne %s : %s", printable(schools_file.name), problem["row"],
                                     printable(problem["message"]))
        names, heads = directory.names, directory.heads
    listed = list_inbox(Path(inbox), Path(roster) if roster else None, uai, school_name, names)
    head, refused = given_head(school_head, all(e.folder == Path(inbox) for e in listed.establishments))
    if refused:
        raise InboxError(refused)
    return tuple(EstablishmentJob.of(e, head or heads.get(e.uai)) for e in listed.establishments), listed.ignored, \
        problems


@task(cache_policy=NO_CACHE)
def load_establishments(jobs: tuple[EstablishmentJob, ...], ignored: tuple[IgnoredEntry, ...],
                        schools_problems: tuple[dict, ...], run_id: int) -> RunReport:
    """Every establishment all or nothing, in one transaction each; one log line per establishment. IGNORED
    (entries at the root of an académie inbox) and SCHOOLS_PROBLEMS go into the report as they are.
    """
    settings = Settings(config.database_url(), str(config.archive_dir()), run_id)
    with establishment_progress(len(jobs), sum(len(j.files) for j in jobs), get_run_logger()) as done:
        return RunReport.of(ingest_establishments(jobs, settings, on_done=done), ignored, schools_problems)


def close_interrupted(run_id: int, stop: BaseException, report_path: str | None) -> State:
    """The run stopped by STOP (flows.interruptions): its row closed « interrompue » with what it committed, the
    report of that published (and written to REPORT_PATH), Crashed with the same French message. A cancellation
    asked in the UI goes on as Prefect's own (Cancelled)."""
    if is_cancelling():
        raise stop
    try:
        with connect(config.database_url(), write=False) as connection:
            report = committed_report(read_run_files(connection, run_id))
        message = interrupted_message(signal_name(stop), report)
        close_run.fn(run_id, "interrupted", report.totals(), message)
    except DatabaseFailure as unrecorded:  # the next run closes the row, counting from the database then
        report = RunReport()
        message = interrupted_message(signal_name(stop), report)
        get_run_logger().error("Exécution non enregistrée comme interrompue : %s", unrecorded)
    publish_report.fn(report.to_markdown(), report.to_json() if report_path else None, report_path)
    get_run_logger().error(message)
    return Crashed(message=message, data=RunInterrupted(message, signal_name(stop), report))


def refresh_attestations(report: RunReport) -> RunReport:
    """The attestations subflow for each establishment whose results changed, for the year of its latest results.

    A failed rendering leaves the loaded data as it is and the establishment due (the next night tries again).
    """
    written: dict[str, int | None] = {}
    for uai in find_attestations_due([e.uai for e in report.establishments if e.error is None]):
        with without_heartbeats():
            state = make_attestations(default_school_year(uai, date.today()), uai, only_changed=True,
                                      record_run=False, return_state=True)
        if state.is_completed():
            clear_attestations_due(uai)
            written[uai] = sum(state.result().pages.values())
        else:
            get_run_logger().error("Attestations %s : échec (%s)", uai, state.message)
            written[uai] = None
    return report.with_attestations(written)


@task(cache_policy=NO_CACHE)
def find_attestations_due(uais: list[str]) -> list[str]:
    with connect(config.database_url(), write=False) as connection:
        due = set(read_attestations_due(connection))
    return [uai for uai in uais if uai in due]


@task(cache_policy=NO_CACHE)
def clear_attestations_due(uai: str) -> None:
    with connect(config.database_url()) as connection:
        mark_attestations_due(connection, uai, False)


@task(cache_policy=NO_CACHE)
def refresh_bilans(uais: list[str]) -> None:
    """The bilan of each establishment whose data changed since it was made, for the year of its latest results.

    A bilan that cannot be made is logged and tried again the next night: the data loaded stands.
    """
    from pipeline.bilans import refresh_bilans as refresh

    try:
        refreshed = refresh(config.database_url(), config.output_dir().resolve(),
                            {uai: default_school_year(uai, date.today()) for uai in uais}, date.today())
    except Exception as error:  # its message may quote data: only its type is logged
        get_run_logger().error("Bilans : échec (%s), ils seront refaits à la prochaine exécution", type(error).__name__)
        return
    for bilan in refreshed.written:
        create_table_artifact(key=f"bilan-{bilan.uai.lower()}", table=list(bilan.headline),
                              description=f"Bilan Pix {bilan.uai} : résultats par classe (effectifs et taux, "
                                          "sans données nominatives)")
    get_run_logger().info("Bilans : %d refait(s), %d inchangé(s), %d sans certification%s", len(refreshed.written),
                          len(refreshed.unchanged), len(refreshed.empty),
                          " ; synthèse académique refaite" if refreshed.academie else "")


@task(cache_policy=NO_CACHE)
def publish_report(markdown: str, report_json: str | None, report_path: str | None) -> None:
    create_markdown_artifact(key="nightly-ingest-report", markdown=markdown,
                             description="Fichiers, lignes chargées et mises en quarantaine (sans données nominatives)")
    if report_path and report_json is not None:
        Path(report_path).write_text(report_json, encoding="utf-8")


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
    """Completed when all is clean; otherwise Failed, whose message says what happened: « Quarantaine : … » when
    input was set aside or a problem of the run's establishments is still open (a quarantine is not green the
    next night just because the bad file is unchanged), the establishments not loaded, the attestations in
    failure.

    The state keeps Prefect's own name: the UI's run lists filter on state names by default (Pending … Completed,
    Cancelled, Crashed, Failed, TimedOut: prefect/server/ui's bundle, 3.8.8): a run named « Quarantined » would be
    hidden from them.
    """
    if report.failed or report.quarantined or report.attestations_failed:
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


def _run_status(report: RunReport) -> str:
    if report.failed:
        return "failed"
    return "quarantined" if report.quarantined else "failed" if report.attestations_failed else "completed"
