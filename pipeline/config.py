"""On its way out: the settings read one value at a time, for the modules not yet handed theirs as a parameter.

Each function reads the settings in use (pipeline.settings.current_settings: those an entry point put in use, else
the environment's). New code takes the value from its caller instead; the module goes once nothing imports it.
"""
from __future__ import annotations

from pathlib import Path

from pipeline.settings import current_settings


def database_url() -> str:
    return current_settings().database_url


def output_dir() -> Path:
    return current_settings().out_dir


def archive_dir() -> Path:
    return current_settings().archive_dir


def editor_name() -> str:
    """Name of the producer written in the livret XML's entete."""
    return current_settings().editor
