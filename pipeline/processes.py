"""Which process runs a pipeline run, and whether it is still there: how a killed run is told from a long one.

A run records a token "host:pid:start"; the start (clock ticks after boot, from /proc) tells a reused pid from
the process that opened the run. A run of another machine cannot be checked from here: only its age can.
"""
from __future__ import annotations

import os
import socket
from pathlib import Path


def this_process() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{_start_of(os.getpid()) or ''}"


def is_gone(token: str | None) -> bool:
    """True when TOKEN names a process of this machine that has ended (or whose pid another process now has)."""
    if not token:
        return False
    host, _, rest = token.partition(":")
    pid, _, start = rest.partition(":")
    if host != socket.gethostname() or not pid.isdigit():
        return False
    if not _exists(int(pid)):
        return True
    return bool(start) and _start_of(int(pid)) != start


def _exists(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process: it exists
        return True
    return True


def is_alive(pid: int) -> bool:
    """True while PID runs: a zombie has ended, only its parent has not read its status yet."""
    fields = _stat_fields(pid)
    return fields is not None and fields[0] != "Z"


def live_processes() -> list[tuple[int, int, int]]:
    """(pid, parent pid, process group) of every live (not zombie) process of this machine."""
    found = []
    for entry in Path("/proc").glob("[0-9]*"):
        fields = _stat_fields(int(entry.name))
        if fields is not None and fields[0] != "Z":
            found.append((int(entry.name), int(fields[1]), int(fields[2])))
    return found


def _start_of(pid: int) -> str | None:
    fields = _stat_fields(pid)
    return fields[19] if fields is not None and len(fields) > 19 else None


def _stat_fields(pid: int) -> list[str] | None:
    """The fields of /proc/PID/stat from the state on (state, ppid, pgrp, …), or None when PID is gone."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    # the command name (field 2) may hold spaces and parentheses: fields are counted after its last ")"
    return stat[stat.rfind(")") + 2:].split()
