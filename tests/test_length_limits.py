"""Values longer than the database holds: quarantined with a French reason on both backends, never a database error.

PostgreSQL refuses a text longer than its varchar; SQLite stores it. Before the limits were part of the pandera
model and the roster checks, one such value aborted the run on PostgreSQL and its error echoed the row.
"""
from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from tests.ingest_runs import ingested
from pix_livret.demo.sample_data import make_sample_academie
from schemas.tables import Certification, FileProblem, SourceFile, Student
from tests.test_ingest import count
from transforms.inbox import InboxError, find_establishments

LONG_FIRST_NAME = "Marie-" + "x" * 144  # 150 characters: students.first_name and certifications.first_name hold 100


@pytest.fixture
def school(tmp_path):
    academie = make_sample_academie(tmp_path / "inbox", establishments=1, classes=2, students_per_class=3)
    return academie, academie.root / academie.uais[0]


def run(academie, db_url, tmp_path):
    return ingested(academie.root, db_url, tmp_path / "archive", workers=1)


def rewrite(path, old, new, encoding="utf-8"):
    text = path.read_text(encoding)
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding)


def test_a_first_name_too_long_quarantines_its_row_and_loads_the_others(school, db_url, tmp_path):
    academie, folder = school
    export = sorted(folder.glob("*.csv"))[0]
    first_name = export.read_text("utf-8-sig").splitlines()[1].split(";")[1].strip('"')
    rewrite(export, f'"{first_name}"', f'"{LONG_FIRST_NAME}"', "utf-8-sig")

    report = run(academie, db_url, tmp_path)

    [partial] = [f for f in report.files if f.name == export.name]
    assert partial.status == "partial" and (partial.rows_loaded, partial.rows_quarantined) == (2, 1)
    [problem] = partial.problems
    assert (problem["row"], problem["column"], problem["rule"]) == (2, "Prénom", "too_long")
    assert problem["message"] == "Prénom : valeur trop longue (100 caractères au plus)"
    assert problem["value"] is None and LONG_FIRST_NAME not in report.to_json()
    assert not report.failed
    assert count(db_url, select(func.count()).select_from(Certification)) == academie.rows - 1


def test_a_class_name_too_long_in_the_file_name_sets_the_file_aside(school, db_url, tmp_path):
    academie, folder = school
    export = sorted(folder.glob("*.csv"))[0]
    renamed = export.with_name(f"20260221_resultats_3{'B' * 45}.csv")
    export.rename(renamed)

    report = run(academie, db_url, tmp_path)

    [aside] = [f for f in report.files if f.name == renamed.name]
    assert aside.status == "quarantined" and aside.rows_loaded == 0
    assert {p["message"] for p in aside.problems} == {
        "Classe (nom du fichier) : valeur trop longue (40 caractères au plus) : « 3" + "B" * 45 + " »"}
    assert not report.failed and report.totals()["rows_loaded"] == academie.rows - aside.rows_read
    assert count(db_url, select(SourceFile.division).where(SourceFile.name == renamed.name)) is None


def test_roster_values_too_long_drop_the_student_or_the_value_with_a_reason(school, db_url, tmp_path):
    academie, folder = school
    roster = folder / "ElevesSansAdresses.xml"
    text = roster.read_text("iso-8859-15")
    second_student = re.findall(r"<NOM_DE_FAMILLE>([^<]*)</NOM_DE_FAMILLE>", text)[1]
    division = re.search(r"<CODE_STRUCTURE>([^<]*)</CODE_STRUCTURE>\s*<TYPE_STRUCTURE>D<", text).group(1)
    # the second student's name, the first student's division (structures follow the students' order)
    text = text.replace(f"<NOM_DE_FAMILLE>{second_student}<", f"<NOM_DE_FAMILLE>{'Z' * 101}<", 1)
    text = text.replace(f"<CODE_STRUCTURE>{division}</CODE_STRUCTURE>", f"<CODE_STRUCTURE>{'D' * 21}</CODE_STRUCTURE>", 1)
    roster.write_text(text, "iso-8859-15")

    report = run(academie, db_url, tmp_path)

    [establishment] = report.establishments
    problems = {(p["column"], p["rule"]): p["message"] for p in establishment.roster_problems}
    assert problems[("NOM_DE_FAMILLE", "too_long")].endswith("Nom trop long (100 caractères au plus) : élève ignoré")
    assert problems[("CODE_STRUCTURE", "too_long")].endswith(
        "Classe (division) trop longue (20 caractères au plus) : élève gardé sans cette valeur")
    assert not report.failed
    students = academie.rows  # the sample roster holds the certified students, one each
    assert count(db_url, select(func.count()).select_from(Student)) == students - 1
    assert count(db_url, select(func.count()).select_from(Student).where(Student.division.is_(None))) == 1
    assert count(db_url, select(func.count()).select_from(Certification)) == academie.rows
    assert count(db_url, select(func.count()).select_from(FileProblem)) >= 1  # the unmatched certification


def test_a_school_name_too_long_is_refused_before_anything_is_read(school):
    academie, folder = school

    with pytest.raises(InboxError, match=r"Nom d'établissement trop long \(121 caractères, 120 au plus\)"):
        find_establishments(folder, uai=academie.uais[0], name="C" * 121)
