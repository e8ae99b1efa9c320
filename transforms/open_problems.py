"""Open problems: the files set aside that nobody has dealt with yet, and their acknowledgement.

Takes a connection and UAIs or file ids; returns the open files (counts, no content), their first reasons
(French messages, worded without names), or the ids an acknowledgement closed.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timezone

from sqlalchemy import ColumnElement, Connection, and_, select, update
from sqlalchemy.orm import aliased

from schemas.tables import FileProblem, SourceFile

SET_ASIDE = ("quarantined", "partial")
LOADED = ("loaded", "partial")  # statuses of a file some rows of which went into the database
FIRST_REASONS = 3  # per file in `pix-livret problems`: the rest is in the file's own report


@dataclass(frozen=True)
class OpenFile:
    """A file set aside and still open: what an administrator needs to find it (no row of it, no name)."""

    id: int
    uai: str
    name: str
    status: str  # quarantined | partial
    registered_at: datetime  # UTC
    rows_quarantined: int

    def asdict(self) -> dict:
        return {"id": self.id, "uai": self.uai, "name": self.name, "status": self.status,
                "registered_at": self.registered_at.isoformat(), "rows_quarantined": self.rows_quarantined}


def is_open() -> ColumnElement[bool]:
    """THE rule: a file set aside (status quarantined or partial) is an open problem until a newer export of its
    class loads (a file of the same UAI and division, registered after it, that loaded — status loaded or
    partial) or someone acknowledges it.

    "Registered after" is a larger id: ids are given in registration order, and within one run in the order the
    files load, so that the export that sorts last is the newer one, as for the certifications. A file whose name
    gives no division is closed by acknowledgement only. A newer export quarantined whole replaces nothing.
    """
    newer = aliased(SourceFile)
    replaced = (select(newer.id)
                .where(newer.uai == SourceFile.uai, newer.division == SourceFile.division,
                       newer.id > SourceFile.id, newer.status.in_(LOADED))
                .exists())
    return and_(SourceFile.status.in_(SET_ASIDE), SourceFile.acknowledged_at.is_(None), ~replaced)


def read_open_files(connection: Connection, uais: Sequence[str] | None = None) -> list[OpenFile]:
    """The open files of UAIS (all establishments when None), by UAI then registration: one query."""
    query = (select(SourceFile.id, SourceFile.uai, SourceFile.name, SourceFile.status, SourceFile.registered_at,
                    SourceFile.rows_quarantined)
             .where(is_open(), *([SourceFile.uai.in_(list(uais))] if uais is not None else []))
             .order_by(SourceFile.uai, SourceFile.id))
    return [OpenFile(row.id, row.uai, row.name, row.status, _utc(row.registered_at), row.rows_quarantined)
            for row in connection.execute(query)]


def read_first_reasons(connection: Connection, file_ids: Sequence[int],
                       per_file: int = FIRST_REASONS) -> dict[int, list[dict]]:
    """Up to PER_FILE reasons per file (row or None for the whole file, column, message), whole-file first.

    Match notices are left out: their rows loaded, they are not why the file was set aside. The value quoted
    by a problem is never read (it may be a name).
    """
    if not file_ids:
        return {}
    query = (select(FileProblem.source_file_id, FileProblem.row_number, FileProblem.column_name, FileProblem.message)
             .where(FileProblem.source_file_id.in_(list(file_ids)), FileProblem.stage != "match")
             .order_by(FileProblem.source_file_id, FileProblem.row_number.is_not(None), FileProblem.row_number,
                       FileProblem.id))
    reasons: dict[int, list[dict]] = {}
    for file_id, row, column, message in connection.execute(query):
        kept = reasons.setdefault(file_id, [])
        if len(kept) < per_file:
            kept.append({"row": row, "column": column, "message": message})
    return reasons


def acknowledge_files(connection: Connection, file_ids: Sequence[int], now: datetime,
                      run_id: int | None) -> list[int]:
    """Closes those of FILE_IDS that are open, as acknowledged at NOW by run RUN_ID; returns their ids."""
    if not file_ids:
        return []
    still_open = list(connection.execute(select(SourceFile.id).where(SourceFile.id.in_(list(file_ids)), is_open())
                                         .order_by(SourceFile.id)).scalars())
    if still_open:
        connection.execute(update(SourceFile).where(SourceFile.id.in_(still_open))
                           .values(acknowledged_at=now, acknowledged_run_id=run_id))
    return still_open


def _utc(moment: datetime) -> datetime:
    # stored in UTC; SQLite hands it back without its offset
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)
