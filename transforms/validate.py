"""Validation of canonical certification frames against the pandera model.

Takes a normalised frame (every row of a file); returns the rows fit to load and the problems
of the others, in French, pointing at the row and the column as the file names them.
"""
from __future__ import annotations

import re
from collections.abc import Sequence

import numpy as np
import pandas as pd
import pandera.pandas as pa
from pandera.typing import DataFrame

from schemas.certification import (PERSONAL_COLUMNS, ROW_RULE_COLUMNS, RULE_MESSAGES,
                                   CertificationFrame)
from schemas.problems import ProblemFrame, concat_problems, make_problems
from schemas.referential import MAX_LEVEL, MAX_SCORE

# pandera's built-in check names -> (our rule, French wording); {limits} filled per column
_CHECK_RULES: tuple[tuple[str, str, str], ...] = (
    (r"^not_nullable$", "required", "valeur obligatoire manquante"),
    (r"^str_length", "required", "valeur obligatoire manquante"),
    (r"^isin", "allowed_values", "valeur non reconnue"),
    (r"^(greater|less)_than", "out_of_range", "valeur hors limites{limits}"),
    (r"^dtype", "wrong_type", "valeur d’un type inattendu"),
)
_STR_LENGTH = re.compile(r"str_length\((?P<min>\w+), (?P<max>\w+)\)")
VALUE_SHOWN = 60  # a runaway cell is quoted by its start, not whole
COLUMN_LABELS = {"file_division": "Classe (nom du fichier)"}  # columns that are no label of the file
_LIMITS = {"score": f" (0 à {MAX_SCORE})", "level": f" (0 à {MAX_LEVEL})",
           "birth_date": " (date invraisemblable)", "certification_number": " (entier positif attendu)"}


def validate_certifications(
    frame: pd.DataFrame, source_columns: dict[str, str], known: DataFrame[ProblemFrame], file: str,
) -> tuple[DataFrame[CertificationFrame], DataFrame[ProblemFrame]]:
    """Splits FRAME, the rows of one file, into rows that satisfy CertificationFrame and problems for the others.

    KNOWN are problems already found for this file (unreadable cells): their rows are not
    loaded either, and pandera's echo of them (a null where a value was required) is not repeated.
    """
    return validate_batch(frame, np.zeros(len(frame), dtype="int64"), (source_columns,), known, (file,))


def validate_batch(
    frame: pd.DataFrame, file_of_row: np.ndarray, source_columns: Sequence[dict[str, str]],
    known: DataFrame[ProblemFrame], files: Sequence[str],
) -> tuple[DataFrame[CertificationFrame], DataFrame[ProblemFrame]]:
    """validate_certifications for the rows of many files at once: one pandera validation for them all.

    Row i came from files[file_of_row[i]]; problems name that file and its column labels. pandera's fixed
    cost (~19 ms a call) is paid once per batch instead of once per file.
    """
    try:
        validated, found, coerced = CertificationFrame.validate(frame, lazy=True), make_problems([]), True
    except pa.errors.SchemaErrors as errors:
        if len(files) > 1 and errors.failure_cases["index"].isna().any():
            # a failure about a whole column names no row, hence no file: check each file alone
            return _validate_each_file(frame, file_of_row, source_columns, known, files)
        validated, coerced = frame, False
        found = _problems_from_failures(errors.failure_cases, frame, file_of_row, source_columns, files)
    found = _without_known_cells(found, known)
    problems = concat_problems([known, found])
    bad_rows = set(zip(problems["file"], problems["row"].astype(object)))
    rows_file = np.asarray(files, dtype=object)[file_of_row] if len(frame) else np.array([], dtype=object)
    bad = np.fromiter(((f, r) in bad_rows for f, r in zip(rows_file, frame["row_number"].tolist())),
                      dtype=bool, count=len(frame))
    good = validated[~bad]
    if len(good) and not coerced:
        good = CertificationFrame.validate(good)  # a failed validation hands back no coerced frame
    return good, problems


def _validate_each_file(frame: pd.DataFrame, file_of_row: np.ndarray, source_columns: Sequence[dict[str, str]],
                        known: pd.DataFrame, files: Sequence[str]) -> tuple[pd.DataFrame, pd.DataFrame]:
    goods, problems = [], []
    for k, file in enumerate(files):
        rows = file_of_row == k
        file_known = known[known["file"] == file]
        if not rows.any():
            problems.append(file_known)
            continue
        good, found = validate_batch(frame[rows], np.zeros(int(rows.sum()), dtype="int64"), (source_columns[k],),
                                     file_known, (file,))
        goods.append(good)
        problems.append(found)
    return (pd.concat(goods) if goods else frame.iloc[0:0]), concat_problems(problems)


def _problems_from_failures(failures: pd.DataFrame, frame: pd.DataFrame, file_of_row: np.ndarray,
                            source_columns: Sequence[dict[str, str]], files: Sequence[str]) -> DataFrame[ProblemFrame]:
    """pandera's failure_cases, one problem per (file, row, rule, column)."""
    records, seen = [], set()
    row_numbers = frame["row_number"]
    for failure in failures.itertuples(index=False):
        whole_column = pd.isna(failure.index)
        k = 0 if whole_column else int(file_of_row[frame.index.get_loc(failure.index)])
        row = None if whole_column else int(row_numbers.loc[failure.index])
        if failure.schema_context == "DataFrameSchema" and failure.check in ROW_RULE_COLUMNS:
            record = _row_rule_problem(failure.check, row, frame.loc[failure.index], source_columns[k], files[k])
        else:
            record = _column_problem(failure, row, source_columns[k], files[k])
        key = (record["file"], record["row"], record["rule"], record["column"])
        if key not in seen:
            seen.add(key)
            records.append(record)
    return make_problems(records)


def _row_rule_problem(rule: str, row: int | None, values: pd.Series, source_columns: dict[str, str],
                      file: str) -> dict:
    column = ROW_RULE_COLUMNS[rule]
    if column == "level":
        label = _first_level_above_zero(values, source_columns) or "Compétences"
        value = None
    else:
        label = source_columns.get(column, column)
        value = _shown_value(column, values[column])
    return {"stage": "validate", "file": file, "row": row, "column": label, "rule": rule,
            "value": value, "message": RULE_MESSAGES[rule]}


def _shown_value(column: str, value) -> str | None:
    """The cell a row rule points at, as the file would show it; never a personal value (a birth date)."""
    if column in PERSONAL_COLUMNS or pd.isna(value):
        return None
    return value.strftime("%d/%m/%Y") if isinstance(value, pd.Timestamp) else str(value)


def _first_level_above_zero(values: pd.Series, source_columns: dict[str, str]) -> str | None:
    for column, label in source_columns.items():
        if column.startswith("level_") and not pd.isna(values.get(column)) and values[column] > 0:
            return label
    return None


def _column_problem(failure, row: int | None, source_columns: dict[str, str], file: str) -> dict:
    column = str(failure.column)
    family = "level" if column.startswith("level_") or column.startswith("^level") else column
    rule, wording = "invalid", "valeur invalide"
    for pattern, candidate_rule, candidate_wording in _CHECK_RULES:
        if re.match(pattern, str(failure.check)):
            rule, wording = candidate_rule, candidate_wording
            break
    if longest := _max_length(failure):
        rule, wording = "too_long", f"valeur trop longue ({longest} caractères au plus)"
    label = source_columns.get(column, COLUMN_LABELS.get(column, column))
    personal = column in PERSONAL_COLUMNS
    value = None if personal or pd.isna(failure.failure_case) else str(failure.failure_case)[:VALUE_SHOWN]
    shown = "" if value is None else f" : « {value} »"
    message = f"{label} : {wording.format(limits=_LIMITS.get(family, ''))}{shown}"
    return {"stage": "validate", "file": file, "row": row, "column": label, "rule": rule,
            "value": value, "message": message}


def _max_length(failure) -> int | None:
    """The limit a str_length failure broke when the cell is too long (not empty): the database column's."""
    limits = _STR_LENGTH.fullmatch(str(failure.check))
    case = failure.failure_case
    if limits is None or limits["max"] == "None" or not isinstance(case, str) or len(case) <= int(limits["max"]):
        return None
    return int(limits["max"])


def _without_known_cells(found: pd.DataFrame, known: pd.DataFrame) -> pd.DataFrame:
    """Drops pandera's 'required' reports for cells that were already reported unreadable."""
    if not len(found) or not len(known):
        return found
    known_cells = set(zip(known["file"], known["row"], known["column"]))
    echo = [(rule == "required" and (file, row, column) in known_cells)
            for file, row, column, rule in zip(found["file"], found["row"], found["column"], found["rule"])]
    return found[[not e for e in echo]].reset_index(drop=True)
