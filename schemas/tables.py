"""The reporting database: SQLAlchemy 2 tables for establishments, students, certifications, files, runs.

Schema changes go through Alembic (schemas/migrations); this module is the current statement.
"""
from __future__ import annotations

from datetime import date, datetime
from typing import Any, Optional

from sqlalchemy import (JSON, BigInteger, Boolean, Date, DateTime, ForeignKey, Integer,
                        Index, SmallInteger, String, Text, UniqueConstraint, false)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from schemas.referential import LEVEL_COLUMNS


class Base(DeclarativeBase):
    type_annotation_map = {dict[str, Any]: JSON}


class Establishment(Base):
    __tablename__ = "establishments"

    uai: Mapped[str] = mapped_column(String(8), primary_key=True)
    name: Mapped[Optional[str]] = mapped_column(String(120),
                                                comment="as printed on the attestations, e.g. Collège Jean Moulin")
    head: Mapped[Optional[str]] = mapped_column(
        String(120), comment="the chef d'établissement's name, as signed on the attestations (an adult's: never logged)")
    school_year: Mapped[Optional[int]] = mapped_column(Integer, comment="ANNEE_SCOLAIRE of the last roster")
    roster_file: Mapped[Optional[str]] = mapped_column(String(255))
    roster_sha256: Mapped[Optional[str]] = mapped_column(String(64), comment="SHA-256 of the last roster file saved")
    attestations_due: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false(),
                                                   comment="results changed since the attestations were last refreshed")
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class Student(Base):
    """A student of the establishment (SIECLE), identified by ELEVE_ID; names as of the latest roster read.

    Where the student was, year by year, is in enrolments: division and left_on here are the latest roster's.
    """

    __tablename__ = "students"
    __table_args__ = (UniqueConstraint("uai", "eleve_id", name="uq_students_uai_eleve_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    uai: Mapped[str] = mapped_column(ForeignKey("establishments.uai"), index=True)
    eleve_id: Mapped[int] = mapped_column(BigInteger, comment="SIECLE ELEVE_ID, LSU id-be")
    ine: Mapped[Optional[str]] = mapped_column(String(11))
    last_name: Mapped[str] = mapped_column(String(100))
    usage_name: Mapped[Optional[str]] = mapped_column(String(100))
    first_name: Mapped[str] = mapped_column(String(100))
    other_first_names: Mapped[Optional[str]] = mapped_column(String(200))
    birth_date: Mapped[date] = mapped_column(Date)
    division: Mapped[Optional[str]] = mapped_column(String(20))
    sex: Mapped[Optional[str]] = mapped_column(String(1))
    left_on: Mapped[Optional[date]] = mapped_column(Date)
    last_roster_year: Mapped[Optional[int]] = mapped_column(
        Integer, comment="first year of the school year of the last roster listing the student")


class Enrolment(Base):
    """A student's enrolment in one school year, as that year's SIECLE roster gives it: every output of a year
    reads its students and their classes here, so a new year's roster never rewrites an earlier one."""

    __tablename__ = "enrolments"
    __table_args__ = (Index("ix_enrolments_uai_school_year", "uai", "school_year"),)

    student_id: Mapped[int] = mapped_column(ForeignKey("students.id"), primary_key=True)
    school_year: Mapped[int] = mapped_column(Integer, primary_key=True,
                                             comment="first year of the school year: 2025 for 2025-2026")
    uai: Mapped[str] = mapped_column(ForeignKey("establishments.uai"))
    division: Mapped[Optional[str]] = mapped_column(String(20), comment="CODE_STRUCTURE of the D structure")
    mef: Mapped[Optional[str]] = mapped_column(String(11), comment="CODE_MEF, when the export gives it")
    left_on: Mapped[Optional[date]] = mapped_column(Date, comment="DATE_SORTIE, when SIECLE gives one")


class SourceFile(Base):
    """Every input file, registered by content before anything else happens."""

    __tablename__ = "source_files"
    __table_args__ = (UniqueConstraint("uai", "sha256", name="uq_source_files_uai_sha256"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    uai: Mapped[str] = mapped_column(ForeignKey("establishments.uai"), index=True)
    sha256: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(255))
    size: Mapped[int] = mapped_column(BigInteger)
    format: Mapped[Optional[str]] = mapped_column(String(40), comment="detected header version")
    encoding: Mapped[Optional[str]] = mapped_column(String(20))
    delimiter: Mapped[Optional[str]] = mapped_column(String(1))
    division: Mapped[Optional[str]] = mapped_column(String(40), comment="from the file name")
    archived_path: Mapped[str] = mapped_column(Text, comment="content-addressed copy")
    status: Mapped[str] = mapped_column(String(20), comment="loaded | partial | quarantined")
    rows_read: Mapped[int] = mapped_column(Integer, default=0)
    rows_loaded: Mapped[int] = mapped_column(Integer, default=0)
    rows_quarantined: Mapped[int] = mapped_column(Integer, default=0)
    first_run_id: Mapped[Optional[int]] = mapped_column(ForeignKey("pipeline_runs.id"))
    registered_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    acknowledged_at: Mapped[Optional[datetime]] = mapped_column(
        DateTime(timezone=True), comment="set aside, and closed by someone without a newer export (pix-livret problems)")
    acknowledged_run_id: Mapped[Optional[int]] = mapped_column(ForeignKey("pipeline_runs.id"),
                                                               comment="the run of the history that closed it")


def _level_columns() -> dict[str, Any]:
    return {name: mapped_column(SmallInteger, nullable=True) for name in LEVEL_COLUMNS}


class Certification(Base):
    """One Pix certification; the certification number is the key across files and runs."""

    __tablename__ = "certifications"

    number: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    uai: Mapped[str] = mapped_column(ForeignKey("establishments.uai"), index=True)
    student_id: Mapped[Optional[int]] = mapped_column(ForeignKey("students.id"), index=True)
    match_method: Mapped[str] = mapped_column(String(20))
    first_name: Mapped[str] = mapped_column(String(100))
    last_name: Mapped[str] = mapped_column(String(100))
    birth_date: Mapped[Optional[date]] = mapped_column(Date)  # None once anonymised (purge, erasure)
    birthplace: Mapped[Optional[str]] = mapped_column(String(100))
    external_id: Mapped[Optional[str]] = mapped_column(String(100))
    certification_type: Mapped[str] = mapped_column(String(100))
    status: Mapped[str] = mapped_column(String(20))
    status_inferred: Mapped[bool] = mapped_column(Boolean, default=False)
    score: Mapped[Optional[int]] = mapped_column(Integer)
    global_level: Mapped[Optional[str]] = mapped_column(String(20))
    jury_comment: Mapped[Optional[str]] = mapped_column(Text)
    session: Mapped[Optional[str]] = mapped_column(String(40))
    centre: Mapped[Optional[str]] = mapped_column(String(200))
    passed_on: Mapped[Optional[date]] = mapped_column(Date)
    division: Mapped[Optional[str]] = mapped_column(String(40), comment="roster division when matched, else from the file name")
    # nullable for the migration's sake only: the loader and migration 0008 fill it for every row
    school_year: Mapped[Optional[int]] = mapped_column(
        Integer, comment="first year of its school year (2025 for 2025-2026): of passed_on, else of its "
                                     "file (the export date in the name, else the day received)")
    source_file_id: Mapped[int] = mapped_column(ForeignKey("source_files.id"))
    source_row: Mapped[int] = mapped_column(Integer)
    loaded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    anonymised_at: Mapped[Optional[datetime]] = mapped_column(
        DateTime(timezone=True), comment="names, birth date and identifiers removed (purge or erasure)")

    # one column per competence of the referential (level_1_1 … level_5_2): the export reads
    # 16 levels per student, and a row of 16 small integers is far cheaper than 16 rows
    locals().update(_level_columns())


class QuarantinedRow(Base):
    """A row that broke the schema: kept with its raw text and the reasons, never loaded."""

    __tablename__ = "quarantined_rows"
    __table_args__ = (UniqueConstraint("source_file_id", "row_number", name="uq_quarantined_rows_file_row"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    source_file_id: Mapped[int] = mapped_column(ForeignKey("source_files.id"), index=True)
    row_number: Mapped[int] = mapped_column(Integer)
    raw_text: Mapped[str] = mapped_column(Text)
    reasons: Mapped[str] = mapped_column(Text, comment="French messages, one per line")
    eleve_id: Mapped[Optional[int]] = mapped_column(
        BigInteger, comment="the roster student the row names, when its names could be matched")


class FileProblem(Base):
    """Every problem found in a file (file-level problems have no row)."""

    __tablename__ = "file_problems"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    source_file_id: Mapped[int] = mapped_column(ForeignKey("source_files.id"), index=True)
    run_id: Mapped[Optional[int]] = mapped_column(ForeignKey("pipeline_runs.id"))
    stage: Mapped[str] = mapped_column(String(20))
    row_number: Mapped[Optional[int]] = mapped_column(Integer)
    column_name: Mapped[Optional[str]] = mapped_column(String(100))
    rule: Mapped[str] = mapped_column(String(60))
    value: Mapped[Optional[str]] = mapped_column(Text)
    message: Mapped[str] = mapped_column(Text)


class PipelineRun(Base):
    """The history of every run: what ran, with which (non-personal) parameters, and what came of it."""

    __tablename__ = "pipeline_runs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    flow_run_id: Mapped[Optional[str]] = mapped_column(String(36), comment="Prefect flow-run id")
    kind: Mapped[str] = mapped_column(String(30), comment="ingest | export-lsu | export-lsl | attestations")
    parameters: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    ended_at: Mapped[Optional[datetime]] = mapped_column(DateTime(timezone=True))
    status: Mapped[str] = mapped_column(String(20),
                                        comment="running | completed | quarantined | failed | interrupted")
    counts: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    message: Mapped[Optional[str]] = mapped_column(Text)
    process: Mapped[Optional[str]] = mapped_column(String(120), comment="host:pid:start of the process running it")
    uai: Mapped[Optional[str]] = mapped_column(String(8), index=True,
                                               comment="the establishment of a run of one (null: several, or not known)")
    parent_run_id: Mapped[Optional[int]] = mapped_column(
        ForeignKey("pipeline_runs.id", name="fk_pipeline_runs_parent_run_id"), index=True,
        comment="the académie night's run (kind ingest-academie) this establishment's run belongs to")


class Attestation(Base):
    """The last attestation rendered for a certification, to re-render only what changed."""

    __tablename__ = "attestations"

    certification_number: Mapped[int] = mapped_column(ForeignKey("certifications.number"), primary_key=True)
    content_hash: Mapped[str] = mapped_column(String(64), comment="SHA-256 of what the page shows")
    path: Mapped[str] = mapped_column(Text)
    rendered_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


def max_length(column: Any) -> int:
    """The characters a String column holds (Certification.first_name → 100).

    The tables are the one statement of these limits: the pandera models and the roster checks read them here,
    so that a value too long is a quarantined row on every backend, not a PostgreSQL error (SQLite would
    have stored it).
    """
    return column.type.length
