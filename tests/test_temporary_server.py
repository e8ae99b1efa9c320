"""Prefect's temporary server dies with the command that started it, even when that command is killed."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from pix_livret.demo.sample_data import make_sample_academie
from pix_livret.temporary_server import WATCHDOG_MARK

PIX_LIVRET = str(Path(sys.executable).parent / "pix-livret")


def children_of(pid: int) -> dict[int, str]:
    """pid -> command line of PID's children, from /proc."""
    found = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        if int(stat[stat.rfind(")") + 2:].split()[1]) == pid:
            found[int(entry.name)] = cmdline
    return found


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:  # a zombie has not been reaped yet by its new parent: it is gone all the same
        return (Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]) != "Z"
    except OSError:
        return False


def test_killing_the_command_stops_its_temporary_server(tmp_path):
    inbox = make_sample_academie(tmp_path / "inbox", establishments=2, classes=2, students_per_class=5).root
    env = {k: v for k, v in os.environ.items() if k != "PREFECT_API_URL"} | {
        "PIX_LIVRET_DB_URL": f"sqlite:///{tmp_path / 'pix.sqlite'}", "PREFECT_HOME": str(tmp_path / "prefect"),
        "PIX_LIVRET_ARCHIVE_DIR": str(tmp_path / "archive"), "PIX_LIVRET_OUT_DIR": str(tmp_path / "out")}
    command = subprocess.Popen([PIX_LIVRET, "ingest", str(inbox)], env=env, stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL)
    try:
        deadline, server, watchdog = time.monotonic() + 90, None, None
        while time.monotonic() < deadline and not (server and watchdog) and command.poll() is None:
            children = children_of(command.pid)
            server = next((pid for pid, line in children.items() if "uvicorn" in line), None)
            watchdog = next((pid for pid, line in children.items() if WATCHDOG_MARK in line), None)
            time.sleep(0.05)
        assert server and watchdog, "the command ended before its server and watchdog were seen"

        command.send_signal(signal.SIGKILL)
        command.wait()
        deadline = time.monotonic() + 10
        while alive(server) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not alive(server), "the temporary server outlived the command killed"
    finally:
        command.kill()


def test_a_server_named_by_a_prefect_profile_is_the_one_used_and_none_is_left_running(tmp_path):
    home = tmp_path / "prefect"
    home.mkdir()
    # `prefect config set PREFECT_API_URL=…` writes this: the server an établissement already runs
    (home / "profiles.toml").write_text('active = "ecole"\n\n[profiles.ecole]\n'
                                        'PREFECT_API_URL = "http://127.0.0.1:9/api"\n')
    env = {k: v for k, v in os.environ.items() if k != "PREFECT_API_URL"} | {"PREFECT_HOME": str(home)}
    probe = ("import os\nfrom pix_livret.temporary_server import start_tied_temporary_server\n"
             "print(start_tied_temporary_server(), os.environ.get('PREFECT_API_URL'), os.getpid())\n"
             "import subprocess; print(subprocess.run(['ps', '--ppid', str(os.getpid()), '-o', 'args='], "
             "capture_output=True, text=True).stdout.count('uvicorn'))")
    run = subprocess.run([sys.executable, "-c", probe], env=env, capture_output=True, text=True, timeout=60)

    started, url, _, servers = run.stdout.split()
    assert (started, url) == ("None", "None"), run.stderr  # Prefect goes on reading the profile's server
    assert servers == "0", "the server started ahead of Prefect's import is stopped"


def test_the_server_started_is_the_one_prefect_would_start(monkeypatch):
    """Prefect's own temporary server has no public entry point: the copy is compared with the installed Prefect's,
    so that an upgrade changing its command or its environment fails here rather than in every command."""
    import prefect.server.api.server as prefect_server

    from pix_livret.temporary_server import SERVER_ENVIRONMENT, server_command

    started = {}

    def popen(args, env=None, **_options):
        started.update(args=args, env=env)

    monkeypatch.setattr(prefect_server.subprocess, "Popen", popen)
    server = prefect_server.SubprocessASGIServer.__new__(prefect_server.SubprocessASGIServer)
    server.port = 4321
    server._run_uvicorn_command()

    assert started["args"] == server_command(4321)
    assert {name: started["env"].get(name) for name in SERVER_ENVIRONMENT} == SERVER_ENVIRONMENT


def test_settings_from_a_prefect_profile_reach_the_temporary_server(tmp_path):
    """Started before Prefect is imported, the server still reads the active profile, as Prefect's own does."""
    home = tmp_path / "prefect"
    home.mkdir()
    # a profile giving the server a database of its own, as `prefect config set` writes it
    (home / "profiles.toml").write_text('active = "ecole"\n\n[profiles.ecole]\n'
                                        f'PREFECT_SERVER_DATABASE_CONNECTION_URL = '
                                        f'"sqlite+aiosqlite:///{tmp_path / "profile.db"}"\n')
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_API")} | {
        "PREFECT_HOME": str(home), "PREFECT_SERVER_ANALYTICS_ENABLED": "false"}
    probe = "from pix_livret.temporary_server import start_tied_temporary_server\nprint(start_tied_temporary_server())"
    run = subprocess.run([sys.executable, "-c", probe], env=env, capture_output=True, text=True, timeout=120)

    assert run.returncode == 0, run.stderr
    assert (tmp_path / "profile.db").exists(), "the server did not use the profile's database"
