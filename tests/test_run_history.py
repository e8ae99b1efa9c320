"""The run history never keeps a run "en cours" that no process runs any more: the next run closes it."""
from __future__ import annotations

import os
import subprocess
import sys
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import select

from pipeline.history import recorded_run
from pipeline.processes import is_gone, this_process
from pix_livret.demo.sample_data import make_sample_academie
from schemas.tables import PipelineRun
from store.database import connect, upgrade_to_head
from store.runs import INTERRUPTED, start_run

KILLED_RUN = """
import os, signal, sys
from datetime import datetime, timezone
from store.database import connect
from pipeline.processes import is_gone, this_process
from pix_livret.demo.sample_data import make_sample_academie
from store.runs import start_run
with connect(sys.argv[1]) as connection:
    start_run(connection, "ingest", {}, None, datetime.now(timezone.utc), this_process(), is_gone)
os.kill(os.getpid(), signal.SIGKILL)
"""


def now():
    return datetime.now(timezone.utc)


def statuses(url):
    with connect(url, write=False) as connection:
        return connection.execute(select(PipelineRun.status, PipelineRun.message).order_by(PipelineRun.id)).all()


def test_a_killed_run_is_closed_as_interrupted_when_the_next_one_starts(db_url):
    with connect(db_url) as connection:
        upgrade_to_head(connection)
    killed = subprocess.run([sys.executable, "-c", KILLED_RUN, db_url], cwd=os.getcwd(), capture_output=True)
    assert killed.returncode == -9, killed.stderr.decode()
    assert [s for s, _ in statuses(db_url)] == ["running"]

    with connect(db_url) as connection:
        start_run(connection, "ingest", {}, None, now(), this_process(), is_gone)

    assert statuses(db_url) == [("interrupted", INTERRUPTED.format(establishments=0, rows_loaded=0)),
                                ("running", None)]


KILLED_AFTER_ONE_ESTABLISHMENT = """
import os, signal, sys
from datetime import datetime, timezone
from pathlib import Path
from store.database import connect
from pipeline.ingest import EstablishmentJob, IngestRun, ingest_establishments
from pipeline.processes import is_gone, this_process
from pix_livret.demo.sample_data import make_sample_academie
from transforms.inbox import list_inbox
from store.runs import start_run
url, inbox, archive = sys.argv[1:]
with connect(url) as connection:
    run_id = start_run(connection, "ingest", {}, None, datetime.now(timezone.utc), this_process(), is_gone)
jobs = [EstablishmentJob.of(e) for e in list_inbox(Path(inbox), None, None, None, None).establishments]
ingest_establishments(jobs[:1], IngestRun(url, archive, run_id), workers=1)
os.kill(os.getpid(), signal.SIGKILL)
"""


def test_a_killed_run_is_closed_with_the_establishments_it_had_committed(db_url, tmp_path):
    academie = make_sample_academie(tmp_path / "inbox", establishments=2, classes=2, students_per_class=3)
    with connect(db_url) as connection:
        upgrade_to_head(connection)
    killed = subprocess.run([sys.executable, "-c", KILLED_AFTER_ONE_ESTABLISHMENT, db_url, str(academie.root),
                             str(tmp_path / "archive")], cwd=os.getcwd(), capture_output=True)
    assert killed.returncode == -9, killed.stderr.decode()

    with connect(db_url) as connection:
        start_run(connection, "ingest", {}, None, now(), this_process(), is_gone)

    with connect(db_url, write=False) as connection:
        [(status, counts, message)] = connection.execute(select(PipelineRun.status, PipelineRun.counts,
                                                                PipelineRun.message).where(PipelineRun.id == 1)).all()
    assert status == "interrupted" and counts["establishments"] == 1 and counts["rows_loaded"] == 6, counts
    assert message == INTERRUPTED.format(establishments=1, rows_loaded=6)


def test_a_run_whose_process_still_runs_is_left_alone(db_url):
    with connect(db_url) as connection:
        upgrade_to_head(connection)
        start_run(connection, "ingest", {}, None, now(), this_process(), is_gone)  # this test's own process
        start_run(connection, "attestations", {}, None, now(), this_process(), is_gone)

    assert [s for s, _ in statuses(db_url)] == ["running", "running"]


def test_a_run_of_another_machine_is_closed_only_once_a_day_old(db_url):
    with connect(db_url) as connection:
        upgrade_to_head(connection)
        start_run(connection, "ingest", {}, None, now() - timedelta(hours=25), "autre-serveur:4242:1", is_gone)
        start_run(connection, "ingest", {}, None, now() - timedelta(hours=2), "autre-serveur:4243:1", is_gone)
        start_run(connection, "ingest", {}, None, now(), this_process(), is_gone)

    assert [s for s, _ in statuses(db_url)] == ["interrupted", "running", "running"]


def test_work_stopped_by_a_signal_is_recorded_interrupted_not_failed(db_url):
    with connect(db_url) as connection:
        upgrade_to_head(connection)

    with pytest.raises(KeyboardInterrupt):
        with recorded_run("attestations", {}, database_url=db_url):
            raise KeyboardInterrupt  # Ctrl-C while the attestations are made

    assert statuses(db_url) == [("interrupted", "Exécution interrompue (SIGINT) avant sa fin : relancez-la.")]


def test_work_stopped_by_sigterm_is_recorded_interrupted_with_the_signals_name(db_url):
    class TerminationSignal(BaseException):  # what Prefect raises in a flow run told to stop
        signal = 15

    with connect(db_url) as connection:
        upgrade_to_head(connection)

    with pytest.raises(TerminationSignal):
        with recorded_run("attestations", {}, database_url=db_url):
            raise TerminationSignal()

    assert statuses(db_url) == [("interrupted", "Exécution interrompue (SIGTERM) avant sa fin : relancez-la.")]
