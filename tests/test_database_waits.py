"""Database trouble during a run, as the administrator sees it.

SQLite held by another process: a French line naming the database within 10 s (« occupée, j'attends… »), then the
run goes on once it is free, or gives up with that message at the busy timeout. A PostgreSQL connection cut while an
establishment loads: « connexion perdue », that establishment not loaded at all, the run failed.
"""
from __future__ import annotations

import logging
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from sqlalchemy import func, select, text

import pipeline.ingest as ingest
import store.database as database
from tests.ingest_runs import ingested
from pix_livret.demo.sample_data import make_sample_academie
from schemas.tables import Certification, SourceFile
from store.database import DatabaseFailure, connect, make_engine, upgrade_to_head

PIX_LIVRET = str(Path(sys.executable).parent / "pix-livret")
# another program's write transaction on a SQLite file (an administrator's tool, another run), held SECONDS
HOLDER = """
import sqlite3, sys, time
connection = sqlite3.connect(sys.argv[1], isolation_level=None)
connection.execute("BEGIN IMMEDIATE")
print("held", flush=True)
time.sleep(float(sys.argv[2]))
connection.execute("COMMIT")
"""


def hold_sqlite(path: Path, seconds: float) -> subprocess.Popen:
    holder = subprocess.Popen([sys.executable, "-c", HOLDER, str(path), str(seconds)], stdout=subprocess.PIPE)
    assert holder.stdout.readline() == b"held\n"
    return holder


def migrated_sqlite(tmp_path: Path) -> tuple[Path, str]:
    path = tmp_path / "pix.sqlite"
    with connect(f"sqlite:///{path}") as connection:
        upgrade_to_head(connection)
    return path, f"sqlite:///{path}"


def test_an_ingest_on_a_sqlite_database_held_elsewhere_says_so_within_10_s_then_goes_on(tmp_path):
    inbox = make_sample_academie(tmp_path / "inbox", establishments=1, classes=1, students_per_class=3).root
    path, url = migrated_sqlite(tmp_path)
    env = os.environ | {"PIX_LIVRET_DB_URL": url, "PIX_LIVRET_OUT_DIR": str(tmp_path / "out"),
                        "PIX_LIVRET_ARCHIVE_DIR": str(tmp_path / "archive")}
    holder = hold_sqlite(path, 14)
    started = time.monotonic()
    run = subprocess.Popen([PIX_LIVRET, "ingest", str(inbox), "--no-attestations", "--no-bilans"], env=env,
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    said: list[tuple[float, str]] = []
    reader = threading.Thread(target=lambda: said.extend((time.monotonic() - started, line) for line in run.stderr))
    reader.start()
    try:
        status = run.wait(120)
    finally:
        holder.kill()
        reader.join(10)

    busy = [(seconds, line) for seconds, line in said if "occupée" in line]
    assert busy, "".join(line for _, line in said)
    seconds, line = busy[0]
    print(f"« occupée » said after {seconds:.1f} s: {line.strip()}")
    assert seconds < 10 and "j'attends" in line and str(path) in line, busy
    # the lock went after 14 s, within the busy timeout: the run went on and loaded everything
    assert status == 0, "".join(line for _, line in said)
    assert "Traceback" not in "".join(line for _, line in said)
    with connect(url, write=False) as connection:
        assert connection.execute(select(func.count()).select_from(Certification)).scalar_one() == 3


def test_a_sqlite_database_held_past_the_busy_timeout_gives_up_naming_it(tmp_path, monkeypatch, caplog):
    path, url = migrated_sqlite(tmp_path)
    # shorter than the commands' 5 s and 30 s, for the test's sake (raising=False: the same test runs where they
    # do not exist, and fails there by its message)
    monkeypatch.setattr(database, "BUSY_NOTICE_SECONDS", 1, raising=False)
    monkeypatch.setattr(database, "BUSY_TIMEOUT_SECONDS", 3, raising=False)
    holder = hold_sqlite(path, 40)
    started = time.monotonic()
    try:
        with caplog.at_level(logging.WARNING), pytest.raises(DatabaseFailure) as caught:
            with connect(url) as connection:
                connection.execute(text("DELETE FROM establishments"))
    finally:
        holder.kill()

    assert 2.5 < time.monotonic() - started < 35
    waiting = [r.getMessage() for r in caplog.records if "occupée" in r.getMessage()]
    assert len(waiting) == 1 and "j'attends" in waiting[0] and str(path) in waiting[0]
    assert str(caught.value).startswith(f"Base de données occupée (sqlite:///{path})") and caught.value.transient


def test_a_read_waits_for_a_sqlite_database_locked_whole_and_says_so(tmp_path, caplog):
    """An EXCLUSIVE lock (a program rewriting the file) stops readers too: they wait the same way."""
    path, url = migrated_sqlite(tmp_path)
    holder = subprocess.Popen([sys.executable, "-c", HOLDER.replace("IMMEDIATE", "EXCLUSIVE"), str(path), "7"],
                              stdout=subprocess.PIPE)
    assert holder.stdout.readline() == b"held\n"
    try:
        with caplog.at_level(logging.WARNING), connect(url, write=False) as connection:
            tables = connection.execute(text("SELECT count(*) FROM sqlite_master")).scalar_one()
    finally:
        holder.wait(30)

    assert tables > 0
    assert [r.getMessage() for r in caplog.records if "occupée" in r.getMessage() and str(path) in r.getMessage()]


def test_a_postgresql_connection_cut_while_loading_is_a_lost_connection_and_loads_nothing_of_it(
        db_url, tmp_path, monkeypatch):
    if not db_url.startswith("postgresql"):
        pytest.skip("a SQLite file has no connection to lose")
    academie = make_sample_academie(tmp_path / "inbox", establishments=3, classes=1, students_per_class=4)
    original, calls, cut = ingest.save_certifications, [], []

    def cut_on_second_establishment(connection, records, **options):
        calls.append(1)
        if len(calls) == 2:  # mid-transaction: its files registered, its rows being written
            backend = connection.execute(text("SELECT pg_backend_pid()")).scalar_one()
            other = make_engine(db_url)
            with other.begin() as killer:
                killer.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": backend})
            other.dispose()
            cut.append(records[0]["uai"])
        return original(connection, records, **options)

    monkeypatch.setattr(ingest, "save_certifications", cut_on_second_establishment)

    report = ingested(academie.root, db_url, tmp_path / "archive", schools=academie.school_names, workers=1)

    [failed] = [e for e in report.establishments if e.error]
    assert [failed.uai] == cut and report.failed
    assert "connexion perdue" in failed.error.lower() and "injoignable" not in failed.error
    with connect(db_url, write=False) as connection:
        loaded = dict(connection.execute(select(Certification.uai, func.count()).group_by(Certification.uai)).all())
        files = dict(connection.execute(select(SourceFile.uai, func.count()).group_by(SourceFile.uai)).all())
    assert failed.uai not in loaded and failed.uai not in files
    assert loaded == {uai: 4 for uai in academie.uais if uai != failed.uai}
