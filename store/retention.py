"""Retention of minors' personal data in the database: a purge of past school years, the erasure of one student.

Takes a connection and what to remove (a cut-off date, or one student's identifier); removes it and returns what
was removed: counts, and the files the database pointed to (archive copies, attestations) for the caller to
delete. An anonymised certification keeps what the bilans count (status, score, levels, division, date, file)
and loses who it was: names, birth date, birthplace, external id, jury comment, the link to the roster.
"""
from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timezone
from pathlib import Path

from sqlalchemy import Connection, delete, exists, or_, select, true, update

from schemas.tables import (Attestation, Certification, Enrolment, Establishment, QuarantinedRow, SourceFile,
                            Student)
from store.problems import is_open
from transforms.attestations import class_file_name
from transforms.identifiers import clean_identifier
from transforms.match import LIGATURES, normalise_name
from transforms.read_csv import decode_content

ANONYMOUS = {"first_name": "", "last_name": "", "birth_date": None, "birthplace": None, "external_id": None,
             "jury_comment": None, "student_id": None}
_CHUNK = 500
ERASED_ROW = "(texte effacé : élève retiré de la base)"  # a quarantined row's text once its student is forgotten


@dataclass
class Removed:
    """What a purge or an erasure took out of the database (counts only), and the files it leaves to delete."""

    certifications: int = 0  # anonymised
    students: int = 0
    quarantined_rows: int = 0
    attestations: int = 0
    problems_closed: int = 0  # open problems of the purged years, closed
    establishments: set[str] = field(default_factory=set)  # whose attestations must be made again
    files: list[Path] = field(default_factory=list)

    def counts(self) -> dict[str, int]:
        return {"certifications_anonymised": self.certifications, "students_removed": self.students,
                "quarantined_rows_removed": self.quarantined_rows, "attestations_removed": self.attestations,
                "open_problems_closed": self.problems_closed}


# ---- purge: every school year before a given one ----

def purge_before(connection: Connection, first_day: date, now: datetime) -> Removed:
    """Removes the personal data of the school years ending before FIRST_DAY (1 September of the year kept).

    Certifications passed before it (or, without a date, loaded before it) are anonymised; roster students no
    roster listed since (and whom no kept certification names) are removed; so are the quarantined rows of the
    files registered before it. Their archive copies and attestations are returned for deletion.
    """
    cutoff = datetime.combine(first_day, time.min, tzinfo=timezone.utc)
    c = Certification.__table__.c
    old = (c.anonymised_at.is_(None)
           & or_(c.passed_on < first_day, c.passed_on.is_(None) & (c.loaded_at < cutoff)))
    numbers = list(connection.execute(select(c.number).where(old)).scalars())
    removed = Removed()
    removed.attestations, attestation_files = _remove_attestations(connection, numbers)
    removed.certifications = _anonymise(connection, numbers, now)
    # the enrolments of the purged years go; a student left with none (and named by no kept certification) goes too
    connection.execute(delete(Enrolment).where(Enrolment.school_year < first_day.year))
    enrolled = exists().where(Enrolment.student_id == Student.id)
    removed.students = _remove_students(connection, ~enrolled & (Student.last_roster_year.is_(None)
                                                                 | (Student.last_roster_year < first_day.year)))
    old_files = select(SourceFile.id).where(SourceFile.registered_at < cutoff)
    removed.quarantined_rows = connection.execute(
        delete(QuarantinedRow).where(QuarantinedRow.source_file_id.in_(old_files))).rowcount
    removed.files = attestation_files + _archive_copies_only_of(connection, SourceFile.registered_at < cutoff)
    # a file of a purged year set aside is no problem to solve any more: closed, or every night stays in quarantine
    removed.problems_closed = connection.execute(
        update(SourceFile).where(SourceFile.registered_at < cutoff, is_open()).values(acknowledged_at=now)).rowcount
    return removed


def _archive_copies_only_of(connection: Connection, condition) -> list[Path]:
    """Archive copies of the files under CONDITION that no other registered file shares (content-addressed)."""
    paths = set(connection.execute(select(SourceFile.archived_path).where(condition)).scalars())
    kept = set(connection.execute(select(SourceFile.archived_path).where(~condition)).scalars())
    return sorted(Path(p) for p in paths - kept if p)


# ---- erasure: one student, everywhere ----

@dataclass(frozen=True)
class Person:
    """What identifies the student to erase in free text (quarantined rows, archived CSVs): never logged."""

    ines: tuple[str, ...]
    eleve_ids: tuple[int, ...]  # compared to whole fields only: a bare 7-digit number in text may be anything
    names: tuple[tuple[str, str, date], ...]  # (last name, first name, birth date) of each roster record

    @property
    def identifiers(self) -> set[str]:
        """What an external id cell may hold for this student."""
        return set(self.ines) | {str(e) for e in self.eleve_ids}

    def appears_in(self, text: str) -> bool:
        """True when TEXT quotes the INE, or both names with the birth date."""
        if any(re.search(rf"(?<![0-9A-Za-z]){re.escape(i)}(?![0-9A-Za-z])", text) for i in self.ines):
            return True
        folded = _fold(text)
        return any(_fold(last) in folded and _fold(first) in folded
                   and (f"{born:%d/%m/%Y}" in text or born.isoformat() in text)
                   for last, first, born in self.names)


def _fold(text: str) -> str:
    """Lower case, no accents, hyphens and apostrophes as spaces, single spaces: SIECLE's BENOÎT is Pix's Benoît."""
    bare = "".join(ch for ch in unicodedata.normalize("NFKD", text.translate(LIGATURES))
                   if not unicodedata.combining(ch))
    return " ".join(re.sub(r"[-'’]", " ", bare.casefold()).split())


def find_person(connection: Connection, *, ine: str | None = None, eleve_id: int | None = None,
                uai: str | None = None) -> tuple[list[int], Person]:
    """The students.id of the student (one per establishment that lists them) and what identifies them in text."""
    s = Student.__table__.c
    condition = (s.ine == clean_identifier(ine)) if ine else (s.eleve_id == eleve_id)
    if uai:
        condition &= s.uai == uai
    rows = connection.execute(select(s.id, s.ine, s.eleve_id, s.last_name, s.first_name, s.birth_date)
                              .where(condition)).all()
    ines = ({clean_identifier(ine)} if ine else set()) | {r.ine for r in rows if r.ine}
    eleve_ids = ({eleve_id} if eleve_id else set()) | {r.eleve_id for r in rows}
    return [r.id for r in rows], Person(tuple(sorted(ines)), tuple(sorted(eleve_ids)),
                                        tuple((r.last_name, r.first_name, r.birth_date) for r in rows))


def erase_person(connection: Connection, student_ids: list[int], person: Person, uai: str | None,
                 now: datetime) -> Removed:
    """Anonymises every certification of the person (matched, by external id, or unmatched with the same names and
    birth date), removes their roster records and the quarantined rows that quote them (of a file still to be
    fixed, only the row's text: its reasons stay); returns their
    attestations and the archive copies that hold them, for deletion."""
    numbers, uais = _certifications_of(connection, student_ids, person, uai)
    removed = Removed(establishments=uais)
    removed.attestations, files = _remove_attestations(connection, numbers)
    removed.certifications = _anonymise(connection, numbers, now)
    removed.students = _remove_students(connection, Student.id.in_(student_ids)) if student_ids else 0
    files_of = select(SourceFile.id).where(SourceFile.uai.in_(uais)) if uais else None
    quarantined = connection.execute(select(QuarantinedRow.id, QuarantinedRow.raw_text, QuarantinedRow.source_file_id)
                                     .where(QuarantinedRow.source_file_id.in_(files_of) if files_of is not None
                                            else true())).all()
    quoting = [row for row in quarantined if person.appears_in(row.raw_text)]
    # a file still to be fixed keeps its rows' reasons (they name no one): only their text goes
    still_open = set(connection.execute(select(SourceFile.id).where(
        SourceFile.id.in_({row.source_file_id for row in quoting}), is_open())).scalars()) if quoting else set()
    for chunk in _chunks([row.id for row in quoting if row.source_file_id in still_open]):
        connection.execute(update(QuarantinedRow).where(QuarantinedRow.id.in_(chunk)).values(raw_text=ERASED_ROW))
    for chunk in _chunks([row.id for row in quoting if row.source_file_id not in still_open]):
        connection.execute(delete(QuarantinedRow).where(QuarantinedRow.id.in_(chunk)))
    removed.quarantined_rows = len(quoting)
    archived = connection.execute(select(SourceFile.archived_path).where(
        SourceFile.uai.in_(uais) if uais else true())).scalars()
    removed.files = files + [Path(p) for p in sorted(set(archived)) if p and _file_quotes(Path(p), person)]
    if uais:
        connection.execute(update(Establishment).where(Establishment.uai.in_(uais)).values(attestations_due=True))
    return removed


def _certifications_of(connection: Connection, student_ids: list[int], person: Person,
                       uai: str | None) -> tuple[list[int], set[str]]:
    c = Certification.__table__.c
    live = c.anonymised_at.is_(None) & ((c.uai == uai) if uai else true())
    rows = connection.execute(select(c.number, c.uai, c.student_id, c.external_id, c.last_name, c.first_name,
                                     c.birth_date).where(live)).all()
    names = {(normalise_name(last), normalise_name(first), born) for last, first, born in person.names}
    ids = set(student_ids)
    mine = [r for r in rows if r.student_id in ids or clean_identifier(r.external_id) in person.identifiers
            or (r.student_id is None and (normalise_name(r.last_name), normalise_name(r.first_name), r.birth_date)
                in names)]
    uais = {r.uai for r in mine} | set(connection.execute(
        select(Student.uai).where(Student.id.in_(student_ids))).scalars() if student_ids else ())
    return [r.number for r in mine], uais


def _file_quotes(path: Path, person: Person) -> bool:
    try:
        content = path.read_bytes()
    except OSError:
        return False
    return person.appears_in(decode_content(content)[0])


# ---- shared steps ----

def _anonymise(connection: Connection, numbers: list[int], now: datetime) -> int:
    for chunk in _chunks(numbers):
        connection.execute(update(Certification).where(Certification.number.in_(chunk))
                           .values(**ANONYMOUS, anonymised_at=now))
    return len(numbers)


def _remove_attestations(connection: Connection, numbers: list[int]) -> tuple[int, list[Path]]:
    """The attestation rows of NUMBERS removed; their student PDFs, and their class PDFs (which hold their page)."""
    files: list[Path] = []
    count = 0
    for chunk in _chunks(numbers):
        paths = list(connection.execute(select(Attestation.path).where(
            Attestation.certification_number.in_(chunk))).scalars())
        files += [Path(p) for p in paths]
        files += [Path(p).parent.parent / class_file_name(Path(p).parent.name) for p in paths]
        count += connection.execute(delete(Attestation).where(Attestation.certification_number.in_(chunk))).rowcount
    return count, sorted(set(files))


def _remove_students(connection: Connection, condition) -> int:
    """Students under CONDITION that no certification still points to, with their enrolments and the link of the
    rows set aside that named them."""
    referenced = exists().where(Certification.student_id == Student.id)
    doomed = connection.execute(select(Student.id, Student.uai, Student.eleve_id).where(condition, ~referenced)).all()
    for chunk in _chunks([row.id for row in doomed]):
        connection.execute(delete(Enrolment).where(Enrolment.student_id.in_(chunk)))
        connection.execute(delete(Student).where(Student.id.in_(chunk)))
    for uai in {row.uai for row in doomed}:
        for chunk in _chunks([row.eleve_id for row in doomed if row.uai == uai]):
            connection.execute(update(QuarantinedRow).where(
                QuarantinedRow.eleve_id.in_(chunk),
                QuarantinedRow.source_file_id.in_(select(SourceFile.id).where(SourceFile.uai == uai)))
                .values(eleve_id=None))
    return len(doomed)


def _chunks(values: list) -> Iterable[list]:
    for start in range(0, len(values), _CHUNK):
        yield values[start:start + _CHUNK]
