"""The canonical certification frame: what a valid row of any Pix Orga export is, once read.

Every header version is mapped onto these columns by transforms/normalise.py; everything
downstream (validation, loading, the livret XML, attestations) knows only them.
"""
from __future__ import annotations

import pandas as pd
import pandera.pandas as pa
from pandera.typing import Series

from schemas.referential import (GLOBAL_LEVEL_LABELS, LEVEL_COLUMNS, MAX_LEVEL, MAX_SCORE,
                                 Status)
from schemas.tables import Certification, SourceFile, max_length

STATUS_VALUES = [s.value for s in Status]
LEVEL_COLUMN_PATTERN = r"^level_[1-5]_[1-4]$"

# The bounds of a plausible date, stated once. Pix's certifications began in late 2017: a date of passage
# before 2018 is a typing or spreadsheet error. Adults are certified too (BTS, GRETA): no upper age.
FIRST_CERTIFICATION_DAY = pd.Timestamp("2018-01-01")
MIN_AGE_AT_CERTIFICATION = 10  # years


def _fits(column, *, required: bool = False) -> dict:
    """The str_length check of a text column stored in COLUMN of the database (at least 1 character when REQUIRED)."""
    return {"str_length": {"min_value": 1 if required else None, "max_value": max_length(column)}}


class CertificationFrame(pa.DataFrameModel):
    """One row per certification in one file; provenance columns say where it came from."""

    certification_number: Series[pd.Int64Dtype] = pa.Field(ge=1, description="Numéro de certification, unique across Pix")
    first_name: Series[str] = pa.Field(**_fits(Certification.first_name, required=True), description="Prénom")
    last_name: Series[str] = pa.Field(**_fits(Certification.last_name, required=True), description="Nom")
    birth_date: Series[pa.DateTime] = pa.Field(ge=pd.Timestamp("1900-01-01"), description="Date de naissance")
    birthplace: Series[str] = pa.Field(nullable=True, **_fits(Certification.birthplace), description="Lieu de naissance")
    external_id: Series[str] = pa.Field(nullable=True, **_fits(Certification.external_id), description="Identifiant Externe, free text")
    certification_type: Series[str] = pa.Field(**_fits(Certification.certification_type), description="Type de certification; 'Pix' when the export predates the column")
    status: Series[str] = pa.Field(isin=STATUS_VALUES, description="Statut, as a Status value")
    status_inferred: Series[bool] = pa.Field(description="True when the export had no Statut column and the status was inferred from the score")
    score: Series[pd.Int64Dtype] = pa.Field(nullable=True, ge=0, le=MAX_SCORE, description="Score in pix; None when cancelled or in error")
    global_level: Series[str] = pa.Field(nullable=True, isin=list(GLOBAL_LEVEL_LABELS), description="Niveau (v3 only); None when the export has none")
    level: Series[pd.Int64Dtype] = pa.Field(alias=LEVEL_COLUMN_PATTERN, regex=True, nullable=True, ge=0, le=MAX_LEVEL,
                                            description="competence level 0-8; None = not evaluated ('-')")
    jury_comment: Series[str] = pa.Field(nullable=True, description="Commentaire jury pour l’organisation")
    session: Series[str] = pa.Field(nullable=True, **_fits(Certification.session), description="Session number")
    centre: Series[str] = pa.Field(nullable=True, **_fits(Certification.centre), description="Centre de certification, when the export has it")
    passed_on: Series[pa.DateTime] = pa.Field(nullable=True, description="Date de passage de la certification")
    source_file: Series[str] = pa.Field(description="file name as found in the inbox (UAI/name when a frame holds several establishments)")
    row_number: Series[int] = pa.Field(ge=2, description="line of the row in the file, header = 1")
    file_division: Series[str] = pa.Field(nullable=True, **_fits(SourceFile.division), description="division read from the file name, if any")
    received_on: Series[pa.DateTime] = pa.Field(description="day the file was received: the run's day, the bound of every date")
    school_year: Series[pd.Int64Dtype] = pa.Field(description="first year of the row's school year (2025 for 2025-2026): of "
                                                              "passed_on, else of the export date in the file name, else of received_on")

    class Config:
        strict = True
        coerce = True

    @pa.dataframe_check(error="rejected_scores_zero")
    def rejected_scores_zero(cls, df: pd.DataFrame) -> Series[bool]:
        return (df["status"] != Status.REJECTED.value) | (df["score"] == 0).fillna(False)

    @pa.dataframe_check(error="rejected_has_no_level")
    def rejected_has_no_level(cls, df: pd.DataFrame) -> Series[bool]:
        above_zero = (df[list(LEVEL_COLUMNS)].fillna(0) > 0).any(axis=1)
        return (df["status"] != Status.REJECTED.value) | ~above_zero

    @pa.dataframe_check(error="unfinished_has_no_score")
    def unfinished_has_no_score(cls, df: pd.DataFrame) -> Series[bool]:
        unfinished = df["status"].isin([Status.CANCELLED.value, Status.ERROR.value])
        return ~unfinished | df["score"].isna()

    @pa.dataframe_check(error="validated_has_score")
    def validated_has_score(cls, df: pd.DataFrame) -> Series[bool]:
        return (df["status"] != Status.VALIDATED.value) | df["score"].notna()

    @pa.dataframe_check(error="number_unique_in_file")
    def number_unique_in_file(cls, df: pd.DataFrame) -> Series[bool]:
        # the first occurrence loads; later ones are quarantined, pointing back at it. A frame may hold
        # many files (source_file tells them apart): a newer export of a class repeats numbers, rightly.
        number = df["certification_number"]
        return ~(number.notna() & df.duplicated(["source_file", "certification_number"], keep="first"))

    # Dates that cannot be. The run's day comes in as data (received_on): a check never reads the clock.
    @pa.dataframe_check(error="passed_after_run_day")
    def passed_after_run_day(cls, df: pd.DataFrame) -> Series[bool]:
        return ~(df["passed_on"] > df["received_on"])

    @pa.dataframe_check(error="passed_before_pix")
    def passed_before_pix(cls, df: pd.DataFrame) -> Series[bool]:
        return ~(df["passed_on"] < FIRST_CERTIFICATION_DAY)

    @pa.dataframe_check(error="born_in_future")
    def born_in_future(cls, df: pd.DataFrame) -> Series[bool]:
        return ~(df["birth_date"] > df["received_on"])

    @pa.dataframe_check(error="too_young_at_passage")
    def too_young_at_passage(cls, df: pd.DataFrame) -> Series[bool]:
        # an undated certification was passed before the file came: too young on that day, too young then
        passed = df["passed_on"].fillna(df["received_on"])
        return ~(df["birth_date"] + pd.DateOffset(years=MIN_AGE_AT_CERTIFICATION) > passed)


# Which column a row-level rule is about, so a problem can point at a cell.
ROW_RULE_COLUMNS: dict[str, str] = {
    "rejected_scores_zero": "score",
    "rejected_has_no_level": "level",
    "unfinished_has_no_score": "score",
    "validated_has_score": "score",
    "number_unique_in_file": "certification_number",
    "passed_after_run_day": "passed_on",
    "passed_before_pix": "passed_on",
    "born_in_future": "birth_date",
    "too_young_at_passage": "birth_date",
}

# French messages for each rule; {value} is the raw cell, only used for non-personal columns.
RULE_MESSAGES: dict[str, str] = {
    "rejected_scores_zero": "Certification non obtenue avec un score différent de 0",
    "rejected_has_no_level": "Certification non obtenue avec un niveau de compétence supérieur à 0",
    "unfinished_has_no_score": "Certification annulée ou en erreur avec un score",
    "validated_has_score": "Certification validée sans score",
    "number_unique_in_file": "Numéro de certification déjà présent plus haut dans le fichier",
    "passed_after_run_day": "Date de passage postérieure au jour du traitement",
    "passed_before_pix": f"Date de passage antérieure à {FIRST_CERTIFICATION_DAY.year} "
                         "(les certifications Pix ont commencé fin 2017)",
    "born_in_future": "Date de naissance dans le futur",
    "too_young_at_passage": f"Élève de moins de {MIN_AGE_AT_CERTIFICATION} ans à la date de passage",
}

# Columns holding personal data: their values never appear in problems, reports or logs.
PERSONAL_COLUMNS = frozenset({"first_name", "last_name", "birth_date", "birthplace", "external_id"})
