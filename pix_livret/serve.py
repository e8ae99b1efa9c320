"""`pix-livret serve`: the simplest production, for one school and no Prefect server of its own.

One long-running process: a Prefect server on the loopback (its UI at http://127.0.0.1:PORT), started as a
child and stopped with us, unless PREFECT_API_URL names one already; and the deployments of deploy/prefect.yaml
(the one statement of their parameters and schedule) that one school needs, served from this process by a Prefect
runner, the nightly schedule included. It replaces server + pool + worker. Prefect's temporary server would not do:
it runs no scheduler (prefect.server.services: only services marked run_in_ephemeral run there).

The server it starts has API authentication on, as production's (design.md): PREFECT_SERVER_API_AUTH_STRING when
set, else a user:password made on the first start and kept in a file of mode 0600 in pix-livret's data folder
(beside the SQLite database, or the archive folder with PostgreSQL), the same on every start.
"""
from __future__ import annotations

import asyncio
import importlib
import os
import secrets
import stat
import subprocess
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import yaml

from pix_livret.temporary_server import wait_until_healthy, watch_over
from transforms.private_files import write_private_file
from transforms.worded import WordedError

if TYPE_CHECKING:
    from pipeline.settings import Settings


class ServerNotStarted(WordedError):
    """The Prefect server `serve` starts did not come up: said in French, nothing served."""


STARTUP_SECONDS = 120  # a first start migrates Prefect's database: tens of seconds on a slow disk
DEPLOYMENTS_FILE = Path(__file__).resolve().parent.parent / "deploy" / "prefect.yaml"
# the académie's per-establishment runs (fan_out): one school never starts them, and no worker would pick them up
NOT_SERVED = {"nightly-establishment"}
AUTH_FILE = "prefect-api-auth"
AUTH_USER = "admin"


def serve(port: int = 4200, *, settings: Settings, database_url: str | None = None) -> None:
    """Serves the deployments until stopped (Ctrl-C or SIGTERM); starts a server on PORT first when none is set.
    DATABASE_URL (the --db option; None: the environment's) is the database of every flow run served; SETTINGS
    (the command's) say where the API password is kept."""
    if database_url:
        # each flow run is a child process that builds its settings from its environment, which it inherits
        os.environ["PIX_LIVRET_DB_URL"] = database_url
    server = None
    if not os.environ.get("PREFECT_API_URL"):
        auth, kept_in = api_auth(settings)
        # the server demands it; this process and its flow runs (children, same environment) present it
        os.environ["PREFECT_SERVER_API_AUTH_STRING"] = os.environ["PREFECT_API_AUTH_STRING"] = auth
        server = _start_server(port)
        print(_where_the_password_is(kept_in), flush=True)
    # the runner's flow run processes load each flow by its entrypoint, relative to the code folder
    os.chdir(DEPLOYMENTS_FILE.parent.parent)
    try:
        deployments = served_deployments()
        print(_schedules(deployments), flush=True)
        _run(deployments)
    finally:
        if server is not None:
            _send_pending_logs()
            server.terminate()
            server.wait(timeout=30)


def _send_pending_logs() -> None:
    """The last log lines of the runs this process stopped, sent while their server still answers: sent at exit,
    after it, they ended the output with Prefect's « --- Error logging to API --- All connection attempts failed »."""
    from prefect.logging.handlers import APILogHandler

    APILogHandler().flush()


def served_deployments() -> list:
    """deploy/prefect.yaml's deployments as this process serves them: same names, parameters and schedules (with
    their time zone, Europe/Paris), the académie's per-establishment one left out."""
    from prefect.client.schemas.schedules import CronSchedule

    declared = yaml.safe_load(DEPLOYMENTS_FILE.read_text(encoding="utf-8"))["deployments"]
    deployments = []
    for entry in declared:
        if entry["name"] in NOT_SERVED:
            continue
        path, name = entry["entrypoint"].split(":")
        flow = getattr(importlib.import_module(path.removesuffix(".py").replace("/", ".")), name)
        schedules = [CronSchedule(cron=s["cron"], timezone=s.get("timezone")) for s in entry.get("schedules", [])]
        deployments.append(flow.to_deployment(name=entry["name"], description=entry.get("description"),
                                              parameters=entry.get("parameters") or {}, schedules=schedules or None))
    return deployments


def api_auth(settings: Settings) -> tuple[str, Path | None]:
    """The server's user:password and the file that keeps it: PREFECT_SERVER_API_AUTH_STRING (no file) when set, else
    the one kept in the data folder, made there on the first start."""
    given = os.environ.get("PREFECT_SERVER_API_AUTH_STRING")
    if given:
        return given, None
    path = data_folder(settings) / AUTH_FILE
    kept = kept_auth(settings)
    if kept:
        if stat.S_IMODE(path.stat().st_mode) & 0o077:  # copied or restored with looser rights: tightened
            path.chmod(0o600)
        return kept, path
    auth = f"{AUTH_USER}:{secrets.token_urlsafe(24)}"
    write_private_file(path, f"{auth}\n".encode(), durable=True, mode=0o600)
    return auth, path


def kept_auth(settings: Settings) -> str | None:
    """The user:password an earlier `serve` made and kept in the data folder, if any."""
    path = data_folder(settings) / AUTH_FILE
    return path.read_text(encoding="utf-8").strip() or None if path.exists() else None


def data_folder(settings: Settings) -> Path:
    """pix-livret's own folder: the SQLite database's, else (PostgreSQL) the archive of input files."""
    from store.database import sqlite_file

    database = sqlite_file(settings.database_url)
    return database.resolve().parent if database else Path(settings.archive_dir).resolve()


def _where_the_password_is(kept_in: Path | None) -> str:
    if kept_in is None:
        return "Mot de passe de l'API et de l'interface : celui de PREFECT_SERVER_API_AUTH_STRING."
    return (f"Mot de passe de l'API et de l'interface (utilisateur:mot de passe, à coller quand l'interface le "
            f"demande ; PREFECT_API_AUTH_STRING des commandes qui s'adressent à ce serveur) : dans {kept_in}.")


def _schedules(deployments: list) -> str:
    planned = [f"{d.name} « {s.schedule.cron} » ({s.schedule.timezone or 'fuseau de la machine'})"
               for d in deployments for s in d.schedules or []]
    return f"Déploiements servis : {', '.join(d.name for d in deployments)} ; programmés : {', '.join(planned)}."


def _run(deployments: list) -> None:
    """Runs the deployments until SIGTERM or Ctrl-C, which stop the runner the same way: its loops cancelled, the
    runs in progress cancelled (« Runner is shutting down. »), its clients closed; schedules stay on (paused, a
    restart would find them off)."""
    from prefect.runner import Runner

    class StoppedBySigterm(Runner):
        def handle_sigterm(self, *_) -> None:
            # Prefect's own calls the synchronous stop() from inside the running loop, where it only makes the
            # coroutine astop() (never awaited: a RuntimeWarning), then sys.exit() unwinds from wherever the loop
            # was. Here the loop is asked to run astop(), and woken to do it at once: a plain create_task() would
            # wait in select() for the loop's next timer (the poller's, up to 10 s away).
            self._logger.info("SIGTERM reçu : arrêt.")
            self._stopping = asyncio.run_coroutine_threadsafe(self.astop(), asyncio.get_running_loop())

    runner = StoppedBySigterm(pause_on_shutdown=False)
    for deployment in deployments:
        runner.add_deployment(deployment)
    try:
        asyncio.run(runner.start())
    except KeyboardInterrupt:  # Ctrl-C: asyncio.run has cancelled the runner's task, which closed it
        pass


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
