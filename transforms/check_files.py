"""Class CSVs of one or more establishments, checked together: read, normalised, validated and matched.

Takes the files (UAI, name, bytes) and each establishment's roster; returns per establishment the rows fit to
load with their matches, and per file its outcome (counts, problems, notices, raw text of the bad rows).
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date

import numpy as np
import pandas as pd
from pandera.typing import DataFrame

from schemas.certification import CertificationFrame
from schemas.problems import ProblemFrame, concat_problems
from schemas.roster import MatchFrame, RosterFrame
from schemas.tables import SourceFile, max_length
from transforms.clean_text import has_unwanted, removal_notice
from transforms.match import find_matches, match_problems
from transforms.normalise import file_division_from_name, normalise_exports
from transforms.read_csv import RAW_TEXT, ROW_NUMBER, RawExport, normalise_label, read_export
from transforms.report import problems_as_records
from transforms.validate import validate_batch

DIVISION_LENGTH = max_length(SourceFile.division)


@dataclass(frozen=True)
class InputFile:
    uai: str
    name: str
    content: bytes

    @property
    def key(self) -> str:
        # file names repeat from one establishment to the next; UAI/name does not
        return f"{self.uai}/{self.name}"


@dataclass(frozen=True)
class CheckedFile:
    """One file's outcome. Problems and notices name the file as it is in the inbox."""

    uai: str
    name: str
    raw: RawExport
    division: str | None  # from the file name
    rows_read: int
    rows_good: int
    problems: tuple[dict, ...]  # rows that will not load (and whole-file problems); keys of PROBLEM_COLUMNS
    notices: tuple[dict, ...]  # rows that load but are reported (unmatched, ambiguous)
    bad_rows: dict[int, str]  # row number -> raw text, for every row that will not load
    set_aside_students: dict[int, int] = field(default_factory=dict)  # bad row -> ELEVE_ID its names matched

    @property
    def key(self) -> str:
        return f"{self.uai}/{self.name}"

    @property
    def readable(self) -> bool:
        return self.raw.format is not None

    @property
    def rows_quarantined(self) -> int:
        return self.rows_read - self.rows_good

    @property
    def status(self) -> str:
        """loaded: every row; partial: some rows set aside; quarantined: nothing of it loads."""
        if self.rows_good == 0 and (len(self.problems) or not self.readable):
            return "quarantined"
        return "partial" if len(self.problems) else "loaded"

    @property
    def number_column(self) -> str:
        """The certification number's header label as written in the file (what its problems name)."""
        return next((label for label in self.raw.header if normalise_label(label) == "numero de certification"),
                    "Numéro de certification")

    def with_rows_set_aside(self, problems: Sequence[dict], students: Mapping[int, int]) -> CheckedFile:
        """The file once the load set aside rows it had found fit (PROBLEMS: one per row, stage "load"; STUDENTS:
        row -> ELEVE_ID it matched): fewer rows good, the problems, the rows' raw text and students added, their
        notices dropped (the rows are not loaded)."""
        if not problems:
            return self
        rows = {p["row"] for p in problems}
        texts = dict(zip(self.raw.rows[ROW_NUMBER].astype(int), self.raw.rows[RAW_TEXT]))
        return replace(self, rows_good=self.rows_good - len(rows),
                       problems=tuple(sorted((*self.problems, *problems), key=lambda p: p["row"] or 0)),
                       notices=tuple(n for n in self.notices if n["row"] not in rows),
                       bad_rows=dict(sorted((self.bad_rows | {row: texts.get(row, "") for row in rows}).items())),
                       set_aside_students=self.set_aside_students | dict(students))


@dataclass(frozen=True)
class CheckedBatch:
    files: list[CheckedFile]  # in the order given
    good: DataFrame[CertificationFrame]  # every loadable row; source_file is the file's key (UAI/name)
    matches: DataFrame[MatchFrame]  # aligned with good

    def rows_of(self, uai: str) -> tuple[pd.DataFrame, pd.DataFrame]:
        """The good rows of UAI's files and their matches."""
        mine = self.good["source_file"].str.startswith(f"{uai}/").to_numpy(dtype=bool) if len(self.good) \
            else np.zeros(0, dtype=bool)
        return self.good[mine], self.matches[mine]


def check_files(files: Sequence[InputFile], rosters: Mapping[str, DataFrame[RosterFrame] | None], *,
                received_on: date) -> CheckedBatch:
    """Reads each file, then normalises, validates (one pandera call) and matches all their rows together.

    ROSTERS maps each UAI to its roster; None means the establishment has none: its certifications load
    unmatched, without a notice per row (the caller says it once for the establishment). RECEIVED_ON is the
    run's day: no date of the files may be after it.
    """
    raws = [read_export(f.name, f.content) for f in files]
    readable = [k for k, raw in enumerate(raws) if raw.format is not None]
    keys = [files[k].key for k in readable]
    batch = normalise_exports([raws[k] for k in readable], [file_division_from_name(files[k].name) for k in readable],
                              keys=keys, received_on=received_on)
    known = concat_problems([raws[k].problems.assign(file=files[k].key) for k in readable if len(raws[k].problems)]
                            + [batch.problems])
    good, problems = validate_batch(batch.frame, batch.file_of_row, batch.source_columns, known, keys)
    set_aside = _match_set_aside(batch.frame, good, np.asarray(keys, dtype=object)[batch.file_of_row]
                                 if len(batch.frame) else np.array([], dtype=object), rosters)
    good = good.reset_index(drop=True)
    matches, notices = _match_by_establishment(good, rosters)
    outcomes = [replace(o, set_aside_students={row: e for row, e in set_aside.get(o.key, {}).items()
                                               if row in o.bad_rows})
                for o in _file_outcomes(files, raws, good, problems, notices)]
    return CheckedBatch(outcomes, good, matches)


def _match_set_aside(frame: pd.DataFrame, good: pd.DataFrame, file_keys: np.ndarray,
                     rosters: Mapping[str, pd.DataFrame | None]) -> dict[str, dict[int, int]]:
    """File key -> {row: ELEVE_ID} for the rows set aside whose names and birth date (or external id) still name
    a roster student: the bilan then says their result was set aside instead of calling them absent. Values
    that broke the schema are read leniently here (a date that is not one matches nobody)."""
    bad = ~frame.index.isin(good.index)
    if not bad.any() or not len(frame):
        return {}
    rows = frame[bad]
    keys = file_keys[bad]
    uais = np.array([key.split("/", 1)[0] for key in keys], dtype=object)
    found: dict[str, dict[int, int]] = {}
    for uai in pd.unique(uais):
        roster = rosters.get(uai)
        if roster is None:
            continue
        mine = rows[uais == uai]
        lenient = pd.DataFrame({
            "certification_number": range(len(mine)),
            **{name: mine[name].where(mine[name].map(lambda v: isinstance(v, str)), None)
               for name in ("first_name", "last_name", "external_id")},
            "birth_date": pd.to_datetime(mine["birth_date"], errors="coerce"),
        }, index=mine.index)
        matched = find_matches(lenient, roster)
        for key, row, eleve_id in zip(keys[uais == uai], mine["row_number"].tolist(), matched["eleve_id"].tolist()):
            if eleve_id is not None and not pd.isna(eleve_id):
                found.setdefault(key, {})[int(row)] = int(eleve_id)
    return found


def _match_by_establishment(good: pd.DataFrame, rosters: Mapping[str, pd.DataFrame | None]
                            ) -> tuple[DataFrame[MatchFrame], DataFrame[ProblemFrame]]:
    uai_of_row = good["source_file"].str.split("/", n=1).str[0] if len(good) else pd.Series([], dtype=object)
    parts = [find_matches(good[uai_of_row == uai], rosters.get(uai)) for uai in pd.unique(uai_of_row)]
    matches = MatchFrame.validate(pd.concat(parts).loc[good.index] if parts else find_matches(good, None))
    with_roster = uai_of_row.map(lambda uai: rosters.get(uai) is not None).astype(bool) if len(good) else uai_of_row
    notices = match_problems(good[with_roster.to_numpy(dtype=bool)], matches[with_roster.to_numpy(dtype=bool)]) \
        if len(good) else match_problems(good, matches)
    return matches, notices


def _file_outcomes(files: Sequence[InputFile], raws: list[RawExport], good: pd.DataFrame, problems: pd.DataFrame,
                   notices: pd.DataFrame) -> list[CheckedFile]:
    good_counts = good["source_file"].value_counts().to_dict() if len(good) else {}
    problems_of, notices_of = _records_by_file(problems), _records_by_file(notices)
    outcomes = []
    for f, raw in zip(files, raws):
        if raw.format is None:  # quarantined whole: its problem is already named after the file
            file_problems, file_notices = problems_as_records(raw.problems), ()
        else:
            file_problems = problems_of.get(f.key, ())
            file_notices = (*_name_notices(f.name), *problems_as_records(raw.notices), *notices_of.get(f.key, ()))
        file_problems = tuple(p | {"file": f.name} for p in file_problems)
        file_notices = tuple(n | {"file": f.name} for n in file_notices)
        outcomes.append(CheckedFile(f.uai, f.name, raw, _stored_division(f.name), _rows_read(raw),
                                    int(good_counts.get(f.key, 0)), file_problems, file_notices,
                                    _bad_rows(raw, file_problems)))
    return outcomes


def _name_notices(name: str) -> tuple[dict, ...]:
    """The notice of a file name whose class was read without its control or bidi characters."""
    return (removal_notice(name, None, None),) if has_unwanted(name) else ()


def _stored_division(name: str) -> str | None:
    """The division of the file name as source_files keeps it: none when too long (its rows say why)."""
    division = file_division_from_name(name)
    return division if division is None or len(division) <= DIVISION_LENGTH else None


def _records_by_file(problems: pd.DataFrame) -> dict[str, tuple[dict, ...]]:
    by_file: dict[str, list[dict]] = {}
    for record in problems_as_records(problems):
        by_file.setdefault(record["file"], []).append(record)
    return {file: tuple(records) for file, records in by_file.items()}


def _rows_read(raw: RawExport) -> int:
    return len(raw.rows) + len(raw.quarantined_raw)


def _bad_rows(raw: RawExport, problems: tuple[dict, ...]) -> dict[int, str]:
    rows = {p["row"] for p in problems if p["row"] is not None}
    if not rows:
        return {}
    texts = dict(zip(raw.rows[ROW_NUMBER].astype(int), raw.rows[RAW_TEXT])) | dict(raw.quarantined_raw)
    return {row: texts.get(row, "") for row in sorted(rows)}
