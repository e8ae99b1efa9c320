"""`pix-livret worker`: Prefect's worker, stopped so that the flow runs it started end in a final state.

Stopped (SIGTERM from systemd or Docker, Ctrl-C), `prefect worker start` cancels its flow runs' processes with SIGKILL
(Prefect 3.8.8: anyio's Process.aclose on cancellation, measured 70 ms after the signal): the flow run stays Running
in Prefect forever and its row « en cours ». This command runs that worker as its child and, when stopped, first sends
SIGTERM to the flow runs the worker started — each rolls back the establishment in progress, closes its run
« interrompue » and ends Crashed with a French message (flows/interruptions.py) — waits for them up to
STOP_GRACE_SECONDS, then stops the worker as Prefect does (SIGTERM: it takes no more runs and exits).
"""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

from pipeline.processes import is_alive, live_processes

STOP_GRACE_SECONDS = 60  # for the flow runs to record their end; deploy/ gives the whole stop more (TimeoutStopSec)
WORKER_STOP_SECONDS = 60  # an idle worker was seen taking 30-60 s to exit after its SIGTERM


def run_worker(arguments: list[str], say=print) -> int:
    """`prefect worker start ARGUMENTS` until it exits or this process is told to stop; the worker's exit status."""
    stopping: list[int] = []
    for number in (signal.SIGTERM, signal.SIGINT):
        signal.signal(number, lambda received, _frame: stopping.append(received))
    # a session of its own: a Ctrl-C in the terminal reaches this process, which orders the stop, not the worker
    worker = subprocess.Popen([sys.executable, "-m", "prefect", "worker", "start", *arguments], start_new_session=True)
    while worker.poll() is None and not stopping:
        time.sleep(0.2)
    if worker.poll() is not None:
        return worker.returncode
    runs = _children(worker.pid)
    say(f"Arrêt du worker ({signal.Signals(stopping[0]).name}) : {len(runs)} exécution(s) en cours interrompue(s) "
        "proprement d'abord (l'établissement en cours n'est pas chargé, l'exécution est marquée « interrompue »).")
    _stop(runs, STOP_GRACE_SECONDS)
    _stop([worker.pid], WORKER_STOP_SECONDS)
    return worker.wait()


def _stop(pids: list[int], seconds: float) -> None:
    """SIGTERM to each of PIDS, then up to SECONDS for them to end; SIGKILL to those still there."""
    for pid in pids:
        _signal(pid, signal.SIGTERM)
    deadline = time.monotonic() + seconds
    while any(is_alive(pid) for pid in pids) and time.monotonic() < deadline:
        time.sleep(0.2)
    for pid in [pid for pid in pids if is_alive(pid)]:
        _signal(pid, signal.SIGKILL)


def _children(pid: int) -> list[int]:
    """The processes whose parent is PID: the flow runs a process worker started."""
    return [child for child, parent, _group in live_processes() if parent == pid]


def _signal(pid: int, number: int) -> None:
    try:
        os.kill(pid, number)
    except ProcessLookupError:
        pass
