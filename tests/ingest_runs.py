"""The nightly flow's data path as its tasks call it (pipeline.ingest: schema, plan, load), without Prefect: for the
tests that look at what is loaded rather than at the run (its states, history row and artifacts: tests/flows)."""
from __future__ import annotations

from pathlib import Path

from pipeline.ingest import load_inbox, plan_inbox
from pipeline.settings import Settings
from store.database import connect, upgrade_to_head
from transforms.report import RunReport


def ingested(inbox: Path, database_url: str, archive_dir: Path, *, workers: int = 1, **plan) -> RunReport:
    """Every establishment of INBOX loaded on WORKERS processes; PLAN: plan_inbox's roster, uai, school_name,
    schools."""
    with connect(database_url) as connection:
        upgrade_to_head(connection)
    return load_inbox(plan_inbox(inbox, **plan), Settings(db_url=database_url, archive_dir=archive_dir,
                                                          workers=workers))
