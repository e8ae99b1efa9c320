"""pix-livret's settings, built once where a run begins and passed down as a value.

Read from the environment (and nowhere else below the entry points):
PIX_LIVRET_DB_URL: the reporting database (default: a SQLite file under var/). It may carry a password: it is a
    SecretStr, shown masked, and never a flow parameter.
PIX_LIVRET_OUT_DIR: where exports, attestations and bilans go (default: var/out).
PIX_LIVRET_ARCHIVE_DIR: content-addressed copies of every input file (default: var/archive).
PIX_LIVRET_EDITOR: the producer written in the livret XML's entete (default: pix-livret).
PIX_LIVRET_WORKERS: processes a run may use (default: the cores this process may run on).

The command line builds them from its options and puts them in use around the flow it runs (`using`); a flow run
started by a worker builds them from its environment. Either way the flow reads them once (`current_settings`) and
hands them to its steps.
"""
from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from pathlib import Path

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_HOME = Path("var")


def machine_cores() -> int:
    """The cores this process may run on (a container's or taskset's limit included)."""
    try:
        return len(os.sched_getaffinity(0)) or 1
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="PIX_LIVRET_", env_ignore_empty=True, frozen=True, extra="ignore")

    db_url: SecretStr | None = None
    out_dir: Path = DEFAULT_HOME / "out"
    archive_dir: Path = DEFAULT_HOME / "archive"
    editor: str = "pix-livret"
    workers: int = Field(default_factory=machine_cores, ge=1)

    @property
    def database_url(self) -> str:
        """The URL to connect with (the default SQLite file's folder made on the way)."""
        if self.db_url is not None:
            return self.db_url.get_secret_value()
        DEFAULT_HOME.mkdir(parents=True, exist_ok=True)
        return f"sqlite:///{(DEFAULT_HOME / 'pix-livret.sqlite').resolve()}"


_in_use: ContextVar[Settings | None] = ContextVar("pix_livret_settings", default=None)


@contextmanager
def using(settings: Settings) -> Iterator[Settings]:
    """SETTINGS are the ones the flows run inside read (the command line's, built from its options)."""
    token = _in_use.set(settings)
    try:
        yield settings
    finally:
        _in_use.reset(token)


def current_settings() -> Settings:
    """The settings in use (`using`), else built now from the environment: a flow calls it once, at its start."""
    return _in_use.get() or Settings()
