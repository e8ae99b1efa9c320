"""The class files of a school year in the reporting database: which came, which were set aside, which rows.

Takes a connection, a UAI and a school year; returns the frames the bilan reads (transforms/bilans.py
YEAR_FILES_COLUMNS and SET_ASIDE_COLUMNS): no names, the set-aside rows by row number and matched student.
"""
from __future__ import annotations

import pandas as pd
from sqlalchemy import Connection, case, func, select

from schemas.tables import Certification, QuarantinedRow, SourceFile
from store.problems import SET_ASIDE, is_open, is_replaced
from transforms.normalise import export_date_from_name
from transforms.select_livret import school_year_of


def read_year_files(connection: Connection, uai: str, school_year: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """UAI's class files of SCHOOL_YEAR (name, division, status, open, set_aside, rows_quarantined) and the rows
    set aside in those still set aside, open or acknowledged (file, division, row, eleve_id). A file set aside then
    replaced by a newer export of its class is set_aside False: it says nothing of this year's students.

    A file belongs to the school year of most of its certifications, else (nothing of it loaded) to that of the
    export date in its name, else of the day it was received.
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
    query = select(f.id, f.name, f.division, f.status, f.rows_quarantined, f.registered_at,
                   case((is_open(), True), else_=False).label("open"),
                   case((f.status.in_(SET_ASIDE) & ~is_replaced(), True), else_=False).label("set_aside"),
                   ).where(f.uai == uai).order_by(f.id)
    files = pd.DataFrame(connection.execute(query).all(),
                         columns=["id", "name", "division", "status", "rows_quarantined", "registered_at", "open",
                                  "set_aside"])
    years_of = connection.execute(
        select(c.source_file_id, c.school_year, func.count()).where(c.uai == uai, c.school_year.is_not(None))
        .group_by(c.source_file_id, c.school_year)).all()
    votes: dict[int, dict[int, int]] = {}
    for file_id, year, n in years_of:
        votes.setdefault(file_id, {})[year] = n
    years = [_school_year(max(votes[i], key=votes[i].get)) if i in votes else _year_of_file(name, registered)
             for i, name, registered in zip(files["id"], files["name"], files["registered_at"])]
    return files.assign(school_year=years, open=files["open"].astype(bool), set_aside=files["set_aside"].astype(bool))


def _year_of_file(name: str, registered_at) -> str:
    """The school year of a file nothing of which loaded: that of the export date in its name, else of the day it
    was received (as for an undated certification)."""
    received = pd.Timestamp(registered_at).date()
    exported = export_date_from_name(name)
    return school_year_of(exported if exported is not None and exported <= received else received)


def _school_year(first_year: int) -> str:
    return f"{first_year}-{first_year + 1}"
