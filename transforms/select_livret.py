"""The livret's selection rule: an establishment's stored certifications → one certification per student, and the rest with reasons.

Takes a StoredCertificationFrame and a school year; returns a LivretSelection (pure, no I/O). Used by the LSU/LSL export and the attestations.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

import pandas as pd
from pandera.typing import DataFrame

from schemas.livret import FINAL_STATUSES, MAX_DIVISION_LENGTH, LeftOutFrame, LeftOutReason, LivretRowFrame
from schemas.referential import CORE_CERTIFICATION_TYPE, Status
from schemas.stored import StoredCertificationFrame

_REASON_OF_STATUS = {Status.ERROR.value: LeftOutReason.ERROR.value, Status.STARTED.value: LeftOutReason.STARTED.value}
_REASON_ORDER = {reason.value: rank for rank, reason in enumerate(LeftOutReason)}


@dataclass(frozen=True)
class LivretSelection:
    """What the livret gets for one school year, and what it does not.

    exported: LivretRowFrame, one row per matched student (their chosen certification, all stored columns),
        sorted by certification number.
    left_out: LeftOutFrame (number, eleve_id, division, reason), one row per certification of the year that is
        not exported, sorted by reason (LeftOutReason order), division, number. No names.
    Every core Pix certification of the school year is in exactly one of the two frames.
    """

    exported: DataFrame[LivretRowFrame]
    left_out: DataFrame[LeftOutFrame]

    def left_out_counts(self) -> dict[str, int]:
        """Left-out certifications per reason code, in LeftOutReason order, zero counts omitted."""
        counts = self.left_out["reason"].value_counts()
        return {r.value: int(counts[r.value]) for r in LeftOutReason if r.value in counts.index}


def select_livret_certifications(stored: DataFrame[StoredCertificationFrame], school_year: str) -> LivretSelection:
    """Per roster student, the latest non-cancelled core Pix certification of SCHOOL_YEAR, when it is final.

    - The year runs 1 September – 31 August; a certification is in the year of its school_year column (that of its
      date, or for an undated one its file's: see in_school_year), an undated one ranked before every dated one
      of the same student.
    - Other certification types (CléA, Pix+…) and other years are not this export's business: in neither frame.
    - Unmatched certifications, cancelled ones, and the student's older ones are left out with their reason;
      when the latest is in error or started, the student gets nothing and it is left out with that reason.
    - A chosen certification whose division (roster's, else the file name's) is missing or longer than 20
      characters cannot be a code-division: left out (no_division).
    Ties on the date of passage go to the higher certification number (Pix numbers them in order).
    """
    year = select_core_certifications(stored, school_year)
    division = year["student_division"].fillna(year["division"])
    reasons = _reasons_left_out(year, division)
    return LivretSelection(_exported_rows(year[reasons.isna()]), _left_out_rows(year, division, reasons))


def livret_statuses(stored: DataFrame[StoredCertificationFrame], school_year: str) -> pd.Series:
    """The status of each certification select_livret_certifications exports, without building and validating its
    frames (a tenth of a second for 900 students): the bilan only counts them."""
    year = select_core_certifications(stored, school_year)
    reasons = _reasons_left_out(year, year["student_division"].fillna(year["division"]))
    return year.loc[reasons.isna(), "status"]


def school_year_bounds(school_year: str) -> tuple[pd.Timestamp, pd.Timestamp]:
    """First and last day of SCHOOL_YEAR ("2025-2026" → 2025-09-01, 2026-08-31); ValueError (French) when malformed."""
    match = re.fullmatch(r"(\d{4})-(\d{4})", school_year or "")
    if not match or int(match[2]) != int(match[1]) + 1:
        raise ValueError(f"Année scolaire invalide : « {school_year} » (attendu AAAA-AAAA, ex. 2025-2026).")
    return pd.Timestamp(int(match[1]), 9, 1), pd.Timestamp(int(match[2]), 8, 31)


def select_core_certifications(stored: DataFrame[StoredCertificationFrame], school_year: str,
                               ) -> DataFrame[StoredCertificationFrame]:
    """The rows of STORED that are core Pix certifications of SCHOOL_YEAR ("2025-2026", see in_school_year): what
    both the livret and the bilan count; CléA, Pix+ and other years are none of their business."""
    return stored[(stored["certification_type"] == CORE_CERTIFICATION_TYPE) & in_school_year(stored, school_year)]


def in_school_year(stored: DataFrame[StoredCertificationFrame], school_year: str) -> pd.Series:
    """Which certifications of STORED belong to SCHOOL_YEAR ("2025-2026"), by their stored school_year: an undated
    one belongs to its file's year (the export date in its name, else the day it was received), to one year only.
    """
    start, _ = school_year_bounds(school_year)
    return (stored["school_year"] == start.year).fillna(False).astype(bool)


def school_year_of(day: date) -> str:
    """The school year (1 September – 31 August) DAY falls in: 2026-06-15 → "2025-2026"."""
    start = day.year if day.month >= 9 else day.year - 1
    return f"{start}-{start + 1}"


def _reasons_left_out(year: pd.DataFrame, division: pd.Series) -> pd.Series:
    """The LeftOutReason value of each row of YEAR, or NA for the rows the livret gets."""
    unmatched = year["eleve_id"].isna()
    cancelled = ~unmatched & (year["status"] == Status.CANCELLED.value)
    chosen = year.index.isin(_latest_per_student(year[~unmatched & ~cancelled]))
    unfinished = chosen & ~year["status"].isin(FINAL_STATUSES)
    reasons = pd.Series(pd.NA, index=year.index, dtype="object")
    reasons[unmatched] = LeftOutReason.UNMATCHED.value
    reasons[cancelled] = LeftOutReason.CANCELLED.value
    reasons[~unmatched & ~cancelled & ~chosen] = LeftOutReason.OLDER.value
    reasons[unfinished] = year["status"][unfinished].map(_REASON_OF_STATUS)
    reasons[reasons.isna() & ~_usable_division(division)] = LeftOutReason.NO_DIVISION.value
    return reasons


def _latest_per_student(candidates: pd.DataFrame) -> pd.Index:
    """Index labels of each student's latest candidate: dated after undated, then by date, then by number."""
    ranked = candidates.assign(_dated=candidates["passed_on"].notna()).sort_values(
        ["eleve_id", "_dated", "passed_on", "number"], kind="stable", na_position="first")
    return ranked.index[~ranked.duplicated("eleve_id", keep="last")]


def _usable_division(division: pd.Series) -> pd.Series:
    text = division.astype("string").str.strip()
    return (text.str.len().between(1, MAX_DIVISION_LENGTH)).fillna(False).astype(bool)


def _exported_rows(chosen: pd.DataFrame) -> DataFrame[LivretRowFrame]:
    return LivretRowFrame.validate(chosen.sort_values("number", kind="stable").reset_index(drop=True))


def _left_out_rows(year: pd.DataFrame, division: pd.Series, reasons: pd.Series) -> DataFrame[LeftOutFrame]:
    left = reasons.notna()
    frame = pd.DataFrame({
        "number": year["number"][left], "eleve_id": year["eleve_id"][left],
        "division": division[left].astype("object"), "reason": reasons[left].astype("object"),
    })
    order = frame["reason"].map(_REASON_ORDER)
    frame = frame.assign(_order=order).sort_values(["_order", "division", "number"], kind="stable", na_position="last")
    return LeftOutFrame.validate(frame.drop(columns="_order").reset_index(drop=True))
