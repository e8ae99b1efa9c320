"""Safe under crashes and concurrency (design.md, "Nothing is lost"): the establishment is all or nothing.

An académie run killed (SIGKILL, its workers included) at any point leaves each establishment either loaded whole or
not at all, and a re-run then reaches exactly the end state of one uninterrupted run; two runs at once end as one.
Each run under test is tests/crash_worker.py in a process group of its own; the end states are compared table by
table, without ids, run ids, timestamps or archive paths (a file is known by its UAI and SHA-256, a student by
its UAI and ELEVE_ID).
"""
from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest
from sqlalchemy import select, text

from tests.ingest_runs import ingested
from pipeline.processes import live_processes
from pix_livret.demo.sample_data import ROSTER_FILE_NAME, academie_uai, make_sample_academie, make_sample_establishment
from schemas.tables import Certification, Establishment, FileProblem, QuarantinedRow, SourceFile, Student
from store.database import make_engine, upgrade_to_head
from transforms.archive import sha256_of

REPO = Path(__file__).resolve().parent.parent
WORKER = Path(__file__).resolve().parent / "crash_worker.py"
CRASH_ENV = "PIX_LIVRET_CRASH_AT"
BATCH_FILES = 6  # two establishments a batch: three batches, so that workers=2 runs the process pool
RUN_TIMEOUT = 120  # s: a run still going then is stuck (a deadlock)

# Kills at chosen points of the code (tests/crash_worker.py): where, and with how many workers.
HOOKED_KILLS = [
    ("after:upgrade_to_head:1", 1),  # the database migrated, not committed (before any worker starts)
    ("after:archive_copy:4", 1),  # files archived, nothing registered yet
    ("after:check_files:1", 2),  # in a worker: a batch read and checked, nothing loaded yet
    ("after:save_certifications:2", 2),  # in a worker: one establishment committed, the next mid-transaction
    ("after:mark_attestations_due:3", 1),  # two establishments committed, the third at the end of its transaction
    ("after:_load_establishment:4", 1),  # four establishments committed, two to go
]
# Kills at moments, as fractions of an uninterrupted run with as many workers, measured first (workers=1: the
# reference run; workers=2: a run of tests/crash_worker.py, from "ingest starts" to its exit). With workers=2 the first
# half of a run is mostly the spawned workers importing: the kills come later.
TIMED_KILLS = [(0.15, 1), (0.4, 1), (0.7, 1), (0.6, 2), (0.85, 2)]


# ---- the académie ----

def make_academie(root: Path) -> tuple[Path, dict[str, str]]:
    """Six establishments: four of make_sample_academie (every row good) and two of make_sample_establishment,
    which bring bad rows, files quarantined whole, unmatched and ambiguous students. Returns the inbox and the
    schools' names (UAI -> name)."""
    inbox = root / "inbox"
    academie = make_sample_academie(inbox, establishments=4, classes=3, students_per_class=10, seed=11)
    schools = dict(academie.school_names)
    for index, seed in ((4, 2026), (5, 2031)):
        uai = academie_uai(index)
        sample = make_sample_establishment(root / f"sample_{uai}", seed=seed, uai=uai, classes=2,
                                           students_per_class=16)
        shutil.copytree(sample.inbox, inbox / uai)
        shutil.copy(sample.roster_path, inbox / uai / ROSTER_FILE_NAME)
        schools[uai] = f"Collège d'exemple {index}"
    return inbox, schools


# ---- more empty databases of the same kind as db_url ----

@pytest.fixture
def new_database(db_url, tmp_path):
    """make(name) -> the URL of another empty database: a SQLite file, or a PostgreSQL schema dropped afterwards."""
    schemas: list[str] = []
    base = re.search(r"csearch_path%3D(\w+)", db_url)

    def make(name: str) -> str:
        if db_url.startswith("sqlite"):
            return f"sqlite:///{tmp_path / name}.sqlite"
        schema = f"{base.group(1)}_{name}"
        engine = make_engine(db_url)
        with engine.begin() as connection:
            connection.execute(text(f"CREATE SCHEMA {schema}"))
        engine.dispose()
        schemas.append(schema)
        return db_url.replace(f"%3D{base.group(1)}", f"%3D{schema}")

    yield make
    if schemas:
        engine = make_engine(db_url)
        with engine.begin() as connection:
            for schema in schemas:
                connection.execute(text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))
        engine.dispose()


# ---- the end state, table by table: sorted lists of tuples, the UAI first ----

E, S, F, C, Q, P = (model.__table__ for model in (Establishment, Student, SourceFile, Certification,
                                                   QuarantinedRow, FileProblem))


def establishments(connection) -> list[tuple]:
    return _rows(connection, select(E.c.uai, E.c.name, E.c.school_year, E.c.roster_file, E.c.roster_sha256,
                                    E.c.attestations_due))


def students(connection) -> list[tuple]:
    return _rows(connection, select(*(column for column in S.c if column.name != "id")))


def source_files(connection) -> list[tuple]:
    ignored = ("id", "first_run_id", "registered_at", "archived_path")
    return _rows(connection, select(*(column for column in F.c if column.name not in ignored)))


def certifications(connection) -> list[tuple]:
    """Every column but the timestamps; the file by its SHA-256, the student by its ELEVE_ID (ids differ)."""
    ignored = ("source_file_id", "student_id", "loaded_at", "updated_at")
    columns = [C.c.uai, *(column for column in C.c if column.name not in ignored and column.name != "uai")]
    query = (select(*columns, F.c.sha256.label("file_sha256"), S.c.eleve_id.label("student_eleve_id"))
             .join(F, F.c.id == C.c.source_file_id).outerjoin(S, S.c.id == C.c.student_id))
    return _rows(connection, query)


def quarantined_rows(connection) -> list[tuple]:
    return _rows(connection, select(F.c.uai, F.c.sha256, Q.c.row_number, Q.c.raw_text, Q.c.reasons)
                 .join(F, F.c.id == Q.c.source_file_id))


def file_problems(connection) -> list[tuple]:
    return _rows(connection, select(F.c.uai, F.c.sha256, P.c.stage, P.c.row_number, P.c.column_name, P.c.rule,
                                    P.c.value, P.c.message).join(F, F.c.id == P.c.source_file_id))


TABLES = {"establishments": establishments, "students": students, "source_files": source_files,
          "certifications": certifications, "quarantined_rows": quarantined_rows, "file_problems": file_problems}


def _rows(connection, query) -> list[tuple]:
    return sorted((tuple(row) for row in connection.execute(query)),
                  key=lambda row: [(value is None, "" if value is None else value) for value in row])


def end_state(database_url: str) -> dict[str, list[tuple]]:
    engine = make_engine(database_url)
    try:
        with engine.connect() as connection:
            if not engine.dialect.has_table(connection, "source_files"):
                return {table: [] for table in TABLES}  # killed before the migration was committed
            return {table: read(connection) for table, read in TABLES.items()}
    finally:
        engine.dispose()


def differences(expected: dict[str, list[tuple]], actual: dict[str, list[tuple]]) -> list[str]:
    """What differs, table by table: rows missing and rows too many (duplicates count)."""
    found = []
    for table in TABLES:
        missing = Counter(expected[table]) - Counter(actual[table])
        extra = Counter(actual[table]) - Counter(expected[table])
        if missing or extra:
            found.append(f"{table}: {len(expected[table])} rows expected, {len(actual[table])} found; "
                         f"missing {sum(missing.values())} (e.g. {list(missing)[:2]}), "
                         f"too many {sum(extra.values())} (e.g. {list(extra)[:2]})")
    return found


def half_loaded(expected: dict[str, list[tuple]], actual: dict[str, list[tuple]]) -> list[str]:
    """Establishments neither loaded whole (as in EXPECTED) nor absent: a row of any table counts."""
    found = []
    for uai in sorted({row[0] for row in expected["establishments"]}):
        mine = {table: [row for row in actual[table] if row[0] == uai] for table in TABLES}
        whole = {table: [row for row in expected[table] if row[0] == uai] for table in TABLES}
        if any(mine.values()) and mine != whole:
            counts = ", ".join(f"{table} {len(mine[table])}/{len(whole[table])}" for table in TABLES)
            found.append(f"{uai} neither loaded whole nor absent (rows found/expected: {counts})")
    return found


def archive_problems(expected_dir: Path, actual_dir: Path) -> list[str]:
    """Every input file kept, named by its content's SHA-256 (temporary files of a killed write aside)."""
    def kept(folder: Path) -> set[str]:
        return {p.name for p in folder.rglob("*") if p.is_file() and not p.name.startswith(".")}

    found = [f"archive copy {p.name} does not hold what its name says" for p in actual_dir.rglob("*")
             if p.is_file() and not p.name.startswith(".") and not p.name.startswith(sha256_of(p.read_bytes()))]
    if kept(expected_dir) != kept(actual_dir):
        found.append(f"archive: {sorted(kept(expected_dir) ^ kept(actual_dir))} kept by one run only")
    return found


# ---- runs in process groups of their own ----

def start_run(inbox: Path, database_url: str, archive_dir: Path, report: Path, schools: dict[str, str], *,
              workers: int, crash_at: str | None = None, wait_for_go: bool = False) -> subprocess.Popen:
    """tests/crash_worker.py on DATABASE_URL; WAIT_FOR_GO: it says "ready" once imported, then waits for go()."""
    spec = {"database_url": database_url, "inbox": str(inbox), "archive_dir": str(archive_dir),
            "workers": workers, "batch_files": BATCH_FILES, "schools": schools, "report": str(report),
            "wait_for_go": wait_for_go}
    env = {key: value for key, value in os.environ.items() if key != CRASH_ENV}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), env.get("PYTHONPATH")]))
    if crash_at:
        env[CRASH_ENV] = crash_at
    with report.with_suffix(".stderr").open("wb") as stderr:
        return subprocess.Popen([sys.executable, str(WORKER), json.dumps(spec)], cwd=REPO, env=env,
                                stdin=subprocess.PIPE if wait_for_go else subprocess.DEVNULL, stdout=subprocess.PIPE,
                                stderr=stderr, start_new_session=True)


def go(processes: list[subprocess.Popen]) -> None:
    """Releases runs started with wait_for_go, once all of them are ready, at one instant."""
    for process in processes:
        line = process.stdout.readline()
        assert line == b"ready\n", f"a run did not get ready: {line!r}, exit {process.wait(RUN_TIMEOUT)}"
    for process in processes:
        process.stdin.write(b"go\n")
    for process in processes:
        process.stdin.flush()


def wait_for_start(process: subprocess.Popen) -> None:
    line = process.stdout.readline()
    assert line == b"ingest starts\n", f"the run did not start: {line!r}, exit {process.wait(RUN_TIMEOUT)}"


def finish(process: subprocess.Popen) -> int:
    """Waits for PROCESS and for every other process of its group (its workers) to be gone; its exit status."""
    try:
        status = process.wait(RUN_TIMEOUT)
    except subprocess.TimeoutExpired:
        kill_group(process)
        pytest.fail(f"a run was still going after {RUN_TIMEOUT} s (a deadlock?): killed")
    for pipe in (process.stdin, process.stdout):
        if pipe:
            try:
                pipe.close()
            except BrokenPipeError:
                pass
    deadline = time.monotonic() + 10
    while _group_members(process.pid):
        assert time.monotonic() < deadline, f"processes of a finished run still alive: {_group_members(process.pid)}"
        time.sleep(0.05)
    return status


def kill_group(process: subprocess.Popen) -> None:
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    process.wait(RUN_TIMEOUT)


def _group_members(pgid: int) -> list[int]:
    """Live (not zombie) processes of the process group PGID."""
    return [pid for pid, _parent, group in live_processes() if group == pgid]


def read_report(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


# ---- the tests ----

def test_kill_at_any_point_then_rerun_reaches_the_uninterrupted_end_state(db_url, new_database, tmp_path):
    inbox, schools = make_academie(tmp_path)
    started = time.monotonic()
    reference = ingested(inbox, db_url, tmp_path / "archive_a", schools=schools, workers=1)
    duration = {1: time.monotonic() - started}
    assert not reference.failed
    expected = end_state(db_url)
    assert len(expected["establishments"]) == 6 and expected["quarantined_rows"] and expected["file_problems"]
    assert len(expected["certifications"]) == sum(f.rows_loaded for f in reference.files)

    # an uninterrupted run in a process group of its own, its three batches in the process pool: same end, timed
    measured = new_database("measured")
    process = start_run(inbox, measured, tmp_path / "archive_measured", tmp_path / "measured.json", schools,
                        workers=2)
    wait_for_start(process)
    started = time.monotonic()
    assert finish(process) == 0
    duration[2] = time.monotonic() - started
    assert differences(expected, end_state(measured)) == []

    kills = [(f"at {crash_at}", crash_at, None, workers) for crash_at, workers in HOOKED_KILLS]
    kills += [(f"{fraction * duration[workers]:.2f} s in ({fraction:.0%})", None, fraction * duration[workers],
               workers) for fraction, workers in TIMED_KILLS]
    failures, timed_kills_landed = [], 0
    for index, (label, crash_at, delay, workers) in enumerate(kills):
        database, archive = new_database(f"kill{index}"), tmp_path / f"archive_kill{index}"
        process = start_run(inbox, database, archive, tmp_path / f"kill{index}.json", schools, workers=workers,
                            crash_at=crash_at)
        if delay is not None:
            wait_for_start(process)
            time.sleep(delay)
            kill_group(process)
        status = finish(process)
        if crash_at:
            assert status == -signal.SIGKILL, f"the kill {label} did not happen (exit {status}): " \
                + (tmp_path / f"kill{index}.stderr").read_text(errors="replace")[-3000:]
        timed_kills_landed += delay is not None and status == -signal.SIGKILL
        problems = [f"after the kill: {p}" for p in half_loaded(expected, end_state(database))]

        try:
            rerun = ingested(inbox, database, archive, schools=schools, workers=1)
        except Exception as error:  # noqa: BLE001 - a crash of the re-run is a finding of this kill, told with it
            problems.append(f"the re-run crashed: {type(error).__name__}: {error}")
        else:
            problems += [f"re-run: establishment {e.uai} failed: {e.error}" for e in rerun.establishments if e.error]
        problems += [f"after the re-run: {p}" for p in differences(expected, end_state(database))]
        problems += archive_problems(tmp_path / "archive_a", archive)
        failures += [f"kill {label} (workers={workers}, exit {status}): {p}" for p in problems]
    assert timed_kills_landed >= 3, f"only {timed_kills_landed} timed kills hit a running run (runs: {duration} s)"
    assert failures == [], "\n".join(failures)


@pytest.mark.parametrize("migrated, count", [(False, 2), (True, 2), (True, 3)],
                         ids=["two-new-database", "two-migrated-database", "three-migrated-database"])
def test_runs_at_once_end_as_one(db_url, new_database, tmp_path, migrated, count):
    """The runs start together on an empty database (the académie's first night: all migrate it), or on one
    migrated already (any other night)."""
    inbox, schools = make_academie(tmp_path)
    reference = ingested(inbox, db_url, tmp_path / "archive_a", schools=schools, workers=1)
    assert not reference.failed
    expected = end_state(db_url)

    shared, archive = new_database("shared"), tmp_path / "archive_shared"
    if migrated:
        engine = make_engine(shared)
        upgrade_to_head(engine)
        engine.dispose()
    reports = [tmp_path / f"run{n}.json" for n in range(count)]
    runs = [start_run(inbox, shared, archive, report, schools, workers=2, wait_for_go=True) for report in reports]
    go(runs)
    statuses = [finish(run) for run in runs]
    stderr = [report.with_suffix(".stderr").read_text(errors="replace")[-3000:] for report in reports]
    assert statuses == [0] * count, f"exit statuses {statuses}:\n" + "\n".join(stderr)

    both = [read_report(report) for report in reports]
    assert [e for report in both for e in report["establishments"] if e["error"]] == []
    # every file taken by exactly one of the runs, reported unchanged by the others
    taken = Counter((f["uai"], f["name"]) for report in both for f in report["files"] if f["status"] != "unchanged")
    assert sorted(taken.elements()) == sorted((f.uai, f.name) for f in reference.files)
    assert sum(f["rows_loaded"] for report in both for f in report["files"] if f["status"] != "unchanged") \
        == sum(f.rows_loaded for f in reference.files)

    actual = end_state(shared)
    assert differences(expected, actual) == []
    assert len({(row[0], row[1]) for row in actual["source_files"]}) == len(actual["source_files"])
    assert len({row[1] for row in actual["certifications"]}) == len(actual["certifications"])
    assert archive_problems(tmp_path / "archive_a", archive) == []
