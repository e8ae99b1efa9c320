"""A certification belongs to one establishment: a number stored for another is set aside, never overwritten
(design.md, "Nothing is lost") — on both backends, and when two establishments write the same number at once."""
from __future__ import annotations

import json
import threading
import time
from datetime import date, datetime, timezone
from pathlib import Path

import pytest
from sqlalchemy import select, text

from tests.ingest_runs import ingested
from pix_livret.demo.sample_data import make_sample_academie
from schemas.referential import LEVEL_COLUMNS
from schemas.tables import Certification, FileProblem, QuarantinedRow, SourceFile, Student
from store import certifications
from store.certifications import OTHER_ESTABLISHMENT, LoadCounts, SetAside, lock_establishment, save_certifications
from store.problems import acknowledge_files, read_open_files
from tests.conftest import PG_URL
from tests.db_builders import add_certification, add_establishment, read_rows

NOW = datetime(2026, 6, 1, 12, 0, tzinfo=timezone.utc)
OWNER, OTHER = "0861234Z", "0330001A"
needs_postgresql = pytest.mark.skipif(PG_URL is None, reason="PIX_LIVRET_TEST_PG_URL is not set")
on_postgresql = pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)  # concurrent writers: SQLite has one


def run(root: Path, db_url: str, tmp_path: Path):
    return ingested(root, db_url, tmp_path / "archive", workers=1)


def lines_of(path: Path) -> list[str]:
    return path.read_bytes().decode("utf-8-sig").splitlines()


def write_lines(path: Path, lines: list[str]) -> None:
    path.write_bytes(("\ufeff" + "\n".join(lines) + "\n").encode())


def owner_columns(db_url: str, number: int) -> list:
    return read_rows(db_url, select(Certification.uai, Certification.student_id, Certification.first_name,
                                    Certification.last_name, Certification.birth_date, Certification.source_file_id)
                     .where(Certification.number == number))


def test_a_number_stored_for_another_establishment_is_set_aside_never_overwritten(tmp_path, db_url, engine):
    academie = make_sample_academie(tmp_path / "academie", establishments=2, classes=1, students_per_class=4)
    owner, other = sorted(academie.uais)
    run(academie.root, db_url, tmp_path)
    [owner_file] = (academie.root / owner).glob("*.csv")
    number = int(lines_of(owner_file)[1].split(";")[0])
    before = owner_columns(db_url, number)
    # a newer export of the other establishment's class whose first row carries the owner's number
    [other_file] = (academie.root / other).glob("*.csv")
    header, first, *rest = lines_of(other_file)
    cells = first.split(";")
    names = (cells[1].strip('"'), cells[2].strip('"'))
    wrong = ";".join([str(number), *cells[1:]])
    later = other_file.with_name("29991231" + other_file.name[8:])
    write_lines(later, [header, wrong, *rest])

    report = run(academie.root, db_url, tmp_path)

    assert owner_columns(db_url, number) == before and before[0].uai == owner
    [loaded] = [f for f in report.files if f.name == later.name]
    assert (loaded.status, loaded.rows_read, loaded.rows_loaded, loaded.rows_quarantined) == \
        ("partial", 1 + len(rest), len(rest), 1)
    [problem] = loaded.problems
    assert (problem["stage"], problem["row"], problem["column"], problem["rule"]) == \
        ("load", 2, "Numéro de certification", OTHER_ESTABLISHMENT)
    assert f"l'établissement {owner}" in problem["message"] and "pix-livret problems --acknowledge" in problem["message"]
    assert not any(name in problem["message"] for name in names)
    assert report.has_quarantine and report.quarantined and not report.failed
    assert "Quarantaine" in report.state_message()
    assert all(f.rows_read == f.rows_loaded + f.rows_quarantined for f in report.files)
    # the database says the same: the file's counts, the row kept with its raw text and reason
    [stored] = read_rows(db_url, select(SourceFile).where(SourceFile.name == later.name))
    assert (stored.status, stored.rows_read, stored.rows_loaded, stored.rows_quarantined) == \
        ("partial", 1 + len(rest), len(rest), 1)
    [(row_number, raw_text, reasons, eleve_id)] = read_rows(db_url, select(
        QuarantinedRow.row_number, QuarantinedRow.raw_text, QuarantinedRow.reasons, QuarantinedRow.eleve_id)
        .where(QuarantinedRow.source_file_id == stored.id))
    assert (row_number, raw_text, reasons) == (2, wrong, problem["message"])
    # the student the row matched is the other establishment's: its bilan says « résultat écarté »
    assert read_rows(db_url, select(Student.uai).where(Student.eleve_id == eleve_id)) == [(other,)]
    assert read_rows(db_url, select(FileProblem.stage, FileProblem.rule, FileProblem.value)
                     .where(FileProblem.source_file_id == stored.id)) == [("load", OTHER_ESTABLISHMENT, str(number))]
    assert all(f.rows_read == f.rows_loaded + f.rows_quarantined for f in read_rows(db_url, select(SourceFile)))
    # an open problem of the other establishment until someone acknowledges it
    assert [(p.id, p.uai, p.status, p.rows_quarantined) for p in report.open_problems] == \
        [(stored.id, other, "partial", 1)]
    with engine.begin() as connection:
        assert acknowledge_files(connection, [stored.id], NOW, None) == [stored.id]
        assert read_open_files(connection) == []


def record(number: int, uai: str, source_file_id: int, first_name: str) -> dict:
    """A row of the certifications table as the load builds it (without loaded_at, updated_at)."""
    return {"number": number, "uai": uai, "student_id": None, "match_method": "unmatched", "first_name": first_name,
            "last_name": "Durand", "birth_date": date(2011, 4, 4), "birthplace": None, "external_id": None,
            "certification_type": "Pix", "status": "validated", "status_inferred": False, "score": 300,
            "global_level": "Indépendant 1", "jury_comment": None, "session": None, "centre": None,
            "passed_on": date(2026, 3, 20), "division": "3A", "source_file_id": source_file_id, "source_row": 2,
            **dict.fromkeys(LEVEL_COLUMNS, 3)}


def two_establishments(engine) -> dict[str, int]:
    """OWNER and OTHER, each with a source file (and a certification of its own); UAI -> source file id."""
    for uai, number in ((OWNER, 1), (OTHER, 2)):
        add_establishment(engine, uai)
        add_certification(engine, number, uai=uai)
    with engine.connect() as connection:
        return dict(connection.execute(select(SourceFile.uai, SourceFile.id)).all())


def test_the_upsert_leaves_a_number_of_another_establishment_even_when_the_read_missed_it(engine, monkeypatch):
    files = two_establishments(engine)
    add_certification(engine, 7310657, uai=OWNER, first_name="Léa")
    # as if another transaction stored it after this one looked: only the upsert's own clause protects it
    monkeypatch.setattr(certifications, "_stored_certifications", lambda *_: {})

    with engine.begin() as connection:
        saved = save_certifications(connection, [record(7310657, OTHER, files[OTHER], "Tom"),
                                                 record(7310658, OTHER, files[OTHER], "Tom")], now=NOW)

    assert saved.set_aside == (SetAside(files[OTHER], 2, 7310657, OWNER),)
    assert saved.counts == {files[OTHER]: LoadCounts(1, 0, 0)}
    with engine.connect() as connection:
        owners = connection.execute(select(Certification.number, Certification.uai, Certification.first_name)
                                    .where(Certification.number >= 7310657).order_by(Certification.number)).all()
    assert owners == [(7310657, OWNER, "Léa"), (7310658, OTHER, "Tom")]


def _in_thread(target, failures: list) -> threading.Thread:
    def guarded():
        try:
            target()
        except BaseException as error:  # noqa: BLE001 - said by the test's thread, not lost in this one
            failures.append(error)
    thread = threading.Thread(target=guarded)
    thread.start()
    return thread


@needs_postgresql
@on_postgresql
def test_two_establishments_writing_the_same_number_at_once_end_with_one_owner(engine):
    """The second transaction's insert waits on the first's uncommitted row (different advisory locks: both run);
    once the first commits, the upsert leaves the row and the second sets its own aside, then commits too."""
    files = two_establishments(engine)
    written, release, failures, saved, pid = threading.Event(), threading.Event(), [], {}, {}

    def first():
        with engine.connect() as connection, connection.begin():
            lock_establishment(connection, OWNER)
            saved[OWNER] = save_certifications(connection, [record(9000001, OWNER, files[OWNER], "Léa")], now=NOW)
            written.set()
            release.wait(30)

    def second():
        with engine.connect() as connection, connection.begin():
            lock_establishment(connection, OTHER)
            pid[OTHER] = connection.execute(text("SELECT pg_backend_pid()")).scalar()
            saved[OTHER] = save_certifications(connection, [record(9000001, OTHER, files[OTHER], "Tom")], now=NOW)

    threads = [_in_thread(first, failures)]
    assert written.wait(30), failures
    threads.append(_in_thread(second, failures))
    _wait_until_blocked(engine, pid, OTHER)
    release.set()
    for thread in threads:
        thread.join(30)

    assert failures == [] and not any(thread.is_alive() for thread in threads)
    assert saved[OWNER].set_aside == () and saved[OWNER].counts == {files[OWNER]: LoadCounts(1, 0, 0)}
    assert saved[OTHER].set_aside == (SetAside(files[OTHER], 2, 9000001, OWNER),)
    assert saved[OTHER].counts == {files[OTHER]: LoadCounts(0, 0, 0)}
    with engine.connect() as connection:
        assert connection.execute(select(Certification.uai, Certification.first_name)
                                  .where(Certification.number == 9000001)).all() == [(OWNER, "Léa")]


def _wait_until_blocked(engine, pid: dict, uai: str, seconds: float = 30) -> None:
    """Until UAI's connection (its backend pid) waits on a lock: its insert is held by the other's row."""
    deadline = time.monotonic() + seconds
    with engine.connect() as connection:
        while time.monotonic() < deadline:
            if uai in pid and connection.execute(text("SELECT wait_event_type FROM pg_stat_activity WHERE pid = :pid"),
                                                 {"pid": pid[uai]}).scalar() == "Lock":
                return
            time.sleep(0.05)
    pytest.fail(f"the transaction of {uai} never waited on the other's row")


@needs_postgresql
@on_postgresql
def test_two_establishments_loading_the_same_numbers_together_share_them_out_without_deadlock(engine):
    """Each number ends with exactly one owner and the other's row set aside, whatever the interleaving; rows in
    opposite orders in the two files do not deadlock (the upsert writes in number order)."""
    files = two_establishments(engine)
    numbers = list(range(9100000, 9100200))
    start, failures, saved = threading.Barrier(2), [], {}

    def loading(uai: str, order: list[int]):
        def load_them():
            with engine.connect() as connection, connection.begin():
                lock_establishment(connection, uai)
                start.wait(30)
                saved[uai] = save_certifications(connection, [record(n, uai, files[uai], uai) for n in order],
                                                 now=NOW)
        return load_them

    threads = [_in_thread(loading(OWNER, numbers), failures), _in_thread(loading(OTHER, numbers[::-1]), failures)]
    for thread in threads:
        thread.join(60)

    assert failures == [] and not any(thread.is_alive() for thread in threads)
    with engine.connect() as connection:
        owners = dict(connection.execute(select(Certification.number, Certification.uai)
                                         .where(Certification.number.in_(numbers))).all())
    assert sorted(owners) == numbers
    for uai, other in ((OWNER, OTHER), (OTHER, OWNER)):
        aside = {s.number for s in saved[uai].set_aside}
        assert aside == {n for n, owner in owners.items() if owner == other}
        assert all(s.owner == other for s in saved[uai].set_aside)
        assert saved[uai].counts[files[uai]].inserted == len(numbers) - len(aside)


@pytest.mark.usefixtures("prefect_harness")
def test_pix_livret_ingest_of_an_academie_with_one_number_in_two_establishments(tmp_path, db_url, monkeypatch):
    """The command on an académie inbox (a folder per UAI), the same number in two establishments' files in one
    run: the first loaded keeps it, the other's row is set aside, the run ends in quarantine (exit 3) until the
    problem is acknowledged."""
    from typer.testing import CliRunner

    from pix_livret.cli import EXIT_OK, EXIT_QUARANTINE, app

    monkeypatch.setenv("PIX_LIVRET_OUT_DIR", str(tmp_path / "out"))
    monkeypatch.setenv("PIX_LIVRET_ARCHIVE_DIR", str(tmp_path / "archive"))
    academie = make_sample_academie(tmp_path / "academie", establishments=2, classes=1, students_per_class=3)
    first_file, second_file = (next((academie.root / uai).glob("*.csv")) for uai in academie.uais)
    number = int(lines_of(first_file)[1].split(";")[0])
    header, row, *rest = lines_of(second_file)
    write_lines(second_file, [header, ";".join([str(number), *row.split(";")[1:]]), *rest])

    def command(*arguments):
        return CliRunner().invoke(app, [*arguments, "--db", db_url], terminal_width=200)

    ingested = command("ingest", str(academie.root), "--no-attestations", "--no-bilans", "--report",
                       str(tmp_path / "report.json"))

    assert ingested.exit_code == EXIT_QUARANTINE, ingested.output
    [(owner, first_name)] = read_rows(db_url, select(Certification.uai, Certification.first_name)
                                      .where(Certification.number == number))
    by_uai = {path.parent.name: path for path in (first_file, second_file)}
    owner_file, [other_file] = by_uai.pop(owner), by_uai.values()
    assert first_name == lines_of(owner_file)[1].split(";")[1].strip('"')
    report = json.loads((tmp_path / "report.json").read_text(encoding="utf-8"))
    files = {f["name"]: f for f in report["files"] if f["uai"] == other_file.parent.name}
    assert (files[other_file.name]["status"], files[other_file.name]["rows_loaded"],
            files[other_file.name]["rows_quarantined"]) == ("partial", len(rest), 1)
    assert [(p["row"], p["rule"]) for p in files[other_file.name]["problems"]] == [(2, OTHER_ESTABLISHMENT)]
    assert all(f["rows_read"] == f["rows_loaded"] + f["rows_quarantined"] for f in report["files"])
    assert report["totals"]["rows_quarantined"] == 1 and "Quarantaine" in ingested.output
    # its student has a result, set aside: « résultat écarté », not absent
    assert report["totals"]["absents"] == 0
    [problem] = report["open_problems"]
    listed = command("problems")
    assert f"l'établissement {owner}" in " ".join(listed.output.split())
    acknowledged = command("problems", "--acknowledge", str(problem["id"]))
    assert acknowledged.exit_code == EXIT_OK, acknowledged.output
    again = command("ingest", str(academie.root), "--no-attestations", "--no-bilans")
    assert again.exit_code == EXIT_OK, again.output
