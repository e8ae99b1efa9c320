"""Database plumbing: one engine per URL and process, connections from it, and the Alembic upgrade the flows run
before loading.

The URL comes from the caller (the settings an entry point built: its --db option or PIX_LIVRET_DB_URL).
"""
from __future__ import annotations

import atexit
import logging
import os
import re
import sqlite3
import sys
import threading
from collections import OrderedDict
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import Connection, Engine, create_engine, event, inspect, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DataError, DBAPIError, IntegrityError, InterfaceError, OperationalError, SQLAlchemyError
from sqlalchemy.pool import NullPool

from transforms.worded import WordedError

if TYPE_CHECKING:
    from alembic.config import Config

CONNECT_TIMEOUT = 5  # seconds: an unreachable server is said within the commands' 10 s, not after minutes
# SQLite held by another process (another run, an administrator's tool): said after BUSY_NOTICE_SECONDS, within the
# commands' 10 s, then waited for until BUSY_TIMEOUT_SECONDS in all, when the run gives up with the same words
BUSY_NOTICE_SECONDS = 5
BUSY_TIMEOUT_SECONDS = 30
MIGRATION_LOCK = 0x7069786C  # "pixl": the advisory lock the schema upgrade takes on PostgreSQL
MIGRATIONS = Path(__file__).resolve().parent.parent / "schemas" / "migrations"
# what every command says when is_ready is False (French, for the administrator)
NOT_READY = ("La base n'est pas initialisée (ou pas à jour) : lancez d'abord « pix-livret ingest » "
             "(ou vérifiez --db / PIX_LIVRET_DB_URL).")


IMMEDIATE = "pix_livret_immediate"  # execution option: SQLite transactions that take the write lock as they begin
ENGINES_KEPT = 4  # URLs whose engine a process keeps: a process uses one or two, a test session hundreds


def make_engine(url: str, *, immediate: bool = False) -> Engine:
    """A new engine for URL, owned by the caller (who disposes it); SQLite gets foreign keys on and a busy timeout
    for the nightly run. The store's own connections come from engine_for's engine instead.

    IMMEDIATE (SQLite): transactions take the write lock when they begin, so that two writers wait for each
    other instead of failing when the second one tries to write (SQLite's single writer). A connection asks for it
    with the execution option IMMEDIATE, whatever the engine's default.
    """
    if url.startswith("sqlite"):
        # isolation_level None: the driver leaves BEGIN to us (SQLAlchemy's recipe for pysqlite).
        # NullPool for a file: opening one costs a tenth of a millisecond, and a pooled connection would keep a
        # deleted file open and go on writing to it after a new one took its name (a demo folder made again).
        pooling = {} if make_url(url).database in (None, "", ":memory:") else {"poolclass": NullPool}
        engine = create_engine(url, connect_args={"timeout": BUSY_TIMEOUT_SECONDS, "isolation_level": None},
                               hide_parameters=True, **pooling)

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_connection, _record) -> None:
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.close()

        @event.listens_for(engine, "begin")
        def _begin(connection) -> None:
            # the lock a transaction needs, taken at once: the write lock (IMMEDIATE), or the shared one a read
            # needs (reading the schema's version takes it), so that a wait for it happens here, where it is said
            driver = connection.connection.driver_connection
            if connection.get_execution_options().get(IMMEDIATE, False):
                _wait_for_lock(driver, "BEGIN IMMEDIATE", url)
            else:
                driver.execute("BEGIN")
                _wait_for_lock(driver, "PRAGMA schema_version", url)
    else:
        # hide_parameters: SQLAlchemy's error messages would otherwise quote the rows (names, birth dates).
        # max_overflow -1: as many connections as the threads of a run ask for at once (the server's
        # max_connections is the limit); a bounded pool would make a thread that holds one wait for a second.
        engine = create_engine(url, pool_pre_ping=True, hide_parameters=True, max_overflow=-1,
                               connect_args={"connect_timeout": CONNECT_TIMEOUT})
    if immediate:
        engine.update_execution_options(**{IMMEDIATE: True})
    return engine


class _Engines:
    """This process's engines, one per URL: a PostgreSQL connection costs ~10 ms to open, and each engine its
    dialect's set-up and compiled statements. The least recently used past ENGINES_KEPT is disposed.

    A forked child starts without its parent's (their connections are the parent's: closing them would cut the
    parent's); a spawned process imports this module afresh and builds its own.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._by_url: OrderedDict[str, Engine] = OrderedDict()

    def get(self, url: str) -> Engine:
        with self._lock:
            engine = self._by_url.get(url)
            if engine is not None:
                self._by_url.move_to_end(url)
                return engine
            engine = self._by_url[url] = make_engine(url)
            evicted = [self._by_url.popitem(last=False)[1] for _ in range(len(self._by_url) - ENGINES_KEPT)]
        for old in evicted:  # its idle connections closed; one still in use goes with the old pool, once given back
            old.dispose()
        return engine

    def forget_inherited(self) -> None:
        """In a forked child: the parent's engines left to the parent, their connections untouched."""
        self._lock = threading.Lock()  # another thread of the parent may have held it at the fork
        for engine in self._by_url.values():
            engine.dispose(close=False)
        self._by_url.clear()

    def dispose_all(self) -> None:
        with self._lock:
            engines, self._by_url = list(self._by_url.values()), OrderedDict()
        for engine in engines:
            engine.dispose()


_engines = _Engines()
if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_engines.forget_inherited)
atexit.register(_engines.dispose_all)  # PostgreSQL sees its connections closed, not dropped


def engine_for(url: str) -> Engine:
    """This process's engine for URL (made at the first call); the caller never disposes it."""
    return _engines.get(url)


def _wait_for_lock(driver: sqlite3.Connection, statement: str, url: str) -> None:
    """STATEMENT run on DRIVER, a SQLite connection, waiting for another process's lock: past BUSY_NOTICE_SECONDS
    the wait is said (naming the database), and it goes on until BUSY_TIMEOUT_SECONDS in all."""
    driver.execute(f"PRAGMA busy_timeout = {BUSY_NOTICE_SECONDS * 1000}")
    try:
        driver.execute(statement).fetchall()
    except sqlite3.OperationalError as busy:
        if busy.sqlite_errorcode & 0xFF != sqlite3.SQLITE_BUSY:  # extended codes: SQLITE_BUSY_RECOVERY…
            raise OperationalError(statement, None, busy) from None
        _say(f"Base de données occupée ({safe_url(url)}) par un autre programme ou une autre exécution, j'attends "
             f"qu'elle se libère ({BUSY_TIMEOUT_SECONDS} s au plus)…")
        driver.execute(f"PRAGMA busy_timeout = {(BUSY_TIMEOUT_SECONDS - BUSY_NOTICE_SECONDS) * 1000}")
        try:
            driver.execute(statement).fetchall()
        except sqlite3.OperationalError as still_busy:
            raise OperationalError(statement, None, still_busy) from None
    finally:
        driver.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_SECONDS * 1000}")  # for the commit's own wait


def _say(message: str) -> None:
    """MESSAGE logged as a warning: in the flow run's log when there is one (the terminal and the Prefect UI),
    else on this module's logger (a command before Prefect starts, a helper process: the terminal)."""
    if "prefect" in sys.modules:  # never imported for this: a helper process does without it
        from prefect.exceptions import MissingContextError
        from prefect.logging import get_run_logger

        try:
            get_run_logger().warning(message)
            return
        except MissingContextError:
            pass
    logging.getLogger(__name__).warning(message)


# Alembic is imported where it is used: the engine's worker processes never migrate, and importing it costs
# each of them 0.3 s. Every command asks is_ready first: it compares the database's revision with the latest one
# without Alembic; tests/test_database.py checks that HEAD_REVISION is Alembic's head (a new migration sets it).
HEAD_REVISION = "0010"

def alembic_config(url: str | None = None) -> Config:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    if url:
        config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def upgrade_to_head(bind: Engine | Connection) -> None:
    """Bring the database to the latest migration (a no-op when it is there already)."""
    if isinstance(bind, Engine):
        with bind.begin() as connection:
            upgrade_to_head(connection)
        return
    if bind.dialect.name == "postgresql":
        # two runs starting together would both create the tables: the second waits, then finds head
        bind.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK})
    from alembic import command

    config = alembic_config()
    config.attributes["connection"] = bind
    command.upgrade(config, "head")


def is_at_head(engine: Engine) -> bool:
    """True when the database was migrated to the latest revision (never-migrated is False)."""
    with engine.connect() as connection:
        if not inspect(connection).has_table("alembic_version"):
            return False
        return connection.exec_driver_sql("SELECT version_num FROM alembic_version").scalar() == HEAD_REVISION


def sqlite_file(url: str) -> Path | None:
    """The file of the SQLite database at URL, as the URL names it (a URI filename's too: file:/path?mode=ro); None
    for another backend or a database in memory."""
    parsed = make_url(url)
    database = parsed.database or ""
    if database.startswith("file:"):
        database = database[len("file:"):].split("?", 1)[0]
    if parsed.get_backend_name() != "sqlite" or database in ("", ":memory:"):
        return None
    return Path(database)


def is_ready(url: str) -> bool:
    """True when the database at URL exists and was migrated to head; asking creates nothing (not even a SQLite file)."""
    parsed = make_url(url)
    database = parsed.database
    if parsed.get_backend_name() == "sqlite" and database not in (None, "", ":memory:") \
            and not database.startswith("file:") and not Path(database).exists():
        return False
    try:
        return is_at_head(engine_for(url))
    except SQLAlchemyError as error:
        raise DatabaseFailure.of(error, url) from None


def check_writable(url: str) -> None:
    """DatabaseFailure, within CONNECT_TIMEOUT, when the database at URL cannot be reached or written.

    Commands ask before they start Prefect: a server down or a read-only file is said in seconds, instead of
    after the flow's retries. SQLite is asked for a real write (its header rewritten as it is, then rolled back):
    a read-only file or folder opens and reads fine, and fails only there.
    """
    try:  # SQLite: the write lock asked for at once, its wait said
        with engine_for(url).connect().execution_options(**{IMMEDIATE: True}) as connection:
            if connection.dialect.name == "sqlite":
                with connection.begin():
                    version = connection.exec_driver_sql("PRAGMA user_version").scalar_one()
                    connection.exec_driver_sql(f"PRAGMA user_version = {int(version)}")
                    connection.rollback()
            else:
                connection.exec_driver_sql("SELECT 1")
    except SQLAlchemyError as error:
        raise DatabaseFailure.of(error, url) from None


class Database:
    """Connections to one URL for a unit of work that opens many transactions (a batch of establishments), from
    this process's engine for it. A context manager, as the units of work use it; leaving it closes nothing.
    """

    def __init__(self, url: str) -> None:
        self.url = url

    def __enter__(self) -> Database:
        return self

    def __exit__(self, *_exc) -> None:
        pass

    @contextmanager
    def connect(self, *, write: bool = True) -> Iterator[Connection]:
        """A connection: a transaction committed on success when WRITE."""
        yield from _connection(self.url, write)


@contextmanager
def connect(url: str, *, write: bool = True) -> Iterator[Connection]:
    """A connection to URL from this process's engine for it: a transaction committed on success when WRITE
    (on SQLite, one that takes the write lock as it begins)."""
    yield from _connection(url, write)


def _connection(url: str, write: bool) -> Iterator[Connection]:
    engine = engine_for(url)
    try:
        if write:
            with engine.connect().execution_options(**{IMMEDIATE: True}) as connection, connection.begin():
                yield connection
        else:
            with engine.connect() as connection:
                yield connection
    except SQLAlchemyError as error:
        # `from None`: the driver's error (its message may quote the row) must not ride along as context
        raise DatabaseFailure.of(error, url) from None


class DatabaseFailure(WordedError, RuntimeError):
    """A database error told without any value of a row: what logs, Prefect states and administrators see.

    The driver's own message is left out on purpose: PostgreSQL quotes rows ("Failing row contains (…)",
    "Key (ine)=(…)") and values ("invalid input syntax: …"). TRANSIENT says whether trying again may help
    (the server out of reach, a lock held): only those are retried.
    """

    def __init__(self, message: str, *, transient: bool) -> None:
        super().__init__(message)
        self.transient = transient

    @classmethod
    def of(cls, error: SQLAlchemyError, url: str) -> DatabaseFailure:
        where = _where(error)
        code = getattr(getattr(error, "orig", None), "sqlstate", None)
        detail = f" (code {code})" if code else f" ({type(error).__name__})"
        if getattr(error, "connection_invalidated", False):  # it was open: the server or the network cut it
            return cls(f"Base de données : connexion perdue ({safe_url(url)}) en cours de travail (serveur arrêté "
                       "ou redémarré, connexion coupée) ; ce qui était en cours n'est pas enregistré.", transient=True)
        if isinstance(error, OperationalError | InterfaceError) and _is_unreachable(error):
            return cls(f"Base de données injoignable ({safe_url(url)}) : vérifiez que le serveur est démarré, "
                       "l'adresse et l'utilisateur donnés par --db ou PIX_LIVRET_DB_URL.", transient=True)
        text_of_error = str(getattr(error, "orig", error)).lower()
        if "readonly" in text_of_error or "read-only" in text_of_error:
            return cls(f"Base de données en lecture seule ({safe_url(url)}) : l'utilisateur qui lance pix-livret "
                       "doit pouvoir écrire le fichier et son dossier.", transient=False)
        if "unable to open database file" in text_of_error:
            return cls(f"Base de données impossible à ouvrir ({safe_url(url)}) : vérifiez que son dossier existe "
                       "et que l'utilisateur qui lance pix-livret peut y écrire.", transient=False)
        if "disk is full" in text_of_error or code == "53100":  # SQLITE_FULL; PostgreSQL's disk_full
            return cls(f"Disque plein pour la base de données ({safe_url(url)}) : libérez de la place sur le disque "
                       "qui la porte, puis relancez (rien de l'établissement en cours n'est chargé).", transient=False)
        if "locked" in text_of_error or code in ("40001", "40P01", "55P03"):
            return cls(f"Base de données occupée ({safe_url(url)}) par un autre programme ou une autre exécution"
                       f"{where}{detail} : réessayez plus tard.", transient=True)
        if isinstance(error, DataError):
            return cls(f"Valeur refusée par la base de données{where}{detail} : la ligne ne tient pas dans la "
                       "colonne (trop longue ou d'un type inattendu).", transient=False)
        if isinstance(error, IntegrityError):
            return cls(f"Contrainte de la base de données non respectée{where}{detail}.", transient=False)
        return cls(f"Erreur de la base de données{where}{detail}.", transient=isinstance(error, OperationalError))


_TABLE_OF_STATEMENT = re.compile(r"\b(?:INSERT\s+INTO|UPDATE|DELETE\s+FROM|FROM)\s+\"?(\w+)", re.IGNORECASE)


def _where(error: SQLAlchemyError) -> str:
    """" dans la table T, colonne C" from the statement and the driver's diagnostics: names of the schema only."""
    diag = getattr(getattr(error, "orig", None), "diag", None)
    table = getattr(diag, "table_name", None)
    if table is None and isinstance(error, DBAPIError) and error.statement:
        found = _TABLE_OF_STATEMENT.search(error.statement)
        table = found.group(1) if found else None
    column = getattr(diag, "column_name", None)
    constraint = getattr(diag, "constraint_name", None)
    parts = [f"table {table}"] * bool(table) + [f"colonne {column}"] * bool(column) \
        + [f"contrainte {constraint}"] * bool(constraint)
    return f" ({', '.join(parts)})" if parts else ""


def _is_unreachable(error: SQLAlchemyError) -> bool:
    text_of_error = str(getattr(error, "orig", error)).lower()
    return any(sign in text_of_error for sign in (
        "connection refused", "could not connect", "connection failed", "timeout expired", "timed out",
        "server closed the connection", "name or service not known", "no route to host", "connection is closed",
        "could not translate host name", "password authentication failed", "does not exist"))


def safe_url(url: str) -> str:
    """URL without its password, for messages."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:  # noqa: BLE001 - a malformed URL is shown as nothing rather than leaked
        return "adresse illisible"
