"""Enrolments in the reporting database: which students an establishment had in a school year, in which class.

Takes a SQLAlchemy connection inside the caller's transaction; saves a year's roster as that year's enrolment
(never touching another year) and reads a year's enrolment back as a roster frame for the outputs of that year.
"""
from __future__ import annotations

from collections.abc import Sequence
from contextlib import nullcontext

import pandas as pd
from pandera.config import ValidationDepth, config_context
from pandera.typing import DataFrame
from sqlalchemy import Connection, delete, select

from schemas.roster import RosterFrame
from schemas.tables import Enrolment, Student
from store.bulk import insert_rows
from store.query import cut_by, frame_of_rows

_CHUNK = 5000  # students in one IN (…): under SQLite's limit on bound parameters


def save_enrolment(connection: Connection, uai: str, school_year: int, students: DataFrame[RosterFrame],
                   student_ids: dict[int, int]) -> None:
    """SCHOOL_YEAR's enrolment of UAI becomes the roster STUDENTS (a newer export of the same year replaces it);
    the other years are left as they are. STUDENT_IDS maps ELEVE_ID to students.id."""
    connection.execute(delete(Enrolment).where(Enrolment.uai == uai, Enrolment.school_year == school_year))
    rows = [{"student_id": student_ids[int(eleve_id)], "school_year": school_year, "uai": uai,
             "division": _text(division), "mef": _text(mef), "left_on": None if pd.isna(left_on) else left_on.date()}
            for eleve_id, division, mef, left_on in zip(students["eleve_id"], students["division"], students["mef"],
                                                          students["left_on"])]
    if rows:
        insert_rows(connection, Enrolment.__table__, rows)  # COPY on PostgreSQL: an académie enrols 99,000


def enrol_certified_students(connection: Connection, uai: str, records: list[dict]) -> None:
    """Enrols the matched students of certification RECORDS (rows of the certifications table) in the school year
    of their certification when no roster of that year enrolled them: the student was there, in the class the
    certification says; the year's roster, when it comes, replaces this."""
    wanted: dict[int, dict[int, str | None]] = {}
    for record in records:
        if record["student_id"] is not None and record["school_year"] is not None:
            wanted.setdefault(int(record["school_year"]), {})[record["student_id"]] = record["division"]
    for year, divisions in wanted.items():
        enrolled = set(connection.execute(select(Enrolment.student_id).where(
            Enrolment.uai == uai, Enrolment.school_year == year)).scalars())
        rows = [{"student_id": s, "school_year": year, "uai": uai, "division": d, "mef": None, "left_on": None}
                for s, d in sorted(divisions.items()) if s not in enrolled]
        if rows:
            insert_rows(connection, Enrolment.__table__, rows)


def read_enrolment(connection: Connection, uai: str, school_year: int) -> DataFrame[RosterFrame]:
    """UAI's students of SCHOOL_YEAR, with that year's division, MEF and leaving date, as a roster frame."""
    return read_enrolments(connection, (uai,), school_year)[uai]


def read_enrolments(connection: Connection, uais: Sequence[str], school_year: int) -> dict[str, DataFrame[RosterFrame]]:
    """read_enrolment of each of UAIS, read and checked as one frame (see store.query.read_certifications_of).

    With several establishments, pandera checks the columns and their types again, not each value: an ELEVE_ID is
    unique within an establishment, not across them, and every value was checked when it was loaded."""
    s, e = Student.__table__.c, Enrolment.__table__.c
    query = (select(e.uai, s.eleve_id, s.ine, s.last_name, s.usage_name, s.first_name, s.other_first_names,
                    s.birth_date, e.division, s.sex, e.left_on, e.mef)
             .select_from(Enrolment.__table__.join(Student.__table__, e.student_id == s.id))
             .where(e.uai.in_(list(uais)), e.school_year == school_year).order_by(e.uai, s.eleve_id))
    rows = connection.execute(query).all()
    owners = [row[0] for row in rows]
    frame = frame_of_rows([row[1:] for row in rows], list(RosterFrame.to_schema().columns))
    with config_context(validation_depth=ValidationDepth.SCHEMA_ONLY) if len(uais) > 1 else nullcontext():
        return cut_by(roster_frame(frame), owners, uais)


def read_enrolled_years(connection: Connection, uai: str) -> list[int]:
    """The school years UAI has an enrolment of, oldest first."""
    return list(connection.execute(select(Enrolment.school_year).where(Enrolment.uai == uai).distinct()
                                   .order_by(Enrolment.school_year)).scalars())


def read_divisions_of_year(connection: Connection, uai: str, school_year: int,
                           student_ids: list[int]) -> dict[int, str | None]:
    """students.id -> their SCHOOL_YEAR division, for those of STUDENT_IDS enrolled that year."""
    found: dict[int, str | None] = {}
    for start in range(0, len(student_ids), _CHUNK):
        chunk = student_ids[start:start + _CHUNK]
        found |= dict(connection.execute(select(Enrolment.student_id, Enrolment.division).where(
            Enrolment.uai == uai, Enrolment.school_year == school_year, Enrolment.student_id.in_(chunk))).all())
    return found


def roster_frame(frame: pd.DataFrame) -> DataFrame[RosterFrame]:
    """Rows read from the database (RosterFrame's columns) as a validated roster frame."""
    frame["eleve_id"] = frame["eleve_id"].astype("Int64")
    for name in ("birth_date", "left_on"):
        frame[name] = pd.to_datetime(frame[name])
    frame = frame.astype({name: object for name in ("ine", "usage_name", "other_first_names", "division", "sex",
                                                    "mef")})
    return RosterFrame.validate(frame.where(frame.notna(), None))


def _text(value) -> str | None:
    return None if value is None or pd.isna(value) else str(value)
