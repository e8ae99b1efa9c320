"""Prefect's temporary server, tied to the life of the command that starts it.

Without PREFECT_API_URL, Prefect starts a uvicorn server in a child process and stops it at exit. A command
killed (SIGKILL, the machine's OOM killer) has no exit: the server would stay listening, re-parented to PID 1. We
start that same server ourselves, with a watchdog beside it, in a session of its own, that stops the server as
soon as the command is gone.

We start it before importing Prefect, not through Prefect: its boot (~2.7 s) then overlaps this process's import
of Prefect (~0.8 s) instead of following the import of Prefect's server application (~1.4 s), which this process
then never imports. Prefect is then told where the server is, as if PREFECT_API_URL had been set.

The command line and environment are those of Prefect's own temporary server (`SubprocessASGIServer` in
prefect.server.api.server, which has no public entry point); tests/test_temporary_server.py compares them with the
installed Prefect's and fails when an upgrade changes them. The server is a Prefect process of the same
PREFECT_HOME and environment: it reads the active profile's settings (its database, say) itself.
"""
from __future__ import annotations

import atexit
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

# The watchdog: no import beyond the standard library's, ~20 ms to start; it polls twice a second.
WATCHDOG = """
import os, signal, sys, time
command, server = int(sys.argv[1]), int(sys.argv[2])
def alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
while alive(server) and os.getppid() == command:
    time.sleep(0.5)
if alive(server):  # the command died without stopping its server
    os.kill(server, signal.SIGTERM)
    for _ in range(50):
        time.sleep(0.1)
        if not alive(server):
            break
    else:
        os.kill(server, signal.SIGKILL)
"""
WATCHDOG_MARK = "pix-livret-watchdog"  # in the watchdog's command line, to find it
_DIRECT = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def start_tied_temporary_server() -> int | None:
    """Starts Prefect's temporary server and its watchdog, unless a server is configured; returns the server's pid."""
    if os.environ.get("PREFECT_API_URL"):
        return None
    server, url = _start_server()  # before Prefect's import, which then runs while the server boots
    watch_over(server.pid)  # at once: this command may be killed during the import
    atexit.register(_stop, server)
    from prefect.settings import PREFECT_API_URL

    if PREFECT_API_URL.value():  # a Prefect profile names a server: that one, as Prefect would
        _stop(server)
        return None
    _wait_until_up(server, url)
    from prefect.context import refresh_global_settings_context

    os.environ["PREFECT_API_URL"] = url  # this command's runs, and the processes it starts, report there
    refresh_global_settings_context()
    return server.pid


# what Prefect's temporary server is given beyond the environment (SubprocessASGIServer._run_uvicorn_command)
SERVER_ENVIRONMENT = {"PREFECT_UI_ENABLED": "0", "PREFECT__SERVER_EPHEMERAL": "1", "PREFECT__SERVER_FINAL": "1"}


def server_command(port: int) -> list[str]:
    """The command line of Prefect's temporary server on PORT: uvicorn on the loopback, Prefect's API app."""
    import importlib.util

    prefect_folder = Path(importlib.util.find_spec("prefect").origin).parent
    return [sys.executable, "-m", "uvicorn", "--app-dir", str(prefect_folder.parent), "--factory",
            "prefect.server.api.server:create_app", "--host", "127.0.0.1", "--port", str(port), "--log-level",
            "error", "--lifespan", "on"]


def _start_server() -> tuple[subprocess.Popen, str]:
    port = free_port()
    server = subprocess.Popen(server_command(port), env=os.environ | SERVER_ENVIRONMENT)
    return server, f"http://127.0.0.1:{port}/api"


def _wait_until_up(server: subprocess.Popen, url: str, timeout: float = 90) -> None:
    # asked every 50 ms: the command waits for this server before its first run
    if wait_until_healthy(server, url, timeout, every=0.05):
        return
    if server.poll() is not None:
        raise RuntimeError(f"Le serveur Prefect temporaire s'est arrêté au démarrage (code {server.returncode}).")
    _stop(server)
    raise RuntimeError(f"Le serveur Prefect temporaire n'a pas répondu en {timeout:.0f} s.")


def wait_until_healthy(server: subprocess.Popen, url: str, timeout: float, every: float) -> bool:
    """True once the Prefect API at URL (…/api) answers its /health, asked every EVERY seconds; False when SERVER,
    the process serving it, has exited, or after TIMEOUT seconds (the caller says which, and what to do)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:  # straight to the loopback, whatever proxy the environment names
            with _DIRECT.open(f"{url}/health", timeout=2) as response:
                if response.status == 200:
                    return True
        except OSError:
            pass
        if server.poll() is not None:
            return False
        time.sleep(every)
    return False


def _stop(server: subprocess.Popen) -> None:
    if server.poll() is None:
        server.terminate()
        try:
            server.wait(timeout=5)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


def free_port() -> int:
    """A loopback port nobody listens on (for a server to start, or a database out of reach)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def watch_over(server_pid: int) -> None:
    """Starts the watchdog that stops SERVER_PID once this process is gone (killed included)."""
    subprocess.Popen([sys.executable, "-c", WATCHDOG, str(os.getpid()), str(server_pid), WATCHDOG_MARK],
                     stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                     start_new_session=True)  # a Ctrl-C to the command's group must not stop the watchdog first
