"""What an on-demand use case (export, attestations) checks before it does anything: the school year it is asked
for, a database that exists, and the establishment meant; each refusal raised as the use case's own French error."""
from __future__ import annotations

from sqlalchemy import Connection

from store.database import NOT_READY, is_ready
from store.query import EstablishmentChoiceError, choose_establishment, list_establishments
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
