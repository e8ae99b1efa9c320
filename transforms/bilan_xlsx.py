"""The bilan as a workbook: a Bilan (or the académie summary) → XLSX bytes, one sheet per table, via pandas.

Typed cells (numbers stay numbers, rates carry a % format), frozen header row, widths that fit the text,
colours on the class × competence sheet. Written by XlsxWriter, pandas' writer engine; text is always text.
"""
from __future__ import annotations

import io

import numpy as np
import pandas as pd

from transforms.bilan_tables import (ACADEMIE, ACADEMIE_NOTES_SHEET, BILAN_TABLES, DEPARTEMENTS, HEAT_MAP_SHEET,
                                     QUARTILES, Kind, TableSpec, academie_notes, labelled, shown_quartiles)
from transforms.bilans import DEPARTEMENT_LEVEL, ESTABLISHMENT_LEVEL, WITHHELD, AcademieSummary, Bilan
from transforms.clean_text import clean_frame

NUMBER_FORMATS: dict[Kind, str] = {"count": "0", "mixed": "0", "percent": "0.0%", "decimal": "0.0", "text": "@"}
MAX_WIDTH = 60
# Names, classes, schools and file names come from the input: a cell is text whatever it starts with. By default
# XlsxWriter's write(), which pandas calls for every cell, makes "=…" a formula (run when the file is opened: DDE,
# a fetched URL), "http://…" a link and "12" a number. Said once in the workbook's options, it holds for every
# cell of every workbook, where write_string would have to replace pandas' own loop over the cells.
WORKBOOK_OPTIONS = {"strings_to_formulas": False, "strings_to_urls": False, "strings_to_numbers": False}


def build_bilan_workbook(bilan: Bilan) -> bytes:
    """Every table of the bilan, its follow-up list (names) included, and the class × competence means."""
    buffer = io.BytesIO()
    with workbook_writer(buffer) as writer:
        for spec in BILAN_TABLES:
            _write_table(writer, getattr(bilan, spec.key), spec)
        _write_heat_map(writer, bilan.heat_map)
    return buffer.getvalue()


def build_academie_workbook(summary: AcademieSummary, school_year: str | None = None) -> bytes:
    """The académie summary: its establishments and the académie total, its départements (when there are
    several), the académie's quartiles, and a sheet of what to read first. A withheld figure is the text
    WITHHELD, right-aligned among the numbers, never a number."""
    table = summary.table
    buffer = io.BytesIO()
    with workbook_writer(buffer) as writer:
        sheets = [(table[table["level"] != DEPARTEMENT_LEVEL], ACADEMIE)]
        if summary.departements > 1:
            sheets.append((table[table["level"] != ESTABLISHMENT_LEVEL], DEPARTEMENTS))
        for frame, spec in sheets:
            # the académie's row: no département, and named in the Départements sheet's first column
            frame = frame.assign(departement_label=frame["departement_label"].fillna(
                "" if spec is ACADEMIE else frame["uai"]))
            _write_table(writer, frame, spec)
            _mark_withheld(writer, frame, spec)
        _write_table(writer, shown_quartiles(summary.quartiles), QUARTILES)
        _write_notes(writer, school_year)
    return buffer.getvalue()


def _mark_withheld(writer: pd.ExcelWriter, frame: pd.DataFrame, spec: TableSpec) -> None:
    """Each WITHHELD cell written again right-aligned and in italics: a text among numbers that says so."""
    sheet = writer.sheets[spec.sheet]
    marked = writer.book.add_format({"align": "right", "italic": True, "font_color": "#555555"})
    for position, column in enumerate(spec.columns):
        for row in np.flatnonzero((frame[column.name] == WITHHELD).to_numpy()):
            sheet.write_string(int(row) + 1, position, WITHHELD, marked)


def _write_notes(writer: pd.ExcelWriter, school_year: str | None) -> None:
    sheet = writer.book.add_worksheet(ACADEMIE_NOTES_SHEET)
    writer.sheets[ACADEMIE_NOTES_SHEET] = sheet
    sheet.set_column(0, 0, 120, writer.book.add_format({"text_wrap": True, "valign": "top"}))
    for row, line in enumerate(academie_notes(school_year)):
        sheet.write_string(row, 0, line)


def workbook_writer(buffer: io.BytesIO) -> pd.ExcelWriter:
    """The one writer of the project's workbooks: XlsxWriter with WORKBOOK_OPTIONS."""
    return pd.ExcelWriter(buffer, engine="xlsxwriter", engine_kwargs={"options": WORKBOOK_OPTIONS})


def _write_table(writer: pd.ExcelWriter, frame: pd.DataFrame, spec: TableSpec) -> None:
    shown = clean_frame(labelled(frame, spec))  # a database filled before the readers cleaned text may hold some
    # NaN (no denominator, nobody evaluated) becomes an empty cell, not an error value
    shown = shown.astype(object).where(shown.notna(), None)
    shown.to_excel(writer, sheet_name=spec.sheet, index=False, freeze_panes=(1, 0))
    sheet, book = writer.sheets[spec.sheet], writer.book
    _printable(sheet)
    for position, column in enumerate(spec.columns):
        cell_format = book.add_format({"num_format": NUMBER_FORMATS[column.kind]})
        if column.kind == "mixed":  # "< 5" and "n.d." stand right-aligned among the numbers
            cell_format.set_align("right")
        sheet.set_column(position, position, _width(shown.iloc[:, position], column.label, column.kind),
                         cell_format)


def _write_heat_map(writer: pd.ExcelWriter, heat_map: pd.DataFrame) -> None:
    frame = clean_frame(heat_map.rename_axis("Classe").astype(float))
    frame.to_excel(writer, sheet_name=HEAT_MAP_SHEET, freeze_panes=(1, 1), na_rep="")
    sheet, book = writer.sheets[HEAT_MAP_SHEET], writer.book
    _printable(sheet)
    sheet.set_column(0, 0, max(8, max((len(str(d)) for d in frame.index), default=0) + 2))
    sheet.set_column(1, len(frame.columns), 7, book.add_format({"num_format": "0.0"}))
    if len(frame):
        # a 3-colour scale in cividis' colours: dark blue (low) to yellow (high), apart in grey print too
        sheet.conditional_format(1, 1, len(frame), len(frame.columns), {
            "type": "3_color_scale", "min_color": "#00224E", "mid_color": "#7C7B78", "max_color": "#FEE838"})
    sheet.write(len(frame) + 2, 0, "Niveau moyen des candidats évalués (certifications validées) ; vide : "
                "personne n'a été évalué.")


def _printable(sheet) -> None:
    # printed (or converted to PDF) as A4 landscape, every column on the page, the header row on each page
    sheet.set_paper(9)
    sheet.set_landscape()
    sheet.fit_to_pages(1, 0)
    sheet.repeat_rows(0)


def _width(values: pd.Series, label: str, kind: Kind) -> int:
    longest = max((len(_shown_text(v, kind)) for v in values), default=0)
    return min(MAX_WIDTH, max(len(label), longest) + 2)


def _shown_text(value, kind: Kind) -> str:
    if value is None:
        return ""
    if kind == "percent" and not isinstance(value, str):
        return f"{value * 100:.1f}%"
    if kind == "decimal" and not isinstance(value, str):
        return f"{value:.1f}"
    return str(value)
