"""Database plumbing: engines from URLs, and the Alembic upgrade the flows run before loading.

The URL comes from the caller (CLI option or PIX_LIVRET_DB_URL, read in pipeline.config).
"""
from __future__ import annotations

import logging
import re
import sqlite3
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import Connection, Engine, create_engine, event, inspect, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DataError, DBAPIError, IntegrityError, InterfaceError, OperationalError, SQLAlchemyError

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


def make_engine(url: str, *, immediate: bool = False) -> Engine:
    """An engine for URL; SQLite gets foreign keys on and a busy timeout for the nightly run.

    IMMEDIATE (SQLite): transactions take the write lock when they begin, so that two writers wait for each
    other instead of failing when the second one tries to write (SQLite's single writer).
    """
    if url.startswith("sqlite"):
        # isolation_level None: the driver leaves BEGIN to us (SQLAlchemy's recipe for pysqlite)
        engine = create_engine(url, connect_args={"timeout": BUSY_TIMEOUT_SECONDS, "isolation_level": None},
                               hide_parameters=True)

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
            if immediate:
                _wait_for_lock(driver, "BEGIN IMMEDIATE", url)
            else:
                driver.execute("BEGIN")
                _wait_for_lock(driver, "PRAGMA schema_version", url)

        return engine
    # hide_parameters: SQLAlchemy's error messages would otherwise quote the rows (names, birth dates)
    return create_engine(url, pool_pre_ping=True, hide_parameters=True,
                         connect_args={"connect_timeout": CONNECT_TIMEOUT})


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
HEAD_REVISION = "0008"

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


def is_ready(url: str) -> bool:
    """True when the database at URL exists and was migrated to head; asking creates nothing (not even a SQLite file)."""
    parsed = make_url(url)
    database = parsed.database
    if parsed.get_backend_name() == "sqlite" and database not in (None, "", ":memory:") \
            and not database.startswith("file:") and not Path(database).exists():
        return False
    engine = make_engine(url)
    try:
        return is_at_head(engine)
    except SQLAlchemyError as error:
        raise DatabaseFailure.of(error, url) from None
    finally:
        engine.dispose()


def check_writable(url: str) -> None:
    """DatabaseFailure, within CONNECT_TIMEOUT, when the database at URL cannot be reached or written.

    Commands ask before they start Prefect: a server down or a read-only file is said in seconds, instead of
    after the flow's retries. SQLite is asked for a real write (its header rewritten as it is, then rolled back):
    a read-only file or folder opens and reads fine, and fails only there.
    """
    engine = make_engine(url, immediate=True)  # SQLite: the write lock asked for at once, its wait said
    try:
        with engine.connect() as connection:
            if connection.dialect.name == "sqlite":
                with connection.begin():
                    version = connection.exec_driver_sql("PRAGMA user_version").scalar_one()
                    connection.exec_driver_sql(f"PRAGMA user_version = {int(version)}")
                    connection.rollback()
            else:
                connection.exec_driver_sql("SELECT 1")
    except SQLAlchemyError as error:
        raise DatabaseFailure.of(error, url) from None
    finally:
        engine.dispose()


class Database:
    """The engines of one unit of work that opens many transactions (a batch of establishments): connections are
    pooled for the unit instead of set up for every transaction (on PostgreSQL, a connection costs ~10 ms).

    Use it as a context manager: the engines go with it, so no pool outlives the task or process that made it.
    """

    def __init__(self, url: str) -> None:
        self.url = url
        self._engines: dict[bool, Engine] = {}

    def __enter__(self) -> Database:
        return self

    def __exit__(self, *_exc) -> None:
        for engine in self._engines.values():
            engine.dispose()

    @contextmanager
    def connect(self, *, write: bool = True) -> Iterator[Connection]:
        """A connection: a transaction committed on success when WRITE."""
        engine = self._engines.get(write)
        if engine is None:
            engine = self._engines[write] = make_engine(self.url, immediate=write)
        try:
            with (engine.begin() if write else engine.connect()) as connection:
                yield connection
        except SQLAlchemyError as error:
            # `from None`: the driver's error (its message may quote the row) must not ride along as context
            raise DatabaseFailure.of(error, self.url) from None


@contextmanager
def connect(url: str, *, write: bool = True) -> Iterator[Connection]:
    """A connection to URL for one unit of work: a transaction committed on success when WRITE.

    The engine lives as long as the unit: flows run tasks in threads and processes, and a pool
    shared across them would outlive the task that made it.
    """
    with Database(url) as database, database.connect(write=write) as connection:
        yield connection


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
