"""The académie summary kept up to date by the nightly refresh of the bilans, from the lines each bilan leaves."""
from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from pipeline.bilans import refresh_bilans
from tests.bilan_school import UAI, YEAR, build_school
from tests.db_builders import add_certification

OTHER = "0330001A"
NIGHT = date(2026, 6, 30)


@pytest.fixture
def two_schools(engine):
    """tests/bilan_school.py's collège of Vienne (7 candidates) and a lycée of Gironde, both of YEAR."""
    build_school(engine)
    build_school(engine, OTHER, name="Lycée Montaigne")


def summary_page(out: Path) -> Path:
    return out / "bilans" / "academie" / YEAR / f"Bilan_Pix_academie_{YEAR}.html"


@pytest.mark.usefixtures("two_schools")
def test_the_nightly_refresh_remakes_the_academie_summary_when_a_bilan_changes_and_only_then(engine, db_url,
                                                                                          tmp_path):
    out = tmp_path / "out"

    first = refresh_bilans(db_url, out, {UAI: YEAR, OTHER: YEAR}, NIGHT, workers=1)

    page = summary_page(out)
    assert first.academie and page.exists() and page.stat().st_mode & 0o777 == 0o640
    html = page.read_text(encoding="utf-8")
    assert UAI in html and OTHER in html and "2 établissements" in html
    # no PDF in the night (its rendering costs more than the summary): the page says how to make one
    assert not page.with_suffix(".pdf").exists() and f"pix-livret report --year {YEAR}" in html
    assert "Martin" not in html and "Léa" not in html  # counts and rates only
    made_at = page.stat().st_mtime_ns

    quiet = refresh_bilans(db_url, out, {UAI: YEAR, OTHER: YEAR}, NIGHT, workers=1)
    assert not quiet.academie and page.stat().st_mtime_ns == made_at  # nothing changed: left as it was

    # one establishment's night: a new certification there, the other establishment not in tonight's run
    add_certification(engine, 99_001, uai=OTHER, student_id=None, score=700, division="3B")
    again = refresh_bilans(db_url, out, {OTHER: YEAR}, NIGHT, workers=1)

    assert [b.uai for b in again.written] == [OTHER] and again.academie
    html = page.read_text(encoding="utf-8")
    assert UAI in html and OTHER in html  # the other establishment's line comes from its own bilan's


def test_one_establishment_makes_no_academie_summary(engine, db_url, tmp_path):
    build_school(engine)

    report = refresh_bilans(db_url, tmp_path / "out", {UAI: YEAR}, NIGHT, workers=1)

    assert report.written and not report.academie and not summary_page(tmp_path / "out").exists()


@pytest.mark.usefixtures("two_schools")
def test_a_bilan_without_its_summary_line_is_made_again(db_url, tmp_path):
    out = tmp_path / "out"
    refresh_bilans(db_url, out, {UAI: YEAR, OTHER: YEAR}, NIGHT, workers=1)
    (out / "bilans" / OTHER / YEAR / ".synthese.json").unlink()  # a bilan made by an earlier version

    again = refresh_bilans(db_url, out, {UAI: YEAR, OTHER: YEAR}, NIGHT, workers=1)

    assert [b.uai for b in again.written] == [OTHER] and again.academie
    assert (out / "bilans" / OTHER / YEAR / ".synthese.json").exists()


@pytest.mark.usefixtures("two_schools")
def test_each_years_academie_summary_counts_are_the_sums_of_that_years_bilans(db_url, tmp_path):
    import pandas as pd

    from pipeline.bilans import make_bilans

    out = tmp_path / "out"
    labels = ["Élèves inscrits", "Candidats", "dont non rattachés", "Résultats écartés", "Absents", "Validées",
              "Non obtenues", "Annulées, en erreur ou non terminées"]
    # the académie's workbook names the unmatched on their own, not as a part of its candidates
    academie_labels = [{"dont non rattachés": "Certifications non rattachées"}.get(label, label) for label in labels]
    for year in (YEAR, "2024-2025"):  # both schools have a certification of 2024-2025 too
        make_bilans(db_url, out, year, None, NIGHT, workers=1)
        totals = [pd.read_excel(out / "bilans" / uai / year / f"Bilan_Pix_{uai}_{year}.xlsx", sheet_name="Classes")
                  .set_index("Classe").loc["Établissement", labels] for uai in (UAI, OTHER)]
        summary = pd.read_excel(out / "bilans" / "academie" / year / f"Bilan_Pix_academie_{year}.xlsx")
        academie = summary.set_index("UAI").loc["Académie", academie_labels]
        expected = (totals[0] + totals[1]).tolist()
        if year == "2024-2025":  # two candidates in the académie that year (Paul, twice): its outcomes withheld
            expected[5:] = ["n.d."] * 3
        assert academie.tolist() == expected, year


SMALL = "0860005X"  # a collège of Vienne with 4 candidates
NAMES = ["Léa", "Inès", "Zoé", "Jade", "Hugo", "Noé", "Tom", "Paul", "Marc", "Eva", "Luc", "Yanis", "Martin",
         "Bernard", "Robert", "Richard", "Petit", "Durand", "Leroy", "Moreau", "Simon", "Inconnu", "Ambre", "Rémi", "Small"]


def build_small_school(engine) -> None:
    """4 candidates in 3A, 3 of them validated with 412, 412, 413 pix: 75,0 % and a mean of 412,3 if shown."""
    from tests.db_builders import add_establishment, add_student

    add_establishment(engine, SMALL)
    for offset, (first, score) in enumerate([("Ambre", 412), ("Rémi", 412), ("Yanis", 413), ("Noé", 0)]):
        student = add_student(engine, 5000 + offset, uai=SMALL, first_name=first, last_name="Small", division="3A")
        add_certification(engine, 50_000 + offset, uai=SMALL, student_id=student, score=score,
                          status="validated" if score else "rejected", global_level=None if not score else "Novice 2")


def academie_files(out: Path, year: str = YEAR) -> tuple[str, str | None, object]:
    """The summary's page, its PDF's text (None when the refresh made none) and its workbook (openpyxl)."""
    import io

    from openpyxl import load_workbook
    from pypdf import PdfReader

    folder = out / "bilans" / "academie" / year
    html = (folder / f"Bilan_Pix_academie_{year}.html").read_text(encoding="utf-8")
    printed = folder / f"Bilan_Pix_academie_{year}.pdf"
    pdf = "\n".join(p.extract_text() for p in PdfReader(printed).pages) if printed.exists() else None
    workbook = load_workbook(io.BytesIO((folder / f"Bilan_Pix_academie_{year}.xlsx").read_bytes()))
    return html, pdf, workbook


def workbook_row(workbook, uai: str) -> dict:
    rows = list(workbook["Établissements"].iter_rows(values_only=True))
    return next(dict(zip(rows[0], row)) for row in rows[1:] if row[0] == uai)


@pytest.mark.usefixtures("two_schools")
def test_a_small_school_gives_away_no_rate_nor_mean_in_any_of_the_three_files_and_no_name_is_anywhere(
        engine, db_url, tmp_path):
    from pipeline.bilans import make_bilans

    build_small_school(engine)
    out = tmp_path / "out"

    make_bilans(db_url, out, YEAR, None, NIGHT, workers=1)

    html, pdf, workbook = academie_files(out)
    for text in (html, pdf):
        assert SMALL in text and "Vienne (086)" in text and "Gironde (033)" in text
        assert "75,0" not in text and "412,3" not in text
        assert "moins de 5 candidats" in text
    small = workbook_row(workbook, SMALL)
    assert small["Candidats"] == 4 and small["Validées / candidats"] == "n.d."
    assert small["Score moyen des validées"] == "n.d."
    lines = [(out / "bilans" / uai / YEAR / ".synthese.json").read_text(encoding="utf-8")
             for uai in (UAI, OTHER, SMALL)]
    cells = [str(c) for sheet in workbook for row in sheet.iter_rows(values_only=True) for c in row if c]
    for text in (html, pdf, "\n".join(cells), *lines):
        assert not [name for name in NAMES if name in text]  # counts and means only, no student's name


@pytest.mark.usefixtures("two_schools")
def test_the_previous_year_is_shown_once_its_bilans_are_made_and_never_taken_from_another_year(engine, db_url,
                                                                                                tmp_path):
    from pipeline.bilans import make_bilans

    # OTHER in 2024-2025: Paul (validated, 250 pix) and 5 unmatched candidates, 2 of them not obtained
    for offset, status in enumerate(["validated", "validated", "validated", "rejected", "rejected"]):
        add_certification(engine, 88_000 + offset, uai=OTHER, student_id=None, status=status,
                          score=350 if status == "validated" else 0, division="3B", passed_on=date(2025, 3, 12),
                          global_level="Novice 2" if status == "validated" else None)
    out = tmp_path / "out"

    make_bilans(db_url, out, YEAR, None, NIGHT, workers=1)
    html, _, _ = academie_files(out)
    assert "Année précédente (2024-2025)" in html and "Sans bilan de cette année-là : 2 établissements" in html

    make_bilans(db_url, out, "2024-2025", None, NIGHT, workers=1)
    make_bilans(db_url, out, YEAR, None, NIGHT, workers=1)

    html, pdf, workbook = academie_files(out)
    assert "Sans bilan de cette année-là" not in html
    assert workbook_row(workbook, OTHER)["Année précédente : validées / candidats"] == pytest.approx(4 / 6)
    # 4 validated then: their mean is withheld, the rate (6 candidates) is not
    assert workbook_row(workbook, OTHER)["Année précédente : score moyen des validées"] == "n.d."
    assert workbook_row(workbook, UAI)["Année précédente : validées / candidats"] == "n.d."  # Paul alone then
    assert "66,7" in pdf


@pytest.mark.usefixtures("two_schools")
def test_a_summary_line_of_an_older_bilan_is_read_its_missing_counts_unknown(engine, db_url, tmp_path):
    import json

    out = tmp_path / "out"
    refresh_bilans(db_url, out, {UAI: YEAR, OTHER: YEAR}, NIGHT, workers=1)
    path = out / "bilans" / OTHER / YEAR / ".synthese.json"
    older = {k: v for k, v in json.loads(path.read_text("utf-8")).items()
             if k not in ("files_set_aside", "classes_without_results", "school_year")}
    path.write_text(json.dumps(older), "utf-8")  # as an earlier version wrote it

    add_certification(engine, 99_002, uai=UAI, student_id=None, score=600, division="3B")  # UAI's bilan changes
    again = refresh_bilans(db_url, out, {UAI: YEAR, OTHER: YEAR}, NIGHT, workers=1)

    assert again.academie
    html, _, workbook = academie_files(out)
    assert workbook_row(workbook, OTHER)["Fichiers écartés encore ouverts"] is None  # unknown, not 0
    assert workbook_row(workbook, UAI)["Fichiers écartés encore ouverts"] == 0
    assert "inconnus pour un bilan fait par une version antérieure" in html


@pytest.mark.usefixtures("two_schools")
def test_the_nightly_refresh_remakes_the_summary_when_a_previous_years_line_is_newer(db_url, tmp_path):
    import os

    from pipeline.bilans import make_bilans

    out = tmp_path / "out"
    refresh_bilans(db_url, out, {UAI: YEAR, OTHER: YEAR}, NIGHT, workers=1)
    page = summary_page(out)
    os.utime(page, ns=(page.stat().st_mtime_ns - 10**9,) * 2)
    make_bilans(db_url, out, "2024-2025", None, NIGHT, workers=1)  # the year before's lines, made after

    again = refresh_bilans(db_url, out, {UAI: YEAR, OTHER: YEAR}, NIGHT, workers=1)

    assert again.academie and not again.written  # no bilan of this year remade, its summary is
