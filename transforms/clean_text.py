"""Text from an input file or the database → the same text without the characters no output may carry.

The one statement of those characters (UNWANTED), used by the readers (with a notice) and by every writer.
"""
from __future__ import annotations

import re

import numpy as np
import pandas as pd

# - XML 1.0 forbids the C0 controls but tab, LF and CR, lone surrogates, U+FFFE and U+FFFF: lxml refuses them,
#   and a workbook or a PDF made of them is broken as well.
# - DEL and the C1 controls (U+0080–U+009F) are legal XML but "discouraged" (XML 1.0 §2.2): no French text has
#   them, they only come from bytes decoded with the wrong code page, and they print as empty boxes.
# - Unicode's Bidi_Control characters (U+061C, U+200E, U+200F, U+202A–U+202E, U+2066–U+2069): invisible, they
#   reorder what follows them, so that a name or a class shows other than it is stored (Trojan Source).
# Tab, LF and CR stay: XML carries them, and spreadsheets put them in cells.
UNWANTED = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff"
                      "\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def has_unwanted(text: str) -> bool:
    return UNWANTED.search(text) is not None


def remove_unwanted(text: str) -> str:
    """TEXT without the UNWANTED characters."""
    return UNWANTED.sub("", text)


def clean_value(value):
    """A cell as a writer gets it: text cleaned, anything else (numbers, dates, None) as it is."""
    return remove_unwanted(value) if isinstance(value, str) else value


def clean_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of FRAME whose text cells, index and column labels hold no UNWANTED character.

    Only the columns of text (object or string dtype) are looked at; numbers and dates cannot hold any.
    """
    cleaned = frame.copy()
    for position in range(cleaned.shape[1]):
        series = cleaned.iloc[:, position]
        if _holds_text(series.dtype) and _any_unwanted(series):
            cleaned.isetitem(position, pd.Series([clean_value(value) for value in series.tolist()],
                                                 index=series.index, dtype=series.dtype, name=series.name))
    if _holds_text(cleaned.index.dtype):
        cleaned.index = cleaned.index.map(clean_value)
    if _holds_text(cleaned.columns.dtype):
        cleaned.columns = cleaned.columns.map(clean_value)
    return cleaned


def clean_cells(cells: np.ndarray) -> np.ndarray:
    """An array of cells (object dtype) whose text holds no UNWANTED character: CELLS itself when none does."""
    if not _any_unwanted(cells):
        return cells
    return np.array([clean_value(value) for value in cells], dtype=object)


def _any_unwanted(values: pd.Series | np.ndarray) -> bool:
    # one search over the joined column: the rare column that holds one pays for the cell-by-cell pass
    return has_unwanted("\n".join(value for value in values.tolist() if isinstance(value, str)))


def _holds_text(dtype) -> bool:
    return dtype == object or pd.api.types.is_string_dtype(dtype)


NOTICE_RULE = "control_characters"
NOTICE_STAGE = "clean"  # one of schemas.problems.NOTICE_STAGES: the row loads, its cell without them


def removal_notice(file: str, row: int | None, column: str | None) -> dict:
    """The notice that UNWANTED characters were removed from one cell (or, COLUMN None, from the file's name).

    It names the file, the row and the column, never the value: the cell may hold a student's name.
    """
    place = f"de la colonne « {remove_unwanted(column)} »" if column else "du nom du fichier"
    return {"stage": NOTICE_STAGE, "file": file, "row": row, "column": column, "rule": NOTICE_RULE, "value": None,
            "message": f"Caractères invisibles (caractères de contrôle ou de sens d’écriture) retirés {place} : "
                       "la valeur est gardée sans eux."}
