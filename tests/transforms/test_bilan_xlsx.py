"""The workbooks (establishment bilan, académie summary): any text from the input is a text cell, never a formula
or a link, and reads back as it was written (less the characters no output carries); the bilan's cover sheet, its
filters, its total row set apart, the k ≥ 5 rule, the heat map's colours and the INE of the follow-up list."""
from __future__ import annotations

import io
from dataclasses import replace
from datetime import date

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import load_workbook
from openpyxl.utils import get_column_letter
from openpyxl.utils.escape import unescape

from store.database import make_engine, upgrade_to_head
from tests.bilan_school import school_bilan
from transforms.bilan_charts import level_colours
from transforms.bilan_tables import BILAN_TABLES, COVER_SHEET, FOLLOW_UP, HEAT_MAP_SHEET, OPEN_FILES, UNMATCHED
from transforms.bilan_xlsx import build_academie_workbook, build_bilan_workbook
from transforms.bilans import summarise_academie, summarise_establishment
from transforms.clean_text import remove_unwanted

# what makes a spreadsheet run a cell (= + - @, DDE, an array formula), a link, and the blanks before them
STARTS = ["", "=", "+", "-", "@", "\t", "\r", "\r\n", " =", '=HYPERLINK("http://example.org","clic")',
          "+cmd|' /C calc'!A0", "-2+3", "@SUM(A1)", "{=1+2}", "=1+2", "http://example.org/", "mailto:a@b.fr",
          "\x1b", "\u202e", "\ufffe", "\ud800"]
# every character but NUL-free text from the whole of Unicode, with the controls and lone surrogates in
characters = st.characters(codec=None, categories=None, exclude_characters="") | st.sampled_from(
    [chr(c) for c in range(0x20)] + [chr(c) for c in range(0x7F, 0xA0)] + ["\ud800", "\udfff", "\ufffe", "\uffff",
                                                                           "\u202e", "\u2066", "\u200f"])
texts = st.builds(lambda start, body: start + body, st.sampled_from(STARTS), st.text(characters, max_size=12))


@pytest.fixture(scope="module")
def bilan(tmp_path_factory):
    engine = make_engine(f"sqlite:///{tmp_path_factory.mktemp('xlsx') / 'db.sqlite'}")
    upgrade_to_head(engine)
    try:
        yield school_bilan(engine)
    finally:
        engine.dispose()


def sheets(workbook: bytes) -> dict:
    return {sheet.title: sheet for sheet in load_workbook(io.BytesIO(workbook))}


def assert_no_formula_nor_link(workbook: dict) -> None:
    for sheet in workbook.values():
        for row in sheet.iter_rows():
            for cell in row:
                assert cell.data_type != "f", (sheet.title, cell.coordinate, cell.value)
                assert cell.hyperlink is None, (sheet.title, cell.coordinate, cell.value)


def read_back(workbook: dict, sheet: str, columns: int) -> list[tuple]:
    rows = workbook[sheet].iter_rows(min_row=2, max_col=columns, values_only=True)
    # a CR is stored _x000D_ (OOXML's escape, which Excel and LibreOffice read back); openpyxl leaves it escaped
    return [tuple("" if value is None else unescape(value) if isinstance(value, str) else value for value in row)
            for row in rows]


def written(texts_: list[str]) -> list[str]:
    return [remove_unwanted(text) for text in texts_]


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(names=st.lists(st.tuples(texts, texts, texts), min_size=1, max_size=4), file=texts, school=texts)
def test_text_from_the_input_is_a_text_cell_in_every_workbook(bilan, names, file, school):
    divisions, last_names, first_names = (list(column) for column in zip(*names))
    follow_up = pd.DataFrame({"division": divisions, "last_name": last_names, "first_name": first_names,
                              "ine": file, "situation": ["absent"] * len(names)})
    unmatched = pd.DataFrame({"division": divisions, "last_name": last_names, "first_name": first_names,
                              "status": "validée", "file": file, "row": 2})
    open_files = pd.DataFrame({"file": [file], "division": [divisions[0]], "status": ["quarantined"],
                               "rows_quarantined": [1]})
    tainted = replace(bilan, follow_up=follow_up, unmatched=unmatched, open_files=open_files,
                      heat_map=bilan.heat_map.set_axis(
                          [f"{d}{i}" for i, d in enumerate(divisions * len(bilan.heat_map))][:len(bilan.heat_map)]))

    workbook = sheets(build_bilan_workbook(tainted, date(2026, 6, 30)))
    summary = sheets(build_academie_workbook(summarise_academie([summarise_establishment(replace(tainted,
                                                                                                 name=school))])))

    assert_no_formula_nor_link(workbook)
    assert_no_formula_nor_link(summary)
    expected = list(zip(written(divisions), written(last_names), written(first_names), written([file]) * len(names),
                        ["absent"] * len(names)))
    assert read_back(workbook, FOLLOW_UP.sheet, 5) == expected
    assert [row[4] for row in read_back(workbook, UNMATCHED.sheet, 5)] == written([file]) * len(names)
    assert read_back(workbook, OPEN_FILES.sheet, 1) == [(remove_unwanted(file),)]
    assert read_back(summary, "Établissements", 2)[0] == (bilan.uai, remove_unwanted(school))


MADE_ON = date(2026, 6, 30)


@pytest.fixture(scope="module")
def workbook(bilan):
    return sheets(build_bilan_workbook(bilan, MADE_ON))


def test_the_cover_sheet_comes_first_and_says_whose_bilan_of_which_year_made_when(workbook):
    cover = workbook[COVER_SHEET]
    assert list(workbook)[0] == COVER_SHEET
    facts = {row[0]: row[1] for row in cover.iter_rows(min_row=2, max_row=7, max_col=2, values_only=True) if row[0]}
    assert facts["Établissement"] == "Collège Jean Moulin" and facts["UAI"] == "0861234Z"
    assert facts["Année scolaire"] == "2025-2026" and facts["Produit le"].date() == MADE_ON
    text = "\n".join(str(v) for row in cover.iter_rows(values_only=True) for v in row if v is not None)
    assert "une classe de moins de 5 certifications validées n'a ni score moyen" in text
    assert "Classes concernées : 3A, 3B." in text


def test_the_cover_sheet_defines_every_column_of_every_sheet(workbook):
    defined = {(row[0], row[1]): row[2] for row in workbook[COVER_SHEET].iter_rows(values_only=True)
               if row[0] in workbook and row[1]}
    for spec in BILAN_TABLES:
        for column in spec.columns:
            assert defined.get((spec.sheet, column.label)), (spec.sheet, column.label)
    assert "compte 3 fois" in defined[("Domaines", "Compétences évaluées (élève × compétence)")]


def test_every_table_has_an_autofilter_and_its_header_row_frozen(bilan, workbook):
    for spec in BILAN_TABLES:
        sheet = workbook[spec.sheet]
        rows = len(getattr(bilan, spec.key)) - (1 if spec.total_apart else 0)
        assert sheet.freeze_panes == "A2", spec.sheet
        assert sheet.auto_filter.ref == f"A1:{get_column_letter(len(spec.columns))}{rows + 1}", spec.sheet
    heat_map = workbook[HEAT_MAP_SHEET]
    assert heat_map.freeze_panes == "B2" and heat_map.auto_filter.ref.startswith("A1:")


def test_the_establishment_total_sits_below_the_classes_after_a_blank_row_out_of_the_filter(workbook):
    for name in ("Classes", "Scores"):
        rows = list(workbook[name].iter_rows(values_only=True))
        first_column = [row[0] for row in rows]
        assert first_column == ["Classe", "3A", "3B", None, "Établissement"], name
        assert all(value is None for value in rows[3])  # the blank row
        assert workbook[name].auto_filter.ref.endswith("3")  # the filter and a sort stop at the last class
        assert workbook[name].cell(5, 2).font.b  # the total in bold
    classes = {row[0]: row for row in workbook["Classes"].iter_rows(values_only=True)}
    assert classes["Établissement"][1:3] == (9, 7)


def test_a_class_under_five_validated_has_empty_means_and_keeps_its_counts(workbook):
    scores = {row[0]: row[1:] for row in workbook["Scores"].iter_rows(values_only=True)}
    assert scores["3A"] == (2, None, None, None, None) and scores["Établissement"][:2] == (5, 300)
    heat_map = {row[0]: row for row in workbook[HEAT_MAP_SHEET].iter_rows(values_only=True)}
    assert set(heat_map["3A"][1:17]) == {None} and "moins de 5" in heat_map["3A"][17]


def test_the_heat_map_sheet_is_coloured_like_the_page_on_the_scale_0_to_8(bilan):
    shown = replace(bilan, heat_map=bilan.heat_map.fillna(3.0).assign(**{"1.1": [1.0, 7.0]}), small_classes=())
    sheet = sheets(build_bilan_workbook(shown, MADE_ON))[HEAT_MAP_SHEET]
    backgrounds, _ = level_colours(np.array([1.0, 3.0, 7.0]))

    def fill(row: int, column: int) -> str:
        return "#" + sheet.cell(row, column).fill.fgColor.rgb[-6:].lower()

    assert [fill(2, 2), fill(2, 3), fill(3, 2)] == list(backgrounds)
    legend = next(row for row in sheet.iter_rows() if row[0].value == "Échelle des niveaux")
    assert [cell.value for cell in legend[1:10]] == list(range(9))
    assert "#" + legend[4].fill.fgColor.rgb[-6:].lower() == backgrounds[1]  # level 3, as the cells of 3,0


def test_the_follow_up_sheet_gives_each_students_ine_and_the_academie_workbook_none(bilan):
    follow_up = bilan.follow_up.assign(ine=["123456789AB", None, None, None, None])
    book = sheets(build_bilan_workbook(replace(bilan, follow_up=follow_up), MADE_ON))

    rows = list(book[FOLLOW_UP.sheet].iter_rows(values_only=True))
    assert rows[0] == ("Classe", "Nom", "Prénom", "INE", "Situation")
    assert rows[1][3] == "123456789AB" and rows[2][3] is None
    summary = sheets(build_academie_workbook(summarise_academie([summarise_establishment(
        replace(bilan, follow_up=follow_up))])))
    assert "123456789AB" not in repr([c.value for s in summary.values() for row in s.iter_rows() for c in row])
