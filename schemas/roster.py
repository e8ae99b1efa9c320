"""The roster frame: the establishment's students as SIECLE (or a plain CSV) lists them."""
from __future__ import annotations

import pandas as pd
import pandera.pandas as pa
from pandera.typing import Series

from schemas.tables import Student, max_length

# What the students table holds; check_students (transforms/read_roster.py) keeps to it before this model checks.
TEXT_LENGTHS = {field: max_length(getattr(Student, field))
                for field in ("last_name", "usage_name", "first_name", "other_first_names", "division")}


class RosterFrame(pa.DataFrameModel):
    eleve_id: Series[pd.Int64Dtype] = pa.Field(ge=1, unique=True, description="SIECLE ELEVE_ID (LSU id-be)")
    ine: Series[str] = pa.Field(nullable=True, str_matches=r"^[0-9A-Z]{11}$", description="ID_NATIONAL, may be missing")
    last_name: Series[str] = pa.Field(str_length={"min_value": 1, "max_value": TEXT_LENGTHS["last_name"]}, description="NOM_DE_FAMILLE")
    usage_name: Series[str] = pa.Field(nullable=True, str_length={"max_value": TEXT_LENGTHS["usage_name"]}, description="NOM_USAGE when different")
    first_name: Series[str] = pa.Field(str_length={"min_value": 1, "max_value": TEXT_LENGTHS["first_name"]}, description="PRENOM")
    other_first_names: Series[str] = pa.Field(nullable=True, str_length={"max_value": TEXT_LENGTHS["other_first_names"]}, description="PRENOM2 PRENOM3, space separated")
    birth_date: Series[pa.DateTime] = pa.Field(description="DATE_NAISS")
    division: Series[str] = pa.Field(nullable=True, str_length={"max_value": TEXT_LENGTHS["division"]}, description="CODE_STRUCTURE of the D (division) structure")
    sex: Series[str] = pa.Field(nullable=True, isin=["1", "2"], description="CODE_SEXE: 1 boy, 2 girl")
    left_on: Series[pa.DateTime] = pa.Field(nullable=True, description="DATE_SORTIE when the student left")
    mef: Series[str] = pa.Field(nullable=True, str_matches=r"^[0-9]{10}[0-9A-Z]$",
                                description="CODE_MEF, the student's level and course, when the export gives it")

    class Config:
        strict = True
        coerce = True


class MatchFrame(pa.DataFrameModel):
    """How each certification of a file was matched to the roster (one row per certification)."""

    certification_number: Series[pd.Int64Dtype]
    eleve_id: Series[pd.Int64Dtype] = pa.Field(nullable=True, description="None when unmatched or ambiguous")
    match_method: Series[str] = pa.Field(isin=["ine", "exact", "normalised", "usage_name", "ambiguous", "unmatched"])
    candidates: Series[int] = pa.Field(ge=0, description="roster students that fit")

    class Config:
        strict = True
        coerce = True
