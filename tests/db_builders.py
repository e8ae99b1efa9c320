"""Builders that put a few rows straight into a migrated database, for tests of the outputs."""
from __future__ import annotations

from datetime import date, datetime, timezone
from typing import Any

from sqlalchemy import Engine, insert, select

from schemas.referential import LEVEL_COLUMNS
from schemas.tables import Certification, Enrolment, Establishment, SourceFile, Student

NOW = datetime(2026, 6, 1, 12, 0, tzinfo=timezone.utc)


def add_establishment(engine: Engine, uai: str = "0861234Z", school_year: int = 2025) -> str:
    with engine.begin() as connection:
        connection.execute(insert(Establishment).values(uai=uai, school_year=school_year, updated_at=NOW))
    return uai


def add_student(engine: Engine, eleve_id: int, *, uai: str = "0861234Z", last_name: str = "DURAND",
                first_name: str = "Louis", birth_date: date = date(2011, 4, 4), division: str = "3A",
                ine: str | None = None, usage_name: str | None = None, left_on: date | None = None,
                sex: str | None = "1", school_years: tuple[int, ...] = (2025,)) -> int:
    """Inserts a roster student, enrolled in SCHOOL_YEARS (first years) in DIVISION; returns its students.id."""
    with engine.begin() as connection:
        student_id = connection.execute(insert(Student).values(
            uai=uai, eleve_id=eleve_id, ine=ine, last_name=last_name, usage_name=usage_name,
            first_name=first_name, birth_date=birth_date, division=division, sex=sex, left_on=left_on,
            last_roster_year=max(school_years, default=None),
        ).returning(Student.id)).scalar_one()
        for year in school_years:
            connection.execute(insert(Enrolment).values(student_id=student_id, school_year=year, uai=uai,
                                                        division=division, left_on=left_on))
    return student_id


def add_source_file(engine: Engine, name: str, *, uai: str = "0861234Z", division: str | None = "3A",
                    status: str = "loaded", rows_read: int = 1, rows_quarantined: int = 0,
                    registered_at: datetime | None = None) -> int:
    """Registers a class file; returns its source_files.id."""
    with engine.begin() as connection:
        return connection.execute(insert(SourceFile).values(
            uai=uai, sha256=f"{abs(hash(name)):064d}"[-64:], name=name, size=1, format="pix-niveau-score",
            encoding="utf-8-sig", delimiter=";", division=division, archived_path="/dev/null", status=status,
            rows_read=rows_read, rows_loaded=rows_read - rows_quarantined, rows_quarantined=rows_quarantined,
            registered_at=registered_at or NOW,
        ).returning(SourceFile.id)).scalar_one()


def _source_file(engine: Engine, uai: str) -> int:
    with engine.begin() as connection:
        existing = connection.execute(select(SourceFile.id).where(
            SourceFile.uai == uai, SourceFile.name == "20260320_resultats_3A.csv")).scalar()
        if existing:
            return existing
        return connection.execute(insert(SourceFile).values(
            uai=uai, sha256="0" * 64, name="20260320_resultats_3A.csv", size=1, format="pix-niveau-score",
            encoding="utf-8-sig", delimiter=";", division="3A", archived_path="/dev/null", status="loaded",
            rows_read=1, rows_loaded=1, rows_quarantined=0, registered_at=NOW,
        ).returning(SourceFile.id)).scalar_one()


def add_certification(engine: Engine, number: int, *, student_id: int | None = None, uai: str = "0861234Z",
                      status: str = "validated", score: int | None = 300, global_level: str | None = "Indépendant 1",
                      passed_on: date | None = date(2026, 3, 20), levels: dict[str, int | None] | None = None,
                      first_name: str = "Louis", last_name: str = "Durand", birth_date: date = date(2011, 4, 4),
                      division: str | None = "3A", match_method: str | None = None, **columns: Any) -> int:
    """Inserts a certification; levels default to 3 everywhere (keys are LEVEL_COLUMNS names); the school year
    defaults to that of PASSED_ON, else of the file's name (20260320_resultats_3A.csv: 2025)."""
    level_values = {name: 3 for name in LEVEL_COLUMNS} | (levels or {})
    school_year = (passed_on.year - (passed_on.month < 9)) if passed_on else 2025
    values = dict(
        number=number, uai=uai, student_id=student_id,
        match_method=match_method or ("exact" if student_id else "unmatched"),
        first_name=first_name, last_name=last_name, birth_date=birth_date, certification_type="Pix",
        status=status, status_inferred=False, score=score, global_level=global_level, passed_on=passed_on,
        division=division, school_year=school_year, source_file_id=_source_file(engine, uai), source_row=2,
        loaded_at=NOW, updated_at=NOW,
        **level_values,
    ) | columns
    with engine.begin() as connection:
        connection.execute(insert(Certification).values(**values))
    return number


def read_rows(db_url: str, query) -> list:
    """The rows QUERY selects in the database at DB_URL (an engine of its own, disposed of)."""
    from store.database import make_engine

    engine = make_engine(db_url)
    try:
        with engine.connect() as connection:
            return connection.execute(query).all()
    finally:
        engine.dispose()
