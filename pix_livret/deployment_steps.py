"""The pull step of the deployments: where the worker finds pix-livret's code, said plainly when it is wrong.

Prefect's own set_working_directory fails on a missing folder with a bare FileNotFoundError, and a pull step's
error reaches only the worker's terminal: the UI says "Process exited with status code: 1". This step writes a
French message that names the folder and what to set into the run's logs and its state, then fails.
"""
from __future__ import annotations

import logging
import os
from datetime import datetime, timezone
from pathlib import Path

MARKER = Path("flows") / "nightly_ingest.py"  # what a pix-livret checkout holds


class CodeFolderError(RuntimeError):
    """The deployment's code folder is missing or is not pix-livret."""


def enter_code_folder(directory: str | None = None) -> dict[str, str]:
    """Makes DIRECTORY (PIX_LIVRET_HOME on the worker, or the folder given at `prefect deploy`) the working folder."""
    if not directory or directory.startswith("{{"):
        _fail("Dossier du code de pix-livret inconnu : définissez PIX_LIVRET_HOME (le dossier où pix-livret est "
              "installé) dans l'environnement du worker, puis relancez l'exécution.")
    folder = Path(directory).expanduser()
    if not (folder / MARKER).is_file():
        _fail(f"Le code de pix-livret est introuvable dans {folder} (pas de {MARKER}) : corrigez PIX_LIVRET_HOME "
              "dans l'environnement du worker (ou le dossier donné au déploiement), puis relancez l'exécution.")
    os.chdir(folder)
    return {"directory": str(folder)}


def _fail(message: str) -> None:
    """MESSAGE in the flow run's logs and as its Failed state's message (what the UI shows), then the error."""
    flow_run_id = os.environ.get("PREFECT__FLOW_RUN_ID")
    if flow_run_id:
        from prefect.client.orchestration import get_client
        from prefect.client.schemas.actions import LogCreate
        from prefect.states import Failed

        try:
            with get_client(sync_client=True) as client:
                client.create_logs([LogCreate(name="pix-livret", level=logging.ERROR, message=message,
                                              timestamp=datetime.now(timezone.utc), flow_run_id=flow_run_id)])
                client.set_flow_run_state(flow_run_id, Failed(message=message), force=True)
        except Exception:  # noqa: BLE001 - the API out of reach: the worker's terminal still gets the error
            pass
    raise CodeFolderError(message)
