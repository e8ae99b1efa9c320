"""Loading into the reporting database: establishments, roster students, files, certifications, quarantine.

Takes validated frames and a SQLAlchemy connection inside the caller's transaction (one per establishment);
writes in bulk (multi-row inserts, upserts; COPY on PostgreSQL) and returns counts. The certification number
is the key: loading the same rows twice changes nothing. A certification belongs to one establishment: a row whose
number is stored for another is not written but returned, set aside (OTHER_ESTABLISHMENT), never an overwrite.
"""
from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import pandas as pd
from pandera.typing import DataFrame
from sqlalchemy import ARRAY, BigInteger, Connection, any_, bindparam, insert, select, text, update

from schemas.certification import CertificationFrame
from schemas.problems import NOTICE_STAGES
from schemas.referential import LEVEL_COLUMNS
from schemas.roster import MatchFrame, RosterFrame
from schemas.tables import Certification, Establishment, FileProblem, QuarantinedRow, SourceFile, Student, max_length
from store.bulk import copy_rows, driver_executemany, insert_rows
from store.enrolments import roster_frame, save_enrolment

# what a newer export may change about a certification (the rest is bookkeeping)
_CERTIFICATION_FIELDS = (
    "uai", "student_id", "match_method", "first_name", "last_name", "birth_date", "birthplace", "external_id",
    "certification_type", "status", "status_inferred", "score", "global_level", "jury_comment", "session",
    "centre", "passed_on", "division", *LEVEL_COLUMNS, "school_year",
)
_CHUNK = 5000  # numbers per IN (...) query: under SQLite's limit on bound parameters
_STUDENT_FIELDS = ("ine", "last_name", "usage_name", "first_name", "other_first_names", "birth_date",
                   "division", "sex", "left_on")


@dataclass(frozen=True)
class LoadCounts:
    inserted: int
    updated: int
    unchanged: int

    @property
    def loaded(self) -> int:
        return self.inserted + self.updated + self.unchanged


@dataclass(frozen=True)
class SetAside:
    """A row not written: its certification number is stored for another establishment, OWNER."""

    source_file_id: int
    source_row: int
    number: int
    owner: str
    student_id: int | None = None  # the students.id (of the establishment that loaded it) the row matched


@dataclass(frozen=True)
class SavedCertifications:
    counts: dict[int, LoadCounts]  # per source file id; the rows set aside are in none of the counts
    set_aside: tuple[SetAside, ...]  # in the order of the records


COLUMN_NAME_LENGTH = max_length(FileProblem.column_name)
OTHER_ESTABLISHMENT = "other_establishment"  # the rule of a row set aside at load (stage "load")
OTHER_ESTABLISHMENT_MESSAGE = ("Certification déjà enregistrée pour l'établissement {owner} : ligne écartée, sans "
                               "rien écraser (retirez le fichier erroné, ou acquittez-le : « pix-livret problems "
                               "--acknowledge N° »)")


def lock_establishment(connection: Connection, uai: str) -> None:
    """Holds UAI for the rest of the transaction: two runs never load the same establishment at once.

    SQLite needs nothing here: its write transactions begin IMMEDIATE (store.database), one at a time.
    """
    if connection.dialect.name == "postgresql":
        connection.execute(text("SELECT pg_advisory_xact_lock(hashtext(:uai))"), {"uai": uai})


def save_establishment(connection: Connection, uai: str, school_year: int | None, roster_file: str | None,
                       now: datetime, name: str | None = None, roster_sha256: str | None = None,
                       head: str | None = None) -> None:
    """Creates or refreshes the establishment row; what this run does not know (None) is kept.

    A new name or chef d'établissement marks the attestations due: they print both, and the next refresh remakes them.
    """
    values = {"school_year": school_year, "roster_file": roster_file, "name": name, "roster_sha256": roster_sha256,
              "head": head, "updated_at": now}
    stored = connection.execute(select(Establishment.name, Establishment.head).where(Establishment.uai == uai)).first()
    if stored:
        kept = {key: value for key, value in values.items() if value is not None}
        if (name is not None and name != stored.name) or (head is not None and head != stored.head):
            kept["attestations_due"] = True
        connection.execute(update(Establishment).where(Establishment.uai == uai).values(**kept))
    else:
        connection.execute(insert(Establishment).values(uai=uai, **values))


def mark_attestations_due(connection: Connection, uai: str, due: bool) -> None:
    """Says whether UAI's attestations must be refreshed (set when results change, cleared once refreshed)."""
    connection.execute(update(Establishment).where(Establishment.uai == uai).values(attestations_due=due))


def read_attestations_due(connection: Connection) -> list[str]:
    """UAIs whose results changed since their attestations were last refreshed."""
    return list(connection.execute(select(Establishment.uai).where(Establishment.attestations_due)
                                   .order_by(Establishment.uai)).scalars())


def read_roster_digest(connection: Connection, uai: str) -> str | None:
    """SHA-256 of the roster file last saved for UAI (None: never, or saved before digests were kept)."""
    return connection.execute(select(Establishment.roster_sha256).where(Establishment.uai == uai)).scalar()


def save_roster(connection: Connection, uai: str, students: DataFrame[RosterFrame], school_year: int) -> dict[int, int]:
    """Saves the roster of SCHOOL_YEAR (2025 for 2025-2026): its students upserted by ELEVE_ID, and that year's
    enrolment (store/enrolments.py); returns ELEVE_ID -> students.id.

    A student's row (names, latest division) follows the latest year's roster listing them: an earlier year's
    roster read late adds its enrolment and changes no student. last_roster_year, which the retention purge
    reads, is that latest year.
    """
    columns = ("id", "eleve_id", "last_roster_year", *_STUDENT_FIELDS)
    stored = {row.eleve_id: row for row in connection.execute(
        select(*(Student.__table__.c[name] for name in columns)).where(Student.uai == uai))}
    records = student_records(students)
    new = [dict(r, uai=uai, last_roster_year=school_year) for r in records if r["eleve_id"] not in stored]
    # an earlier year's roster read late (last year's file left in the inbox) changes no student: only its year
    latest = [(r, stored[r["eleve_id"]]) for r in records if r["eleve_id"] in stored
              and (stored[r["eleve_id"]].last_roster_year or school_year) <= school_year]
    changed = [{"b_id": before.id, "b_year": school_year, **{k: r[k] for k in _STUDENT_FIELDS}}
               for r, before in latest
               if before.last_roster_year != school_year or any(r[k] != getattr(before, k) for k in _STUDENT_FIELDS)]
    if new:
        insert_rows(connection, Student.__table__, new)
    if changed:
        connection.execute(update(Student).where(Student.id == bindparam("b_id"))
                           .values(last_roster_year=bindparam("b_year")), changed)
    ids = student_ids_of(connection, uai)
    save_enrolment(connection, uai, school_year, students, ids)
    return ids


def student_ids_of(connection: Connection, uai: str) -> dict[int, int]:
    """ELEVE_ID -> students.id for every stored student of UAI."""
    return dict(connection.execute(select(Student.eleve_id, Student.id).where(Student.uai == uai)).all())


def read_stored_roster(connection: Connection, uai: str) -> DataFrame[RosterFrame] | None:
    """Every student ever saved for UAI, with their latest division (to match a run given no roster file: last
    year's files left in the inbox name last year's students too); None when UAI has none."""
    columns = ["eleve_id", *_STUDENT_FIELDS]
    rows = connection.execute(select(*(Student.__table__.c[name] for name in columns)).where(Student.uai == uai)).all()
    if not rows:  # an establishment never given a roster: its validation alone would cost ~0.1 s a night
        return None
    frame = pd.DataFrame(rows, columns=columns).assign(mef=None)
    return roster_frame(frame[list(RosterFrame.to_schema().columns)])


def find_source_files(connection: Connection, uai: str) -> dict[str, int]:
    """SHA-256 -> source_files.id of every file registered for UAI: one query for the establishment."""
    return dict(connection.execute(select(SourceFile.sha256, SourceFile.id).where(SourceFile.uai == uai)).all())


def find_registered(connection: Connection, digests: list[str]) -> set[str]:
    """Those of DIGESTS (SHA-256) some source file row registers, whichever its establishment."""
    return set(connection.execute(select(SourceFile.sha256).where(SourceFile.sha256.in_(digests))).scalars())


def save_source_files(connection: Connection, records: list[dict[str, Any]], *, run_id: int | None,
                      now: datetime) -> list[int]:
    """Registers files (source_files columns but the run and the time) in one statement; their ids, in order."""
    if not records:
        return []
    rows = [dict(r, first_run_id=run_id, registered_at=now) for r in records]
    result = connection.execute(insert(SourceFile).returning(SourceFile.id, sort_by_parameter_order=True), rows)
    return list(result.scalars())


def save_certifications(connection: Connection, records: list[dict[str, Any]], *,
                        now: datetime) -> SavedCertifications:
    """Inserts new certifications and updates those whose content changed; returns the counts per source file
    and the rows set aside because their number belongs to another establishment.

    RECORDS are rows of the certifications table with source_file_id set; a number given twice keeps its
    last record (a newer export of a class, later in the run, wins). A number stored for another UAI is never
    written: seen before the write, or stored by another transaction meanwhile (the upsert then leaves it).
    """
    latest = list({r["number"]: r for r in records}.values())
    stored = _stored_certifications(connection, [r["number"] for r in latest])
    owners = {r["number"]: stored[r["number"]].uai for r in latest
              if r["number"] in stored and stored[r["number"]].uai != r["uai"]}
    new = [r | {"loaded_at": now, "updated_at": now} for r in latest if r["number"] not in stored]
    changed = [r | {"loaded_at": stored[r["number"]].loaded_at, "updated_at": now}
               for r in latest if r["number"] in stored and r["number"] not in owners
               and _differs(r, stored[r["number"]])]
    _upsert_certifications(connection, new + changed)
    owners |= _taken_meanwhile(connection, new)
    new = [r for r in new if r["number"] not in owners]
    set_aside = tuple(SetAside(r["source_file_id"], r["source_row"], r["number"], owners[r["number"]],
                              r["student_id"]) for r in records if r["number"] in owners)
    return SavedCertifications(_counts_per_file(records, new, changed, set_aside), set_aside)


def _taken_meanwhile(connection: Connection, written: list[dict[str, Any]]) -> dict[int, str]:
    """Number -> owner of the rows of WRITTEN (inserts) the upsert left to another establishment: stored by a
    transaction that committed after this one read (PostgreSQL: the unique index made this insert wait for it).

    Read after the write, in the same transaction: under READ COMMITTED each statement sees what committed.
    """
    stored = _owners(connection, [r["number"] for r in written])
    return {r["number"]: stored[r["number"]] for r in written if stored.get(r["number"], r["uai"]) != r["uai"]}


def _owners(connection: Connection, numbers: list[int]) -> dict[int, str]:
    return {row.number: row.uai for row in _select_numbers(
        connection, [Certification.number, Certification.uai], numbers)}


def set_aside_problem(row: SetAside, file: str, column: str) -> dict:
    """The problem (keys of PROBLEM_COLUMNS) of a row set aside, in FILE whose number's header is COLUMN."""
    return {"stage": "load", "file": file, "row": row.source_row, "column": column, "rule": OTHER_ESTABLISHMENT,
            "value": str(row.number), "message": OTHER_ESTABLISHMENT_MESSAGE.format(owner=row.owner)}


def update_file_counts(connection: Connection, file_id: int, *, status: str, rows_loaded: int,
                       rows_quarantined: int) -> None:
    """A registered file's status and counts, once its load set rows aside."""
    connection.execute(update(SourceFile).where(SourceFile.id == file_id).values(
        status=status, rows_loaded=rows_loaded, rows_quarantined=rows_quarantined))


def _counts_per_file(records: list[dict], new: list[dict], changed: list[dict],
                     set_aside: tuple[SetAside, ...]) -> dict[int, LoadCounts]:
    rows, inserted, updated = Counter(), Counter(), Counter()
    rows.update(r["source_file_id"] for r in records)
    rows.subtract(s.source_file_id for s in set_aside)
    inserted.update(r["source_file_id"] for r in new)
    updated.update(r["source_file_id"] for r in changed)
    return {file_id: LoadCounts(inserted[file_id], updated[file_id], n - inserted[file_id] - updated[file_id])
            for file_id, n in rows.items()}


def _stored_certifications(connection: Connection, numbers: list[int]) -> dict[int, Any]:
    columns = [Certification.__table__.c[name] for name in ("number", "loaded_at", *_CERTIFICATION_FIELDS)]
    return {row.number: row for row in _select_numbers(connection, columns, numbers)}


def _select_numbers(connection: Connection, columns: list, numbers: list[int]) -> list:
    """COLUMNS of the certifications whose number is in NUMBERS."""
    if connection.dialect.name == "postgresql":
        # one array parameter: an IN of 900 parameters costs ~15 ms a query to render and send
        wanted = Certification.number == any_(bindparam("numbers", numbers, type_=ARRAY(BigInteger)))
        return list(connection.execute(select(*columns).where(wanted)))
    found = []
    for start in range(0, len(numbers), _CHUNK):
        chunk = numbers[start:start + _CHUNK]
        found += connection.execute(select(*columns).where(Certification.number.in_(chunk))).all()
    return found


# the upsert's conflict clause: a number stored for another establishment is left as it is, never moved
_SAME_OWNER = "certifications.uai = excluded.uai"


def _upsert_certifications(connection: Connection, rows: list[dict[str, Any]]) -> None:
    """One upsert keyed on the number, updating only a row of the same UAI: COPY into a staging table on
    PostgreSQL, multi-row on SQLite. Rows go in number order: two establishments writing the same numbers at
    once then wait for each other on the first one they share, never in a cycle (no deadlock).
    """
    if not rows:
        return
    rows = sorted(rows, key=lambda r: r["number"])
    names = list(rows[0])
    updated = [name for name in names if name not in ("number", "loaded_at")]
    if connection.dialect.name == "postgresql":
        _copy_upsert(connection, names, updated, rows)
        return
    _sqlite_upsert(connection, names, updated, rows)


def _sqlite_upsert(connection: Connection, names: list[str], updated: list[str], rows: list[dict[str, Any]]) -> None:
    assignments = ", ".join(f"{name} = excluded.{name}" for name in updated)
    driver_executemany(connection, Certification.__table__, names, rows,
                        f"ON CONFLICT (number) DO UPDATE SET {assignments} WHERE {_SAME_OWNER}")


def _copy_upsert(connection: Connection, names: list[str], updated: list[str], rows: list[dict[str, Any]]) -> None:
    table = Certification.__tablename__
    quoted = ", ".join(names)
    cursor = connection.connection.driver_connection.cursor()
    try:
        cursor.execute(f"CREATE TEMP TABLE IF NOT EXISTS staging_{table} (LIKE {table}) ON COMMIT DROP")
        copy_rows(connection, f"staging_{table}", names, rows)
        assignments = ", ".join(f"{name} = EXCLUDED.{name}" for name in updated)
        cursor.execute(f"INSERT INTO {table} ({quoted}) SELECT {quoted} FROM staging_{table} ORDER BY number "
                       f"ON CONFLICT (number) DO UPDATE SET {assignments} WHERE {_SAME_OWNER}")
        cursor.execute(f"DROP TABLE staging_{table}")
    finally:
        cursor.close()


def certification_records(good: DataFrame[CertificationFrame], matches: DataFrame[MatchFrame],
                          student_ids: dict[int, int], divisions: dict[int, str], *, uai: str,
                          source_file_ids: dict[str, int]) -> list[dict[str, Any]]:
    """Rows of the certifications table: the division is the roster's when matched, else the file name's.

    SOURCE_FILE_IDS maps the frame's source_file to the file's id. Built column by column (a row at a time
    costs ~20 µs in pandas: seconds for an académie).
    """
    eleve_ids = _values(matches["eleve_id"])
    file_divisions = _values(good["file_division"])
    columns: dict[str, list] = {
        "number": _values(good["certification_number"]),
        "uai": [uai] * len(good),
        "student_id": [student_ids.get(e) if e is not None else None for e in eleve_ids],
        "match_method": _values(matches["match_method"]),
        **{name: _values(good[name]) for name in ("first_name", "last_name", "birthplace", "external_id",
                                                  "certification_type", "status", "score", "global_level",
                                                  "jury_comment", "session", "centre")},
        "birth_date": _dates(good["birth_date"]), "passed_on": _dates(good["passed_on"]),
        "status_inferred": [bool(v) for v in good["status_inferred"].tolist()],
        "division": [divisions.get(e) or d if e is not None else d for e, d in zip(eleve_ids, file_divisions)],
        "source_file_id": [source_file_ids[f] for f in good["source_file"].tolist()],
        "source_row": _values(good["row_number"]),
        "school_year": _values(good["school_year"]),
        **{name: _values(good[name]) for name in LEVEL_COLUMNS},
    }
    return _rows(columns)


def _values(series: pd.Series) -> list:
    """The column as Python values, None where missing (NaN, NA, NaT)."""
    return series.astype(object).where(series.notna(), None).tolist()


def _dates(series: pd.Series) -> list:
    return series.dt.date.astype(object).where(series.notna(), None).tolist()


def quarantine_records(source_file_id: int, raw_rows: dict[int, str], problems: Sequence[dict],
                       run_id: int | None, students: dict[int, int] | None = None) -> tuple[list[dict], list[dict]]:
    """file_problems rows (every problem) and quarantined_rows rows (each bad row once, with its reasons).

    PROBLEMS are dicts with the keys of ProblemFrame; a problem of NOTICE_STAGES is a notice: its row is loaded.
    STUDENTS maps a bad row to the ELEVE_ID its names matched, when they did.
    """
    problem_rows = [
        {"source_file_id": source_file_id, "run_id": run_id, "stage": p["stage"], "row_number": p["row"],
         "column_name": _clipped(p["column"], COLUMN_NAME_LENGTH), "rule": p["rule"], "value": p["value"],
         "message": p["message"]}
        for p in problems]
    reasons: dict[int, list[str]] = {}
    for p in problems:
        if p["row"] is not None and p["stage"] not in NOTICE_STAGES:
            reasons.setdefault(p["row"], []).append(p["message"])
    quarantined = [{"source_file_id": source_file_id, "row_number": row, "raw_text": raw_rows.get(row, ""),
                    "reasons": "\n".join(messages), "eleve_id": (students or {}).get(row)}
                   for row, messages in sorted(reasons.items())]
    return problem_rows, quarantined


def _clipped(text: str | None, length: int) -> str | None:
    # a header label is the file's text: a hostile one may be longer than the column that names it
    return text if text is None or len(text) <= length else text[:length - 1] + "…"


def save_quarantine_records(connection: Connection, problem_rows: list[dict], quarantined: list[dict]) -> None:
    if problem_rows:
        connection.execute(insert(FileProblem), problem_rows)
    if quarantined:
        connection.execute(insert(QuarantinedRow), quarantined)


def _differs(record: dict[str, Any], stored) -> bool:
    return any(record[name] != getattr(stored, name) for name in _CERTIFICATION_FIELDS)


def student_records(students: DataFrame[RosterFrame]) -> list[dict[str, Any]]:
    """Rows of the students table (without uai), built column by column."""
    columns = {"eleve_id": _values(students["eleve_id"]),
               **{name: _values(students[name]) for name in ("ine", "last_name", "usage_name", "first_name",
                                                             "other_first_names", "division", "sex")},
               "birth_date": _dates(students["birth_date"]), "left_on": _dates(students["left_on"])}
    return _rows(columns)


def _rows(columns: dict[str, list]) -> list[dict[str, Any]]:
    """Column lists as row dicts (what SQLAlchemy's executemany takes)."""
    names = list(columns)
    return [dict(zip(names, row)) for row in zip(*columns.values())]
