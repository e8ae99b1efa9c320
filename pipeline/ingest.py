"""The unit of work of the nightly run: an establishment's new files read, checked and loaded together.

Takes the plan of an inbox (establishment jobs: folders, paths, UAIs, small picklable values) and the settings;
returns the run report, with the time the load took. An académie's establishments are checked in batches shared
out between this process and helper processes (parsing and validation are CPU-bound), and each establishment is
loaded in one transaction.
"""
from __future__ import annotations

import logging
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timezone
from functools import partial
from pathlib import Path
from time import perf_counter

import pandas as pd

from pipeline.settings import Settings
from pipeline.work_sharing import Helpers, helper_processes, share_out
from schemas.problems import OpenFile
from store.certifications import (LoadCounts, SavedCertifications, SetAside, certification_records, find_registered,
                                  find_source_files, lock_establishment, mark_attestations_due, quarantine_records,
                                  read_roster_digest, read_stored_roster, save_certifications, save_establishment,
                                  save_quarantine_records, save_roster, save_source_files, set_aside_problem,
                                  student_ids_of, update_file_counts)
from store.database import Database, DatabaseFailure
from store.enrolments import enrol_certified_students
from store.problems import read_open_files
from store.query import count_students, read_absents, read_establishment_head, read_establishment_name
from transforms.archive import archive_copy, archive_path, sha256_of
from transforms.check_files import CheckedBatch, CheckedFile, InputFile, check_files
from transforms.inbox import (IGNORED_REASONS, EstablishmentInbox, IgnoredEntry, InboxError, RefusedFile,
                              find_schools_file, list_inbox, read_inbox_file)
from transforms.printable import printable
from transforms.read_roster import Roster, read_roster, validate_rosters
from transforms.report import EstablishmentReport, FileReport, RunReport, problems_as_records
from transforms.schools import given_head, read_schools
from transforms.select_livret import school_year_of

BATCH_FILES = 200  # files checked together at most: ~6,000 rows, so pandera's ~19 ms a call is paid once for them
_log = logging.getLogger(__name__)


@dataclass(frozen=True)
class EstablishmentJob:
    """What a worker needs to know of an establishment: where its files are, never their content."""

    folder: str
    uai: str | None
    roster: str | None
    files: tuple[str, ...]
    name: str | None = None
    head: str | None = None  # the chef d'établissement, signing the attestations (an adult's name: never logged)
    unchanged: tuple[str, ...] = ()  # names of files already registered (found by their SHA-256)
    quiet: bool = False  # nothing new: no file to read, the roster as last saved
    ignored: tuple[IgnoredEntry, ...] = ()  # entries of its folder not read, and files refused when read

    @classmethod
    def of(cls, inbox: EstablishmentInbox, head: str | None = None) -> EstablishmentJob:
        return cls(str(inbox.folder), inbox.uai, str(inbox.roster) if inbox.roster else None,
                   tuple(str(p) for p in inbox.files), inbox.name, head, ignored=inbox.ignored)


@dataclass(frozen=True)
class IngestRun:
    """What every process of a run needs to know of it (picklable: it goes to the helpers)."""

    database_url: str
    archive_dir: str
    run_id: int | None = None
    run_day: date = field(default_factory=date.today)  # no date of a file may be after it; read once, at the start


@dataclass(frozen=True)
class InboxPlan:
    """An inbox made into work: its establishments' jobs, the entries at the root of an académie inbox that are not
    read, and the problems of its list of establishments (lines set aside, UAIs to check)."""

    jobs: tuple[EstablishmentJob, ...]
    ignored: tuple[IgnoredEntry, ...] = ()
    schools_problems: tuple[dict, ...] = ()

    @property
    def files(self) -> int:
        return sum(len(job.files) for job in self.jobs)


@dataclass(frozen=True)
class EstablishmentOutcome:
    """What became of one establishment: its report and its files' reports (counts, problems, no names)."""

    report: EstablishmentReport
    files: tuple[FileReport, ...]
    ignored: tuple[IgnoredEntry, ...] = ()  # named by the establishment's UAI, even when the roster gave it


@dataclass
class _Prepared:
    """An establishment between reading its folder and loading: new files, roster, what is known already."""

    job: EstablishmentJob
    uai: str
    roster: Roster | None  # the roster file when it changed since it was last saved (to save it)
    roster_digest: str | None
    students: pd.DataFrame | None  # the roster used for matching (file or stored); None: there is none
    new_files: list[tuple[InputFile, str]]  # (file, SHA-256)
    unchanged: list[str]  # names of files already registered
    read: Roster | None = None  # the roster file as read, until the batch's rosters are validated together


def plan_inbox(inbox: Path, roster: Path | None = None, uai: str | None = None, school_name: str | None = None,
               schools: Path | Mapping[str, str] | None = None, logger: logging.Logger | logging.LoggerAdapter = _log,
               *, school_head: str | None = None) -> InboxPlan:
    """The establishments of INBOX (one, or one sub-folder per UAI) as jobs; InboxError (a usage error) when the
    inbox cannot be used.

    SCHOOLS names an académie's establishments: a uai;nom file or the Annuaire de l'éducation's export, or the names
    themselves (UAI → name); without it, the inbox's own etablissements.csv when there is one. A list that cannot be
    read leaves the establishments without a name (a warning on LOGGER); its lines set aside are the plan's problems.
    The chef d'établissement is SCHOOL_HEAD for one establishment, else the list's column for each.
    """
    names, heads, problems = (dict(schools), {}, ()) if isinstance(schools, Mapping) else \
        _read_school_names(inbox, schools, logger)
    listed = list_inbox(inbox, roster, uai, school_name, names)
    head, refused = given_head(school_head, all(e.folder == inbox for e in listed.establishments))
    if refused:
        raise InboxError(refused)
    return InboxPlan(tuple(EstablishmentJob.of(e, head or heads.get(e.uai)) for e in listed.establishments),
                     listed.ignored, problems)


def load_inbox(plan: InboxPlan, settings: Settings, run_id: int | None = None,
               on_done: Callable[[EstablishmentOutcome], None] | None = None) -> RunReport:
    """Every establishment of PLAN read, checked and loaded, all or nothing each, on up to SETTINGS.workers
    processes; the report (files registered under RUN_ID, the run's row in the history), with the time it took.

    The database must be at the latest schema. ON_DONE is called in this process as each establishment is done.
    """
    started = perf_counter()
    run = IngestRun(settings.database_url, str(settings.archive_dir), run_id)
    # more than a batch: the helpers spawned now import while this process surveys what is new
    with helper_processes(settings.workers - 1 if plan.files > BATCH_FILES else 0, __name__) as helpers:
        outcomes = ingest_establishments(plan.jobs, run, settings.workers, on_done, helpers=helpers)
    report = RunReport.of(outcomes, plan.ignored, plan.schools_problems)
    return report.with_timing("load", perf_counter() - started)


def ingest_establishments(jobs: Sequence[EstablishmentJob], run: IngestRun, workers: int,
                          on_done: Callable[[EstablishmentOutcome], None] | None = None, *,
                          helpers: Helpers | None = None) -> list[EstablishmentOutcome]:
    """Every job, in batches of at most about BATCH_FILES files: on WORKERS processes (this one included, HELPERS
    when started ahead) when there are more new files than a batch holds.

    ON_DONE is called in this process as each establishment is done (progress, logs); outcomes come back in
    the order of JOBS.
    """
    outcomes: dict[int, EstablishmentOutcome] = {}
    with Database(run.database_url) as database:
        jobs = [survey(job, database) for job in jobs]
        # nothing to parse: closed here, without starting a process (a quiet night reads no CSV at all)
        quiet = [i for i, job in enumerate(jobs) if job.quiet]
        _collect(quiet, [close_quiet(jobs[i], database) for i in quiet], outcomes, on_done)
    # helpers only when there is more than a batch's work: a spawned process costs a second or two of imports
    processes = workers if sum(len(job.files) for job in jobs) > BATCH_FILES else 1
    batches = list(_batches(jobs, skip=set(quiet), processes=processes))
    work = partial(ingest_batch, run=run)
    for index, results in share_out([[jobs[i] for i in batch] for batch in batches], work, processes,
                                    helpers=helpers):
        _collect(batches[index], results, outcomes, on_done)
    return [outcomes[i] for i in range(len(jobs))]


def survey(job: EstablishmentJob, database: Database) -> EstablishmentJob:
    """JOB narrowed to its files not registered yet (by SHA-256: read and hashed, not parsed); quiet when
    nothing is new and the roster is the one last saved. Cheap: ~0.3 s for an académie's 3,300 files.
    """
    if job.uai is None:  # the UAI is in the roster, which the worker reads
        return job
    with database.connect(write=False) as connection:
        known, roster_digest = find_source_files(connection, job.uai), read_roster_digest(connection, job.uai)
    job, roster_bytes = _read_roster(job)
    contents, refused = _read_files(job.files, job.uai)
    seen = [(path, sha256_of(content) in known) for path, content in contents]
    new = tuple(str(path) for path, registered in seen if not registered)
    unchanged = tuple(path.name for path, registered in seen if registered)
    roster_same = roster_bytes is None or sha256_of(roster_bytes) == roster_digest
    return replace(job, files=new, unchanged=job.unchanged + unchanged, ignored=job.ignored + refused,
                   quiet=not new and roster_same)


def close_quiet(job: EstablishmentJob, database: Database) -> EstablishmentOutcome:
    """An establishment with nothing new: its report read back (open problems included, so that a quiet night
    still says them); written to only when its name changed.
    """
    with database.connect(write=False) as connection:
        name, head = read_establishment_name(connection, job.uai), read_establishment_head(connection, job.uai)
        students, absents = count_students(connection, job.uai), read_absents(connection, job.uai, date.today())
        open_problems = tuple(read_open_files(connection, [job.uai]))
    if (job.name and job.name != name) or (job.head and job.head != head):
        with database.connect() as connection:
            save_establishment(connection, job.uai, None, None, datetime.now(timezone.utc), job.name, head=job.head)
        name = job.name or name
    report = EstablishmentReport(job.uai, students, tuple(absents), name=name, has_roster=students > 0,
                                 open_problems=open_problems)
    return EstablishmentOutcome(report, tuple(FileReport(name=file, uai=job.uai, status="unchanged")
                                              for file in job.unchanged), job.ignored)


def ingest_batch(jobs: Sequence[EstablishmentJob], run: IngestRun) -> list[EstablishmentOutcome]:
    """Reads the new files of JOBS, checks them all together, then loads each establishment on its own."""
    made: list[tuple[str, Path]] = []  # (SHA-256, archive copy) made by this batch
    with Database(run.database_url) as database, _unregistered_removed(made, database):
        prepared = _rosters_validated([_prepare(job, database, run, made) for job in jobs])
        files = [file for p in prepared for file, _ in p.new_files]
        checked = check_files(files, {p.uai: p.students for p in prepared}, received_on=run.run_day) \
            if files else None
        files_of: dict[str, list[CheckedFile]] = {}
        for outcome in checked.files if checked else ():
            files_of.setdefault(outcome.uai, []).append(outcome)
        return [_load_establishment(p, files_of.get(p.uai, []), checked, database, run) for p in prepared]


def _read_school_names(inbox: Path, schools: Path | None, logger: logging.Logger | logging.LoggerAdapter,
                       ) -> tuple[dict[str, str] | None, dict[str, str], tuple[dict, ...]]:
    """The names and heads of the list of establishments SCHOOLS (else the inbox's etablissements.csv), and its
    problems."""
    schools_file = schools or find_schools_file(inbox)
    if schools_file is None:
        return None, {}, ()
    try:
        # the one found in the inbox is read as any inbox file is (a link swapped in is not followed)
        content = schools_file.read_bytes() if schools else read_inbox_file(schools_file)
    except RefusedFile as refused:
        # the rule's French reason: its code (symlink, unreadable) is the JSON report's, not a sentence
        logger.warning("%s : non lu, %s ; établissements sans nom", printable(schools_file.name),
                       printable(IGNORED_REASONS[refused.rule].format(detail=refused.detail)))
        return None, {}, ()
    directory = read_schools(schools_file.name, content)
    for problem in directory.problems:
        logger.warning("%s, ligne %s : %s", printable(schools_file.name), problem["row"],
                       printable(problem["message"]))
    return directory.names, directory.heads, tuple(directory.problems)


def _batches(jobs: Sequence[EstablishmentJob], skip: set[int], processes: int) -> Iterator[list[int]]:
    """Establishments in batches of at most BATCH_FILES files, smaller towards the end (a share of what is left
    per process, down to one establishment): the processes then finish together instead of one waiting for the
    other's last big batch.
    """
    remaining = sum(len(job.files) for i, job in enumerate(jobs) if i not in skip)
    batch: list[int] = []
    files = 0
    for i, job in enumerate(jobs):
        if i in skip:
            continue
        batch.append(i)
        files += len(job.files)
        if files >= (min(BATCH_FILES, remaining / (2 * processes)) if processes > 1 else BATCH_FILES):
            yield batch
            remaining -= files
            batch, files = [], 0
    if batch:
        yield batch


def _collect(batch: list[int], results: list[EstablishmentOutcome], outcomes: dict[int, EstablishmentOutcome],
             on_done: Callable[[EstablishmentOutcome], None] | None) -> None:
    for i, outcome in zip(batch, results):
        outcomes[i] = outcome
        if on_done:
            on_done(outcome)


@contextmanager
def _unregistered_removed(copies: list[tuple[str, Path]], database: Database) -> Iterator[None]:
    """On the way out of a batch, however it ends (a signal, an error, an establishment not loaded), the archive
    COPIES it made whose file no row registers: removed, as the data they hold was not loaded and nothing else
    would ever find them (purge and forget go by the rows). A file still in the inbox is copied again next run.
    """
    try:
        yield
    finally:
        if copies:
            try:
                with database.connect(write=False) as connection:
                    registered = find_registered(connection, [digest for digest, _ in copies])
            except DatabaseFailure:  # the database is what failed: the copies stay, the next run reuses them
                registered = {digest for digest, _ in copies}
            for digest, copy in copies:
                if digest not in registered:
                    copy.unlink(missing_ok=True)


def _prepare(job: EstablishmentJob, database: Database, run: IngestRun,
             made: list[tuple[str, Path]]) -> _Prepared:
    """Hashes the files and the roster; reads the roster only when it changed; archives new files first (each copy
    it makes added to MADE, as (SHA-256, path))."""
    job, roster_bytes = _read_roster(job)
    roster_digest = sha256_of(roster_bytes) if roster_bytes is not None else None
    uai = job.uai
    roster = None
    if roster_bytes is not None and uai is None:  # the UAI is in the roster: it must be read to know it
        roster = read_roster(roster_bytes, Path(job.roster).name, validate=False)
        uai = roster.uai
    with database.connect(write=False) as connection:
        roster_changed = roster_bytes is not None and uai is not None \
            and roster_digest != read_roster_digest(connection, uai)
        if roster_changed and roster is None:
            roster = read_roster(roster_bytes, Path(job.roster).name, validate=False)
        if uai is None:
            raise InboxError(_unknown_uai_message(job, roster))
        known = find_source_files(connection, uai)
        contents, refused = _read_files(job.files, uai)
        digests = [sha256_of(content) for _, content in contents]
        new, copies = _new_files(contents, digests, known, uai)
        job = replace(job, ignored=tuple(replace(e, uai=uai) for e in job.ignored + refused + copies))
        students = None
        if roster is None and new:
            students = read_stored_roster(connection, uai)
    for path, content, digest in new:
        copy = archive_path(digest, Path(run.archive_dir), path.suffix or ".bin")
        if not copy.exists():  # this run's copy: removed again if its file ends unregistered (_unregistered_removed)
            made.append((digest, archive_copy(content, digest, Path(run.archive_dir), path.suffix or ".bin")))
    return _Prepared(job, uai, roster if roster_changed else None, roster_digest, students,
                     [(InputFile(uai, path.name, content), digest) for path, content, digest in new],
                     [*job.unchanged, *(path.name for (path, _), digest in zip(contents, digests) if digest in known)],
                     read=roster)


def _rosters_validated(prepared: list[_Prepared]) -> list[_Prepared]:
    """The rosters this batch read validated together (validate_rosters): the students matched against, and the
    roster saved when it changed."""
    validated = iter(validate_rosters([p.read for p in prepared if p.read is not None]))
    done = []
    for p in prepared:
        if p.read is not None:
            roster = next(validated)
            p = replace(p, roster=roster if p.roster is not None else None, students=roster.students, read=None)
        done.append(p)
    return done


def _unknown_uai_message(job: EstablishmentJob, roster: Roster | None) -> str:
    """Why the establishment has no UAI: no roster given, or the reason its roster gave none."""
    if roster is None:
        return f"UAI inconnu pour {job.folder} : donnez --uai ou le fichier SIECLE"
    reasons = [p["message"] for p in problems_as_records(roster.problems) if p["row"] is None]
    why = f" ({' ; '.join(reasons)})" if reasons else ""
    return (f"UAI inconnu pour {job.folder} : la liste d'élèves {Path(job.roster).name} ne le donne pas{why} ; "
            "donnez --uai ou un fichier SIECLE lisible")


def _read_files(paths: Sequence[str], uai: str | None) -> tuple[list[tuple[Path, bytes]], tuple[IgnoredEntry, ...]]:
    """The bytes of each file of PATHS; a file refused (a link swapped in since the listing, a file that cannot
    be read) is ignored with its reason instead of failing the run.
    """
    contents, refused = [], []
    for path in map(Path, paths):
        try:
            contents.append((path, read_inbox_file(path)))
        except RefusedFile as error:
            refused.append(IgnoredEntry.of(path.name, uai, error.rule, error.detail))
    return contents, tuple(refused)


def _new_files(contents: list[tuple[Path, bytes]], digests: list[str], known: dict[str, int], uai: str,
               ) -> tuple[list[tuple[Path, bytes, str]], tuple[IgnoredEntry, ...]]:
    """The files not registered yet, each content once: a second copy in the inbox ("3A (1).csv") is ignored
    with the name of the first, as the content is registered once by its SHA-256.
    """
    first: dict[str, str] = {}
    new, copies = [], []
    for (path, content), digest in zip(contents, digests):
        if digest in known:
            continue
        if digest in first:
            copies.append(IgnoredEntry.of(path.name, uai, "duplicate", first[digest]))
        else:
            first[digest] = path.name
            new.append((path, content, digest))
    return new, tuple(copies)


def _read_roster(job: EstablishmentJob) -> tuple[EstablishmentJob, bytes | None]:
    """JOB and its roster's bytes; a roster that cannot be read is ignored with its reason (JOB without one)."""
    if job.roster is None:
        return job, None
    contents, refused = _read_files([job.roster], job.uai)
    if refused:
        name = Path(job.roster).name
        kept = tuple(e for e in job.ignored if (e.name, e.rule) != (name, "roster"))
        return replace(job, roster=None, ignored=kept + refused), None
    return job, contents[0][1]


@dataclass(frozen=True)
class _Written:
    """What one establishment's transaction wrote and read back."""

    fresh: list[CheckedFile]  # files registered by this run
    late: list[str]  # files another run registered meanwhile: unchanged
    file_ids: dict[str, int]  # UAI/name -> source_files.id
    counts: dict[int, LoadCounts]  # per source file id
    roster_students: int
    absents: list[dict]
    name: str | None
    open_problems: list[OpenFile]  # after this load: its files may have closed earlier ones, or be open themselves


def _load_establishment(prepared: _Prepared, checked: list[CheckedFile], batch: CheckedBatch | None,
                        database: Database, run: IngestRun) -> EstablishmentOutcome:
    """One transaction for the establishment; a database error undoes it alone, worded without any value."""
    try:
        with database.connect() as connection:
            written = _write_establishment(connection, prepared, checked, batch, run)
    except DatabaseFailure as error:  # worded without any value of a row: it reaches logs and Prefect's database
        message = f"Échec de l'enregistrement en base : {error} Rien n'est chargé pour cet établissement, la " \
                  "prochaine exécution le reprendra."
        return EstablishmentOutcome(EstablishmentReport(prepared.uai, 0, name=prepared.job.name, error=message), (),
                                    prepared.job.ignored)
    files = tuple(_file_report(c, written.counts.get(written.file_ids[c.key], LoadCounts(0, 0, 0)))
                  for c in written.fresh)
    files += tuple(FileReport(name=file, uai=prepared.uai, status="unchanged")
                   for file in [*prepared.unchanged, *written.late])
    report = EstablishmentReport(
        prepared.uai, written.roster_students, tuple(written.absents),
        problems_as_records(prepared.roster.problems) if prepared.roster else (), name=written.name,
        has_roster=prepared.students is not None or written.roster_students > 0,
        unmatched_without_roster=sum(c.rows_good for c in written.fresh) if prepared.students is None else 0,
        open_problems=tuple(written.open_problems))
    return EstablishmentOutcome(report, files, prepared.job.ignored)


def _write_establishment(connection, prepared: _Prepared, checked: list[CheckedFile], batch: CheckedBatch | None,
                         run: IngestRun) -> _Written:
    """The establishment, its roster when it changed, its new files, their rows and problems; then its absents."""
    uai, roster, now = prepared.uai, prepared.roster, datetime.now(timezone.utc)
    lock_establishment(connection, uai)
    save_establishment(connection, uai, roster.school_year if roster else None,
                       Path(prepared.job.roster).name if roster else None, now, prepared.job.name,
                       prepared.roster_digest if roster else None, prepared.job.head)
    student_ids = save_roster(connection, uai, roster.students, _roster_year(roster, prepared, batch)) if roster \
        else student_ids_of(connection, uai) if checked else {}
    # registered since this run looked (another run at the same time): unchanged, not loaded twice
    known = find_source_files(connection, uai)
    digests = {f.name: digest for f, digest in prepared.new_files}
    sizes = {f.name: len(f.content) for f, _ in prepared.new_files}
    fresh = [c for c in checked if digests[c.name] not in known]
    ids = save_source_files(connection, [_file_record(c, digests[c.name], sizes[c.name], run) for c in fresh],
                            run_id=run.run_id, now=now)
    file_ids = {c.key: file_id for c, file_id in zip(fresh, ids)}
    saved = _save_rows(connection, prepared, batch, file_ids, student_ids, now) if batch and fresh \
        else SavedCertifications({}, ())
    counts = saved.counts
    fresh = _with_rows_set_aside(connection, fresh, ids, saved.set_aside, student_ids)
    for c, file_id in zip(fresh, ids):
        save_quarantine_records(connection, *quarantine_records(file_id, c.bad_rows, c.problems + c.notices,
                                                                run.run_id, c.set_aside_students))
    if roster is not None or any(c.inserted or c.updated for c in counts.values()):
        mark_attestations_due(connection, uai, True)
    return _Written(fresh, [c.name for c in checked if digests[c.name] in known], file_ids, counts,
                    len(student_ids) if student_ids else count_students(connection, uai),
                    read_absents(connection, uai, date.today()), read_establishment_name(connection, uai),
                    read_open_files(connection, [uai]))


def _save_rows(connection, prepared: _Prepared, batch: CheckedBatch, ids_by_key: dict[str, int],
               student_ids: dict[int, int], now: datetime) -> SavedCertifications:
    good, matches = batch.rows_of(prepared.uai)
    loading = good["source_file"].isin(list(ids_by_key)).to_numpy(dtype=bool)
    students = prepared.students
    divisions = {int(e): d for e, d in zip(students["eleve_id"], students["division"]) if d} \
        if students is not None else {}
    records = certification_records(good[loading], matches[loading], student_ids, divisions, uai=prepared.uai,
                                    source_file_ids=ids_by_key)
    saved = save_certifications(connection, records, now=now)
    # a row set aside (its number is another establishment's) is no certification of this one: it enrols nobody
    aside = {(row.source_file_id, row.source_row) for row in saved.set_aside}
    enrol_certified_students(connection, prepared.uai,
                             [r for r in records if (r["source_file_id"], r["source_row"]) not in aside])
    return saved


def _roster_year(roster: Roster, prepared: _Prepared, batch: CheckedBatch | None) -> int:
    """The school year of a roster: SIECLE's ANNEE_SCOLAIRE; a CSV roster says none, so the year of the results
    it comes with (the school year of most of the establishment's new rows), else the one today falls in."""
    if roster.school_year is not None:
        return roster.school_year
    years = batch.rows_of(prepared.uai)[0]["school_year"].dropna() if batch is not None else pd.Series([])
    if len(years):
        return int(years.mode().iloc[0])
    return int(school_year_of(date.today())[:4])


def _with_rows_set_aside(connection, fresh: list[CheckedFile], ids: list[int], set_aside: Sequence[SetAside],
                         student_ids: dict[int, int]) -> list[CheckedFile]:
    """FRESH (registered with IDS) once the rows the load set aside (numbers of another establishment) are its
    problems: the files' status and counts rewritten where rows were, so that rows_read = loaded + set aside.

    STUDENT_IDS (ELEVE_ID -> students.id) names the student a row matched: the bilan says « résultat écarté »."""
    by_file: dict[int, list[SetAside]] = {}
    for row in set_aside:
        by_file.setdefault(row.source_file_id, []).append(row)
    eleve_ids = {student: eleve for eleve, student in student_ids.items()}
    done = []
    for c, file_id in zip(fresh, ids):
        if file_id in by_file:
            rows = by_file[file_id]
            c = c.with_rows_set_aside([set_aside_problem(row, c.name, c.number_column) for row in rows],
                                      {row.source_row: eleve_ids[row.student_id] for row in rows
                                       if row.student_id in eleve_ids})
            update_file_counts(connection, file_id, status=c.status, rows_loaded=c.rows_good,
                               rows_quarantined=c.rows_quarantined)
        done.append(c)
    return done


def _file_record(checked: CheckedFile, digest: str, size: int, run: IngestRun) -> dict:
    raw = checked.raw
    archived = archive_path(digest, Path(run.archive_dir), Path(checked.name).suffix or ".bin")
    return {"uai": checked.uai, "sha256": digest, "name": checked.name, "size": size,
            "archived_path": str(archived.resolve()), "format": raw.format, "encoding": raw.encoding,
            "delimiter": raw.delimiter, "division": checked.division, "status": checked.status,
            "rows_read": checked.rows_read, "rows_loaded": checked.rows_good,
            "rows_quarantined": checked.rows_quarantined}


def _file_report(checked: CheckedFile, counts: LoadCounts) -> FileReport:
    return FileReport(name=checked.name, uai=checked.uai, status=checked.status, rows_read=checked.rows_read,
                      rows_loaded=checked.rows_good, rows_quarantined=checked.rows_quarantined,
                      rows_inserted=counts.inserted, rows_updated=counts.updated, format=checked.raw.format,
                      problems=checked.problems, notices=checked.notices)
