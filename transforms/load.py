"""Loading into the reporting database: establishments, roster students, files, certifications, quarantine.

Takes validated frames and a SQLAlchemy connection inside the caller's transaction (one per file);
returns counts. The certification number is the key: loading the same rows twice changes nothing.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import pandas as pd
from pandera.typing import DataFrame
from sqlalchemy import Connection, insert, select, update

from schemas.certification import CertificationFrame
from schemas.referential import LEVEL_COLUMNS
from schemas.roster import MatchFrame, RosterFrame
from schemas.tables import (Certification, Establishment, FileProblem, QuarantinedRow, SourceFile,
                            Student)

# what a newer export may change about a certification (the rest is bookkeeping)
_CERTIFICATION_FIELDS = (
    "uai", "student_id", "match_method", "first_name", "last_name", "birth_date", "birthplace", "external_id",
    "certification_type", "status", "status_inferred", "score", "global_level", "jury_comment", "session",
    "centre", "passed_on", "division", *LEVEL_COLUMNS,
)
_STUDENT_FIELDS = ("ine", "last_name", "usage_name", "first_name", "other_first_names", "birth_date",
                   "division", "sex", "left_on")


@dataclass(frozen=True)
class SourceFileRecord:
    """What is known of an input file before its rows are loaded."""

    uai: str
    sha256: str
    name: str
    size: int
    archived_path: str
    format: str | None
    encoding: str | None
    delimiter: str | None
    division: str | None


@dataclass(frozen=True)
class LoadCounts:
    inserted: int
    updated: int
    unchanged: int

    @property
    def loaded(self) -> int:
        return self.inserted + self.updated + self.unchanged


def save_establishment(connection: Connection, uai: str, school_year: int | None, roster_file: str | None,
                       now: datetime, name: str | None = None) -> None:
    """Creates or refreshes the establishment row; what this run does not know (None) is kept."""
    values = {"school_year": school_year, "roster_file": roster_file, "name": name, "updated_at": now}
    if connection.execute(select(Establishment.uai).where(Establishment.uai == uai)).first():
        kept = {key: value for key, value in values.items() if value is not None}
        connection.execute(update(Establishment).where(Establishment.uai == uai).values(**kept))
    else:
        connection.execute(insert(Establishment).values(uai=uai, **values))


def save_roster(connection: Connection, uai: str, students: DataFrame[RosterFrame]) -> dict[int, int]:
    """Upserts the roster's students by ELEVE_ID; returns ELEVE_ID -> students.id for every student of UAI."""
    existing = dict(connection.execute(select(Student.eleve_id, Student.id).where(Student.uai == uai)).all())
    records = [_student_record(row) for row in students.to_dict("records")]
    new = [dict(r, uai=uai) for r in records if r["eleve_id"] not in existing]
    if new:
        connection.execute(insert(Student), new)
    for record in records:
        if record["eleve_id"] in existing:
            connection.execute(update(Student).where(Student.id == existing[record["eleve_id"]])
                               .values(**{k: record[k] for k in _STUDENT_FIELDS}))
    return student_ids_of(connection, uai)


def student_ids_of(connection: Connection, uai: str) -> dict[int, int]:
    """ELEVE_ID -> students.id for every stored student of UAI."""
    return dict(connection.execute(select(Student.eleve_id, Student.id).where(Student.uai == uai)).all())


def read_stored_roster(connection: Connection, uai: str) -> DataFrame[RosterFrame]:
    """The roster as last saved for UAI (used when a run is given no roster file)."""
    columns = ["eleve_id", *_STUDENT_FIELDS]
    rows = connection.execute(select(*(Student.__table__.c[name] for name in columns)).where(Student.uai == uai)).all()
    frame = pd.DataFrame(rows, columns=columns)
    frame["eleve_id"] = frame["eleve_id"].astype("Int64")
    for name in ("birth_date", "left_on"):
        frame[name] = pd.to_datetime(frame[name])
    frame = frame.astype({name: object for name in ("ine", "usage_name", "other_first_names", "division", "sex")})
    return RosterFrame.validate(frame.where(frame.notna(), None))


def find_source_file(connection: Connection, uai: str, sha256: str) -> int | None:
    return connection.execute(
        select(SourceFile.id).where(SourceFile.uai == uai, SourceFile.sha256 == sha256)).scalar()


def save_source_file(connection: Connection, record: SourceFileRecord, *, status: str, rows_read: int,
                     rows_loaded: int, rows_quarantined: int, run_id: int | None, now: datetime) -> int:
    values = dict(record.__dict__, status=status, rows_read=rows_read, rows_loaded=rows_loaded,
                  rows_quarantined=rows_quarantined, first_run_id=run_id, registered_at=now)
    return connection.execute(insert(SourceFile).values(**values).returning(SourceFile.id)).scalar_one()


def save_certifications(connection: Connection, good: DataFrame[CertificationFrame], matches: DataFrame[MatchFrame],
                        student_ids: dict[int, int], divisions: dict[int, str], *, uai: str,
                        source_file_id: int, now: datetime) -> LoadCounts:
    """Inserts new certifications and updates those whose content changed; returns the counts."""
    records = certification_records(good, matches, student_ids, divisions, uai=uai)
    numbers = [r["number"] for r in records]
    stored = {row.number: row for row in connection.execute(
        select(Certification.__table__).where(Certification.number.in_(numbers))).all()} if numbers else {}
    bookkeeping = {"source_file_id": source_file_id, "updated_at": now}
    new = [r | bookkeeping | {"loaded_at": now} for r in records if r["number"] not in stored]
    changed = [r for r in records if r["number"] in stored and _differs(r, stored[r["number"]])]
    if new:
        connection.execute(insert(Certification), new)
    for record in changed:
        connection.execute(update(Certification).where(Certification.number == record["number"])
                           .values(**record, **bookkeeping))
    return LoadCounts(inserted=len(new), updated=len(changed), unchanged=len(records) - len(new) - len(changed))


def certification_records(good: DataFrame[CertificationFrame], matches: DataFrame[MatchFrame],
                          student_ids: dict[int, int], divisions: dict[int, str], *, uai: str) -> list[dict[str, Any]]:
    """Rows of the certifications table: the division is the roster's when matched, else the file name's."""
    by_number = matches.set_index("certification_number")
    records = []
    for row in good.to_dict("records"):
        match = by_number.loc[row["certification_number"]]
        eleve_id = None if pd.isna(match["eleve_id"]) else int(match["eleve_id"])
        records.append({
            "number": int(row["certification_number"]), "uai": uai,
            "student_id": student_ids.get(eleve_id) if eleve_id is not None else None,
            "match_method": match["match_method"],
            "first_name": row["first_name"], "last_name": row["last_name"],
            "birth_date": row["birth_date"].date(), "birthplace": _text(row["birthplace"]),
            "external_id": _text(row["external_id"]), "certification_type": row["certification_type"],
            "status": row["status"], "status_inferred": bool(row["status_inferred"]),
            "score": _int(row["score"]), "global_level": _text(row["global_level"]),
            "jury_comment": _text(row["jury_comment"]), "session": _text(row["session"]),
            "centre": _text(row["centre"]),
            "passed_on": None if pd.isna(row["passed_on"]) else row["passed_on"].date(),
            "division": divisions.get(eleve_id) if eleve_id is not None and divisions.get(eleve_id) else _text(row["file_division"]),
            "source_row": int(row["row_number"]),
            **{name: _int(row[name]) for name in LEVEL_COLUMNS},
        })
    return records


def save_quarantine(connection: Connection, source_file_id: int, raw_rows: dict[int, str],
                    problems: pd.DataFrame, run_id: int | None) -> int:
    """Keeps every problem, and each bad row once with its raw text and reasons; returns rows kept."""
    if len(problems):
        connection.execute(insert(FileProblem), [
            {"source_file_id": source_file_id, "run_id": run_id, "stage": p.stage,
             "row_number": None if pd.isna(p.row) else int(p.row), "column_name": p.column, "rule": p.rule,
             "value": p.value, "message": p.message}
            for p in problems.itertuples(index=False)])
    reasons: dict[int, list[str]] = {}
    for p in problems.itertuples(index=False):
        if not pd.isna(p.row) and p.stage != "match":
            reasons.setdefault(int(p.row), []).append(p.message)
    if reasons:
        connection.execute(insert(QuarantinedRow), [
            {"source_file_id": source_file_id, "row_number": row, "raw_text": raw_rows.get(row, ""),
             "reasons": "\n".join(messages)}
            for row, messages in sorted(reasons.items())])
    return len(reasons)


def _differs(record: dict[str, Any], stored) -> bool:
    return any(record[name] != getattr(stored, name) for name in _CERTIFICATION_FIELDS)


def _student_record(row: dict[str, Any]) -> dict[str, Any]:
    return {
        "eleve_id": int(row["eleve_id"]), "ine": _text(row["ine"]), "last_name": row["last_name"],
        "usage_name": _text(row["usage_name"]), "first_name": row["first_name"],
        "other_first_names": _text(row["other_first_names"]), "birth_date": row["birth_date"].date(),
        "division": _text(row["division"]), "sex": _text(row["sex"]),
        "left_on": None if pd.isna(row["left_on"]) else row["left_on"].date(),
    }


def _text(value: Any) -> str | None:
    return None if value is None or (not isinstance(value, str) and pd.isna(value)) else str(value)


def _int(value: Any) -> int | None:
    return None if value is None or pd.isna(value) else int(value)
