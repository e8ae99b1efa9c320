"""The nightly flow: class CSVs of an inbox → checked → reporting database, with the run's history.

Prefect orchestration only: each task hands one coarse unit (the database, a roster, a file) to transforms/.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timezone
from pathlib import Path

import pandas as pd
from prefect import flow, get_run_logger, task
from prefect.artifacts import create_markdown_artifact
from prefect.cache_policies import NO_CACHE
from prefect.runtime import flow_run
from prefect.states import Completed, Failed, State

from flows.attestations import default_school_year, make_attestations
from pix_livret import config
from pix_livret.database import connect, upgrade_to_head
from transforms.archive import archive_copy, sha256_of
from transforms.check_file import check_file
from transforms.inbox import EstablishmentInbox, InboxError, find_establishments
from transforms.load import (SourceFileRecord, find_source_file, read_stored_roster, save_certifications,
                             save_establishment, save_quarantine, save_roster, save_source_file,
                             student_ids_of)
from transforms.match import find_absents
from transforms.query import read_certified_divisions, read_stored_matches
from transforms.read_roster import read_roster
from transforms.report import EstablishmentReport, FileReport, RunReport, problems_as_records
from transforms.runs import finish_run, start_run

QUARANTINED = "Quarantined"
ATTESTATIONS_FAILED = "AttestationsFailed"


@dataclass(frozen=True)
class RosterSnapshot:
    """An establishment's roster as this run uses it (read from the file, or as last stored)."""

    uai: str
    school_year: int | None
    students: pd.DataFrame
    student_ids: dict[int, int]  # ELEVE_ID -> students.id
    divisions: dict[int, str]  # ELEVE_ID -> division
    problems: tuple[dict, ...]


@flow(name="nightly-ingest", log_prints=False)
def nightly_ingest(inbox: str, roster: str | None = None, uai: str | None = None,
                   report_path: str | None = None, attestations: bool = True, school_name: str | None = None) -> State:
    """Loads every class CSV of INBOX (one establishment, or one sub-folder per UAI) and records the run.

    SCHOOL_NAME (one establishment only) is what the attestations print beside the UAI.
    """
    establishments = find_establishments(Path(inbox), Path(roster) if roster else None, uai, school_name)
    # The database at the latest schema, and this run in its history
    prepare_database()
    run_id = open_run({"inbox": inbox, "roster": roster, "uai": uai, "attestations": attestations,
                       "school_name": school_name})
    report = RunReport()
    for establishment in establishments:
        # The roster first: matching needs it, and absents are counted against it
        snapshot = load_roster(establishment)
        # One transaction per file: a bad file never blocks the others
        report.files.extend(ingest_file(path, snapshot, run_id) for path in establishment.files)
        # Attestations of new or changed validated certifications only, one task per class
        written = refresh_attestations(snapshot) if attestations else 0
        report.establishments.append(close_establishment(snapshot, written))
    # Record and publish the outcome; the state says it to the Prefect UI
    close_run(run_id, report)
    publish_report(report, report_path)
    return final_state(report)


@task(retries=3, retry_delay_seconds=10, cache_policy=NO_CACHE)
def prepare_database() -> None:
    with connect(config.database_url()) as connection:
        upgrade_to_head(connection)


@task(retries=3, retry_delay_seconds=10, cache_policy=NO_CACHE)
def open_run(parameters: dict) -> int:
    with connect(config.database_url()) as connection:
        return start_run(connection, "ingest", parameters, _flow_run_id(), _now())


@task(cache_policy=NO_CACHE)
def load_roster(establishment: EstablishmentInbox) -> RosterSnapshot:
    """Reads and stores the roster file, or takes the stored roster when the run has none."""
    roster = read_roster(establishment.roster.read_bytes(), establishment.roster.name) if establishment.roster else None
    uai = establishment.uai or (roster.uai if roster else None)
    if uai is None:
        raise InboxError(f"UAI inconnu pour {establishment.folder} : donnez --uai ou le fichier SIECLE")
    with connect(config.database_url()) as connection:
        save_establishment(connection, uai, roster.school_year if roster else None,
                           establishment.roster.name if establishment.roster else None, _now(), establishment.name)
        students = roster.students if roster else read_stored_roster(connection, uai)
        student_ids = save_roster(connection, uai, students) if roster else student_ids_of(connection, uai)
    get_run_logger().info("Établissement %s : %d élèves dans la liste", uai, len(students))
    divisions = {int(e): d for e, d in zip(students["eleve_id"], students["division"]) if d}
    problems = problems_as_records(roster.problems) if roster else ()
    return RosterSnapshot(uai, roster.school_year if roster else None, students, student_ids, divisions, problems)


@task(retries=2, retry_delay_seconds=10, cache_policy=NO_CACHE)
def ingest_file(path: Path, roster: RosterSnapshot, run_id: int) -> FileReport:
    """Registers, archives, checks and loads one file in one transaction; unchanged files load nothing."""
    content = path.read_bytes()
    digest = sha256_of(content)
    with connect(config.database_url()) as connection:
        if find_source_file(connection, roster.uai, digest) is not None:
            return FileReport(name=path.name, uai=roster.uai, status="unchanged")
        archived = archive_copy(content, digest, config.archive_dir(), path.suffix or ".bin")
        checked = check_file(path.name, content, roster.students)
        record = SourceFileRecord(roster.uai, digest, path.name, len(content), str(archived.resolve()),
                                  checked.raw.format, checked.raw.encoding, checked.raw.delimiter, checked.division)
        status = "quarantined" if len(checked.problems) else "loaded"
        file_id = save_source_file(connection, record, status=status, rows_read=checked.rows_read,
                                   rows_loaded=len(checked.good), rows_quarantined=checked.rows_quarantined,
                                   run_id=run_id, now=_now())
        counts = save_certifications(connection, checked.good, checked.matches, roster.student_ids,
                                     roster.divisions, uai=roster.uai, source_file_id=file_id, now=_now())
        save_quarantine(connection, file_id, checked.raw_rows, pd.concat([checked.problems, checked.notices]), run_id)
    get_run_logger().info("%s : %d lignes lues, %d chargées, %d en quarantaine", path.name, checked.rows_read,
                          counts.loaded, checked.rows_quarantined)
    return FileReport(name=path.name, uai=roster.uai, status=status, rows_read=checked.rows_read,
                      rows_loaded=counts.loaded, rows_quarantined=checked.rows_quarantined,
                      rows_inserted=counts.inserted, rows_updated=counts.updated, format=checked.raw.format,
                      problems=problems_as_records(checked.problems), notices=problems_as_records(checked.notices))


def refresh_attestations(roster: RosterSnapshot) -> int | None:
    """Runs the attestations flow as a subflow for the year of the latest results: the pages, None if it failed.

    A failed rendering leaves the loaded data as it is (the next night tries again) and fails the run.
    """
    state = make_attestations(default_school_year(roster.uai, date.today()), roster.uai, only_changed=True,
                              record_run=False, return_state=True)
    if not state.is_completed():
        get_run_logger().error("Attestations %s : échec (%s)", roster.uai, state.message)
        return None
    return sum(state.result().pages.values())


@task(cache_policy=NO_CACHE)
def close_establishment(roster: RosterSnapshot, attestations_written: int | None) -> EstablishmentReport:
    """Counts the roster students of certified divisions who have no certification (absents)."""
    with connect(config.database_url(), write=False) as connection:
        matches = read_stored_matches(connection, roster.uai)
        divisions = read_certified_divisions(connection, roster.uai)
    absents = find_absents(roster.students, matches, divisions)
    absent_records = tuple({"eleve_id": int(a.eleve_id), "division": a.division} for a in absents.itertuples())
    return EstablishmentReport(roster.uai, len(roster.students), absent_records, roster.problems,
                               attestations_written or 0, attestations_failed=attestations_written is None)


@task(retries=3, retry_delay_seconds=10, cache_policy=NO_CACHE)
def close_run(run_id: int, report: RunReport) -> None:
    status = "quarantined" if report.has_quarantine else "failed" if report.attestations_failed else "completed"
    with connect(config.database_url()) as connection:
        finish_run(connection, run_id, status, report.totals(), report.state_message(), _now())


@task(cache_policy=NO_CACHE)
def publish_report(report: RunReport, report_path: str | None) -> None:
    create_markdown_artifact(key="nightly-ingest-report", markdown=report.to_markdown(),
                             description="Fichiers, lignes chargées et mises en quarantaine (sans données nominatives)")
    if report_path:
        Path(report_path).write_text(report.to_json(), encoding="utf-8")


def final_state(report: RunReport) -> State:
    """Completed when all is clean; otherwise a Failed state that counts the damage: named Quarantined when input
    was quarantined, AttestationsFailed when everything loaded but the attestations could not be made.
    """
    if report.has_quarantine:
        return Failed(name=QUARANTINED, message=report.state_message(), data=report)
    if report.attestations_failed:
        return Failed(name=ATTESTATIONS_FAILED, message=report.state_message(), data=report)
    return Completed(message=report.state_message(), data=report)


def _flow_run_id() -> str | None:
    return str(flow_run.id) if flow_run.id else None


def _now() -> datetime:
    return datetime.now(timezone.utc)
