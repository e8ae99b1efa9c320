"""Configuration from the environment, read by the CLI and the flows (never by transforms).

PIX_LIVRET_DB_URL: the reporting database (default: a SQLite file under var/).
PIX_LIVRET_OUT_DIR: where exports and attestations go (default: var/out).
PIX_LIVRET_ARCHIVE_DIR: content-addressed copies of every input file (default: var/archive).
"""
from __future__ import annotations

import os
from pathlib import Path

DEFAULT_HOME = Path("var")


def database_url() -> str:
    url = os.environ.get("PIX_LIVRET_DB_URL")
    if url:
        return url
    DEFAULT_HOME.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{(DEFAULT_HOME / 'pix-livret.sqlite').resolve()}"


def output_dir() -> Path:
    return Path(os.environ.get("PIX_LIVRET_OUT_DIR") or DEFAULT_HOME / "out")


def archive_dir() -> Path:
    return Path(os.environ.get("PIX_LIVRET_ARCHIVE_DIR") or DEFAULT_HOME / "archive")


def editor_name() -> str:
    """Name of the producer written in the livret XML's entete."""
    return os.environ.get("PIX_LIVRET_EDITOR", "pix-livret")
