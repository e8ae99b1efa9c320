"""`pix-livret serve`: the simplest production, for one school and no Prefect server of its own.

One long-running process: a Prefect server on the loopback (its UI at http://127.0.0.1:PORT), started as a
child and stopped with us, unless PREFECT_API_URL names one already; and the three deployments of
deploy/prefect.yaml (the one statement of their parameters and schedule) served from this process with
prefect.serve, the nightly schedule included. It replaces server + pool + worker. Prefect's temporary server
would not do: it runs no scheduler (prefect.server.services: only services marked run_in_ephemeral run there).
"""
from __future__ import annotations

import importlib
import os
import subprocess
import sys
from pathlib import Path

import yaml

from pix_livret.temporary_server import wait_until_healthy, watch_over
from transforms.worded import WordedError

class ServerNotStarted(WordedError):
    """The Prefect server `serve` starts did not come up: said in French, nothing served."""


STARTUP_SECONDS = 120  # a first start migrates Prefect's database: tens of seconds on a slow disk
DEPLOYMENTS_FILE = Path(__file__).resolve().parent.parent / "deploy" / "prefect.yaml"


def serve(port: int = 4200, *, database_url: str | None = None) -> None:
    """Serves the deployments until stopped (Ctrl-C or SIGTERM); starts a server on PORT first when none is set.
    DATABASE_URL (the --db option; None: the environment's) is the database of every flow run served."""
    if database_url:
        # each flow run is a child process that builds its settings from its environment, which it inherits
        os.environ["PIX_LIVRET_DB_URL"] = database_url
    server = None if os.environ.get("PREFECT_API_URL") else _start_server(port)
    # the runner's flow run processes load each flow by its entrypoint, relative to the code folder
    os.chdir(DEPLOYMENTS_FILE.parent.parent)
    try:
        from prefect import serve as serve_deployments

        # on SIGTERM or Ctrl-C the runner exits; schedules stay on (paused, a restart would find them off)
        serve_deployments(*served_deployments(), print_starting_message=False, pause_on_shutdown=False)
    finally:
        if server is not None:
            server.terminate()
            server.wait(timeout=30)


def served_deployments() -> list:
    """deploy/prefect.yaml's deployments as this process serves them: same names, parameters and schedules."""
    from prefect.client.schemas.schedules import CronSchedule

    declared = yaml.safe_load(DEPLOYMENTS_FILE.read_text(encoding="utf-8"))["deployments"]
    deployments = []
    for entry in declared:
        path, name = entry["entrypoint"].split(":")
        flow = getattr(importlib.import_module(path.removesuffix(".py").replace("/", ".")), name)
        schedules = [CronSchedule(cron=s["cron"], timezone=s.get("timezone")) for s in entry.get("schedules", [])]
        deployments.append(flow.to_deployment(name=entry["name"], description=entry.get("description"),
                                              parameters=entry.get("parameters") or {}, schedules=schedules or None))
    return deployments


def _start_server(port: int) -> subprocess.Popen:
    url = f"http://127.0.0.1:{port}/api"
    environment = os.environ | {"PREFECT_UI_API_URL": url, "PREFECT_SERVER_ANALYTICS_ENABLED": "false"}
    server = subprocess.Popen([str(Path(sys.executable).parent / "prefect"), "server", "start", "--host", "127.0.0.1",
                               "--port", str(port)], env=environment, stdout=subprocess.DEVNULL)
    watch_over(server.pid)  # the server must not outlive us, even killed
    if not wait_until_healthy(server, url, timeout=STARTUP_SECONDS, every=0.5):
        if server.poll() is not None:
            raise ServerNotStarted(f"Le serveur Prefect n'a pas démarré (port {port} déjà pris ?)")
        # serving deployments to a server that does not answer would only fail later, less clearly
        server.terminate()
        raise ServerNotStarted(f"Le serveur Prefect n'a pas répondu en {STARTUP_SECONDS} s : arrêté.")
    os.environ["PREFECT_API_URL"] = url  # before prefect reads its settings: this process's flows report there
    print(f"Serveur Prefect : http://127.0.0.1:{port} (interface) ; Ctrl-C pour arrêter.", flush=True)
    return server
