"""The bilan as a workbook: a Bilan (or the académie summary) → XLSX bytes, one sheet per table, via pandas.

A cover sheet first (the school, its UAI, the year, the date, what each column counts, the k ≥ 5 rule); then typed
cells (numbers stay numbers, rates carry a % format), a frozen header row and an autofilter on every table, the
establishment's total row set apart below its table, widths that fit the text, the class × competence sheet
coloured on the page's scale. Written by XlsxWriter, pandas' writer engine; text is always text.
"""
from __future__ import annotations

import io
from datetime import date

import numpy as np
import pandas as pd

from transforms.bilan_charts import MISSING_COLOUR, level_colours, level_scale
from transforms.bilan_tables import (ACADEMIE, ACADEMIE_NOTES_SHEET, BILAN_TABLES, CONCERNED_RULES, COVER_SHEET,
                                     DEPARTEMENTS, HEAT_MAP_SHEET, QUARTILES, Kind, TableSpec, academie_notes,
                                     means_rule, shown_quartiles)
from transforms.bilans import DEPARTEMENT_LEVEL, ESTABLISHMENT, ESTABLISHMENT_LEVEL, MIN_FOR_MEANS, WITHHELD, \
    AcademieSummary, Bilan
from transforms.clean_text import clean_cells, clean_frame, clean_value

NUMBER_FORMATS: dict[Kind, str] = {"count": "0", "mixed": "0", "percent": "0.0%", "decimal": "0.0", "text": "@"}
MAX_WIDTH = 60
# Names, classes, schools and file names come from the input: a cell is text whatever it starts with. By default
# XlsxWriter's write(), which pandas calls for every cell, makes "=…" a formula (run when the file is opened: DDE,
# a fetched URL), "http://…" a link and "12" a number. Said once in the workbook's options, it holds for every
# cell of every workbook, where write_string would have to replace pandas' own loop over the cells.
WORKBOOK_OPTIONS = {"strings_to_formulas": False, "strings_to_urls": False, "strings_to_numbers": False,
                    # each sheet assembled in memory, not in a temporary file: a bilan's workbook is small, and its
                    # files' creation and removal cost more than writing it
                    "in_memory": True}
WITHHELD_NOTE = f"moins de {MIN_FOR_MEANS} certifications validées : niveaux moyens non diffusés"


def build_bilan_workbook(bilan: Bilan, made_on: date) -> bytes:
    """The cover sheet, every table of the bilan, its follow-up list (names and INE) included, and the class ×
    competence means; MADE_ON is the date the cover gives."""
    buffer = io.BytesIO()
    with workbook_writer(buffer) as writer:
        _headed(_write_cover(writer, bilan, made_on), bilan)
        for spec in BILAN_TABLES:
            frame, total = getattr(bilan, spec.key), None
            if spec.total_apart:  # below its table, out of the autofilter: sorting the classes leaves it there
                is_total = frame[spec.columns[0].name] == ESTABLISHMENT
                frame, total = frame[~is_total], frame[is_total]
            sheet = _write_table(writer, frame, spec, total)
            sheet.autofilter(0, 0, len(frame), len(spec.columns) - 1)
            _headed(sheet, bilan)
        _headed(_write_heat_map(writer, bilan), bilan)
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


def _write_table(writer: pd.ExcelWriter, frame: pd.DataFrame, spec: TableSpec, total: pd.DataFrame | None = None):
    """FRAME's rows under SPEC's labels, header frozen, each column typed; TOTAL's rows (bold) below them after a
    blank row. Returns the worksheet."""
    shown = _cells(frame, spec)
    sheet = _sheet(writer, spec.sheet, [c.label for c in spec.columns], shown, freeze=(1, 0))
    book = writer.book
    _printable(sheet)
    totals = _cells(total, spec) if total is not None else shown[:0]
    cells = np.vstack([shown, totals])
    for position, column in enumerate(spec.columns):
        cell_format = book.add_format({"num_format": NUMBER_FORMATS[column.kind]})
        if column.kind == "mixed":  # "< 5" and "n.d." stand right-aligned among the numbers
            cell_format.set_align("right")
        sheet.set_column(position, position, _width(cells[:, position], column.label, column.kind), cell_format)
    if total is not None:
        bold = [book.add_format({"num_format": NUMBER_FORMATS[c.kind], "bold": True, "top": 1,
                                 **({"align": "right"} if c.kind == "mixed" else {})}) for c in spec.columns]
        for offset, values in enumerate(totals):
            for position, value in enumerate(values):
                # write() keeps a text a text (WORKBOOK_OPTIONS); None becomes a formatted blank
                sheet.write(len(shown) + 2 + offset, position, _plain(value), bold[position])
    return sheet


def _sheet(writer: pd.ExcelWriter, name: str, header: list[str], cells: np.ndarray, *, freeze: tuple[int, int]):
    """A new sheet: HEADER in bold above CELLS (None: an empty cell), frozen at FREEZE. Written row by row with
    XlsxWriter, not by pandas' to_excel: its per-cell formatting objects cost 80 % of a workbook of 2,000 classes."""
    sheet = writer.book.add_worksheet(name)
    writer.sheets[name] = sheet
    sheet.write_row(0, 0, header, _header_format(writer.book))
    for row, values in enumerate(cells, start=1):
        for column, value in enumerate(values):
            if value is not None:
                sheet.write(row, column, _plain(value))
    sheet.freeze_panes(*freeze)
    return sheet


def _plain(value):
    """numpy's numbers as Python's: XlsxWriter writes those as numbers (text stays text)."""
    return value.item() if isinstance(value, np.generic) else value


def _header_format(book):
    if not hasattr(book, "_pix_header"):  # pandas' header style: bold, thin borders, centred at the top
        book._pix_header = book.add_format({"bold": True, "border": 1, "align": "center", "valign": "top"})
    return book._pix_header


def _cells(frame: pd.DataFrame, spec: TableSpec) -> np.ndarray:
    """The columns SPEC shows of FRAME, in order, as an array of cells: NaN (no denominator, nobody evaluated, a
    mean withheld) an empty cell (None), not an error value; text cleaned (a database filled before the readers
    cleaned text may hold some). Read column by column into numpy: labelling a frame and replacing its NaN the
    pandas way cost a bilan 10 ms."""
    columns = [clean_cells(frame[c.name].to_numpy(dtype=object, na_value=None)) for c in spec.columns]
    return np.column_stack(columns) if len(frame) else np.empty((0, len(spec.columns)), dtype=object)


def _write_heat_map(writer: pd.ExcelWriter, bilan: Bilan):
    """The class × competence means, each cell coloured as on the page (one scale of levels 0–8), the legend below;
    a class of fewer than MIN_FOR_MEANS validated has empty cells and says why."""
    frame = clean_frame(bilan.heat_map.rename_axis("Classe").astype(float))
    withheld = [division in bilan.small_classes for division in bilan.heat_map.index]
    frame = frame.assign(Remarque=[WITHHELD_NOTE if w else None for w in withheld])
    # the means are written below, coloured; here the classes (in bold, as a header) and the remarks
    sheet = _sheet(writer, HEAT_MAP_SHEET, ["Classe", *frame.columns], np.empty((0, 0), dtype=object),
                   freeze=(1, 1))
    book = writer.book
    for row, (division, is_withheld) in enumerate(zip(frame.index, withheld), start=1):
        sheet.write_string(row, 0, str(division), _header_format(book))
        if is_withheld:
            sheet.write_string(row, len(frame.columns), WITHHELD_NOTE)
    _printable(sheet)
    codes = len(frame.columns) - 1
    sheet.set_column(0, 0, max(8, max((len(str(d)) for d in frame.index), default=0) + 2))
    sheet.set_column(1, codes, 7, book.add_format({"num_format": "0.0"}))
    sheet.set_column(codes + 1, codes + 1, len(WITHHELD_NOTE) + 2)
    sheet.autofilter(0, 0, len(frame), codes + 1)
    formats: dict[tuple[str, str], object] = {}

    def coloured(background: str, ink: str):
        if (background, ink) not in formats:
            formats[background, ink] = book.add_format({"num_format": "0.0", "bg_color": background,
                                                         "font_color": ink, "align": "center"})
        return formats[background, ink]

    values = frame.iloc[:, :codes].to_numpy(dtype=float)
    backgrounds, inks = level_colours(values)
    for row, is_withheld in enumerate(withheld):
        for column in range(codes):
            value = values[row, column]
            if is_withheld:
                continue
            format_ = coloured(str(backgrounds[row, column]), str(inks[row, column]))
            if np.isnan(value):  # nobody evaluated: a grey dash, as on the page
                sheet.write_string(row + 1, column + 1, "—", format_)
            else:
                sheet.write_number(row + 1, column + 1, value, format_)
    legend = len(frame) + 2
    sheet.write_string(legend, 0, "Échelle des niveaux")
    for level, background, ink in level_scale():
        sheet.write_number(legend, level + 1, level, coloured(background, ink))
    sheet.write_string(legend, 11, "—", coloured(MISSING_COLOUR, "#000000"))
    sheet.write_string(legend, 12, "personne n'a été évalué")
    sheet.write_string(legend + 1, 0, "Niveau moyen des candidats évalués (certifications validées), de 0 à 8 ; la "
                       "couleur suit le niveau, sur la même échelle dans tous les bilans.")
    return sheet


def _write_cover(writer: pd.ExcelWriter, bilan: Bilan, made_on: date):
    """The first sheet: whose bilan, of which year, made when, and what each column of the other sheets counts."""
    book = writer.book
    sheet = book.add_worksheet(COVER_SHEET)
    writer.sheets[COVER_SHEET] = sheet
    _printable(sheet)
    bold, title = book.add_format({"bold": True}), book.add_format({"bold": True, "font_size": 14})
    wrapped = book.add_format({"text_wrap": True, "valign": "top"})
    day = book.add_format({"num_format": "dd/mm/yyyy", "align": "left"})
    sheet.set_column(0, 0, 26)
    sheet.set_column(1, 1, 34)
    sheet.set_column(2, 2, 90, wrapped)
    sheet.write_string(0, 0, f"Bilan de la certification Pix {bilan.school_year}", title)
    rows = [("Établissement", clean_value(bilan.name) or ""), ("UAI", bilan.uai),
            ("Année scolaire", bilan.school_year)]
    for row, (label, value) in enumerate(rows, start=2):
        sheet.write_string(row, 0, label, bold)
        sheet.write_string(row, 1, value)
    sheet.write_string(5, 0, "Produit le", bold)
    sheet.write_datetime(5, 1, pd.Timestamp(made_on).to_pydatetime(), day)
    notes = [("Classes concernées", "Les classes concernées sont " + CONCERNED_RULES[bilan.concerned_by]),
             ("Petits effectifs (k ≥ 5)", means_rule(bilan.small_classes, "(cellules vides)")),
             ("Filles et garçons", "Une répartition n'est donnée que si chaque groupe compte au moins 5 candidats."),
             ("Listes nominatives", "Les feuilles « Élèves à suivre » et « Non rattachés » nomment des élèves : à "
              "usage interne de l'établissement, ne pas diffuser.")]
    for row, (label, text) in enumerate(notes, start=7):
        sheet.write_string(row, 0, label, bold)
        sheet.merge_range(row, 1, row, 2, text, wrapped)
        sheet.set_row(row, 15 * (1 + len(text) // 110))
    start = 7 + len(notes) + 1
    sheet.write_string(start, 0, "Définitions des colonnes", bold)
    header = start + 1
    for column, label in enumerate(("Feuille", "Colonne", "Ce qu'elle compte")):
        sheet.write_string(header, column, label, bold)
    row = header
    for spec in BILAN_TABLES:
        for column in spec.columns:
            row += 1
            sheet.write_string(row, 0, spec.sheet)
            sheet.write_string(row, 1, column.label)
            sheet.write_string(row, 2, column.definition)
    for label, text in (("Classe", "La division SIECLE."),
                        ("1.1 … 5.2", "Niveau moyen (0 à 8) des candidats de la classe évalués dans la compétence "
                         "(certifications validées) ; « — » : personne n'a été évalué ; vide : classe de moins de "
                         f"{MIN_FOR_MEANS} validées."),
                        ("Remarque", "Pourquoi une classe n'a pas de niveaux moyens.")):
        row += 1
        sheet.write_string(row, 0, HEAT_MAP_SHEET)
        sheet.write_string(row, 1, label)
        sheet.write_string(row, 2, text)
    sheet.autofilter(header, 0, row, 2)
    return sheet


def _headed(sheet, bilan: Bilan) -> None:
    # printed, each page says whose bilan it is (« & » is the header's own escape character)
    school = f"{bilan.title} · {bilan.school_year}".replace("&", "&&")[:200]
    sheet.set_header(f"&L{school}")
    sheet.set_footer("&RPage &P / &N")


def _printable(sheet) -> None:
    # printed (or converted to PDF) as A4 landscape, every column on the page, the header row on each page
    sheet.set_paper(9)
    sheet.set_landscape()
    sheet.fit_to_pages(1, 0)
    sheet.repeat_rows(0)


def _width(values, label: str, kind: Kind) -> int:
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
