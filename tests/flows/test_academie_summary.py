"""The académie summary kept up to date by the nightly refresh of the bilans, from the lines each bilan leaves."""
from __future__ import annotations

from datetime import date
from pathlib import Path

from pipeline.bilans import refresh_bilans
from tests.bilan_school import UAI, YEAR, build_school
from tests.db_builders import add_certification

OTHER = "0330001A"
NIGHT = date(2026, 6, 30)


def summary_page(out: Path) -> Path:
    return out / "bilans" / "academie" / YEAR / f"Bilan_Pix_academie_{YEAR}.html"


def test_the_nightly_refresh_remakes_the_academie_summary_when_a_bilan_changes_and_only_then(engine, db_url,
                                                                                          tmp_path):
    build_school(engine)
    build_school(engine, OTHER, name="Lycée Montaigne")
    out = tmp_path / "out"

    first = refresh_bilans(db_url, out, {UAI: YEAR, OTHER: YEAR}, NIGHT, workers=1)

    page = summary_page(out)
    assert first.academie and page.exists() and page.stat().st_mode & 0o777 == 0o640
    html = page.read_text(encoding="utf-8")
    assert UAI in html and OTHER in html and "2 établissements" in html
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


def test_a_bilan_without_its_summary_line_is_made_again(engine, db_url, tmp_path):
    build_school(engine)
    build_school(engine, OTHER, name="Lycée Montaigne")
    out = tmp_path / "out"
    refresh_bilans(db_url, out, {UAI: YEAR, OTHER: YEAR}, NIGHT, workers=1)
    (out / "bilans" / OTHER / YEAR / ".synthese.json").unlink()  # a bilan made by an earlier version

    again = refresh_bilans(db_url, out, {UAI: YEAR, OTHER: YEAR}, NIGHT, workers=1)

    assert [b.uai for b in again.written] == [OTHER] and again.academie
    assert (out / "bilans" / OTHER / YEAR / ".synthese.json").exists()


def test_each_years_academie_summary_counts_are_the_sums_of_that_years_bilans(engine, db_url, tmp_path):
    import pandas as pd

    from pipeline.bilans import make_bilans

    build_school(engine)
    build_school(engine, OTHER, name="Lycée Montaigne")
    out = tmp_path / "out"
    labels = ["Élèves inscrits", "Candidats", "dont non rattachés", "Résultats écartés", "Absents", "Validées",
              "Non obtenues", "Annulées, en erreur ou non terminées"]
    for year in (YEAR, "2024-2025"):  # both schools have a certification of 2024-2025 too
        make_bilans(db_url, out, year, None, NIGHT, workers=1)
        totals = [pd.read_excel(out / "bilans" / uai / year / f"Bilan_Pix_{uai}_{year}.xlsx", sheet_name="Classes")
                  .set_index("Classe").loc["Établissement", labels] for uai in (UAI, OTHER)]
        summary = pd.read_excel(out / "bilans" / "academie" / year / f"Bilan_Pix_academie_{year}.xlsx")
        academie = summary.set_index("UAI").loc["Académie", labels]
        assert academie.tolist() == (totals[0] + totals[1]).tolist(), year
