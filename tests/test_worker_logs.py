"""What a run that ends Failed by design leaves in its Logs tab on a real worker (issue 19, item 3): its French
reason as the last line, and no traceback: neither Prefect's « Engine execution exited with unexpected exception »
nor the flow's own « Encountered exception during execution ».

The server, pool, deployments and worker of tests/test_production_path.py, started the same way (~1 min).
"""
from __future__ import annotations

import time

import pytest

from pix_livret.sample_data import make_sample_establishment
from tests.test_production_path import Production

FLUSH_SECONDS = 30  # a flow-run process sends its last log lines as it exits, after its final state


@pytest.fixture(scope="module")
def production(tmp_path_factory):
    server = Production(tmp_path_factory.mktemp("worker-logs"))
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="module")
def school(tmp_path_factory):
    return make_sample_establishment(tmp_path_factory.mktemp("school") / "inbox")


def log_lines(production: Production, flow_run_id: str, last: str) -> list[str]:
    """The run's log messages in the order they were written, once the line LAST has arrived (or the deadline)."""
    deadline = time.monotonic() + FLUSH_SECONDS
    while True:
        found = production.request("/logs/filter", {"logs": {"flow_run_id": {"any_": [flow_run_id]}},
                                                    "sort": "TIMESTAMP_ASC", "limit": 200})
        messages = [entry["message"] for entry in found]
        if last in messages or time.monotonic() > deadline:
            return messages
        time.sleep(0.5)


def test_a_quarantine_night_ends_its_logs_with_its_reason_and_no_traceback(production, school):
    run = production.run("nightly-ingest/nightly", {"inbox": str(school.inbox), "roster": str(school.roster_path),
                                                     "attestations": False})

    assert (run["type"], run["message"][:12]) == ("FAILED", "Quarantaine "), run
    logs = log_lines(production, run["id"], run["message"])
    assert logs[-1] == run["message"], logs[-3:]
    assert not [line for line in logs if "Traceback" in line or "unexpected exception" in line], logs


def test_an_export_of_a_year_without_data_logs_its_french_message_alone(production, school):
    production.run("nightly-ingest/nightly", {"inbox": str(school.inbox), "roster": str(school.roster_path),
                                              "attestations": False})

    run = production.run("livret-export/export-lsu", {"school_year": "2019-2020"})

    assert run["type"] == "FAILED", run
    reason = "Aucune certification Pix de l'établissement 0861234Z pour l'année scolaire 2019-2020 : rien à exporter."
    logs = log_lines(production, run["id"], reason)
    assert logs[-1] == reason, logs[-3:]
    assert not [line for line in logs if "Traceback" in line or "unexpected exception" in line], logs
    # the task that raised says it too, as the message alone
    assert logs.count(reason) >= 2, logs
