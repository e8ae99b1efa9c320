"""The school year a command works on when none is given, read from the reporting database.

Its own module: the export, the attestations and the bilans all ask, and the export should not import the
attestations' rendering to do so (a tenth of a second on every `pix-livret export`).
"""
from __future__ import annotations

from datetime import date

from store.database import connect, is_ready
from store.query import list_establishments, read_latest_school_year, read_roster_school_year
from transforms.select_livret import school_year_of


def default_school_year(uai: str | None, today: date, *, database_url: str) -> str:
    """The latest school year with results of the establishment not after TODAY (in November, last June's results
    are still the ones to print; a new year's roster in September does not move it); with no result at all, that
    of its last SIECLE roster; else the one TODAY falls in. Read from DATABASE_URL.

    Without UAI, the same rule over every establishment of the database: an académie's June is one year for all
    (the database's only establishment's, when it holds one).
    """
    url = database_url
    if is_ready(url):
        with connect(url, write=False) as connection:
            if uai is not None and uai not in list_establishments(connection):
                return school_year_of(today)  # the flow will say what is wrong with UAI
            latest, roster_year = read_latest_school_year(connection, uai, today), read_roster_school_year(connection, uai)
        if latest is not None:
            return f"{latest}-{latest + 1}"
        if roster_year is not None:
            return f"{roster_year}-{roster_year + 1}"
    return school_year_of(today)
