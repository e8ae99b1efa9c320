"""Open problems: the files set aside that nobody has dealt with yet, and their acknowledgement.

Takes a connection and UAIs or file ids; returns the open files (counts, no content), their first reasons
(French messages, worded without names), or the ids an acknowledgement closed.
"""
from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timezone
from functools import cache

from sqlalchemy import ColumnElement, Connection, Select, and_, bindparam, select, update

from schemas.problems import NOTICE_STAGES, OpenFile
from schemas.tables import FileProblem, SourceFile

SET_ASIDE = ("quarantined", "partial")
LOADED = ("loaded", "partial")  # statuses of a file some rows of which went into the database
FIRST_REASONS = 3  # per file in `pix-livret problems`: the rest is in the file's own report


def is_open() -> ColumnElement[bool]:
    """THE rule: a file set aside (status quarantined or partial) is an open problem until a newer export of its
    class loads (a file of the same UAI and division, registered after it, that loaded — status loaded or
    partial) or someone acknowledges it.

    "Registered after" is a larger id: ids are given in registration order, and within one run in the order the
    files load, so that the export that sorts last is the newer one, as for the certifications. A file whose name
    gives no division is closed by acknowledgement only. A newer export quarantined whole replaces nothing.
    """
    files = SourceFile.__table__
    return and_(files.c.status.in_(SET_ASIDE), files.c.acknowledged_at.is_(None), ~is_replaced())


def is_replaced() -> ColumnElement[bool]:
    """A file of whose class a newer export loaded (same UAI and division, registered after it, loaded or partial)."""
    files, newer = SourceFile.__table__, SourceFile.__table__.alias("newer")
    return (select(newer.c.id)
            .where(newer.c.uai == files.c.uai, newer.c.division == files.c.division,
                   newer.c.id > files.c.id, newer.c.status.in_(LOADED))
            .exists())


def read_open_files(connection: Connection, uais: Sequence[str] | None = None) -> list[OpenFile]:
    """The open files of UAIS (all establishments when None), by UAI then registration: one query."""
    query = _open_files_query(every_uai=uais is None)
    rows = connection.execute(query, {} if uais is None else {"uais": list(uais)})
    return [OpenFile(row.id, row.uai, row.name, row.status, _utc(row.registered_at), row.rows_quarantined)
            for row in rows]


@cache
def _open_files_query(every_uai: bool) -> Select:
    # built once: the nightly run asks it for every establishment, and building it cost ten times running it
    # (~1.2 ms against 0.1 on SQLite: 110 establishments of a quiet académie night)
    files = SourceFile.__table__
    query = select(files.c.id, files.c.uai, files.c.name, files.c.status, files.c.registered_at,
                   files.c.rows_quarantined).where(is_open()).order_by(files.c.uai, files.c.id)
    return query if every_uai else query.where(files.c.uai.in_(bindparam("uais", expanding=True)))


def read_first_reasons(connection: Connection, file_ids: Sequence[int],
                       per_file: int = FIRST_REASONS) -> dict[int, list[dict]]:
    """Up to PER_FILE reasons per file (row or None for the whole file, column, message), whole-file first.

    Notices (NOTICE_STAGES) are left out: their rows loaded, they are not why the file was set aside. The value quoted
    by a problem is never read (it may be a name).
    """
    if not file_ids:
        return {}
    query = (select(FileProblem.source_file_id, FileProblem.row_number, FileProblem.column_name, FileProblem.message)
             .where(FileProblem.source_file_id.in_(list(file_ids)), FileProblem.stage.not_in(NOTICE_STAGES))
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
    still_open = list(connection.execute(select(SourceFile.id).where(is_open(), SourceFile.id.in_(list(file_ids)))
                                         .order_by(SourceFile.id)).scalars())
    if still_open:
        connection.execute(update(SourceFile).where(SourceFile.id.in_(still_open))
                           .values(acknowledged_at=now, acknowledged_run_id=run_id))
    return still_open


def _utc(moment: datetime) -> datetime:
    # stored in UTC; SQLite hands it back without its offset
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)
