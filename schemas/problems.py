"""The one shape of a problem found in the input, used by every stage.

A problem names the file, the row as a person counts it (header = line 1; None for the whole
file), the column as written in the file, the rule broken, the offending value and a French
message for the administrator.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import numpy as np
import pandas as pd
import pandera.pandas as pa
from pandera.typing import DataFrame, Series

PROBLEM_COLUMNS = ("stage", "file", "row", "column", "rule", "value", "message")
# Stages whose problems are notices: the row they name loads all the same (a student matched to nobody, text cleaned
# of characters no output carries); they are reported, never a reason to set the row aside.
NOTICE_STAGES = ("match", "clean")


class ProblemFrame(pa.DataFrameModel):
    stage: Series[str] = pa.Field(isin=["read", "clean", "normalise", "validate", "match", "load"])
    file: Series[str]
    row: Series[pd.Int64Dtype] = pa.Field(nullable=True, description="line in the file, header = 1")
    column: Series[str] = pa.Field(nullable=True, description="column header as in the file")
    rule: Series[str]
    value: Series[str] = pa.Field(nullable=True, description="offending raw value, None for personal data")
    message: Series[str] = pa.Field(description="French, for an administrator; no names")

    class Config:
        strict = True
        coerce = True


def make_problems(records: list[dict]) -> DataFrame[ProblemFrame]:
    """A problem frame from dicts with the keys of PROBLEM_COLUMNS (missing keys become None)."""
    if not records:  # most files: a copy of the empty frame costs ~15 µs, building one ~250 µs
        return _EMPTY.copy()
    # one block of objects, then the row column typed
    cells = np.empty((len(records), len(PROBLEM_COLUMNS)), dtype=object)
    cells[:] = [[record.get(key) for key in PROBLEM_COLUMNS] for record in records]
    frame = pd.DataFrame(cells, columns=list(PROBLEM_COLUMNS), dtype=object, copy=False)
    frame["row"] = pd.array(cells[:, PROBLEM_COLUMNS.index("row")].tolist(), dtype="Int64")
    return frame


def _empty_problems() -> pd.DataFrame:
    frame = pd.DataFrame(np.empty((0, len(PROBLEM_COLUMNS)), dtype=object), columns=list(PROBLEM_COLUMNS), dtype=object)
    frame["row"] = pd.array([], dtype="Int64")
    return frame


_EMPTY = _empty_problems()


def no_problems() -> DataFrame[ProblemFrame]:
    return make_problems([])


def concat_problems(frames: list[pd.DataFrame]) -> DataFrame[ProblemFrame]:
    frames = [f for f in frames if len(f)]
    if not frames:
        return no_problems()
    return pd.concat(frames, ignore_index=True)


def file_problem(file: str, rule: str, message: str, stage: str = "read") -> dict:
    """A problem about the whole file (row is None)."""
    return {"stage": stage, "file": file, "row": None, "column": None, "rule": rule,
            "value": None, "message": message}


@dataclass(frozen=True)
class OpenFile:
    """A file set aside and still open: what an administrator needs to find it (no row of it, no name).

    Read by store/problems.py (where the rule of "open" is), shown by the run report and `pix-livret problems`.
    """

    id: int
    uai: str
    name: str
    status: str  # quarantined | partial
    registered_at: datetime  # UTC
    rows_quarantined: int

    def asdict(self) -> dict:
        return {"id": self.id, "uai": self.uai, "name": self.name, "status": self.status,
                "registered_at": self.registered_at.isoformat(), "rows_quarantined": self.rows_quarantined}
