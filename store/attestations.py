"""The attestations rendered before, in the reporting database: what each certification's PDF showed, and where.

Takes a connection inside the caller's transaction; returns StoredAttestation values for the render plan
(transforms/attestations.py), and records the classes just rendered so that the next run compares.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import Connection, delete, insert, select

from schemas.tables import Attestation, Certification
from transforms.attestations import ClassJob, StoredAttestation, content_hash


def read_stored_attestations(connection: Connection, uai: str) -> dict[int, StoredAttestation]:
    """The attestations last rendered for UAI's certifications, by certification number."""
    a, c = Attestation.__table__.c, Certification.__table__.c
    rows = connection.execute(select(a.certification_number, a.content_hash, a.path)
                              .join(Certification.__table__, a.certification_number == c.number)
                              .where(c.uai == uai))
    return {int(n): StoredAttestation(int(n), h, p) for n, h, p in rows}


def save_attestations(connection: Connection, jobs: tuple[ClassJob, ...], stale_numbers: tuple[int, ...],
                      rendered_at: datetime) -> None:
    """Records what was rendered (hash, path) and forgets the stale ones, so the next run compares."""
    numbers = [n for job in jobs for n in job.student_paths] + list(stale_numbers)
    if numbers:
        connection.execute(delete(Attestation).where(Attestation.certification_number.in_(numbers)))
    rows = [dict(certification_number=p.number, content_hash=content_hash(p), path=str(job.student_paths[p.number]),
                 rendered_at=rendered_at) for job in jobs for p in job.pages]
    if rows:
        connection.execute(insert(Attestation), rows)
