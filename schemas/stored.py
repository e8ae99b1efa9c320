"""The frame of stored certifications joined to their roster student, as the outputs read it.

Read by store/query.py; the livret XML, the export report and the attestations take it.
"""
from __future__ import annotations

from typing import Optional

import pandas as pd
import pandera.pandas as pa
from pandera.typing import Series

from schemas.certification import LEVEL_COLUMN_PATTERN, STATUS_VALUES
from schemas.referential import MAX_LEVEL


class StoredCertificationFrame(pa.DataFrameModel):
    number: Series[pd.Int64Dtype] = pa.Field(description="Pix certification number")
    uai: Series[str]
    status: Series[str] = pa.Field(isin=STATUS_VALUES)
    certification_type: Series[str]
    score: Series[pd.Int64Dtype] = pa.Field(nullable=True)
    global_level: Series[str] = pa.Field(nullable=True)
    passed_on: Series[pa.DateTime] = pa.Field(nullable=True)
    school_year: Series[pd.Int64Dtype] = pa.Field(nullable=True, description="first year of its school year (2025 for "
                                                                         "2025-2026); an undated one's is its file's")
    centre: Series[str] = pa.Field(nullable=True)
    session: Series[str] = pa.Field(nullable=True)
    level: Series[pd.Int64Dtype] = pa.Field(alias=LEVEL_COLUMN_PATTERN, regex=True, nullable=True, ge=0, le=MAX_LEVEL)
    division: Series[str] = pa.Field(nullable=True, description="roster division when matched, else from the file name")
    match_method: Series[str]
    # as Pix wrote them
    first_name: Series[str]
    last_name: Series[str]
    birth_date: Series[pa.DateTime]
    # the roster student, None when the certification was not matched
    eleve_id: Series[pd.Int64Dtype] = pa.Field(nullable=True, description="SIECLE ELEVE_ID (LSU id-be)")
    ine: Series[str] = pa.Field(nullable=True)
    student_last_name: Series[str] = pa.Field(nullable=True, description="NOM_DE_FAMILLE")
    student_usage_name: Series[str] = pa.Field(nullable=True, description="NOM_USAGE when SIECLE has one")
    student_first_name: Series[str] = pa.Field(nullable=True)
    student_birth_date: Series[pa.DateTime] = pa.Field(nullable=True)
    student_division: Series[str] = pa.Field(nullable=True, description="the student's division that school year")
    # where the row came from, to name an unmatched certification in the bilan's points d'attention
    source_file: Optional[Series[str]] = pa.Field(nullable=True)
    source_row: Optional[Series[pd.Int64Dtype]] = pa.Field(nullable=True)

    class Config:
        coerce = True
