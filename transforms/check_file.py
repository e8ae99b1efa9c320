"""One class CSV, checked: read, normalised, validated and matched to the roster, with nothing lost.

Takes the file's name and bytes and the roster; returns the rows fit to load, how they match,
the problems of the others, and the raw text of every row (for the quarantine).
"""
from __future__ import annotations

from dataclasses import dataclass

import pandas as pd
from pandera.typing import DataFrame

from schemas.certification import CertificationFrame
from schemas.problems import ProblemFrame, concat_problems
from schemas.roster import MatchFrame, RosterFrame
from transforms.match import match_problems, match_students
from transforms.normalise import file_division_from_name, normalise_export
from transforms.read_csv import RawExport, read_export
from transforms.validate import validate_certifications


@dataclass(frozen=True)
class CheckedFile:
    raw: RawExport
    division: str | None  # from the file name
    good: DataFrame[CertificationFrame]
    matches: DataFrame[MatchFrame]
    problems: DataFrame[ProblemFrame]  # rows that will not load (and whole-file problems)
    notices: DataFrame[ProblemFrame]  # rows that load but are reported (unmatched, ambiguous)
    raw_rows: dict[int, str]  # row number -> raw text, every record of the file

    @property
    def readable(self) -> bool:
        return self.raw.format is not None

    @property
    def rows_read(self) -> int:
        return len(self.raw_rows)

    @property
    def rows_quarantined(self) -> int:
        return self.rows_read - len(self.good)


def check_file(name: str, content: bytes, roster: DataFrame[RosterFrame]) -> CheckedFile:
    raw = read_export(name, content)
    raw_rows = dict(zip(raw.rows["row_number"].astype(int), raw.rows["raw_text"])) | dict(raw.quarantined_raw)
    division = file_division_from_name(name)
    if raw.format is None:
        empty = CertificationFrame.to_schema().columns
        return CheckedFile(raw, division, pd.DataFrame(columns=list(empty)), _no_matches(), raw.problems,
                           raw.problems.iloc[0:0], raw_rows)
    normalised = normalise_export(raw, division)
    known = concat_problems([raw.problems, normalised.problems])
    good, problems = validate_certifications(normalised.frame, normalised.source_columns, known, name)
    matches = match_students(good, roster)
    return CheckedFile(raw, division, good, matches, problems, match_problems(good, matches), raw_rows)


def _no_matches() -> pd.DataFrame:
    return pd.DataFrame({"certification_number": pd.array([], dtype="Int64"),
                         "eleve_id": pd.array([], dtype="Int64"), "match_method": [], "candidates": []})
