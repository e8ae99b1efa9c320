"""The `problems` command: the open problems listed, and acknowledged by an administrator.

Reads and writes through store.problems (where the rule of "open" is); an acknowledgement is one run
of the history, with counts and file ids (never a name). Requests that cannot be carried out raise ProblemsError
(French) and change nothing.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from pipeline.history import recorded_run, utc_now
from schemas.problems import OpenFile
from store.database import connect
from store.problems import acknowledge_files, read_first_reasons, read_open_files
from store.query import list_establishments


class ProblemsError(Exception):
    """A request that cannot be carried out (French message): an unknown UAI, a number that is not open."""


@dataclass(frozen=True)
class Listed:
    files: list[OpenFile]
    reasons: dict[int, list[dict]]  # file id -> first reasons (row, column, message)


def list_problems(database_url: str, uai: str | None = None) -> Listed:
    """The open problems of UAI (all establishments when None), each with its first reasons."""
    with connect(database_url, write=False) as connection:
        _check_known(connection, uai)
        files = read_open_files(connection, [uai] if uai else None)
        return Listed(files, read_first_reasons(connection, [f.id for f in files]))


def acknowledge(database_url: str, file_ids: Sequence[int], uai: str | None = None) -> list[int]:
    """Closes the problems FILE_IDS (of UAI when given), all or none: a number that is not open refuses the whole
    request (a typo must not close a neighbour's file). Returns the ids closed, recorded as one run.
    """
    asked = sorted(set(file_ids))
    with connect(database_url, write=False) as connection:
        _check_known(connection, uai)
        open_ids = {f.id for f in read_open_files(connection, [uai] if uai else None)}
    not_open = [i for i in asked if i not in open_ids]
    if not_open:
        where = f" pour {uai}" if uai else ""
        raise ProblemsError(f"Aucun problème ouvert{where} sous le(s) numéro(s) {', '.join(map(str, not_open))} "
                            "(déjà clos, ou inconnu) : rien n'est acquitté. « pix-livret problems » les liste.")
    return _acknowledged(database_url, asked, {"file_ids": asked, "uai": uai, "all": False})


def acknowledge_all(database_url: str, uai: str) -> list[int]:
    """Closes every open problem of UAI; returns the ids closed (none: nothing recorded)."""
    with connect(database_url, write=False) as connection:
        _check_known(connection, uai)
        open_ids = [f.id for f in read_open_files(connection, [uai])]
    return _acknowledged(database_url, open_ids, {"file_ids": open_ids, "uai": uai, "all": True}) if open_ids else []


def _acknowledged(database_url: str, file_ids: list[int], parameters: dict) -> list[int]:
    with recorded_run("acknowledge", parameters, database_url=database_url) as outcome:
        with connect(database_url) as connection:
            # closed meanwhile (a newer export loaded, another acknowledgement): not counted twice
            closed = acknowledge_files(connection, file_ids, utc_now(), outcome.run_id)
        outcome.counts = {"acknowledged": len(closed), "already_closed": len(file_ids) - len(closed)}
        outcome.message = f"{len(closed)} problème(s) acquitté(s)"
    return closed


def _check_known(connection, uai: str | None) -> None:
    if uai is not None and uai not in list_establishments(connection):
        raise ProblemsError(f"Établissement inconnu dans la base : {uai}.")
