"""`pix-livret report` end to end: the files, their modes, their content read back, and the exit codes."""
from __future__ import annotations

import os
import re
import shutil
import subprocess
from datetime import date
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from pix_livret.cli import EXIT_FAILURE, EXIT_OK, app
from tests.bilan_school import UAI, YEAR, build_school
from tests.db_builders import add_certification, add_student

OTHER = "0330001A"
FIRST_NAMES = ("Léa", "Inès", "Zoé", "Jade", "Hugo", "Noé", "Tom", "Paul", "Marc", "Eva", "Luc", "Ana")
LAST_NAMES = ("Martin", "Bernard", "Robert", "Richard", "Petit", "Durand", "Leroy", "Moreau", "Simon", "Laurent",
              "Michel", "Gone", "Inconnu", "Yanis")


def report(db_url: str, out: Path, *options: str):
    return CliRunner().invoke(app, ["report", "--out", str(out), "--db", db_url, *options])


def bilan_files(out: Path, uai: str = UAI, year: str = YEAR) -> list[Path]:
    folder = out / "bilans" / uai / year
    return [folder / f"Bilan_Pix_{uai}_{year}.{suffix}" for suffix in ("html", "pdf", "xlsx")]


@pytest.fixture
def school(engine, db_url):
    build_school(engine)
    return db_url


@pytest.fixture
def academie(engine, db_url):
    build_school(engine)
    build_school(engine, OTHER, name=None)
    return db_url


def test_report_writes_the_html_pdf_and_workbook_readable_by_owner_and_group(school, tmp_path, caplog):
    result = report(school, tmp_path / "out")

    assert result.exit_code == EXIT_OK, result.output
    # WeasyPrint warns in English on the terminal (« Ignored … unknown property ») of a style it cannot read
    assert not [record.getMessage() for record in caplog.records if record.name.startswith("weasyprint")]
    assert "Bilans Pix 2025-2026 : 1 établissement(s)" in result.output  # --year: the latest certification's
    for path in bilan_files(tmp_path / "out"):
        assert path.stat().st_size > 0 and path.stat().st_mode & 0o777 == 0o640
    html = bilan_files(tmp_path / "out")[0].read_text(encoding="utf-8")
    assert "http://" not in html.replace("http://www.w3.org", "") and "https://" not in html  # nothing fetched
    assert html.count('class="chart"') >= 5 and "Simon" in html  # the follow-up list is the establishment's own
    assert not (tmp_path / "out" / "bilans" / "academie").exists()  # one establishment: no académie summary
    from pypdf import PdfReader

    printed = "\n".join(page.extract_text() for page in PdfReader(bilan_files(tmp_path / "out")[1]).pages)
    assert "Résultats par classe" in printed and "Élèves à suivre" in printed
    # the follow-up list is a working list: on the page and in the workbook, not printed (the PDF is the summary)
    assert "Simon" not in printed and "pas dans ce document imprimé" in printed
    assert "pix-livret report" not in printed and "Version PDF" not in printed  # the page's PDF line is for screens


def test_the_per_class_counts_in_the_workbook_equal_those_counted_from_the_inputs(school, tmp_path):
    report(school, tmp_path / "out")

    classes = pd.read_excel(bilan_files(tmp_path / "out")[2], sheet_name="Classes").set_index("Classe")
    # counted from the inputs of tests/bilan_school.py, without the statistics module
    roster = {"3A": 6, "3B": 3}
    candidates = {"3A": {"Léa", "Inès", "Zoé", "Jade"}, "3B": {"Tom", "Paul", "unmatched"}}
    validated = {"3A": {"Léa", "Inès"}, "3B": {"Tom", "Paul", "unmatched"}}
    for division in roster:
        assert classes.loc[division, "Élèves inscrits"] == roster[division]
        assert classes.loc[division, "Candidats"] == len(candidates[division])
        assert classes.loc[division, "Validées"] == len(validated[division])
        if candidates[division]:
            assert classes.loc[division, "Validées / candidats"] == pytest.approx(
                len(validated[division]) / len(candidates[division]))
        assert classes.loc[division, "Validées / inscrits"] == pytest.approx(
            len(validated[division]) / roster[division])
    assert classes.loc["3B", "dont non rattachés"] == 1
    # 4C, with no class file and no candidate, is not concerned: apart, in no denominator
    others = pd.read_excel(bilan_files(tmp_path / "out")[2], sheet_name="Autres classes")
    assert others.to_dict("records") == [{"Classe": "4C", "Élèves inscrits": 2}]
    assert classes.loc["Établissement", "Élèves inscrits"] == 9


def test_the_workbook_reads_back_with_numbers_as_numbers(school, tmp_path):
    report(school, tmp_path / "out")
    path = bilan_files(tmp_path / "out")[2]

    sheets = pd.read_excel(path, sheet_name=None)
    assert {"Classes", "Scores", "Compétences", "Domaines", "Classes x compétences", "Élèves à suivre"} <= set(sheets)
    classes = sheets["Classes"].dropna(how="all")  # the blank row between the classes and the total
    for column in ("Élèves inscrits", "Candidats", "Absents", "Validées"):
        assert pd.api.types.is_numeric_dtype(classes[column]), column
        assert classes[column].map(float.is_integer).all(), column
    assert pd.api.types.is_float_dtype(classes["Validées / candidats"])
    assert pd.api.types.is_float_dtype(sheets["Compétences"]["Niveau moyen des évalués"])
    from openpyxl import load_workbook

    book = load_workbook(path)
    assert book["Classes"].freeze_panes == "A2"
    header = [cell.value for cell in book["Classes"][1]]
    rate = book["Classes"].cell(2, header.index("Validées / candidats") + 1)
    assert rate.number_format == "0.0%"
    legend = next(row for row in book["Classes x compétences"].iter_rows() if row[0].value == "Échelle des niveaux")
    assert legend[1].fill.fgColor.rgb.upper().endswith("00224E")  # the colours of the heat map: level 0, cividis' dark blue


def test_several_establishments_get_their_bilans_and_an_academie_summary_without_names(academie, tmp_path, caplog):
    result = report(academie, tmp_path / "out")

    assert result.exit_code == EXIT_OK, result.output
    assert not [record.getMessage() for record in caplog.records if record.name.startswith("weasyprint")]
    assert all(p.exists() for uai in (UAI, OTHER) for p in bilan_files(tmp_path / "out", uai))
    summary = tmp_path / "out" / "bilans" / "academie" / YEAR
    html = (summary / f"Bilan_Pix_academie_{YEAR}.html").read_text(encoding="utf-8")
    sheet = pd.read_excel(summary / f"Bilan_Pix_academie_{YEAR}.xlsx", sheet_name=None)
    text = html + "\n".join(frame.to_csv() for frame in sheet.values())
    assert OTHER in text and "Collège Jean Moulin" in text
    assert not [name for name in FIRST_NAMES + LAST_NAMES if name in text]
    assert (summary / f"Bilan_Pix_academie_{YEAR}.pdf").stat().st_mode & 0o777 == 0o640
    assert f'href="Bilan_Pix_academie_{YEAR}.pdf"' in html


def test_the_nightly_refresh_of_the_academie_summary_removes_the_pdf_it_would_make_stale(academie, engine, tmp_path):
    from pipeline.bilans import refresh_bilans

    out = tmp_path / "out"
    assert report(academie, out).exit_code == EXIT_OK
    page = out / "bilans" / "academie" / YEAR / f"Bilan_Pix_academie_{YEAR}.html"
    add_certification(engine, 556, uai=OTHER, student_id=None, division="3B")  # OTHER's bilan changes

    refreshed = refresh_bilans(academie, out, {UAI: YEAR, OTHER: YEAR}, date(2026, 6, 30), workers=1)

    assert refreshed.academie and not page.with_suffix(".pdf").exists()
    assert f"pix-livret report --year {YEAR}" in page.read_text("utf-8")


def test_the_nightly_refresh_leaves_no_pdf_older_than_the_page_and_the_page_says_how_to_get_one(school, engine,
                                                                                            tmp_path):
    from pipeline.bilans import refresh_bilans

    out = tmp_path / "out"
    page, pdf, workbook = bilan_files(out)
    command = f"pix-livret report --uai {UAI} --year {YEAR}"

    def refresh():
        return refresh_bilans(school, out, {UAI: YEAR}, date(2026, 6, 30), workers=1)

    assert len(refresh().written) == 1
    assert workbook.exists() and not pdf.exists()  # the nightly makes no PDF
    assert command in page.read_text("utf-8") and f'href="{pdf.name}"' not in page.read_text("utf-8")

    assert report(school, out, "--uai", UAI, "--year", YEAR).exit_code == EXIT_OK  # on demand
    assert pdf.exists() and f'href="{pdf.name}"' in page.read_text("utf-8")
    assert refresh().written == ()  # nothing changed: the PDF is still the page's
    assert pdf.exists() and f'href="{pdf.name}"' in page.read_text("utf-8")

    add_certification(engine, 555, student_id=add_student(engine, 98, first_name="Nils", division="3B"),
                      division="3B")
    assert len(refresh().written) == 1

    assert not pdf.exists()  # it no longer matched the data
    assert command in page.read_text("utf-8") and f'href="{pdf.name}"' not in page.read_text("utf-8")


def test_an_unknown_uai_fails_with_a_message_and_writes_nothing(school, tmp_path):
    result = report(school, tmp_path / "out", "--uai", "0999999X")

    assert result.exit_code == EXIT_FAILURE
    assert "Établissement inconnu dans la base : 0999999X" in result.output
    assert not (tmp_path / "out").exists()


def test_a_year_without_certification_fails_with_a_message_and_writes_nothing(school, tmp_path):
    result = report(school, tmp_path / "out", "--year", "2019-2020")

    assert result.exit_code == EXIT_FAILURE
    assert "Aucune certification Pix en 2019-2020" in result.output
    assert not (tmp_path / "out").exists()


def test_a_malformed_year_fails_with_a_message(school, tmp_path):
    result = report(school, tmp_path / "out", "--year", "2025")

    assert result.exit_code == EXIT_FAILURE and "Année scolaire invalide" in result.output


def test_a_class_without_validated_certification_still_gets_a_bilan(engine, db_url, tmp_path):
    build_school(engine)
    student = add_student(engine, 99, first_name="Nina", last_name="Seule", division="5D")
    add_certification(engine, 77, student_id=student, status="rejected", score=0, global_level=None,
                      division="5D", levels=dict.fromkeys(("level_1_1",)))

    assert report(db_url, tmp_path / "out").exit_code == EXIT_OK


@pytest.mark.skipif(shutil.which("soffice") is None, reason="LibreOffice (soffice) absent: "
                    "apt-get install libreoffice-calc-nogui")
def test_the_workbook_converts_with_libreoffice(school, tmp_path):
    report(school, tmp_path / "out")
    workbook = bilan_files(tmp_path / "out")[2]

    subprocess.run(["soffice", "--headless", f"-env:UserInstallation=file://{tmp_path / 'lo-profile'}",
                    "--convert-to", "pdf", "--outdir", str(tmp_path / "converted"), str(workbook)],
                   check=True, capture_output=True, timeout=180)
    converted = tmp_path / "converted" / workbook.with_suffix(".pdf").name
    assert converted.stat().st_size > 1000
    from pypdf import PdfReader

    text = "\n".join(page.extract_text() for page in PdfReader(converted).pages)
    assert "Validées / candidats" in text and "Établissement" in text


def add_class_of_five_validated(engine) -> None:
    """3C: six enrolled, all candidates, five validated (scores 150, 240, 330, 420, 510), one never finished."""
    from tests.bilan_school import levels
    from tests.db_builders import add_source_file

    source = add_source_file(engine, "20260320_resultats_3C.csv", division="3C")
    for n in range(6):
        student = add_student(engine, 3000 + n, first_name=f"Élève{n}", last_name=f"TROISC{n}", division="3C")
        add_certification(engine, 50_000 + n, student_id=student, status="validated" if n < 5 else "started",
                          score=150 + 90 * n if n < 5 else None, global_level="Indépendant 1" if n < 5 else None,
                          levels=levels(n + 1) if n < 5 else levels(None), division="3C", source_file_id=source)


def french(value, kind: str) -> str:
    """A workbook's value as the page writes it (written here again, not taken from the code under test)."""
    if value is None:
        return "—"
    if kind == "percent":
        return f"{value * 100:.1f} %".replace(".", ",")
    return f"{value:.1f}".replace(".", ",") if kind == "decimal" else str(value)


FIGURES = re.compile(r"—|\d[\d\u202f]*(?:,\d+)?(?: %)?")


def test_the_page_its_pdf_and_the_workbook_give_the_same_figures_per_class(engine, db_url, tmp_path):
    from lxml import html as lxml_html
    from openpyxl import load_workbook
    from pypdf import PdfReader

    build_school(engine)
    add_class_of_five_validated(engine)
    report(db_url, tmp_path / "out")
    page_path, pdf_path, workbook_path = bilan_files(tmp_path / "out")

    book = load_workbook(workbook_path)
    classes = {row[0]: row for row in book["Classes"].iter_rows(min_row=2, values_only=True) if row[0]}
    scores = {row[0]: row for row in book["Scores"].iter_rows(min_row=2, values_only=True) if row[0]}
    # per class: candidates, validated, validated / candidates, mean score (classes columns 2, 6, 9; scores 2)
    workbook = {d: (french(classes[d][2], "count"), french(classes[d][6], "count"),
                    french(classes[d][9], "percent"), french(scores.get(d, (None,) * 3)[2], "decimal"))
                for d in classes}
    assert workbook["3C"] == ("6", "5", "83,3 %", "330,0")  # worked out by hand
    assert workbook["3A"] == ("4", "2", "50,0 %", "—")  # 2 validated: no mean (k ≥ 5)
    assert workbook["Établissement"] == ("13", "10", "76,9 %", "315,0")

    page = lxml_html.document_fromstring(page_path.read_text(encoding="utf-8"))

    def page_rows(header: str) -> dict[str, list[str]]:
        table = page.xpath(f"//table[thead//th={header!r}]")[0]
        return {cells[0]: cells for cells in ([td.text_content() for td in tr.xpath("td")]
                                              for tr in table.xpath("tbody/tr"))}

    page_classes, page_scores = page_rows("Validées / candidats"), page_rows("Score moyen")
    shown = {d: (page_classes[d][2], page_classes[d][6], page_classes[d][9], page_scores.get(d, [""] * 3)[2])
             for d in page_classes}
    assert {d: f for d, f in shown.items() if d in scores} == {d: f for d, f in workbook.items() if d in scores}

    printed = "\n".join(p.extract_text() for p in PdfReader(pdf_path).pages)
    after_classes = printed[printed.index("Résultats par classe"):]
    after_scores = printed[printed.index("Scores des certifications validées"):]
    for division, figures in workbook.items():
        row = FIGURES.findall(re.search(rf"^{division} (\d.*)$", after_classes, re.M).group(1))
        assert (row[1], row[5], row[8]) == figures[:3], division
        if division in scores:
            score_row = FIGURES.findall(re.search(rf"^{division} (\d.*)$", after_scores, re.M).group(1))
            assert score_row[1] == figures[3], division


CHART_SIZES = """Promise.all([...document.images].map(i => i.decode().then(() => true, () => false))).then(decoded =>
  [...document.querySelectorAll('img.chart')].map((image, n) => ({
    chart: image.dataset.chart, decoded: decoded[n], natural: image.naturalWidth * image.naturalHeight,
    width: image.getBoundingClientRect().width, height: image.getBoundingClientRect().height})))"""


@pytest.mark.skipif(shutil.which("chromium") is None, reason="Chromium absent: apt-get install chromium "
                    "(make test-deps installs it)")
def test_the_page_opens_from_disk_in_chromium_with_every_chart_drawn(school, tmp_path):
    from tests.chromium import chromium, load_page

    report(school, tmp_path / "out")
    page = bilan_files(tmp_path / "out")[0]

    with chromium(tmp_path / "profile") as browser:
        loaded = load_page(browser, page.as_uri(), CHART_SIZES)

    assert loaded.errors == []
    assert {url.split(":")[0] for url in loaded.requests} <= {"file", "data"}  # nothing from the network
    assert len(loaded.value) >= 5
    for chart in loaded.value:
        assert chart["decoded"] and chart["natural"] > 0 and chart["width"] > 100 and chart["height"] > 50, chart
    screenshot = tmp_path / "bilan.png"
    screenshot.write_bytes(loaded.screenshot)
    assert screenshot.read_bytes().startswith(b"\x89PNG") and len(loaded.screenshot) > 20_000
    if os.environ.get("PIX_LIVRET_KEEP_SCREENSHOT"):  # to look at it: the test cannot
        shutil.copy(screenshot, os.environ["PIX_LIVRET_KEEP_SCREENSHOT"])


# a cell whose content is wider than the cell once words may no longer be broken: a word that runs into its neighbour
WORDS_TOO_WIDE = """[...document.querySelectorAll('th, td')].filter(cell => {
  cell.style.overflowWrap = 'normal';
  return cell.scrollWidth > cell.clientWidth + 1;
}).map(cell => cell.textContent)"""


@pytest.mark.skipif(shutil.which("chromium") is None, reason="Chromium absent: apt-get install chromium")
def test_no_header_word_nor_number_is_wider_than_its_column_in_chromium(school, tmp_path):
    from tests.chromium import chromium, load_page

    report(school, tmp_path / "out")
    page = bilan_files(tmp_path / "out")[0]

    with chromium(tmp_path / "profile") as browser:
        loaded = load_page(browser, page.as_uri(), WORDS_TOO_WIDE, width=800)

    assert loaded.value == []
