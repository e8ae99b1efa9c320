"""The nightly data path (pipeline.ingest: plan_inbox, load_inbox), without Prefect: an académie loaded establishment by
establishment."""
from __future__ import annotations

import shutil

import pytest
from sqlalchemy import Engine, event, func, select
from sqlalchemy.exc import OperationalError

import pipeline.ingest as ingest_module
import transforms.check_files
from tests.ingest_runs import ingested
from pix_livret.demo.sample_data import make_sample_academie
from schemas.tables import Certification, Establishment, SourceFile, Student
from tests.builders import entity_bomb
from tests.db_builders import read_rows
from transforms.inbox import InboxError


@pytest.fixture
def academie(tmp_path):
    return make_sample_academie(tmp_path / "academie", establishments=3, classes=2, students_per_class=6)


def run(academie, db_url, tmp_path, **options):
    return ingested(academie.root, db_url, tmp_path / "archive", **options)


def count(db_url, query):
    [(found,)] = read_rows(db_url, query)
    return found


def test_an_academie_loads_every_establishment_in_worker_processes(academie, db_url, tmp_path):
    report = run(academie, db_url, tmp_path, workers=2, schools=academie.school_names)

    totals = report.totals()
    assert (totals["establishments"], totals["files"], totals["rows_loaded"]) == (3, academie.files, academie.rows)
    assert totals["unmatched"] == 0 and not report.has_quarantine and not report.failed
    assert count(db_url, select(func.count()).select_from(Certification)) == academie.rows
    assert [e.name for e in report.establishments] == [academie.school_names[u] for u in sorted(academie.uais)]


def test_an_unchanged_inbox_is_not_parsed_again(academie, db_url, tmp_path, monkeypatch):
    run(academie, db_url, tmp_path, workers=1)

    def refuse(*_):
        raise AssertionError("an unchanged file or roster was parsed")

    monkeypatch.setattr(transforms.check_files, "read_export", refuse)
    monkeypatch.setattr(ingest_module, "read_roster", refuse)
    again = run(academie, db_url, tmp_path, workers=1)

    assert {f.status for f in again.files} == {"unchanged"} and again.totals()["rows_loaded"] == 0


def test_a_changed_roster_rewrites_only_the_students_that_changed(academie, db_url, tmp_path):
    run(academie, db_url, tmp_path, workers=1)
    uai = sorted(academie.uais)[0]
    roster = academie.root / uai / "ElevesSansAdresses.xml"
    text = roster.read_bytes().decode("iso-8859-15")
    first_division = text.split("<CODE_STRUCTURE>")[1].split("<")[0]
    roster.write_bytes(text.replace(f"<CODE_STRUCTURE>{first_division}<", "<CODE_STRUCTURE>3Z<", 1)
                       .encode("iso-8859-15"))
    updates = []

    def spy(_conn, _cursor, statement, parameters, _context, executemany):
        if statement.lstrip().upper().startswith("UPDATE STUDENTS"):
            updates.append(len(parameters) if executemany else 1)

    event.listen(Engine, "before_cursor_execute", spy)
    try:
        report = run(academie, db_url, tmp_path, workers=1)
    finally:
        event.remove(Engine, "before_cursor_execute", spy)

    assert sum(updates) == 1
    assert count(db_url, select(func.count()).select_from(Student).where(Student.division == "3Z")) == 1
    assert {f.status for f in report.files} == {"unchanged"}


def test_a_database_error_undoes_that_establishment_only_and_the_next_run_takes_it(academie, db_url, tmp_path,
                                                                                   monkeypatch):
    failing = sorted(academie.uais)[1]
    save = ingest_module.save_certifications

    def save_or_fail(connection, records, **options):
        if records and records[0]["uai"] == failing:
            raise OperationalError("INSERT …", {"first_name": "Léa"}, Exception("disk I/O error"))
        return save(connection, records, **options)

    monkeypatch.setattr(ingest_module, "save_certifications", save_or_fail)
    report = run(academie, db_url, tmp_path, workers=1)

    [failed] = [e for e in report.establishments if e.error]
    assert failed.uai == failing and "Léa" not in failed.error and report.failed
    assert count(db_url, select(func.count()).select_from(SourceFile).where(SourceFile.uai == failing)) == 0
    assert count(db_url, select(func.count()).select_from(Establishment)) == 2
    monkeypatch.setattr(ingest_module, "save_certifications", save)
    again = run(academie, db_url, tmp_path, workers=1)
    assert not again.failed
    assert count(db_url, select(func.count()).select_from(Certification)) == academie.rows


def test_without_rosters_it_says_so_once_per_establishment(tmp_path, db_url):
    academie = make_sample_academie(tmp_path / "sans", establishments=2, classes=2, students_per_class=5,
                                    rosters=False)

    report = run(academie, db_url, tmp_path, workers=1)

    assert all(f.notices == () for f in report.files)
    assert [e.notice for e in report.establishments] == [
        "aucune liste d'élèves : 10 certification(s) non rattachée(s)"] * 2
    assert report.totals()["unmatched"] == academie.rows


def test_a_newer_export_in_the_same_run_wins(academie, db_url, tmp_path):
    folder = academie.root / sorted(academie.uais)[0]
    first = sorted(folder.glob("*.csv"))[0]
    header, row, *_ = first.read_bytes().decode("utf-8-sig").splitlines()
    cells = row.split(";")
    number, score = int(cells[0]), int(cells[9])
    cells[9] = str(score - 1)  # the score, corrected in a later download of the class
    later = folder / ("29991231" + first.name[8:])
    later.write_bytes(("\ufeff" + "\n".join([header, ";".join(cells)]) + "\n").encode())

    report = run(academie, db_url, tmp_path, workers=1)

    assert not report.has_quarantine
    assert count(db_url, select(Certification.score).where(Certification.number == number)) == score - 1
    assert count(db_url, select(SourceFile.name).join(Certification, Certification.source_file_id == SourceFile.id)
                 .where(Certification.number == number)) == later.name


def test_an_unreadable_roster_is_named_when_the_uai_is_unknown(tmp_path, db_url):
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    (inbox / "20250601_resultats_3A.csv").write_bytes(b"a;b\n")
    roster = tmp_path / "ElevesSansAdresses.xml"
    roster.write_bytes(entity_bomb(9, declaration=False))

    with pytest.raises(InboxError, match=r"ElevesSansAdresses\.xml ne le donne pas \(Fichier XML illisible"):
        ingested(inbox, db_url, tmp_path / "archive", roster=roster, workers=1)


def test_a_linked_uai_folder_and_a_link_swapped_in_after_listing_are_refused_unread(academie, db_url, tmp_path,
                                                                                      monkeypatch):
    outside = make_sample_academie(tmp_path / "elsewhere", establishments=1, classes=1, students_per_class=3)
    (academie.root / "0123456A").symlink_to(outside.root / outside.uais[0], target_is_directory=True)
    swapped = sorted((academie.root / sorted(academie.uais)[0]).glob("*.csv"))[0]
    listing = ingest_module.list_inbox

    def list_then_swap(*args):
        listed = listing(*args)
        swapped.unlink()
        swapped.symlink_to("/etc/passwd")  # between the listing and the reading
        return listed

    monkeypatch.setattr(ingest_module, "list_inbox", list_then_swap)
    report = run(academie, db_url, tmp_path, workers=1)

    refused = {(i["uai"], i["name"], i["rule"]) for i in report.asdict()["ignored"] if i["rule"] == "symlink"}
    assert refused == {(None, "0123456A", "symlink"), (sorted(academie.uais)[0], swapped.name, "symlink")}
    assert report.has_quarantine and report.totals()["ignored_set_aside"] == 2
    assert "0123456A" not in {f.uai for f in report.files} and swapped.name not in {f.name for f in report.files}
    assert "root:" not in report.to_json() + report.to_markdown()


def test_a_second_copy_of_a_file_is_ignored_with_the_name_of_the_first_not_a_failed_establishment(academie, db_url,
                                                                                                   tmp_path):
    folder = academie.root / sorted(academie.uais)[0]
    first = sorted(folder.glob("*.csv"))[0]
    second = folder / f"{first.stem} (1).csv"  # a class downloaded twice; it sorts first, so it is the one read
    shutil.copy(first, second)

    report = run(academie, db_url, tmp_path, workers=1)

    assert not report.failed and not report.has_quarantine
    [copy] = [i for i in report.ignored if i.rule == "duplicate"]
    assert (copy.name, copy.reason) == (first.name, f"contenu identique à « {second.name} » : lu une seule fois")
    assert count(db_url, select(func.count()).select_from(Certification)) == academie.rows


def test_an_unchanged_rerun_still_carries_each_establishments_open_problems_one_query_each(academie, db_url,
                                                                                           tmp_path):
    with_problem = sorted(academie.uais)[1]
    (academie.root / with_problem / "20260101_resultats_3Z.csv").write_bytes(b"not;a;pix;export\n1;2;3;4\n")
    first = run(academie, db_url, tmp_path, workers=1)
    statements: list[str] = []

    def spy(_connection, _cursor, statement, *_):
        statements.append(statement)

    event.listen(Engine, "before_cursor_execute", spy)
    try:
        again = run(academie, db_url, tmp_path, workers=1)
    finally:
        event.remove(Engine, "before_cursor_execute", spy)

    assert [(p.uai, p.name, p.status) for p in first.open_problems] == \
        [(with_problem, "20260101_resultats_3Z.csv", "quarantined")]
    assert [(p.uai, p.name, p.id) for p in again.open_problems] == [(p.uai, p.name, p.id) for p in first.open_problems]
    assert not again.has_quarantine and again.quarantined and again.totals()["open_problems"] == 1
    assert [len(e.open_problems) for e in again.establishments] == [0, 1, 0]
    # the rule's query, once per establishment of the quiet re-run: nothing more
    assert sum("acknowledged_at" in s for s in statements) == len(academie.uais)
