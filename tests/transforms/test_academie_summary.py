"""The académie summary as an inspector reads it: its page, its PDF and its workbook, made from summary lines built
here (no database). A school of four candidates gives away no rate nor mean; the départements, the previous year and
what needs attention are there, in the same figures in the three files."""
from __future__ import annotations

import io
from datetime import date

import lxml.html
import pytest
from openpyxl import load_workbook
from pypdf import PdfReader

from tests.transforms.test_bilans import line
from transforms.bilan_charts import draw_academie_charts
from transforms.bilan_html import render_academie_html, render_pdf
from transforms.bilan_xlsx import build_academie_workbook
from transforms.bilans import summarise_academie

YEAR = "2025-2026"
SMALL = "0860005X"  # 4 candidates, 3 validated: 75,0 % if it were shown, a mean of 412,3 and levels of 3,7
# figures the small school's would be written as, and that no other row has
SMALL_FIGURES = ("75,0", "412,3", "3,7")


@pytest.fixture(scope="module")
def summary():
    # no other figure of the page is written 75,0, 412,3 or 3,7: finding one would be finding the small school's
    lines = [line("0861234Z", 20, 14, mean_score=401.0, files_set_aside=2, classes_without_results=1, unmatched=3),
             line(SMALL, 4, 3, mean_score=412.3, **{f"domain_{c}": 3.7 for c in "12345"}),
             line("0330001A", 12, 5, mean_score=380.0), line("0330002B", 40, 33, mean_score=440.0)]
    previous = [line("0861234Z", 16, 10, mean_score=350.0, school_year="2024-2025"),
                line(SMALL, 6, 3, mean_score=300.0, school_year="2024-2025")]
    return summarise_academie(lines, previous)


@pytest.fixture(scope="module")
def html(summary) -> str:
    return render_academie_html(summary, YEAR, date(2026, 6, 30), draw_academie_charts(summary))


@pytest.fixture(scope="module")
def page(html):
    return lxml.html.document_fromstring(html)


@pytest.fixture(scope="module")
def pdf_text(html) -> str:
    reader = PdfReader(io.BytesIO(render_pdf(html)))
    first = reader.pages[0].mediabox
    assert first.width > first.height  # landscape
    return "\n".join(p.extract_text() for p in reader.pages)


@pytest.fixture(scope="module")
def workbook(summary):
    return load_workbook(io.BytesIO(build_academie_workbook(summary, YEAR)))


def row_of(page, uai: str) -> list[str]:
    """The cells of the establishment's row of the page's table, its first (UAI and name) included."""
    rows = [tr for tr in page.xpath("//table[@class='academie']/tbody/tr") if tr.xpath("th//strong")
            and tr.xpath("th//strong")[0].text_content() == uai]
    assert len(rows) == 1, uai
    return [cell.text_content().strip() for cell in rows[0].xpath("th|td")]


def header(page) -> list[str]:
    """The columns' headers, each under its group's: « Taux (%) · Val. / cand. »."""
    groups = [title for th in page.xpath("//table[@class='academie']/thead/tr[1]/th[@colspan]")
              for title in [th.text_content()] * int(th.get("colspan"))]
    shorts = [th.text_content() for th in page.xpath("//table[@class='academie']/thead/tr[2]/th")]
    return [f"{group} · {short}" for group, short in zip(groups, shorts)]


def sheet_rows(sheet) -> dict[str, dict]:
    rows = list(sheet.iter_rows(values_only=True))
    return {row[0]: dict(zip(rows[0], row)) for row in rows[1:]}


def test_a_school_of_four_candidates_shows_its_counts_but_no_rate_mean_nor_level_on_the_page(page, html):
    cells = dict(zip(["Établissement", *header(page)], row_of(page, SMALL)))

    assert (cells["Effectifs · Cand."], cells["Effectifs · Inscrits"], cells["Effectifs · Abs."]) == ("4", "6", "2")
    for column in ("Résultats · Val.", "Résultats · Non obt.", "Taux (%) · Val. / cand.", "Taux (%) · Val. / inscr.",
                   "Score · Moyen", "Niveau moyen par domaine · D1", "Niveau moyen par domaine · D5"):
        assert cells[column] == "n.d.", column
    text = page.text_content()
    assert not [figure for figure in SMALL_FIGURES if figure in text]
    assert "moins de 5 candidats" in text and "n.d. » (non diffusé)" in text  # the rule, stated in French
    assert "Non représentés (moins de 5 candidats) : 0860005X." in text  # and not drawn in the chart


def test_the_pdf_withholds_the_same_figures_and_states_the_rule(pdf_text):
    assert "Secret statistique" in pdf_text and "moins de 5 candidats" in pdf_text
    assert "0860005X" in pdf_text and "n.d." in pdf_text
    assert not [figure for figure in SMALL_FIGURES if figure in pdf_text]
    assert "Vienne (086)" in pdf_text and "Gironde (033)" in pdf_text


def test_the_workbook_withholds_the_same_figures_as_text_and_keeps_the_counts_as_numbers(workbook):
    rows = sheet_rows(workbook["Établissements"])

    small = rows[SMALL]
    assert small["Candidats"] == 4 and small["Élèves inscrits"] == 6 and small["Département"] == "Vienne (086)"
    for column in ("Validées", "Validées / candidats", "Validées / inscrits", "Score moyen des validées",
                   "Niveau moyen D1 Information et données"):
        assert small[column] == "n.d.", column
    numbers = [cell for sheet in workbook for row in sheet.iter_rows(values_only=True) for cell in row
               if isinstance(cell, float)]
    assert not [n for n in numbers if n in (pytest.approx(0.75), pytest.approx(412.3), pytest.approx(3.7))]
    assert rows["0861234Z"]["Validées / candidats"] == pytest.approx(0.7)  # a rate shown is a number
    notes = "\n".join(str(c) for row in workbook["À lire"].iter_rows(values_only=True) for c in row if c)
    assert "moins de 5 candidats" in notes and "2024-2025" in notes


def test_what_needs_attention_is_counted_per_school_and_in_total(page, workbook):
    cells = dict(zip(["Établissement", *header(page)], row_of(page, "0861234Z")))
    attention = [cells[f"Points d'attention · {c}"] for c in ("Fichiers écartés", "Classes sans résultat",
                                                               "Non rattachés")]
    assert attention == ["2", "1", "3"]

    rows = sheet_rows(workbook["Établissements"])
    assert rows["0861234Z"]["Fichiers écartés encore ouverts"] == 2
    assert rows["0861234Z"]["Classes concernées sans résultat"] == 1
    assert rows["0861234Z"]["Certifications non rattachées"] == 3
    assert rows["Académie"]["Fichiers écartés encore ouverts"] == 2


def test_the_previous_year_is_beside_each_school_from_its_own_bilan(page, workbook, html):
    assert "Année précédente (2024-2025)" in html
    labels = ["Établissement", *header(page)]

    def previous(uai: str) -> list[str]:
        cells = dict(zip(labels, row_of(page, uai)))
        return [cells[f"Année précédente (2024-2025) · {c}"] for c in ("Val. / cand.", "Score moyen")]

    assert previous("0861234Z") == ["62,5", "350,0"]  # 10 of 16 then
    assert previous("0330001A") == ["—", "—"]  # no bilan of 2024-2025: nothing, never this year's figures
    assert previous(SMALL) == ["50,0", "n.d."]  # 6 candidates then, 3 validated: no mean of 3

    rows = sheet_rows(workbook["Établissements"])
    assert rows["0861234Z"]["Année précédente : validées / candidats"] == pytest.approx(10 / 16)
    assert rows["0330001A"]["Année précédente : validées / candidats"] is None


def test_schools_are_grouped_by_departement_with_a_total_each(page, workbook):
    titles = [th.text_content() for th in page.xpath("//tr[@class='departement-title']/th")]
    assert titles == ["Gironde (033)", "Vienne (086)"]
    firsts = [tr.xpath("th//strong")[0].text_content() for tr in page.xpath("//table[@class='academie']/tbody/tr")
              if tr.xpath("th//strong")]
    assert firsts == ["0330001A", "0330002B", "Total Gironde (033)", SMALL, "0861234Z", "Total Vienne (086)",
                      "Académie"]
    gironde = dict(zip(["Établissement", *header(page)], row_of(page, "Total Gironde (033)")))
    assert (gironde["Effectifs · Inscrits"], gironde["Effectifs · Cand."]) == ("56", "52")  # 14 + 42, 12 + 40

    departements = sheet_rows(workbook["Départements"])
    assert list(departements) == ["Gironde (033)", "Vienne (086)", "Académie"]
    assert departements["Vienne (086)"]["Candidats"] == 24 and departements["Vienne (086)"]["Établissements"] == 2


def test_the_chart_sets_each_school_against_the_academie_quartiles_with_words_for_it(summary):
    (chart,) = draw_academie_charts(summary)

    svg = chart.svg.decode()
    assert "0330002B" in svg and "0861234Z" in svg and SMALL not in svg  # fewer than 5 candidates: not drawn
    # rates of the three schools shown: 41,7 %, 70 %, 82,5 %; their first quartile and median
    assert "55,8 %, médiane 70,0 %" in chart.alt
    assert "1er au 3e quartile" in chart.alt
