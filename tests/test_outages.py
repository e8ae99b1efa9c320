"""Every command against a database out of reach or read-only: a French message naming it, exit 1, no traceback,
within 10 s (the commands ask the database before starting Prefect)."""
from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from pix_livret.demo.sample_data import make_sample_academie
from pix_livret.temporary_server import free_port
from store.database import connect, upgrade_to_head

PIX_LIVRET = str(Path(sys.executable).parent / "pix-livret")
COMMANDS = {
    "ingest": ["ingest", "{inbox}", "--no-attestations"],
    "export": ["export", "lsu", "--year", "2025-2026"],
    "attestations": ["attestations", "--year", "2025-2026"],
    "runs": ["runs"],
}


def run_cli(arguments: list[str], url: str, tmp_path: Path) -> tuple[subprocess.CompletedProcess, float]:
    env = os.environ | {"PIX_LIVRET_DB_URL": url, "PIX_LIVRET_OUT_DIR": str(tmp_path / "out"),
                        "PIX_LIVRET_ARCHIVE_DIR": str(tmp_path / "archive")}
    started = time.monotonic()
    done = subprocess.run([PIX_LIVRET, *arguments], env=env, capture_output=True, text=True, timeout=120)
    return done, time.monotonic() - started


@pytest.fixture
def inbox(tmp_path):
    return make_sample_academie(tmp_path / "inbox", establishments=1, classes=1, students_per_class=2).root


@pytest.mark.parametrize("command", COMMANDS)
def test_a_server_out_of_reach_is_said_in_french_within_10_s(command, inbox, tmp_path):
    url = f"postgresql+psycopg://pix:motdepasse@127.0.0.1:{free_port()}/pix"

    done, seconds = run_cli([a.format(inbox=inbox) for a in COMMANDS[command]], url, tmp_path)

    assert done.returncode == 1, done.stderr
    assert seconds < 10
    assert "Base de données injoignable (postgresql+psycopg://pix:***@127.0.0.1:" in done.stderr
    assert "Traceback" not in done.stderr + done.stdout and "motdepasse" not in done.stderr + done.stdout


def test_a_read_only_sqlite_database_is_said_before_anything_is_loaded(inbox, tmp_path):
    database = tmp_path / "pix.sqlite"
    with connect(f"sqlite:///{database}") as connection:
        upgrade_to_head(connection)
    url = f"sqlite:///file:{database}?mode=ro&uri=true"  # read-only even for root, who writes through file modes

    done, seconds = run_cli(["ingest", str(inbox), "--no-attestations"], url, tmp_path)

    assert done.returncode == 1 and seconds < 10
    assert "Base de données en lecture seule" in done.stderr and "Traceback" not in done.stderr
    assert not (tmp_path / "archive").exists()


@pytest.mark.parametrize("arguments", [["purge", "--before", "2023-2024"], ["forget", "--ine", "1234567890A"]],
                         ids=["purge", "forget"])
def test_the_retention_commands_say_a_server_out_of_reach_too(arguments, tmp_path):
    done, seconds = run_cli(arguments, f"postgresql+psycopg://pix@127.0.0.1:{free_port()}/pix", tmp_path)

    assert done.returncode == 1 and seconds < 10
    assert "Base de données injoignable" in done.stderr and "Traceback" not in done.stderr
