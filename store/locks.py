"""One piece of work on one establishment at a time, across processes (and machines, on PostgreSQL).

Two runs at once (a nightly run and an administrator's, or two nightly runs) must not render the same
attestations twice: the second waits for the first, says so, then finds the work done. PostgreSQL: a session
advisory lock, which every machine sharing the database sees and which the server drops if the holder dies.
SQLite: an flock on a file beside the database (one machine, like the database itself), which the kernel
drops if the holder dies.
"""
from __future__ import annotations

import fcntl
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.engine import make_url

from store.database import Database, sqlite_file


@contextmanager
def establishment_lock(url: str, work: str, uai: str, on_wait: Callable[[], None] = lambda: None) -> Iterator[None]:
    """Holds the lock of WORK (e.g. "attestations") for UAI; calls ON_WAIT once if another holder makes us wait."""
    name = f"pix-livret:{work}:{uai}"
    if make_url(url).get_backend_name() == "postgresql":
        with _advisory_lock(url, name, on_wait):
            yield
    else:
        with _file_lock(_lock_path(url, work, uai), on_wait):
            yield


@contextmanager
def _advisory_lock(url: str, name: str, on_wait: Callable[[], None]) -> Iterator[None]:
    with Database(url) as database, database.connect(write=False) as connection:
        key = {"name": name}
        if not connection.execute(text("SELECT pg_try_advisory_lock(hashtext(:name))"), key).scalar_one():
            on_wait()
            connection.execute(text("SELECT pg_advisory_lock(hashtext(:name))"), key)
        connection.commit()  # the lock is the session's: no transaction stays open while the work runs
        try:
            yield
        finally:
            connection.execute(text("SELECT pg_advisory_unlock(hashtext(:name))"), key)
            connection.commit()


@contextmanager
def _file_lock(path: Path, on_wait: Callable[[], None]) -> Iterator[None]:
    with path.open("a") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            on_wait()
            fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _lock_path(url: str, work: str, uai: str) -> Path:
    database = sqlite_file(url)
    folder = database.resolve().parent if database else Path(tempfile.gettempdir())
    return folder / f".{database.name if database else 'pix-livret'}.{work}-{uai}.lock"
