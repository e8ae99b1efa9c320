"""A RawExport (cells as text, any header version) and the division from the file name.

Returns a NormalisedExport: the canonical CertificationFrame columns, typed, one row per read row;
cells that cannot be parsed become None and a problem (without the value for personal data).
"""
from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from pandera.typing import DataFrame

from schemas.certification import FIRST_CERTIFICATION_DAY, PERSONAL_COLUMNS
from schemas.problems import ProblemFrame, make_problems
from schemas.referential import (COMPETENCE_CODES, CORE_CERTIFICATION_TYPE, GLOBAL_LEVEL_LABELS,
                                 LEVEL_COLUMNS, STATUS_WORDINGS, Status)
from transforms.clean_text import remove_unwanted
from transforms.read_csv import ROW_NUMBER, RawExport, normalise_label

UNREADABLE = object()  # what a parser returns for a cell it cannot read
FILE_POSITION = "_file"  # in the gathered cells: which file of the batch a row came from
RESULT = "result"  # the "Résultat" column: global level and score in one cell (2026-03 export)
NOT_EVALUATED = "-"
DATE_HINT = "(attendu JJ/MM/AAAA)"
LEVEL_HINT = "(attendu 0 à 8 ou -)"
NUMBER_HINT = "(attendu des chiffres de 0 à 9)"
RESULT_HINT = "(attendu par exemple « Novice 1 (5 Pix) » ou « 0 Pix »)"

# Numbers and dates in ASCII digits only (re.ASCII): Python's \d and int() also take Arabic-Indic or full-width
# digits, which no Pix export writes; such a cell is a typing accident or a forgery, set aside, never read as a number
DMY_DATE = re.compile(r"(\d{1,2})/(\d{1,2})/(\d{4})(?: 00:00(?::00)?)?", re.ASCII)
ISO_DATE = re.compile(r"(\d{4})-(\d{2})-(\d{2})(?:[ T]00:00(?::00)?)?", re.ASCII)
INTEGER = re.compile(r"-?\d{1,18}", re.ASCII)  # beyond 18 digits it is no number Int64 can hold
# (its spaces stay Unicode: a spreadsheet groups digits with no-break spaces, « 1 024 Pix »)
RESULT_CELL = re.compile(r"(?:(?P<level>.*?)\s*\(\s*(?P<inner>[0-9\s]+?)\s*pix\s*\)|(?P<bare>[0-9\s]+?)\s*(?:pix)?)",
                         re.IGNORECASE)
DIVISION_NAME = re.compile(r"(?P<date>\d{8})_r[eé]sultats_(?P<division>.+?)(?: \(\d+\))?\.csv", re.IGNORECASE)
DATE_YEARS = (pd.Timestamp.min.year + 1, pd.Timestamp.max.year - 1)
DIGIT_GROUPING = str.maketrans("", "", " \u00a0\u202f\u2009")  # spaces a spreadsheet puts in 1 024

# Order and dtypes of the canonical frame (schemas/certification.py).
TEXT_COLUMNS = ("first_name", "last_name", "birthplace", "external_id", "certification_type", "status",
                "global_level", "jury_comment", "session", "centre", "source_file", "file_division")
INTEGER_COLUMNS = ("certification_number", "score", *LEVEL_COLUMNS)
DATE_COLUMNS = ("birth_date", "passed_on")
FRAME_COLUMNS = ("certification_number", "first_name", "last_name", "birth_date", "birthplace",
                 "external_id", "certification_type", "status", "status_inferred", "score",
                 "global_level", *LEVEL_COLUMNS, "jury_comment", "session", "centre", "passed_on",
                 "source_file", "row_number", "file_division")
SCHOOL_YEAR_FIRST_MONTH = 9  # a school year runs 1 September – 31 August (transforms.select_livret.school_year_of)


@dataclass(frozen=True)
class NormalisedExport:
    """The canonical frame of one export, its problems, and where each canonical column came from."""

    frame: pd.DataFrame
    problems: DataFrame[ProblemFrame]
    source_columns: dict[str, str]  # canonical column -> header label as in the file


# ---- parsers: one text cell in, a value, None (empty / "-") or UNREADABLE out ----

def parse_text(cell: str) -> str | None:
    return cell or None


def parse_integer(cell: str) -> int | None | object:
    digits = cell.translate(DIGIT_GROUPING)
    if not digits:
        return None
    return int(digits) if INTEGER.fullmatch(digits) else UNREADABLE


def parse_optional_integer(cell: str) -> int | None | object:
    """An integer where "-" means none (score, competence levels)."""
    return None if cell == NOT_EVALUATED else parse_integer(cell)


def parse_date(cell: str) -> pd.Timestamp | None | object:
    """DD/MM/YYYY or D/M/YYYY as Pix and French spreadsheets write it, or ISO; impossible dates are unreadable."""
    if not cell:
        return None
    dmy, iso = DMY_DATE.fullmatch(cell), ISO_DATE.fullmatch(cell)
    if dmy:
        day, month, year = (int(part) for part in dmy.groups())
    elif iso:
        year, month, day = (int(part) for part in iso.groups())
    else:
        return UNREADABLE
    try:
        date = dt.date(year, month, day)
    except ValueError:
        return UNREADABLE
    # the frame's datetime64[ns] spans 1677-2262; a year outside is a typo, not a date to keep
    return pd.Timestamp(date) if DATE_YEARS[0] <= year <= DATE_YEARS[1] else UNREADABLE


def parse_status(cell: str) -> str | None | object:
    if not cell:
        return None
    status = STATUS_WORDINGS.get(normalise_label(cell))
    return status.value if status else UNREADABLE


GLOBAL_LEVEL_SPELLINGS = {normalise_label(label): label for label in GLOBAL_LEVEL_LABELS}


def parse_global_level(cell: str) -> str | None:
    """The level in its canonical spelling; an unknown label is kept for the schema to reject."""
    if not cell or cell == NOT_EVALUATED:
        return None
    return GLOBAL_LEVEL_SPELLINGS.get(normalise_label(cell), cell)


def parse_result(cell: str) -> tuple[str | None, int | None] | None | object:
    """A "Résultat" cell, "Novice 1 (5 Pix)" or "0 Pix", as (global level, score)."""
    if not cell or cell == NOT_EVALUATED:
        return None
    match = RESULT_CELL.fullmatch(cell)
    if not match:
        return UNREADABLE
    score = parse_integer(match["inner"] or match["bare"])
    return (parse_global_level(match["level"] or ""), score)


@dataclass(frozen=True)
class ColumnRule:
    """How one canonical column is read from its cells, and how a bad cell is described."""

    parse: Callable[[str], object]
    complaint: str  # "Score illisible": what the administrator reads first
    hint: str = ""


LEVEL_RULE = ColumnRule(parse_optional_integer, "Niveau de compétence illisible", LEVEL_HINT)
COLUMN_RULES: dict[str, ColumnRule] = {
    "certification_number": ColumnRule(parse_integer, "Numéro de certification illisible", NUMBER_HINT),
    "first_name": ColumnRule(parse_text, "Prénom illisible"),
    "last_name": ColumnRule(parse_text, "Nom illisible"),
    "birth_date": ColumnRule(parse_date, "Date de naissance illisible", DATE_HINT),
    "birthplace": ColumnRule(parse_text, "Lieu de naissance illisible"),
    "external_id": ColumnRule(parse_text, "Identifiant externe illisible"),
    "certification_type": ColumnRule(parse_text, "Type de certification illisible"),
    "status": ColumnRule(parse_status, "Statut inconnu"),
    "score": ColumnRule(parse_optional_integer, "Score illisible"),
    RESULT: ColumnRule(parse_result, "Résultat illisible", RESULT_HINT),
    "global_level": ColumnRule(parse_global_level, "Niveau illisible"),
    **{column: LEVEL_RULE for column in LEVEL_COLUMNS},
    "jury_comment": ColumnRule(parse_text, "Commentaire illisible"),
    "session": ColumnRule(parse_text, "Session illisible"),
    "centre": ColumnRule(parse_text, "Centre de certification illisible"),
    "passed_on": ColumnRule(parse_date, "Date de passage illisible", DATE_HINT),
}

# Every header spelling of every export version (compared after normalise_label) -> canonical
# column. Columns not listed are ignored, among them the session export's "Certification <label>"
# columns: Pix+ and CléA results belong to other frameworks, not to the CRCN levels of the livret.
HEADER_SPELLINGS: dict[str, str] = {
    "numero de certification": "certification_number",
    "prenom": "first_name",
    "nom": "last_name",
    "date de naissance": "birth_date",
    "lieu de naissance": "birthplace",
    "identifiant externe": "external_id",
    "type de certification": "certification_type",
    "statut": "status",
    "nombre de pix": "score",
    "score en pix": "score",
    "resultat": RESULT,
    "niveau": "global_level",
    **{code: f"level_{code.replace('.', '_')}" for code in COMPETENCE_CODES},
    "commentaire jury pour l'organisation": "jury_comment",
    "session": "session",
    "centre de certification": "centre",
    "date de passage de la certification": "passed_on",
}


@dataclass(frozen=True)
class NormalisedBatch:
    """The canonical frame of many exports at once: row i came from raws[file_of_row[i]]."""

    frame: pd.DataFrame  # RangeIndex, files one after the other, each in its own row order
    problems: DataFrame[ProblemFrame]
    file_of_row: np.ndarray  # position of each row's file in the batch
    source_columns: tuple[dict[str, str], ...]  # per file: canonical column -> header label


def normalise_export(raw: RawExport, file_division: str | None = None, *, received_on: dt.date) -> NormalisedExport:
    """The canonical frame of RAW, received on RECEIVED_ON; file_division defaults to the one in RAW's file name."""
    batch = normalise_exports([raw], [file_division], received_on=received_on)
    return NormalisedExport(frame=batch.frame, problems=batch.problems, source_columns=batch.source_columns[0])


def normalise_exports(raws: Sequence[RawExport], file_divisions: Sequence[str | None],
                      keys: Sequence[str] | None = None, *, received_on: dt.date) -> NormalisedBatch:
    """The canonical frame of every export of RAWS, parsed column by column over all their rows at once.

    A file division of None is read from the file's name. KEYS (default: the file names) fill source_file and
    name the files in the problems, so that files of the same name in two establishments stay two files.
    RECEIVED_ON (the run's day) fills received_on, and with the export date of each file's name, school_year.
    """
    keys = list(keys) if keys is not None else [raw.name for raw in raws]
    positions = [map_header(raw.header) for raw in raws]
    cells = gather_cells(raws, positions)
    file_of_row = cells.pop(FILE_POSITION)
    n = len(file_of_row)
    labels = [{column: raw.header[i] for column, i in found.items()} for raw, found in zip(raws, positions)]
    present = {column: ~pd.isna(values) for column, values in cells.items() if column != ROW_NUMBER}
    values, problems = parse_cells(cells, present, file_of_row, keys, labels)
    values = split_result(values, present)
    values = infer_missing_status(values, present.get("status"), n)
    divisions = [d if d is not None else file_division_from_name(raw.name) for raw, d in zip(raws, file_divisions)]
    frame = assemble_frame(values, present, cells, file_of_row, keys, divisions)
    frame = with_school_years(frame, [export_date_from_name(raw.name) for raw in raws], file_of_row, received_on)
    return NormalisedBatch(frame=frame, problems=make_problems(problems), file_of_row=file_of_row,
                           source_columns=tuple(describe_sources(raw.header, found) for raw, found in zip(raws, positions)))


def map_header(header: tuple[str, ...]) -> dict[str, int]:
    """Canonical column -> position of its label in the header; the first spelling found wins."""
    positions: dict[str, int] = {}
    for i, label in enumerate(header):
        column = HEADER_SPELLINGS.get(normalise_label(label))
        if column and column not in positions:
            positions[column] = i
    return positions


def gather_cells(raws: Sequence[RawExport], positions: list[dict[str, int]]) -> dict[str, np.ndarray]:
    """The cells of every file under canonical names, one array per column; a column a file lacks is NaN there.

    Plain numpy blocks, column by column: a frame per file costs more than parsing its cells.
    """
    blocks = [raw.rows.to_numpy(dtype=object) for raw in raws]
    sizes = [len(block) for block in blocks]
    columns = [column for column in COLUMN_RULES if any(column in found for found in positions)]
    data: dict[str, np.ndarray] = {}
    for column in columns:
        parts = [block[:, found[column]] if column in found else np.full(len(block), np.nan, dtype=object)
                 for block, found in zip(blocks, positions)]
        data[column] = np.concatenate(parts) if parts else np.array([], dtype=object)
    data[ROW_NUMBER] = np.concatenate([raw.rows[ROW_NUMBER].to_numpy(dtype="int64") for raw in raws]) \
        if raws else np.array([], dtype="int64")
    data[FILE_POSITION] = np.repeat(np.arange(len(raws), dtype="int64"), sizes)
    return data


def parse_cells(cells: dict[str, np.ndarray], present: dict[str, np.ndarray], file_of_row: np.ndarray,
                names: list[str], labels: list[dict[str, str]]) -> tuple[dict[str, list], list[dict]]:
    """Each mapped column parsed, each distinct cell once; unreadable cells become None and a problem."""
    values, problems = {}, []
    rows = cells[ROW_NUMBER]
    for column, has_cell in present.items():
        column_cells = cells[column]
        parse = COLUMN_RULES[column].parse
        parsed = {cell: parse(cell) for cell in set(column_cells[has_cell])}
        column_values = [parsed[cell] if has else None for cell, has in zip(column_cells, has_cell)]
        bad = [i for i, value in enumerate(column_values) if value is UNREADABLE]
        for i in bad:
            column_values[i] = None
            k = file_of_row[i]
            problems.append(unreadable_problem(names[k], labels[k][column], column, rows[i], column_cells[i]))
        values[column] = column_values
    return values, problems


def unreadable_problem(file: str, label: str, column: str, row: int, cell: str) -> dict:
    """A problem about one cell; personal values stay out of it."""
    rule = COLUMN_RULES[column]
    personal = column in PERSONAL_COLUMNS
    quoted = "" if personal else f" : « {cell} »"
    message = " ".join(part for part in (rule.complaint + quoted, rule.hint) if part)
    return {"stage": "normalise", "file": file, "row": int(row), "column": label,
            "rule": "unreadable_value", "value": None if personal else cell, "message": message}


def split_result(values: dict[str, list], present: dict[str, np.ndarray]) -> dict[str, list]:
    """The "Résultat" column turned into global_level and score, in the rows of files that have it."""
    if RESULT not in values:
        return values
    split = {key: value for key, value in values.items() if key != RESULT}
    has_result = present[RESULT]
    for position, column in enumerate(("global_level", "score")):
        others = values.get(column, [None] * len(has_result))
        split[column] = [(pair[position] if pair else None) if has else other
                         for pair, has, other in zip(values[RESULT], has_result, others)]
    return split


def infer_missing_status(values: dict[str, list], has_status: np.ndarray | None, n: int) -> dict[str, list]:
    """Adds status_inferred; before 2020 exports had no Statut, so it is read off the score."""
    inferred = np.ones(n, dtype=bool) if has_status is None else ~has_status
    result = {**values, "status_inferred": inferred}
    if inferred.any():
        # formats.md §1: a positive score is a validated certification, 0 a rejected one.
        scores = values.get("score", [None] * n)
        statuses = values.get("status", [None] * n)
        result["status"] = [status_from_score(score) if guess else status
                            for score, guess, status in zip(scores, inferred, statuses)]
    return result


def status_from_score(score: int | None) -> str | None:
    if score is None or score < 0:
        return None
    return (Status.VALIDATED if score > 0 else Status.REJECTED).value


def assemble_frame(values: dict[str, list], present: dict[str, np.ndarray], cells: dict[str, np.ndarray],
                   file_of_row: np.ndarray, keys: list[str], divisions: list[str | None]) -> pd.DataFrame:
    """The canonical columns in schema order and dtypes; columns an export lacks are None."""
    n = len(file_of_row)
    constants = {"source_file": np.asarray(keys, dtype=object)[file_of_row] if n else [],
                 "file_division": np.asarray(divisions, dtype=object)[file_of_row] if n else []}
    if "certification_type" not in present or not present["certification_type"].all():
        # exports before 2026-03 have no Type column: they only held the core certification
        has_type = present.get("certification_type", np.zeros(n, dtype=bool))
        types = values.get("certification_type", [None] * n)
        values = {**values, "certification_type": [t if has else CORE_CERTIFICATION_TYPE
                                                   for t, has in zip(types, has_type)]}
    columns = {}
    for column in FRAME_COLUMNS:
        if column == ROW_NUMBER:
            columns[column] = cells[ROW_NUMBER]
        elif column in values:
            columns[column] = values[column]
        elif column in constants:
            columns[column] = constants[column]
        else:
            columns[column] = [None] * n
    return cast_columns(columns, n)


def cast_columns(columns: dict[str, object], n: int) -> pd.DataFrame:
    """Int64 for numbers, datetime64 for dates, object with None for text, bool for the inferred status."""
    typed: dict[str, object] = {}
    index = pd.RangeIndex(n)
    for column in FRAME_COLUMNS:
        data = columns[column]
        if column in INTEGER_COLUMNS:
            typed[column] = pd.array(list(data), dtype="Int64")
        elif column in DATE_COLUMNS:
            typed[column] = pd.to_datetime(pd.Series(list(data), dtype=object)).dt.as_unit("ns").to_numpy() if n \
                else np.array([], dtype="datetime64[ns]")
        elif column == "status_inferred":
            typed[column] = np.asarray(data, dtype=bool)
        elif column == ROW_NUMBER:
            typed[column] = data
        else:
            # object, not pandas' string dtype: missing text is None, as the model and the loader expect
            typed[column] = pd.Series([None if _is_missing(value) else value for value in data], dtype=object,
                                      index=index)
    return pd.DataFrame(typed, index=index)


def _is_missing(value: object) -> bool:
    return value is None or (isinstance(value, float) and value != value)


def describe_sources(header: tuple[str, ...], positions: dict[str, int]) -> dict[str, str]:
    """Canonical column -> header label as in the file, so later problems can name the file's column."""
    sources = {column: header[i] for column, i in positions.items() if column != RESULT}
    if RESULT in positions:
        sources["score"] = sources["global_level"] = header[positions[RESULT]]
    if "status" not in positions and "score" in sources:
        # an inferred status comes from the score: a problem with it is a problem with that cell
        sources["status"] = sources["score"]
    return sources


def with_school_years(frame: pd.DataFrame, export_dates: Sequence[dt.date | None], file_of_row: np.ndarray,
                      received_on: dt.date) -> pd.DataFrame:
    """FRAME with received_on and school_year: that of passed_on, else of the file's export date (EXPORT_DATES,
    per file), else of RECEIVED_ON. An export date that cannot be (after the day received, before Pix) is
    ignored: a name is typed by hand, and the rows' own dates are checked, not the name's.
    """
    received = pd.Timestamp(received_on)
    plausible = [pd.Timestamp(d) if d is not None and FIRST_CERTIFICATION_DAY <= pd.Timestamp(d) <= received
                 else received for d in export_dates]
    file_day = pd.Series(np.asarray(plausible, dtype="datetime64[ns]")[file_of_row] if len(frame) else [],
                         index=frame.index, dtype="datetime64[ns]")
    day = frame["passed_on"].fillna(file_day)
    first_year = day.dt.year - (day.dt.month < SCHOOL_YEAR_FIRST_MONTH).astype(int)
    return frame.assign(received_on=pd.Series(received, index=frame.index, dtype="datetime64[ns]"),
                        school_year=first_year.astype("Int64"))


def file_division_from_name(name: str) -> str | None:
    """The division in a Pix Orga file name (20190101_resultats_3èmeA.csv -> 3èmeA), or None.

    Control and bidi characters in the name are left out of the division (check_files notices them).
    """
    match = _match_export_name(name)
    return (remove_unwanted(match["division"]).strip() or None) if match else None


def export_date_from_name(name: str) -> dt.date | None:
    """The download date in a Pix Orga file name (20190101_resultats_3èmeA.csv), or None."""
    match = _match_export_name(name)
    if not match:
        return None
    try:
        return dt.datetime.strptime(match["date"], "%Y%m%d").date()
    except ValueError:
        return None


def _match_export_name(name: str) -> re.Match | None:
    # macOS hands out NFD names ("e" + combining accent); the division is compared in NFC.
    base = re.split(r"[\\/]", unicodedata.normalize("NFC", name))[-1].strip()
    return DIVISION_NAME.fullmatch(base)
