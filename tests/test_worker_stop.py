"""A worker stopped while its flow run loads: `systemctl stop` (KillMode=mixed) and `docker stop`
(init forwards the signal) send SIGTERM to `pix-livret worker`. The flow run ends in a final state, Crashed with a
French message, within the unit's stop timeout; its run is closed « interrompue » and the establishment in progress
is not loaded at all.

A real `prefect server start`, pool, deployments and worker on a random loopback port (tests/test_production_path.py's
Production); the flow run is paused inside its second establishment's transaction by tests/pause_hook.
"""
from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import func, select

from pix_livret.demo.sample_data import make_sample_academie
from schemas.tables import Certification, PipelineRun, SourceFile
from store.database import make_engine
from tests.test_production_path import REPO, Production

HOOK = Path(__file__).resolve().parent / "pause_hook"
STOP_TIMEOUT = 150  # seconds: deploy/systemd/pix-livret-worker.service's TimeoutStopSec, compose's stop_grace_period
STUDENTS = 4

START = """
import json, sys
from prefect.deployments import run_deployment
run = run_deployment(sys.argv[1], parameters=json.loads(sys.argv[2]), job_variables=json.loads(sys.argv[3]),
                     timeout=0)
print(run.id)
"""


@pytest.fixture
def production(tmp_path):
    server = Production(tmp_path)
    try:
        yield server
    finally:
        server.stop()


def test_a_worker_stopped_mid_load_leaves_its_run_crashed_in_french_and_the_establishment_unloaded(
        production, tmp_path):
    """The worker as deploy/ starts it (`pix-livret worker`), stopped as systemd (KillMode=mixed) and Docker (init
    forwards the signal) stop it: SIGTERM to that process."""
    worker = production.worker
    academie = make_sample_academie(tmp_path / "inbox", establishments=3, classes=2, students_per_class=STUDENTS)
    pause = tmp_path / "paused"
    env = {"PYTHONPATH": str(HOOK), "PIX_LIVRET_PAUSE_AT": "save_certifications:2", "PIX_LIVRET_PAUSE_FILE": str(pause)}
    started = subprocess.run([sys.executable, "-c", START, "nightly-ingest/nightly", json.dumps(
        {"inbox": str(academie.root), "attestations": False, "bilans": False}), json.dumps({"env": env})],
        env=production.client_env, cwd=REPO, capture_output=True, text=True, timeout=120)
    assert started.returncode == 0, started.stderr[-3000:]
    flow_run_id = started.stdout.strip().splitlines()[-1]
    deadline = time.monotonic() + 180
    while not pause.exists():
        assert time.monotonic() < deadline and worker.poll() is None, \
            (tmp_path / "worker.log").read_text(errors="replace")[-4000:]
        time.sleep(0.2)

    worker.send_signal(signal.SIGTERM)
    stopped = time.monotonic()
    state, ended = None, None
    while time.monotonic() - stopped < STOP_TIMEOUT and worker.poll() is None:
        state = production.request(f"/flow_runs/{flow_run_id}")["state"]
        if ended is None and state["type"] not in ("RUNNING", "PENDING"):
            ended = time.monotonic() - stopped
        time.sleep(0.2)
    seconds = time.monotonic() - stopped
    state = production.request(f"/flow_runs/{flow_run_id}")["state"]
    print(f"flow run {state['type']} after {ended} s, worker exit {worker.poll()} after {seconds:.1f} s")
    log = (tmp_path / "worker.log").read_text(errors="replace")

    assert worker.poll() is not None, f"worker still running {STOP_TIMEOUT} s after SIGTERM:\n{log[-4000:]}"
    assert state["type"] == "CRASHED", (state, log[-4000:])
    assert state["message"].startswith("Exécution interrompue (SIGTERM)"), state
    # the run's Logs tab ends with why, in French, and no traceback: the interruption is an expected error
    logs = production.log_lines(flow_run_id, state["message"])
    assert logs[-1] == state["message"], logs[-3:]
    assert "Exécution interrompue (SIGTERM) : 1 établissement(s) enregistré(s)" in logs[-1]
    assert not [line for line in logs if "Traceback" in line or "unexpected exception" in line], logs
    engine = make_engine(production.database)
    with engine.connect() as connection:
        [history] = connection.execute(select(PipelineRun.__table__)
                                       .where(PipelineRun.flow_run_id == flow_run_id)).all()
        loaded = dict(connection.execute(select(Certification.uai, func.count()).group_by(Certification.uai)).all())
        files = {uai for uai, in connection.execute(select(SourceFile.uai))}
    engine.dispose()
    # the first establishment committed before the stop, the one in progress rolled back whole
    assert list(loaded.values()) == [2 * STUDENTS] and files == set(loaded), loaded
    assert history.status == "interrupted" and history.counts["rows_loaded"] == 2 * STUDENTS, history
