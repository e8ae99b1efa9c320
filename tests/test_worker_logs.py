"""What a run that ends Failed by design leaves in its Logs tab on a real worker: its French
reason as the last line, and no traceback: neither Prefect's « Engine execution exited with unexpected exception »
nor the flow's own « Encountered exception during execution ».

The server, pool, deployments and worker of tests/test_production_path.py, started the same way (~1 min).
"""
from __future__ import annotations

# the server, pool, deployments and worker of the production path, one per module, and its sample school
from tests.test_production_path import production, school  # noqa: F401 - pytest fixtures

TRACEBACKS = ("Traceback", "unexpected exception")


def test_a_quarantine_night_ends_its_logs_with_its_reason_and_no_traceback(production, school):
    run = production.run("nightly-ingest/nightly", {"inbox": str(school.inbox), "roster": str(school.roster_path),
                                                     "attestations": False})

    assert (run["type"], run["message"][:12]) == ("FAILED", "Quarantaine "), run
    logs = production.log_lines(run["id"], run["message"])
    assert logs[-1] == run["message"], logs[-3:]
    assert not [line for line in logs if any(word in line for word in TRACEBACKS)], logs


def test_an_export_of_a_year_without_data_logs_its_french_message_alone(production, school):
    production.run("nightly-ingest/nightly", {"inbox": str(school.inbox), "roster": str(school.roster_path),
                                              "attestations": False})

    run = production.run("livret-export/export-lsu", {"school_year": "2019-2020"})

    assert run["type"] == "FAILED", run
    reason = "Aucune certification Pix de l'établissement 0861234Z pour l'année scolaire 2019-2020 : rien à exporter."
    logs = production.log_lines(run["id"], reason)
    assert logs[-1] == reason, logs[-3:]
    assert not [line for line in logs if any(word in line for word in TRACEBACKS)], logs
    # the task that raised says it too, as the message alone
    assert logs.count(reason) >= 2, logs
