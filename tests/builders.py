"""Builders for tests: small canonical frames (3–6 rows, every CertificationFrame column), hostile inputs."""
from __future__ import annotations

import logging
import os
import re
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pandas as pd

from schemas.referential import LEVEL_COLUMNS

# the English statuses of the JSON report, the history and Prefect: never in what an operator reads
ENGLISH_STATES = re.compile(r"\b(loaded|partial|quarantined|unchanged|completed|failed|crashed|cancell?ing|"
                            r"cancell?ed|pending|scheduled|running|paused|unknown|interrupted)\b", re.IGNORECASE)

LABELS = {"certification_number": "Numéro de certification", "first_name": "Prénom", "last_name": "Nom",
          "birth_date": "Date de naissance", "status": "Statut", "score": "Score en Pix", "global_level": "Niveau",
          "passed_on": "Date de passage de la certification"} | {
    column: column.removeprefix("level_").replace("_", ".") for column in LEVEL_COLUMNS}


def canonical_row(number: int = 7310657, **overrides: Any) -> dict[str, Any]:
    row = {
        "certification_number": number, "first_name": "Louis", "last_name": "Durand",
        "birth_date": pd.Timestamp("2011-04-04"), "birthplace": "Poitiers", "external_id": None,
        "certification_type": "Pix", "status": "validated", "status_inferred": False, "score": 300,
        "global_level": "Indépendant 1", **{column: 3 for column in LEVEL_COLUMNS}, "jury_comment": None,
        "session": "12345", "centre": None, "passed_on": pd.Timestamp("2026-03-20"),
        "source_file": "20260320_resultats_3A.csv", "row_number": 2, "file_division": "3A",
        "received_on": pd.Timestamp("2026-06-30"), "school_year": 2025,
    }
    return row | overrides


def canonical_frame(rows: list[dict[str, Any]]) -> pd.DataFrame:
    frame = pd.DataFrame(rows)
    for column in ("certification_number", "score", *LEVEL_COLUMNS):
        frame[column] = frame[column].astype("Int64")
    for column in ("birth_date", "passed_on", "received_on"):
        frame[column] = pd.to_datetime(frame[column])
    frame["school_year"] = frame["school_year"].astype("Int64")
    text = ["first_name", "last_name", "birthplace", "external_id", "certification_type", "status",
            "global_level", "jury_comment", "session", "centre", "source_file", "file_division"]
    frame[text] = frame[text].astype(object)
    return frame


def entity_bomb(levels: int, *, declaration: bool) -> bytes:
    """A "billion laughs" BEE_ELEVES: each entity ten times the one before, the last in UAJ."""
    entities = '<!ENTITY lol0 "lol">' + "".join(
        f'<!ENTITY lol{i} "{f"&lol{i - 1};" * 10}">' for i in range(1, levels + 1))
    prolog = '<?xml version="1.0" encoding="ISO-8859-15"?>\n' if declaration else ""
    return (f"{prolog}<!DOCTYPE BEE_ELEVES [{entities}]>\n"
            f"<BEE_ELEVES><PARAMETRES><UAJ>&lol{levels};</UAJ></PARAMETRES><DONNEES/></BEE_ELEVES>\n").encode()


def one_school_inbox(folder: Path, monkeypatch, *, validated: int) -> Path:
    """FOLDER/inbox: one establishment's SIECLE roster and a 3A class file of VALIDATED validated certifications of
    the sample data; the archive and output folders (PIX_LIVRET_ARCHIVE_DIR, PIX_LIVRET_OUT_DIR) under FOLDER."""
    from pix_livret.demo.sample_data import ROSTER_FILE_NAME, make_sample_establishment, write_class_csv
    from schemas.referential import Status

    for variable, name in (("PIX_LIVRET_ARCHIVE_DIR", "archive"), ("PIX_LIVRET_OUT_DIR", "out")):
        monkeypatch.setenv(variable, str(folder / name))
    sample = make_sample_establishment(folder / "sample")
    inbox = folder / "inbox"
    inbox.mkdir()
    good = [c for c in sample.certifications
            if c.student is not None and c.student.division == "3A" and c.status is Status.VALIDATED][:validated]
    write_class_csv(inbox / "20260320_resultats_3A.csv", good, "pix-niveau-score")
    shutil.copy(sample.roster_path, inbox / ROSTER_FILE_NAME)
    return inbox


def full_disk_under(folder, monkeypatch):
    """Temporary files made under FOLDER are written to /dev/full: the kernel's own ENOSPC, at the flush."""
    make_temporary = tempfile.mkstemp

    def on_full_disk(*args, dir=None, **kwargs):
        if dir is not None and str(dir).startswith(str(folder)):
            return os.open("/dev/full", os.O_WRONLY), str(folder / ".never-made.tmp")
        return make_temporary(*args, dir=dir, **kwargs)

    monkeypatch.setattr(tempfile, "mkstemp", on_full_disk)


def artifacts_of(state) -> dict[str, str]:
    """Key -> markdown of the keyed artifacts the flow run of STATE published (Prefect's API of the test session)."""
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterFlowRunId

    with get_client(sync_client=True) as client:
        found = client.read_artifacts(artifact_filter=ArtifactFilter(
            flow_run_id=ArtifactFilterFlowRunId(any_=[state.state_details.flow_run_id])))
    return {artifact.key: artifact.data for artifact in found if artifact.key}


@contextmanager
def kept_run_logs() -> Iterator[list[logging.LogRecord]]:
    """Every record of Prefect's flow and task run loggers while open, as their handlers receive it (they do not
    propagate to pytest's caplog)."""
    class Keep(logging.Handler):
        def __init__(self):
            super().__init__()
            self.records = []

        def emit(self, record):
            self.records.append(record)

    kept = Keep()
    loggers = [logging.getLogger(name) for name in ("prefect.flow_runs", "prefect.task_runs")]
    for logger in loggers:
        logger.addHandler(kept)
    try:
        yield kept.records
    finally:
        for logger in loggers:
            logger.removeHandler(kept)
