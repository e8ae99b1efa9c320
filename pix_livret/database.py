"""Database plumbing: engines from URLs, and the Alembic upgrade the flows run before loading.

The URL comes from the caller (CLI option or PIX_LIVRET_DB_URL, read in pix_livret.config).
"""
from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine, create_engine, event, text
from sqlalchemy.engine import make_url

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
        engine = create_engine(url, connect_args={"timeout": 30, "isolation_level": None})

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_connection, _record) -> None:
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.close()

        @event.listens_for(engine, "begin")
        def _begin(connection) -> None:
            connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

        return engine
    return create_engine(url, pool_pre_ping=True)


def alembic_config(url: str | None = None) -> Config:
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
    config = alembic_config()
    config.attributes["connection"] = bind
    command.upgrade(config, "head")


def is_at_head(engine: Engine) -> bool:
    """True when the database was migrated to the latest revision (never-migrated is False)."""
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision() == head


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
        with (engine.begin() if write else engine.connect()) as connection:
            yield connection


@contextmanager
def connect(url: str, *, write: bool = True) -> Iterator[Connection]:
    """A connection to URL for one unit of work: a transaction committed on success when WRITE.

    The engine lives as long as the unit: flows run tasks in threads and processes, and a pool
    shared across them would outlive the task that made it.
    """
    with Database(url) as database, database.connect(write=write) as connection:
        yield connection
