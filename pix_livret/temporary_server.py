"""Prefect's temporary server, tied to the life of the command that starts it.

Without PREFECT_API_URL, Prefect starts a uvicorn server in a child process and stops it at exit. A command
killed (SIGKILL, the machine's OOM killer) has no exit: the server stayed listening, re-parented to PID 1. We
start that same server first (Prefect then uses it: one instance per process), and a watchdog beside it, in
a session of its own, that stops the server as soon as the command is gone.
"""
from __future__ import annotations

import os
import subprocess
import sys

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


def start_tied_temporary_server() -> int | None:
    """Starts Prefect's temporary server and its watchdog, unless a server is configured; returns the server's pid."""
    from prefect.settings import PREFECT_API_URL

    if PREFECT_API_URL.value():
        return None
    # imported only now: the server's module brings its web application and database models (~2 s a command)
    from prefect.server.api.server import SubprocessASGIServer

    server = SubprocessASGIServer()
    server.start()
    watch_over(server.server_process.pid)
    return server.server_process.pid


def watch_over(server_pid: int) -> None:
    """Starts the watchdog that stops SERVER_PID once this process is gone (killed included)."""
    subprocess.Popen([sys.executable, "-c", WATCHDOG, str(os.getpid()), str(server_pid), WATCHDOG_MARK],
                     stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                     start_new_session=True)  # a Ctrl-C to the command's group must not stop the watchdog first
