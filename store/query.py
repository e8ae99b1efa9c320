"""Reads of the reporting database for the outputs: certifications of an establishment, with students.

Takes a SQLAlchemy connection and filters; returns frames of schemas/stored.py.
"""
from __future__ import annotations

import hashlib
from collections.abc import Sequence
from datetime import date

import pandas as pd
from pandera.typing import DataFrame
from sqlalchemy import Connection, func, select, union

from schemas.referential import LEVEL_COLUMNS
from schemas.stored import StoredCertificationFrame
from schemas.tables import Certification, Enrolment, Establishment, QuarantinedRow, SourceFile, Student


def read_certifications(connection: Connection, uai: str,
                        school_year: str | None = None) -> DataFrame[StoredCertificationFrame]:
    """All certifications stored for UAI, each with its matched roster student (or None).

    The student's division (student_division) is that of their SCHOOL_YEAR enrolment when a year is given (None
    when they were not enrolled that year), else the latest roster's.
    """
    return read_certifications_of(connection, (uai,), school_year)[uai]


def read_certifications_of(connection: Connection, uais: Sequence[str],
                           school_year: str | None = None) -> dict[str, DataFrame[StoredCertificationFrame]]:
    """read_certifications of each of UAIS, read and checked as one frame, then cut by establishment: pandera's
    check of a frame costs about the same for 900 rows as for 9,000 (9 ms against 13), so the académie's bilans read
    a few establishments at a time."""
    c, s, f = Certification.__table__.c, Student.__table__.c, SourceFile.__table__.c
    joined = Certification.__table__.outerjoin(Student.__table__, c.student_id == s.id)
    division = s.division
    if school_year is not None:
        e = Enrolment.__table__.c
        joined = joined.outerjoin(Enrolment.__table__,
                                  (e.student_id == s.id) & (e.school_year == int(school_year[:4])))
        division = e.division
    query = (
        select(
            c.number, c.uai, c.status, c.certification_type, c.score, c.global_level, c.passed_on, c.school_year,
            c.centre, c.session, *(c[name] for name in LEVEL_COLUMNS), c.division, c.match_method,
            c.first_name, c.last_name, c.birth_date,
            s.eleve_id, s.ine,
            s.last_name.label("student_last_name"), s.usage_name.label("student_usage_name"),
            s.first_name.label("student_first_name"),
            s.birth_date.label("student_birth_date"),
            division.label("student_division"),
            f.name.label("source_file"), c.source_row,
        )
        .select_from(joined.join(SourceFile.__table__, c.source_file_id == f.id))
        .where(c.uai.in_(list(uais)), c.anonymised_at.is_(None))  # a purged or erased one is for counts only
        .order_by(c.uai, c.number)
    )
    frame = frame_of_rows(connection.execute(query).all(), [col.name for col in query.selected_columns])
    for name in ("number", "score", "school_year", "eleve_id", "source_row", *LEVEL_COLUMNS):
        frame[name] = frame[name].astype("Int64")
    for name in ("passed_on", "birth_date", "student_birth_date"):
        frame[name] = pd.to_datetime(frame[name])
    return cut_by(StoredCertificationFrame.validate(frame), frame["uai"].to_numpy(dtype=object), uais)


def frame_of_rows(rows: list, columns: list[str]) -> pd.DataFrame:
    """ROWS (tuples, or SQLAlchemy's rows) as a frame of COLUMNS, built column by column: given SQLAlchemy's rows,
    pandas takes them for named tuples and looks each field up by name (4.5 ms for 900 rows of 40 columns, 2.1 ms
    this way)."""
    if not rows:
        return pd.DataFrame({name: pd.Series(dtype=object) for name in columns})
    return pd.DataFrame({name: values for name, values in zip(columns, map(list, zip(*rows)))})


def cut_by(frame: pd.DataFrame, owners, uais: Sequence[str]) -> dict[str, pd.DataFrame]:
    """FRAME's rows of each of UAIS, OWNERS giving each row's UAI (rows grouped by it), each numbered from 0 as if
    read alone; an establishment without any has none."""
    if len(uais) == 1:
        return {uais[0]: frame}
    cut = {uai: frame.iloc[:0] for uai in uais}
    for uai, positions in pd.Series(owners).groupby(owners, sort=False).indices.items():
        cut[uai] = frame.iloc[positions[0]:positions[-1] + 1].reset_index(drop=True)
    return cut


def list_establishments(connection: Connection) -> list[str]:
    """UAIs the database knows, sorted."""
    return list(connection.execute(select(Establishment.uai).order_by(Establishment.uai)).scalars())


def list_establishments_of_year(connection: Connection, school_year: int) -> list[str]:
    """UAIs with data for SCHOOL_YEAR (2025 for 2025-2026), sorted: a certification not purged, or that year's
    roster. An enrolment without any certification counts: its June fails, and says why."""
    c, e = Certification.__table__.c, Enrolment.__table__.c
    certified = select(c.uai).where(c.school_year == school_year, c.anonymised_at.is_(None))
    enrolled = select(e.uai).where(e.school_year == school_year)
    return sorted(set(connection.execute(union(certified, enrolled)).scalars()))


class EstablishmentChoiceError(ValueError):
    """The establishment asked for cannot be chosen (French message for the administrator)."""


def choose_establishment(known: list[str], uai: str | None) -> str:
    """UAI when the database knows it; without UAI, the only establishment there is."""
    if uai is not None:
        if uai not in known:
            raise EstablishmentChoiceError(f"Établissement inconnu dans la base : {uai}.")
        return uai
    if not known:
        raise EstablishmentChoiceError("Aucun établissement dans la base : lancez d'abord « pix-livret ingest ».")
    if len(known) > 1:
        raise EstablishmentChoiceError(f"Plusieurs établissements dans la base ({', '.join(known)}) : précisez --uai.")
    return known[0]


def read_establishment_label(connection: Connection, uai: str) -> str:
    """How the attestations name UAI: "Collège Jean Moulin · 0861234Z", or "Établissement 0861234Z" without a name."""
    name = read_establishment_name(connection, uai)
    return f"{name} · {uai}" if name else f"Établissement {uai}"


def count_students(connection: Connection, uai: str) -> int:
    return connection.execute(select(func.count()).select_from(Student).where(Student.uai == uai)).scalar_one()


def read_establishment_name(connection: Connection, uai: str) -> str | None:
    return connection.execute(select(Establishment.name).where(Establishment.uai == uai)).scalar()


def read_establishment_head(connection: Connection, uai: str) -> str | None:
    """The chef d'établissement's name, as the attestations' signature block prints it; None when never given."""
    return connection.execute(select(Establishment.head).where(Establishment.uai == uai)).scalar()


def read_latest_school_year(connection: Connection, uai: str | None, today: date) -> int | None:
    """The latest school year (2025 for 2025-2026) holding a result of UAI (of any establishment when None) not after
    TODAY, None when none.

    Not after today: a date that cannot be is set aside when loaded, and this keeps a stray one from moving every
    default to a year to come. Purged certifications are left out: their year has nothing left to print.
    """
    c = Certification.__table__.c
    this_year = today.year if today.month >= 9 else today.year - 1
    of_uai = () if uai is None else (c.uai == uai,)
    return connection.execute(
        select(func.max(c.school_year))
        .where(*of_uai, c.anonymised_at.is_(None), c.school_year <= this_year,
               c.passed_on.is_(None) | (c.passed_on <= today))).scalar()


def read_roster_school_year(connection: Connection, uai: str | None) -> int | None:
    """ANNEE_SCOLAIRE of UAI's last roster (2025 for 2025-2026; the latest of any establishment's when UAI is None),
    None when unknown."""
    of_uai = () if uai is None else (Establishment.uai == uai,)
    return connection.execute(select(func.max(Establishment.school_year)).where(*of_uai)).scalar()


def read_absents(connection: Connection, uai: str, today: date) -> list[dict]:
    """Students enrolled in UAI's latest year of results (not after TODAY), in a division certified that year, with
    no certification that year, who have not left and whose row was not set aside: eleve_id, division (the nightly
    report's count; the bilan says more)."""
    year = read_latest_school_year(connection, uai, today)
    if year is None:
        return []
    # four plain reads, each on an index, joined here: as one statement with correlated subqueries, PostgreSQL plans
    # it from the statistics of before the night's load (empty tables) and walks the year's certifications once per
    # enrolled student, half a second an establishment by the end of an académie
    c, s, e = Certification.__table__.c, Student.__table__.c, Enrolment.__table__.c
    of_year = connection.execute(select(c.division, c.student_id).where(c.uai == uai, c.school_year == year)).all()
    certified = {division for division, _ in of_year if division is not None}
    with_certification = {student_id for _, student_id in of_year if student_id is not None}
    # a student whose row was set aside is « résultat écarté », not absent (the bilan says which)
    set_aside = set(connection.execute(
        select(QuarantinedRow.eleve_id).join(SourceFile, QuarantinedRow.source_file_id == SourceFile.id)
        .where(SourceFile.uai == uai, QuarantinedRow.eleve_id.is_not(None))).scalars())
    enrolled = connection.execute(
        select(s.id, s.eleve_id, e.division)
        .select_from(Enrolment.__table__.join(Student.__table__, e.student_id == s.id))
        .where(e.uai == uai, e.school_year == year, e.left_on.is_(None))).all()
    absents = sorted((division, eleve_id) for student_id, eleve_id, division in enrolled
                     if division in certified and student_id not in with_certification and eleve_id not in set_aside)
    return [{"eleve_id": int(eleve_id), "division": division} for division, eleve_id in absents]


def read_bilan_inputs_digest(connection: Connection, uai: str) -> str:
    """A digest of what UAI's bilan is made of: its certifications (how many, the last written), its roster (the
    last file's SHA-256, how many students), its enrolments, its files (set aside, acknowledged) and its name. Equal digests: the bilan would come out the same.
    """
    c, s = Certification.__table__.c, Student.__table__.c
    certifications = connection.execute(
        select(func.count(), func.max(c.updated_at), func.sum(c.number))
        .where(c.uai == uai, c.anonymised_at.is_(None))).one()
    students = connection.execute(select(func.count(), func.sum(s.eleve_id)).where(s.uai == uai)).one()
    enrolments = connection.execute(select(func.count(), func.sum(Enrolment.student_id), func.sum(Enrolment.school_year))
                                    .where(Enrolment.uai == uai)).one()
    # a file set aside, replaced or acknowledged changes what the bilan says of its class
    files = connection.execute(select(func.count(), func.max(SourceFile.id), func.max(SourceFile.acknowledged_at))
                               .where(SourceFile.uai == uai)).one()
    establishment = connection.execute(
        select(Establishment.roster_sha256, Establishment.name).where(Establishment.uai == uai)).one_or_none()
    summary = repr((tuple(certifications), tuple(students), tuple(enrolments), tuple(files),
                    tuple(establishment or ())))
    return hashlib.sha256(summary.encode()).hexdigest()
