"""The class files of a school year in the reporting database: which came, which were set aside, which rows.

Takes a connection, a UAI and a school year; returns the frames the bilan reads (transforms/bilans.py
YEAR_FILES_COLUMNS and SET_ASIDE_COLUMNS): no names, the set-aside rows by row number and matched student.
"""
from __future__ import annotations

import pandas as pd
from sqlalchemy import Connection, case, func, select

from schemas.tables import Certification, QuarantinedRow, SourceFile
from transforms.open_problems import LOADED, SET_ASIDE, is_open
from transforms.select_livret import school_year_of


def read_year_files(connection: Connection, uai: str, school_year: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """UAI's class files of SCHOOL_YEAR (name, division, status, open, set_aside, rows_quarantined) and the rows
    set aside in those still set aside, open or acknowledged (file, division, row, eleve_id). A file set aside then
    replaced by a newer export of its class is set_aside False: it says nothing of this year's students.

    A file belongs to the school year of most of its certifications, else (nothing of it loaded) to the year it
    was received in.
    """
    files = _files_with_year(connection, uai)
    year = files[files["school_year"] == school_year].drop(columns="school_year")
    ids = year.loc[year["set_aside"], "id"].tolist()
    rows = connection.execute(
        select(QuarantinedRow.source_file_id, QuarantinedRow.row_number, QuarantinedRow.eleve_id)
        .where(QuarantinedRow.source_file_id.in_(ids))).all() if ids else []
    by_id = year.set_index("id")
    set_aside = pd.DataFrame({
        "file": [by_id.at[file_id, "name"] for file_id, _, _ in rows],
        "division": [by_id.at[file_id, "division"] for file_id, _, _ in rows],
        "row": [row for _, row, _ in rows],
        "eleve_id": pd.array([eleve_id for _, _, eleve_id in rows], dtype="Int64")})
    return year[["name", "division", "status", "open", "set_aside", "rows_quarantined"]].reset_index(drop=True), \
        set_aside


def _files_with_year(connection: Connection, uai: str) -> pd.DataFrame:
    f, c = SourceFile.__table__.c, Certification.__table__.c
    newer = SourceFile.__table__.alias("newer")
    replaced = (select(newer.c.id).where(newer.c.uai == f.uai, newer.c.division == f.division,
                                         newer.c.id > f.id, newer.c.status.in_(LOADED)).exists())
    query = select(f.id, f.name, f.division, f.status, f.rows_quarantined, f.registered_at,
                   case((is_open(), True), else_=False).label("open"),
                   case((f.status.in_(SET_ASIDE) & ~replaced, True), else_=False).label("set_aside"),
                   ).where(f.uai == uai).order_by(f.id)
    files = pd.DataFrame(connection.execute(query).all(),
                         columns=["id", "name", "division", "status", "rows_quarantined", "registered_at", "open",
                                  "set_aside"])
    passages = connection.execute(
        select(c.source_file_id, c.passed_on, func.count()).where(c.uai == uai, c.passed_on.is_not(None))
        .group_by(c.source_file_id, c.passed_on)).all()
    votes: dict[int, dict[str, int]] = {}
    for file_id, passed_on, n in passages:
        year = school_year_of(pd.Timestamp(passed_on).date())
        votes.setdefault(file_id, {}).setdefault(year, 0)
        votes[file_id][year] += n
    years = [max(votes[i], key=votes[i].get) if i in votes else school_year_of(pd.Timestamp(day).date())
             for i, day in zip(files["id"], files["registered_at"])]
    return files.assign(school_year=years, open=files["open"].astype(bool), set_aside=files["set_aside"].astype(bool))
