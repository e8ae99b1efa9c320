"""Database errors as the administrator and Prefect see them: what failed and where, never a value of a row."""
from __future__ import annotations

import time
import traceback
from datetime import date, datetime, timezone

import pytest
from sqlalchemy import insert

from pix_livret.temporary_server import free_port
from schemas.tables import Establishment, Student
from store.database import DatabaseFailure, connect, is_ready, upgrade_to_head

SECRET = "Léa-Inès Secretname"


def formatted(error: BaseException) -> str:
    return "".join(traceback.format_exception(error))


def test_a_refused_row_is_told_by_table_without_its_values(db_url):
    with connect(db_url) as connection:
        upgrade_to_head(connection)
        connection.execute(insert(Establishment).values(uai="0860100S", updated_at=datetime.now(timezone.utc)))

    with pytest.raises(DatabaseFailure) as caught:
        with connect(db_url) as connection:
            # no last name: a NOT NULL violation, whose PostgreSQL detail quotes the whole row
            connection.execute(insert(Student).values(uai="0860100S", eleve_id=1, first_name=SECRET, last_name=None,
                                                      birth_date=date(2011, 5, 4)))

    assert "students" in str(caught.value) and not caught.value.transient
    assert SECRET not in formatted(caught.value) and "2011" not in formatted(caught.value)


def test_an_unreachable_server_is_said_quickly_with_the_address_but_not_the_password():
    url = f"postgresql+psycopg://pix:motdepasse@127.0.0.1:{free_port()}/pix"
    started = time.monotonic()

    with pytest.raises(DatabaseFailure) as caught:
        is_ready(url)

    assert time.monotonic() - started < 10
    message = str(caught.value)
    assert message.startswith("Base de données injoignable (postgresql+psycopg://pix:***@127.0.0.1:")
    assert "PIX_LIVRET_DB_URL" in message and "motdepasse" not in formatted(caught.value)
    assert caught.value.transient


def test_a_read_only_sqlite_database_is_said_in_french(tmp_path):
    url = f"sqlite:///{tmp_path / 'pix.sqlite'}"
    with connect(url) as connection:
        upgrade_to_head(connection)
    (tmp_path / "pix.sqlite").chmod(0o444)
    if (tmp_path / "pix.sqlite").stat().st_uid == 0 and __import__("os").geteuid() == 0:
        # root writes through file modes; a read-only database is opened read-only instead
        url = f"sqlite:///file:{tmp_path / 'pix.sqlite'}?mode=ro&uri=true"

    with pytest.raises(DatabaseFailure, match=r"^Base de données en lecture seule"):
        with connect(url) as connection:
            connection.execute(insert(Establishment).values(uai="0860100S", updated_at=datetime.now(timezone.utc)))


def test_a_full_sqlite_disk_is_said_in_french_without_the_rows(tmp_path):
    url = f"sqlite:///{tmp_path / 'pix.sqlite'}"
    with connect(url) as connection:
        upgrade_to_head(connection)
        connection.execute(insert(Establishment).values(uai="0860100S", updated_at=datetime.now(timezone.utc)))

    with pytest.raises(DatabaseFailure) as caught:
        with connect(url) as connection:
            # the file may not grow by a page: what SQLite says when its disk is full (SQLITE_FULL)
            pages = connection.exec_driver_sql("PRAGMA page_count").scalar_one()
            connection.exec_driver_sql(f"PRAGMA max_page_count = {pages}")
            connection.execute(insert(Student), [
                {"uai": "0860100S", "eleve_id": n, "first_name": SECRET, "last_name": SECRET,
                 "birth_date": date(2011, 5, 4)} for n in range(1, 2000)])

    assert "Disque plein" in str(caught.value) and not caught.value.transient
    assert SECRET not in formatted(caught.value)
