"""The French words an operator reads for the pipeline's statuses: the command line, the Prefect artifacts and the
state messages all take them from here, so that a file « partiel » in the terminal is « partiel » in the UI.

The JSON report and the database keep the English values (`loaded`, `partial`, …): other tools read them.
"""
from __future__ import annotations

# a class file's outcome (transforms/report.FileStatus)
FILE_STATUS_LABELS = {"loaded": "chargé", "partial": "partiel", "quarantined": "quarantaine", "unchanged": "inchangé"}
# a run's row of the history (pipeline_runs.status); an exécution, hence the feminine
RUN_STATUS_LABELS = {"running": "en cours", "completed": "réussie", "quarantined": "quarantaine", "failed": "échec",
                     "interrupted": "interrompue"}
# Prefect's state types, for a flow run that ended in none of the pipeline's own statuses (crashed, cancelled…)
PREFECT_STATE_LABELS = {"COMPLETED": "réussie", "FAILED": "échec", "CRASHED": "plantée", "CANCELLED": "annulée",
                        "CANCELLING": "en cours d'annulation", "PENDING": "en attente", "SCHEDULED": "programmée",
                        "RUNNING": "en cours", "PAUSED": "en pause", "UNKNOWN": "état inconnu"}
# pipeline_runs.kind
RUN_KIND_LABELS = {"ingest": "import", "ingest-academie": "import académie", "export-lsu": "export LSU",
                   "export-lsl": "export LSL", "attestations": "attestations", "acknowledge": "acquittement",
                   "purge": "purge", "forget": "effacement"}


def file_status_label(status: str) -> str:
    return FILE_STATUS_LABELS.get(status, status)


def run_status_label(status: str) -> str:
    return RUN_STATUS_LABELS.get(status, status)


def prefect_state_label(state: str) -> str:
    return PREFECT_STATE_LABELS.get(state.upper(), state.lower())


def run_kind_label(kind: str) -> str:
    return RUN_KIND_LABELS.get(kind, kind)


UAIS_SAID = 10  # UAIs a state message names; the table beside it has them all


def said_uais(uais: list[str]) -> str:
    """UAIS as a state message names them: the first UAIS_SAID, then how many more (« … et 3 autre(s) »)."""
    more = f" et {len(uais) - UAIS_SAID} autre(s)" if len(uais) > UAIS_SAID else ""
    return f"{', '.join(uais[:UAIS_SAID])}{more}"
