"""What an on-demand use case (export, attestations) checks before it does anything: the school year it is asked
for, a database that exists, and the establishment meant (or, for an académie's June, the establishments); each
refusal raised as the use case's own French error."""
from __future__ import annotations

from sqlalchemy import Connection

from store.database import NOT_READY, connect, is_ready
from store.query import EstablishmentChoiceError, choose_establishment, list_establishments, list_establishments_of_year
from transforms.select_livret import school_year_bounds


def check_year_and_database(school_year: str, database_url: str, refusal: type[Exception]) -> None:
    """REFUSAL for a malformed school year or a database never created or migrated (nothing is created by asking)."""
    try:
        school_year_bounds(school_year)
    except ValueError as error:  # its message is already French, for the administrator
        raise refusal(str(error)) from None
    if not is_ready(database_url):
        raise refusal(NOT_READY)


def chosen_establishment(connection: Connection, uai: str | None, refusal: type[Exception]) -> str:
    """UAI, or the database's only establishment; REFUSAL (French) when unknown or ambiguous."""
    try:
        return choose_establishment(list_establishments(connection), uai)
    except EstablishmentChoiceError as error:
        raise refusal(str(error)) from None


def academie_establishments(database_url: str, uai: str | None, school_year: str,
                            refusal: type[Exception]) -> list[str] | None:
    """The UAIs an académie's June does: without UAI, on a database of several establishments, each one with data
    for SCHOOL_YEAR. None when the request is for one establishment (UAI given, or at most one in the database):
    the single run, as it always was. REFUSAL (French) when no establishment has data that year.

    SCHOOL_YEAR and the database are known good (check_year_and_database).
    """
    if uai is not None:
        return None
    with connect(database_url, write=False) as connection:
        if len(list_establishments(connection)) <= 1:
            return None
        uais = list_establishments_of_year(connection, int(school_year[:4]))
    if not uais:
        raise refusal(f"Aucun établissement de la base n'a de données pour l'année scolaire {school_year} : "
                      "rien à faire.")
    return uais
