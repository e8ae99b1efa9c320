"""The rule of an open problem, on a few source_files rows (SQLite and PostgreSQL)."""
from __future__ import annotations

from datetime import timedelta
from itertools import count

import pytest
from sqlalchemy import insert, select

from schemas.tables import FileProblem, SourceFile
from store.problems import acknowledge_files, read_first_reasons, read_open_files
from tests.db_builders import NOW, add_establishment

_digits = count(1)


def add_file(engine, name: str, status: str, *, division: str | None = "3B", uai: str = "0861234Z",
             rows_quarantined: int = 1) -> int:
    """Registers a file after every one before it (a larger id, a later time)."""
    n = next(_digits)
    with engine.begin() as connection:
        return connection.execute(insert(SourceFile).values(
            uai=uai, sha256=f"{n:064d}", name=name, size=1, division=division, archived_path="/dev/null",
            status=status, rows_read=3, rows_loaded=3 - rows_quarantined if status != "quarantined" else 0,
            rows_quarantined=rows_quarantined, registered_at=NOW + timedelta(minutes=n),
        ).returning(SourceFile.id)).scalar_one()


def open_names(engine, uais=None) -> list[str]:
    with engine.connect() as connection:
        return [f.name for f in read_open_files(connection, uais)]


@pytest.fixture
def school(engine):
    add_establishment(engine)
    return engine


def test_a_partial_or_quarantined_file_is_open_a_loaded_one_is_not(school):
    add_file(school, "3A.csv", "loaded", division="3A", rows_quarantined=0)
    add_file(school, "3B.csv", "partial")
    add_file(school, "3C.csv", "quarantined", division="3C")

    assert open_names(school) == ["3B.csv", "3C.csv"]


@pytest.mark.parametrize("status", ["loaded", "partial"])
def test_a_newer_export_of_the_same_class_that_loads_closes_it(school, status):
    add_file(school, "old_3B.csv", "partial")
    add_file(school, "new_3B.csv", status, rows_quarantined=0 if status == "loaded" else 1)

    # a newer partial export is the open problem now, in place of the old one
    assert open_names(school) == ([] if status == "loaded" else ["new_3B.csv"])


def test_what_does_not_close_it_another_class_an_older_export_a_whole_quarantine_another_school(school):
    add_establishment(school, "0330001A")
    add_file(school, "older_3B.csv", "loaded", rows_quarantined=0)
    add_file(school, "3B.csv", "partial")
    add_file(school, "3A.csv", "loaded", division="3A", rows_quarantined=0)
    add_file(school, "newer_3B_unreadable.csv", "quarantined")
    add_file(school, "3B_elsewhere.csv", "loaded", uai="0330001A", rows_quarantined=0)

    assert open_names(school, ["0861234Z"]) == ["3B.csv", "newer_3B_unreadable.csv"]


def test_a_file_whose_name_gives_no_class_is_closed_by_acknowledgement_only(school):
    unnamed = add_file(school, "export.csv", "quarantined", division=None)
    add_file(school, "also_unnamed.csv", "loaded", division=None, rows_quarantined=0)
    assert open_names(school) == ["export.csv"]

    with school.begin() as connection:
        closed = acknowledge_files(connection, [unnamed], NOW, None)

    assert closed == [unnamed] and open_names(school) == []


def test_acknowledging_closes_only_the_open_files_asked_for(school):
    first = add_file(school, "3B.csv", "partial")
    add_file(school, "3C.csv", "partial", division="3C")
    loaded = add_file(school, "3D.csv", "loaded", division="3D", rows_quarantined=0)

    with school.begin() as connection:
        closed = acknowledge_files(connection, [first, loaded, 999_999], NOW, None)
    with school.begin() as connection:
        again = acknowledge_files(connection, [first], NOW, None)

    assert (closed, again) == ([first], [])
    assert open_names(school) == ["3C.csv"]
    with school.connect() as connection:
        assert connection.execute(select(SourceFile.acknowledged_at).where(SourceFile.id == loaded)).scalar() is None


def test_first_reasons_put_the_whole_file_first_and_leave_match_notices_and_values_out(school):
    file_id = add_file(school, "3B.csv", "partial")
    problems = [("validate", 7, "Score", "score_range", "Score hors limites"),
                ("match", 3, None, "unmatched_student", "Élève introuvable dans SIECLE"),
                ("read", None, None, "doubled_column", "Colonne en double"),
                ("validate", 4, "Statut", "status", "Statut inconnu"),
                ("validate", 9, "2.3", "level_range", "2.3 : valeur hors limites")]
    with school.begin() as connection:
        connection.execute(insert(FileProblem), [
            {"source_file_id": file_id, "stage": stage, "row_number": row, "column_name": column, "rule": rule,
             "value": "DURAND Louis", "message": message} for stage, row, column, rule, message in problems])
        reasons = read_first_reasons(connection, [file_id])

    assert reasons == {file_id: [{"row": None, "column": None, "message": "Colonne en double"},
                                 {"row": 4, "column": "Statut", "message": "Statut inconnu"},
                                 {"row": 7, "column": "Score", "message": "Score hors limites"}]}
