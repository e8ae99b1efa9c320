"""The workbooks (establishment bilan, académie summary): any text from the input is a text cell, never a formula
or a link, and reads back as it was written (less the characters no output carries)."""
from __future__ import annotations

import io
from dataclasses import replace

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import load_workbook
from openpyxl.utils.escape import unescape

from store.database import make_engine, upgrade_to_head
from tests.bilan_school import school_bilan
from transforms.bilan_tables import FOLLOW_UP, OPEN_FILES, UNMATCHED
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

    workbook = sheets(build_bilan_workbook(tainted))
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
