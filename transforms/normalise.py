"""A RawExport (cells as text, any header version) and the division from the file name.

Returns a NormalisedExport: the canonical CertificationFrame columns, typed, one row per read row;
cells that cannot be parsed become None and a problem (without the value for personal data).
"""
from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass

import pandas as pd
from pandera.typing import DataFrame

from schemas.certification import PERSONAL_COLUMNS
from schemas.problems import ProblemFrame, make_problems
from schemas.referential import (COMPETENCE_CODES, CORE_CERTIFICATION_TYPE, GLOBAL_LEVEL_LABELS,
                                 LEVEL_COLUMNS, STATUS_WORDINGS, Status)
from transforms.read_csv import ROW_NUMBER, RawExport, normalise_label

UNREADABLE = object()  # what a parser returns for a cell it cannot read
RESULT = "result"  # the "Résultat" column: global level and score in one cell (2026-03 export)
NOT_EVALUATED = "-"
DATE_HINT = "(attendu JJ/MM/AAAA)"
LEVEL_HINT = "(attendu 0 à 8 ou -)"
RESULT_HINT = "(attendu par exemple « Novice 1 (5 Pix) » ou « 0 Pix »)"

DMY_DATE = re.compile(r"(\d{1,2})/(\d{1,2})/(\d{4})(?: 00:00(?::00)?)?")
ISO_DATE = re.compile(r"(\d{4})-(\d{2})-(\d{2})(?:[ T]00:00(?::00)?)?")
INTEGER = re.compile(r"-?\d{1,18}")  # beyond 18 digits it is no number Int64 can hold
RESULT_CELL = re.compile(r"(?:(?P<level>.*?)\s*\(\s*(?P<inner>[\d\s]+?)\s*pix\s*\)|(?P<bare>[\d\s]+?)\s*(?:pix)?)",
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
    "certification_number": ColumnRule(parse_integer, "Numéro de certification illisible"),
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


def normalise_export(raw: RawExport, file_division: str | None = None) -> NormalisedExport:
    """The canonical frame of RAW; file_division defaults to the one in RAW's file name."""
    positions = map_header(raw.header)
    cells = {column: raw.rows.iloc[:, i] for column, i in positions.items()}
    values, problems = parse_columns(raw, cells, positions)
    values = split_result(values)
    values = infer_missing_status(values, has_status="status" in positions, index=raw.rows.index)
    division = file_division if file_division is not None else file_division_from_name(raw.name)
    frame = assemble_frame(values, raw, division)
    return NormalisedExport(frame=frame, problems=make_problems(problems),
                            source_columns=describe_sources(raw.header, positions))


def map_header(header: tuple[str, ...]) -> dict[str, int]:
    """Canonical column -> position of its label in the header; the first spelling found wins."""
    positions: dict[str, int] = {}
    for i, label in enumerate(header):
        column = HEADER_SPELLINGS.get(normalise_label(label))
        if column and column not in positions:
            positions[column] = i
    return positions


def parse_columns(raw: RawExport, cells: dict[str, pd.Series],
                  positions: dict[str, int]) -> tuple[dict[str, pd.Series], list[dict]]:
    """Each mapped column parsed; unreadable cells become None and a problem."""
    values, problems = {}, []
    rows = raw.rows[ROW_NUMBER]
    for column, column_cells in cells.items():
        parsed = column_cells.map(COLUMN_RULES[column].parse)
        unreadable = parsed.map(lambda value: value is UNREADABLE).astype(bool)
        values[column] = parsed.where(~unreadable, None).astype(object)
        problems += [unreadable_problem(raw.name, raw.header[positions[column]], column, row, cell)
                     for row, cell in zip(rows[unreadable], column_cells[unreadable])]
    return values, problems


def unreadable_problem(file: str, label: str, column: str, row: int, cell: str) -> dict:
    """A problem about one cell; personal values stay out of it."""
    rule = COLUMN_RULES[column]
    personal = column in PERSONAL_COLUMNS
    quoted = "" if personal else f" : « {cell} »"
    message = " ".join(part for part in (rule.complaint + quoted, rule.hint) if part)
    return {"stage": "normalise", "file": file, "row": int(row), "column": label,
            "rule": "unreadable_value", "value": None if personal else cell, "message": message}


def split_result(values: dict[str, pd.Series]) -> dict[str, pd.Series]:
    """The "Résultat" column turned into global_level and score."""
    if RESULT not in values:
        return values
    pairs = values[RESULT]
    split = {key: value for key, value in values.items() if key != RESULT}
    split["global_level"] = pairs.map(lambda pair: pair[0] if pair else None).astype(object)
    split["score"] = pairs.map(lambda pair: pair[1] if pair else None).astype(object)
    return split


def infer_missing_status(values: dict[str, pd.Series], has_status: bool,
                         index: pd.Index) -> dict[str, pd.Series]:
    """Adds status_inferred; before 2020 exports had no Statut, so it is read off the score."""
    inferred = {**values, "status_inferred": pd.Series(not has_status, index=index, dtype=bool)}
    if not has_status:
        # formats.md §1: a positive score is a validated certification, 0 a rejected one.
        score = values.get("score", pd.Series(None, index=index, dtype=object))
        inferred["status"] = score.map(status_from_score).astype(object)
    return inferred


def status_from_score(score: int | None) -> str | None:
    if score is None or score < 0:
        return None
    return (Status.VALIDATED if score > 0 else Status.REJECTED).value


def assemble_frame(values: dict[str, pd.Series], raw: RawExport, division: str | None) -> pd.DataFrame:
    """The canonical columns in schema order and dtypes; columns the export lacks are None."""
    index = raw.rows.index
    constants = {"source_file": raw.name, "file_division": division}
    if "certification_type" not in values:
        # exports before 2026-03 have no Type column: they only held the core certification
        constants["certification_type"] = CORE_CERTIFICATION_TYPE
    columns = {}
    for column in FRAME_COLUMNS:
        if column == "row_number":
            columns[column] = raw.rows[ROW_NUMBER].astype("int64")
        elif column in values:
            columns[column] = values[column]
        else:
            columns[column] = pd.Series(constants.get(column), index=index, dtype=object)
    return cast_columns(pd.DataFrame(columns, index=index)).reset_index(drop=True)


def cast_columns(frame: pd.DataFrame) -> pd.DataFrame:
    """Int64 for numbers, datetime64 for dates, object with None for text."""
    typed = {column: pd.array(frame[column].tolist(), dtype="Int64") for column in INTEGER_COLUMNS}
    typed |= {column: pd.to_datetime(frame[column].tolist()).as_unit("ns") for column in DATE_COLUMNS}
    typed |= {column: frame[column].astype(object).where(frame[column].notna(), None)
              for column in TEXT_COLUMNS}
    return frame.assign(**typed)


def describe_sources(header: tuple[str, ...], positions: dict[str, int]) -> dict[str, str]:
    """Canonical column -> header label as in the file, so later problems can name the file's column."""
    sources = {column: header[i] for column, i in positions.items() if column != RESULT}
    if RESULT in positions:
        sources["score"] = sources["global_level"] = header[positions[RESULT]]
    if "status" not in positions and "score" in sources:
        # an inferred status comes from the score: a problem with it is a problem with that cell
        sources["status"] = sources["score"]
    return sources


def file_division_from_name(name: str) -> str | None:
    """The division in a Pix Orga file name (20190101_resultats_3èmeA.csv -> 3èmeA), or None."""
    match = _match_export_name(name)
    return (match["division"].strip() or None) if match else None


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
