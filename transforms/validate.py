"""Validation of canonical certification frames against the pandera model.

Takes a normalised frame (every row of a file); returns the rows fit to load and the problems
of the others, in French, pointing at the row and the column as the file names them.
"""
from __future__ import annotations

import re

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
_LIMITS = {"score": f" (0 à {MAX_SCORE})", "level": f" (0 à {MAX_LEVEL})",
           "birth_date": " (date invraisemblable)", "certification_number": " (entier positif attendu)"}


def validate_certifications(
    frame: pd.DataFrame, source_columns: dict[str, str], known: DataFrame[ProblemFrame], file: str,
) -> tuple[DataFrame[CertificationFrame], DataFrame[ProblemFrame]]:
    """Splits FRAME into rows that satisfy CertificationFrame and problems for the others.

    KNOWN are problems already found for this file (unreadable cells): their rows are not
    loaded either, and pandera's echo of them (a null where a value was required) is not repeated.
    """
    try:
        validated = CertificationFrame.validate(frame, lazy=True)
        found = make_problems([])
    except pa.errors.SchemaErrors as errors:
        validated = frame
        found = _problems_from_failures(errors.failure_cases, frame, source_columns, file)
    found = _without_known_cells(found, known)
    problems = concat_problems([known, found])
    bad_rows = set(problems["row"].dropna().astype(int))
    good = validated[~validated["row_number"].isin(bad_rows)]
    if len(good):
        good = CertificationFrame.validate(good)
    return good, problems


def _problems_from_failures(failures: pd.DataFrame, frame: pd.DataFrame, source_columns: dict[str, str],
                            file: str) -> DataFrame[ProblemFrame]:
    """pandera's failure_cases, one problem per (row, rule, column)."""
    records, seen = [], set()
    row_numbers = frame["row_number"]
    for failure in failures.itertuples(index=False):
        row = None if pd.isna(failure.index) else int(row_numbers.loc[failure.index])
        if failure.schema_context == "DataFrameSchema" and failure.check in ROW_RULE_COLUMNS:
            record = _row_rule_problem(failure.check, row, frame.loc[failure.index], source_columns, file)
        else:
            record = _column_problem(failure, row, source_columns, file)
        key = (record["row"], record["rule"], record["column"])
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
        value = None if pd.isna(values[column]) else str(values[column])
    return {"stage": "validate", "file": file, "row": row, "column": label, "rule": rule,
            "value": value, "message": RULE_MESSAGES[rule]}


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
    label = source_columns.get(column, column)
    personal = column in PERSONAL_COLUMNS
    value = None if personal or pd.isna(failure.failure_case) else str(failure.failure_case)
    shown = "" if value is None else f" : « {value} »"
    message = f"{label} : {wording.format(limits=_LIMITS.get(family, ''))}{shown}"
    return {"stage": "validate", "file": file, "row": row, "column": label, "rule": rule,
            "value": value, "message": message}


def _without_known_cells(found: pd.DataFrame, known: pd.DataFrame) -> pd.DataFrame:
    """Drops pandera's 'required' reports for cells that were already reported unreadable."""
    if not len(found) or not len(known):
        return found
    known_cells = set(zip(known["row"], known["column"]))
    echo = [(rule == "required" and (row, column) in known_cells)
            for row, column, rule in zip(found["row"], found["column"], found["rule"])]
    return found[[not e for e in echo]].reset_index(drop=True)
