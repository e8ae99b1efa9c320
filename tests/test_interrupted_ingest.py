"""`pix-livret ingest` stopped by SIGTERM (systemd, Docker, `kill`) or SIGINT (Ctrl-C) mid-load.

A real command in a process group of its own, paused inside its second establishment's transaction
(tests/pause_hook), then signalled: within 10 s it says « interrompue » in French and exits; its run is closed
« interrompue » with the counts of the establishment it committed; --report says what was done; the establishment in
progress is not loaded at all and leaves no archive copy without a row; a re-run then loads the rest.
"""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import func, select

from pix_livret.demo.sample_data import make_sample_academie
from schemas.tables import Certification, PipelineRun, SourceFile
from store.database import connect
from transforms.archive import sha256_of

PIX_LIVRET = str(Path(sys.executable).parent / "pix-livret")
HOOK = Path(__file__).resolve().parent / "pause_hook"
STUDENTS = 4  # per class; 2 classes per establishment


def ingest(inbox: Path, url: str, tmp_path: Path, *, pause: bool) -> subprocess.Popen:
    env = os.environ | {"PIX_LIVRET_DB_URL": url, "PIX_LIVRET_OUT_DIR": str(tmp_path / "out"),
                        "PIX_LIVRET_ARCHIVE_DIR": str(tmp_path / "archive")}
    if pause:
        env |= {"PYTHONPATH": os.pathsep.join(filter(None, [str(HOOK), env.get("PYTHONPATH")])),
                "PIX_LIVRET_PAUSE_AT": "save_certifications:2", "PIX_LIVRET_PAUSE_FILE": str(tmp_path / "paused")}
    return subprocess.Popen([PIX_LIVRET, "ingest", str(inbox), "--no-attestations", "--no-bilans",
                             "--report", str(tmp_path / "report.json")], env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, start_new_session=True)


def wait_for(path: Path, process: subprocess.Popen, seconds: float = 120) -> None:
    deadline = time.monotonic() + seconds
    while not path.exists():
        if process.poll() is not None or time.monotonic() > deadline:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGKILL)
            pytest.fail(f"the run never reached its pause: {process.communicate()}")
        time.sleep(0.1)


@pytest.mark.parametrize("stop", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_an_ingest_stopped_by_a_signal_closes_its_run_interrupted_with_what_it_committed(db_url, tmp_path, stop):
    academie = make_sample_academie(tmp_path / "inbox", establishments=3, classes=2, students_per_class=STUDENTS)
    run = ingest(academie.root, db_url, tmp_path, pause=True)
    wait_for(tmp_path / "paused", run)

    os.kill(run.pid, stop)
    signalled = time.monotonic()
    try:
        out, err = run.communicate(timeout=30)
    except subprocess.TimeoutExpired:
        os.killpg(run.pid, signal.SIGKILL)
        pytest.fail(f"still running 30 s after {stop.name}: {run.communicate()}")
    seconds = time.monotonic() - signalled
    print(f"{stop.name}: exit {run.returncode} after {seconds:.1f} s")

    assert seconds < 10 and run.returncode == 128 + stop, (run.returncode, seconds, err)
    assert f"interrompue ({stop.name})" in err and "Traceback" not in out + err, out + err
    with connect(db_url, write=False) as connection:
        [history] = connection.execute(select(PipelineRun.__table__)).all()
        files = connection.execute(select(SourceFile.uai, SourceFile.sha256, SourceFile.rows_loaded)).all()
        loaded = dict(connection.execute(select(Certification.uai, func.count()).group_by(Certification.uai)).all())
    # one establishment committed before the pause, the one in progress rolled back whole, the third never begun
    assert len(loaded) == 1 and list(loaded.values()) == [2 * STUDENTS], loaded
    [committed] = loaded
    assert {f.uai for f in files} == {committed}
    assert (history.status, history.ended_at is not None) == ("interrupted", True)
    assert history.counts["rows_loaded"] == 2 * STUDENTS and history.counts["establishments"] == 1, history.counts
    assert history.message.startswith(f"Exécution interrompue ({stop.name})"), history.message
    report = json.loads((tmp_path / "report.json").read_text(encoding="utf-8"))
    assert report["totals"]["rows_loaded"] == 2 * STUDENTS and {f["uai"] for f in report["files"]} == {committed}
    # every archive copy has its row: none of the establishment rolled back
    copies = {p.name.split(".")[0] for p in (tmp_path / "archive").rglob("*") if p.is_file()}
    assert copies == {f.sha256 for f in files}
    assert all(sha256_of(p.read_bytes()) == p.name.split(".")[0] for p in (tmp_path / "archive").rglob("*.csv"))

    rerun = ingest(academie.root, db_url, tmp_path, pause=False)
    out, err = rerun.communicate(timeout=120)
    assert rerun.returncode == 0, out + err
    with connect(db_url, write=False) as connection:
        loaded = dict(connection.execute(select(Certification.uai, func.count()).group_by(Certification.uai)).all())
    assert loaded == {uai: 2 * STUDENTS for uai in academie.uais}
