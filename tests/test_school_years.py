"""Two school years of one collège through `pix-livret ingest`: each year's bilan, livret file and attestations say
what that year's files say, whatever came after.

Year 1 (2024-2025): 3A (3e) has Alice validated, Bruno not obtained, Chloé whose row is set aside, the repeater
Rémi not obtained, and a certification no SIECLE student matches (validated); 4B (4e) has four students and no file.
Year 2 (2025-2026): the new roster replaces the old one in the inbox, year 1's class file stays there. Rémi repeats
in 3C and validates; last year's 4B is now 3B: Emma and Fanny validated, Gabin cancelled, Hugo absent; 4D (4e) is new.
"""
from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest
from lxml import etree
from typer.testing import CliRunner

from pix_livret.cli import EXIT_QUARANTINE, app
from pix_livret.demo.sample_data import (ROSTER_FILE_NAME, SampleCertification, SampleStudent, format_record,
                                    write_class_csv, write_siecle_roster)
from schemas.referential import LEVEL_COLUMNS, Status
from tests.conftest import DATABASES, empty_database

UAI = "0861234Z"
YEAR_1, YEAR_2 = "2024-2025", "2025-2026"


def student(eleve_id: int, first: str, last: str, division: str, born: int = 2010) -> SampleStudent:
    return SampleStudent(eleve_id, None, last.upper(), None, first.upper(), date(born, 5, eleve_id % 27 + 1),
                         division, "2" if eleve_id % 2 else "1", None)


ALICE, BRUNO, CHLOE = student(1, "Alice", "Aubert", "3A"), student(2, "Bruno", "Blanc", "3A"), \
    student(3, "Chloé", "Caron", "3A")
REMI_1 = student(4, "Rémi", "Roux", "3A")
EMMA_1, FANNY_1, GABIN_1, HUGO_1 = (student(5, "Emma", "Morel", "4B", 2011), student(6, "Fanny", "Faure", "4B", 2011),
                                    student(7, "Gabin", "Girard", "4B", 2011), student(8, "Hugo", "Henry", "4B", 2011))
YEAR_1_STUDENTS = [ALICE, BRUNO, CHLOE, REMI_1, EMMA_1, FANNY_1, GABIN_1, HUGO_1]
REMI_2 = student(4, "Rémi", "Roux", "3C")
EMMA, FANNY, GABIN, HUGO = (student(s.eleve_id, s.first_name, s.last_name, "3B", 2011)
                            for s in (EMMA_1, FANNY_1, GABIN_1, HUGO_1))
YEAR_2_STUDENTS = [REMI_2, EMMA, FANNY, GABIN, HUGO, student(9, "Inès", "Idir", "4D", 2012),
                   student(10, "Jules", "Joly", "4D", 2012)]


def certification(number: int, who: SampleStudent | None, status: Status, passed_on: date,
                  first: str | None = None, last: str | None = None) -> SampleCertification:
    validated = status is Status.VALIDATED
    return SampleCertification(
        number, who, first or who.first_name.capitalize(), last or who.last_name.capitalize(),
        who.birth_date if who else date(2010, 1, 1), status, 320 if validated else (0 if status is Status.REJECTED
                                                                                     else None),
        "Indépendant 1" if validated else None, {name: 3 if validated else None for name in LEVEL_COLUMNS},
        "12345", passed_on, None)


def write_year_1(inbox: Path) -> None:
    day = date(2025, 3, 20)
    write_siecle_roster(inbox / ROSTER_FILE_NAME, UAI, 2024, YEAR_1_STUDENTS)
    rows = [certification(7100001, ALICE, Status.VALIDATED, day), certification(7100002, BRUNO, Status.REJECTED, day),
            certification(7100004, REMI_1, Status.REJECTED, day),
            certification(7100009, None, Status.VALIDATED, day, "Yanis", "Inconnu")]
    # Chloé's row breaks the schema (a score no certification has): set aside, her names still say who she is
    chloe = certification(7100003, CHLOE, Status.VALIDATED, day)
    write_class_csv(inbox / "20250320_resultats_3A.csv", rows, "pix-niveau-score",
                    extra_rows=[format_record(chloe, "pix-niveau-score", overrides={"Score en Pix": "9999"})])


def write_year_2(inbox: Path) -> None:
    day = date(2026, 3, 19)
    write_siecle_roster(inbox / ROSTER_FILE_NAME, UAI, 2025, YEAR_2_STUDENTS)  # replaces last year's
    write_class_csv(inbox / "20260319_resultats_3B.csv",
                    [certification(7200005, EMMA, Status.VALIDATED, day),
                     certification(7200006, FANNY, Status.VALIDATED, day),
                     certification(7200007, GABIN, Status.CANCELLED, day)], "pix-niveau-score")
    write_class_csv(inbox / "20260319_resultats_3C.csv", [certification(7200004, REMI_2, Status.VALIDATED, day)],
                    "pix-niveau-score")


@pytest.fixture(scope="module", params=DATABASES)
def two_years(request, tmp_path_factory, prefect_harness):
    """The two nights, once per backend for every test of this module (each night is a whole `pix-livret ingest`)."""
    tmp_path = tmp_path_factory.mktemp("two-years")
    with pytest.MonkeyPatch.context() as monkeypatch, empty_database(request.param, tmp_path) as db_url:
        for variable, folder in (("PIX_LIVRET_ARCHIVE_DIR", "archive"), ("PIX_LIVRET_OUT_DIR", "out")):
            monkeypatch.setenv(variable, str(tmp_path / folder))
        inbox = tmp_path / "inbox"
        inbox.mkdir()
        write_year_1(inbox)
        first = ingest(inbox, db_url, tmp_path)
        bilan_1 = classes_of(tmp_path / "out", YEAR_1)
        write_year_2(inbox)
        second = ingest(inbox, db_url, tmp_path)
        # the nightly made year 2's bilan; year 1's is made again from today's database
        result = CliRunner().invoke(app, ["report", "--year", YEAR_1, "--db", db_url])
        assert result.exit_code == 0, result.output
        yield {"db": db_url, "out": tmp_path / "out", "first": first, "second": second, "bilan_1": bilan_1,
               "tmp": tmp_path}


def ingest(inbox: Path, db_url: str, tmp_path: Path) -> dict:
    result = CliRunner().invoke(app, ["ingest", str(inbox), "--db", db_url, "--report", str(tmp_path / "r.json")],
                                terminal_width=200)
    assert result.exit_code in (0, EXIT_QUARANTINE), result.output
    return json.loads((tmp_path / "r.json").read_text(encoding="utf-8"))


def classes_of(out: Path, year: str) -> dict[str, dict]:
    """The bilan workbook's « Classes » sheet, by class."""
    import pandas as pd

    path = out / "bilans" / UAI / year / f"Bilan_Pix_{UAI}_{year}.xlsx"
    frame = pd.read_excel(path, sheet_name="Classes").set_index("Classe")
    return {division: {k: (None if pd.isna(v) else v) for k, v in row.items()} for division, row in
            frame.to_dict("index").items()}


def sheet(out: Path, year: str, name: str):
    import pandas as pd

    return pd.read_excel(out / "bilans" / UAI / year / f"Bilan_Pix_{UAI}_{year}.xlsx", sheet_name=name)


COUNTS = ("Élèves inscrits", "Candidats", "dont non rattachés", "Résultats écartés", "Absents", "Validées",
          "Non obtenues", "Annulées, en erreur ou non terminées")


def test_each_year_counts_its_own_students_in_its_own_classes(two_years):
    year_1 = classes_of(two_years["out"], YEAR_1)
    # 3A of year 1: Alice, Bruno, Chloé, Rémi enrolled; 4 candidates with the unmatched one; Chloé set aside
    assert [year_1["3A"][c] for c in COUNTS] == [4, 4, 1, 1, 0, 2, 2, 0]
    assert "4B" not in year_1  # 4e: not concerned, listed apart
    assert sheet(two_years["out"], YEAR_1, "Autres classes").to_dict("records") == [
        {"Classe": "4B", "Élèves inscrits": 4}]
    # remade after year 2 (the bilan of year 1 is made again by `report`): the figures it gave then
    assert year_1 == two_years["bilan_1"]

    year_2 = classes_of(two_years["out"], YEAR_2)
    assert [year_2["3B"][c] for c in COUNTS] == [4, 3, 0, 0, 1, 2, 0, 1]
    assert [year_2["3C"][c] for c in COUNTS] == [1, 1, 0, 0, 0, 1, 0, 0]
    assert [year_2["Établissement"][c] for c in COUNTS] == [5, 4, 0, 0, 1, 3, 0, 1]
    assert "3A" not in year_2 and "4D" not in year_2  # last year's 3A left, 4D is not concerned


def test_last_years_bilan_made_again_compares_with_the_years_before_only(two_years):
    # made again after year 2 was loaded: no line of year 2 in year 1's comparison of years
    assert sheet(two_years["out"], YEAR_1, "Années")["Année scolaire"].tolist() == [YEAR_1]
    assert sheet(two_years["out"], YEAR_2, "Années")["Année scolaire"].tolist() == [YEAR_1, YEAR_2]


def test_the_follow_up_list_names_this_years_students_only(two_years):
    follow_up = sheet(two_years["out"], YEAR_2, "Élèves à suivre")
    assert sorted(zip(follow_up["Nom"], follow_up["Situation"])) == [
        ("GIRARD", "Annulée"), ("HENRY", "Absent(e)")]
    follow_up_1 = sheet(two_years["out"], YEAR_1, "Élèves à suivre")
    assert sorted(zip(follow_up_1["Nom"], follow_up_1["Situation"])) == [
        ("BLANC", "Non obtenue"), ("CARON", "Résultat écarté, à corriger"), ("ROUX", "Non obtenue")]


def test_the_unmatched_certification_is_named_and_reconciles_with_the_livret(two_years):
    unmatched = sheet(two_years["out"], YEAR_1, "Non rattachés")
    assert unmatched[["Nom (Pix)", "Prénom (Pix)", "Fichier"]].values.tolist() == [
        ["Inconnu", "Yanis", "20250320_resultats_3A.csv"]]
    html = (two_years["out"] / "bilans" / UAI / YEAR_1 / f"Bilan_Pix_{UAI}_{YEAR_1}.html").read_text("utf-8")
    assert "2 certification(s) validée(s) dans ce bilan = 1 dans le fichier LSU/LSL + 1 non rattachée(s)" in html


def test_the_livret_file_of_each_year_has_that_years_class(two_years, tmp_path):
    for year, expected in ((YEAR_1, {"1": "3A", "2": "3A", "4": "3A"}),
                           (YEAR_2, {"4": "3C", "5": "3B", "6": "3B"})):  # a cancelled one is left out
        result = CliRunner().invoke(app, ["export", "lsu", "--year", year, "--out", str(tmp_path / "x"),
                                          "--db", two_years["db"]])
        assert result.exit_code == 0, result.output
        document = etree.parse(str(tmp_path / "x" / f"LSU_{UAI}_{year}.xml"))
        classes = {element.get("id-be"): element.get("code-division")
                   for element in document.iter() if element.get("id-be") is not None}
        assert {k: v for k, v in classes.items() if k in expected} == expected, classes
        assert set(classes) <= set(expected) | {None}


def test_the_default_year_is_the_latest_with_results(two_years):
    result = CliRunner().invoke(app, ["report", "--db", two_years["db"], "--out", str(two_years["tmp"] / "r2")])
    assert result.exit_code == 0, result.output
    assert (two_years["tmp"] / "r2" / "bilans" / UAI / YEAR_2).is_dir()
    assert not (two_years["tmp"] / "r2" / "bilans" / UAI / YEAR_1).exists()


def test_the_attestations_of_each_year_go_to_that_years_class(two_years):
    out = two_years["tmp"] / "att"
    for year in (YEAR_1, YEAR_2):
        result = CliRunner().invoke(app, ["attestations", "--year", year, "--out", str(out / year),
                                          "--db", two_years["db"]])
        assert result.exit_code == 0, result.output
    folders = {year: sorted(p.name for p in (out / year).iterdir() if p.is_dir()) for year in (YEAR_1, YEAR_2)}
    # year 1: Alice alone validated (the unmatched one gets no attestation); year 2: Rémi in 3C, Emma and Fanny in 3B
    assert folders == {YEAR_1: ["3A"], YEAR_2: ["3B", "3C"]}
    assert len(list((out / YEAR_2 / "3C").glob("*.pdf"))) == 1
