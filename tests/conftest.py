"""Shared fixtures: databases (SQLite always, PostgreSQL when PIX_LIVRET_TEST_PG_URL is set)."""
from __future__ import annotations

import os
import signal
import uuid
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import text

from store.database import make_engine, upgrade_to_head

os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
os.environ.setdefault("DO_NOT_TRACK", "1")

if os.environ.get("PYTEST_XDIST_WORKER"):
    # `make test`'s workers start with SIGINT ignored, which every command a test starts would inherit (a Ctrl-C
    # test would wait forever), and with COLUMNS=80, which the command line takes for a terminal's width
    signal.signal(signal.SIGINT, signal.default_int_handler)
    os.environ.pop("COLUMNS", None)

PG_URL = os.environ.get("PIX_LIVRET_TEST_PG_URL")
DATABASES = ["sqlite"] + (["postgresql"] if PG_URL else [])


def _pg_schema_url(schema: str) -> str:
    separator = "&" if "?" in PG_URL else "?"
    return f"{PG_URL}{separator}options=-csearch_path%3D{schema}"


@contextmanager
def empty_database(kind: str, folder: Path):
    """A URL to an empty database of KIND: a SQLite file in FOLDER, or a fresh PostgreSQL schema dropped after."""
    if kind == "sqlite":
        yield f"sqlite:///{folder / 'pix-livret.sqlite'}"
        return
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = make_engine(PG_URL)
    with admin.begin() as connection:
        connection.execute(text(f"CREATE SCHEMA {schema}"))
    try:
        yield _pg_schema_url(schema)
    finally:
        with admin.begin() as connection:
            connection.execute(text(f"DROP SCHEMA {schema} CASCADE"))
        admin.dispose()


@pytest.fixture(params=DATABASES)
def db_url(request, tmp_path):
    """A URL to an empty database: a SQLite file, or a fresh PostgreSQL schema dropped afterwards."""
    with empty_database(request.param, tmp_path) as url:
        yield url


@pytest.fixture
def engine(db_url):
    """An engine on a database migrated to head."""
    engine = make_engine(db_url)
    upgrade_to_head(engine)
    yield engine
    engine.dispose()


@pytest.fixture(scope="session")
def prefect_harness():
    """One temporary Prefect API for the whole session (it costs ~14 s to start)."""
    from prefect.testing.utilities import prefect_test_harness

    with prefect_test_harness(server_startup_timeout=60):
        yield


# The files that run real servers, workers and killed processes, longest first: `make test`'s workers take files in
# collection order, so that they start on these rather than end on them while the other worker waits
LONGEST_FIRST = ("test_production_path.py", "test_interrupted_ingest.py", "test_crash_safety.py",
                 "test_worker_stop.py", "test_nightly_ingest.py", "test_database_waits.py", "test_cli.py")


def pytest_collection_modifyitems(items):
    rank = {name: place for place, name in enumerate(LONGEST_FIRST)}
    items.sort(key=lambda item: rank.get(item.path.name, len(LONGEST_FIRST)))
