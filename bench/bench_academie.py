"""Benchmark of an académie ingest: the floor, the data path and the whole command, in one run.

Run: .venv/bin/python bench/bench_academie.py [--establishments 110 --classes 30 --students 30]
         [--backends sqlite,postgresql] [--skip-attestations] [--attestation-establishments 2]
     (or `make bench-academie`). Try it small first: --establishments 3 --classes 3 --students 10.

The inbox (one sub-folder per UAI with its SIECLE roster, current Pix export, every row good) is generated once
into /tmp/pix-livret-bench/, keyed by the sizes, with a variant without rosters and one establishment of 6 classes
of 30. Then, per backend, each measure on a fresh database (a SQLite file, or a new schema of the PostgreSQL
`test` database): the floor (pandas read_csv of every file + concat + to_sql), the rosters' floor (read_xml of
every roster + concat + to_sql: the step the floor leaves out), the data path (pipeline.ingest: plan_inbox and
load_inbox, as the flow's tasks call them; also rosterless, without Prefect), the whole `pix-livret ingest --no-attestations --no-bilans` command with Prefect's temporary server and
with a running one (`prefect server start`, once per bench run), the re-run of the unchanged inbox, the export of
one establishment (target: under 3 s), its peak memory, the night with the bilans (load and bilans from the run's
report), the rosterless variant, one establishment's night with attestations, the attestations' throughput, and a
smaller académie's night (10 × 6 × 30) with the default flags, its attestations' pages/s against
bench_attestations.py's measured in the same run.
Prints the machine, the sizes and one table: measure, seconds, ratio to the floor or figure, target.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import traceback
import uuid
from dataclasses import asdict, dataclass
from pathlib import Path

import pandas as pd
from rich.console import Console
from rich.table import Table
from sqlalchemy import create_engine, text

from pix_livret.demo.sample_data import AcademieManifest, make_sample_academie
from pix_livret.temporary_server import free_port, wait_until_healthy

PG_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
CACHE = Path(tempfile.gettempdir()) / "pix-livret-bench"
GENERATOR = "v1"  # bump when make_sample_academie changes what it writes
BIN = Path(sys.executable).parent
PIX_LIVRET, PREFECT = str(BIN / "pix-livret"), str(BIN / "prefect")
GNU_TIME = "/usr/bin/time"
OK_EXITS = (0, 3)  # 3: done, some input quarantined
console = Console(width=None if sys.stdout.isatty() else 150)  # piped: wide enough for the table
log = Console(stderr=True)


@dataclass
class Row:
    measure: str
    seconds: float | None = None
    figure: str = ""
    target: str = ""
    failed: bool = False


@dataclass
class CliRun:
    seconds: float
    code: int
    stdout: str
    stderr: str
    max_rss_kb: int | None  # the largest process of the tree (GNU time %M, i.e. wait4's ru_maxrss)
    tree_rss_kb: int | None  # the sum over the process tree, sampled from /proc

    @property
    def ok(self) -> bool:
        return self.code in OK_EXITS


# ---- inputs, generated once ----

def cached_academie(name: str, **sizes) -> AcademieManifest:
    """The inbox under CACHE/NAME, generated unless a complete one is there (its manifest is written last)."""
    root, manifest_file = CACHE / name / "inbox", CACHE / name / "manifest.json"
    if manifest_file.is_file():
        data = json.loads(manifest_file.read_text())
        return AcademieManifest(**data | {"root": Path(data["root"]), "uais": tuple(data["uais"])})
    shutil.rmtree(CACHE / name, ignore_errors=True)
    started = time.perf_counter()
    manifest = make_sample_academie(root, **sizes)
    log.print(f"generated {name}: {manifest.rows:,} rows in {manifest.files:,} files, "
              f"{time.perf_counter() - started:.1f} s")
    manifest_file.write_text(json.dumps(asdict(manifest) | {"root": str(root)}, ensure_ascii=False))
    return manifest


def class_csvs(manifest: AcademieManifest) -> list[Path]:
    return sorted(manifest.root.glob("*/*.csv"))


# ---- databases ----

class Databases:
    """Fresh databases: SQLite files in WORK, or PostgreSQL schemas dropped at the end."""

    def __init__(self, work: Path, pg_url: str) -> None:
        self.work, self.pg_url, self.schemas = work, pg_url, []

    def fresh(self, backend: str) -> str:
        name = f"bench_{uuid.uuid4().hex[:10]}"
        if backend == "sqlite":
            return f"sqlite:///{self.work / name}.sqlite"
        engine = create_engine(self.pg_url, isolation_level="AUTOCOMMIT")
        with engine.connect() as connection:
            connection.execute(text(f"CREATE SCHEMA {name}"))
        engine.dispose()
        self.schemas.append(name)
        return f"{self.pg_url}{'&' if '?' in self.pg_url else '?'}options=-csearch_path%3D{name}"

    def drop_all(self) -> None:
        if not self.schemas:
            return
        engine = create_engine(self.pg_url, isolation_level="AUTOCOMMIT")
        with engine.connect() as connection:
            for name in self.schemas:
                connection.execute(text(f"DROP SCHEMA IF EXISTS {name} CASCADE"))
        engine.dispose()


def count_certifications(url: str) -> int | None:
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            return connection.execute(text("SELECT count(*) FROM certifications")).scalar_one()
    except Exception:  # noqa: BLE001 - no table: nothing was loaded
        return None
    finally:
        engine.dispose()


# ---- Prefect: a running server, and the CLI's environment ----

def port_open(port: int) -> bool:
    with socket.socket() as s:
        s.settimeout(0.5)
        return s.connect_ex(("127.0.0.1", port)) == 0


def prefect_env(home: Path, api_url: str | None = None, **extra: str) -> dict[str, str]:
    """The environment without any PREFECT_/PIX_LIVRET_ setting of the caller's, offline, in a home of its own."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PREFECT_", "PIX_LIVRET_"))}
    env |= {"PREFECT_HOME": str(home), "PREFECT_SERVER_ANALYTICS_ENABLED": "false", "DO_NOT_TRACK": "1", **extra}
    if api_url:
        env["PREFECT_API_URL"] = api_url
    return env


class PrefectServer:
    """`prefect server start` in its own process group and PREFECT_HOME; stopped with the whole group."""

    def __init__(self, work: Path) -> None:
        self.port, self.home = free_port(), work / "prefect-server-home"
        self.api_url = f"http://127.0.0.1:{self.port}/api"
        self.log_path = work / "prefect-server.log"
        self.process: subprocess.Popen | None = None

    def start(self, timeout: float = 180) -> float:
        started = time.perf_counter()
        with self.log_path.open("wb") as server_log:  # the child keeps its own descriptor
            self.process = subprocess.Popen(
                [PREFECT, "server", "start", "--host", "127.0.0.1", "--port", str(self.port)],
                env=prefect_env(self.home), stdout=server_log, stderr=subprocess.STDOUT, start_new_session=True)
        if wait_until_healthy(self.process, self.api_url, timeout, every=0.5):
            return time.perf_counter() - started
        if self.process.poll() is not None:
            raise RuntimeError(f"prefect server exited ({self.process.returncode}); see {self.log_path}")
        raise RuntimeError(f"prefect server not healthy after {timeout:.0f} s; see {self.log_path}")

    def stop(self) -> None:
        if self.process is None:
            return
        for sig, wait in ((signal.SIGTERM, 20), (signal.SIGKILL, 10)):
            try:
                os.killpg(self.process.pid, sig)
            except ProcessLookupError:
                break
            try:
                self.process.wait(wait)
                time.sleep(0.5)  # let the group's other members go too
            except subprocess.TimeoutExpired:
                continue
            try:
                os.killpg(self.process.pid, 0)  # anyone left in the group?
            except ProcessLookupError:
                break
        if port_open(self.port):
            log.print(f"[red]port {self.port} still answers after stopping the Prefect server[/red]")


# ---- the CLI, timed, with its memory ----

def process_tree_rss_kb(root_pid: int) -> int:
    """Sum of VmRSS over ROOT_PID and its descendants, from /proc."""
    parents: dict[int, int] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
            parents[int(stat.parent.name)] = int(fields[1])
        except (OSError, IndexError, ValueError):
            continue
    tree, frontier = {root_pid}, [root_pid]
    while frontier:
        children = [pid for pid, parent in parents.items() if parent in frontier and pid not in tree]
        tree.update(children)
        frontier = children
    total = 0
    for pid in tree:
        try:
            status = Path(f"/proc/{pid}/status").read_text()
            total += int(re.search(r"VmRSS:\s+(\d+)", status)[1])
        except (OSError, TypeError):
            continue
    return total


def run_cli(args: list[str], env: dict[str, str], work: Path) -> CliRun:
    """ARGS of pix-livret, timed wall-clock; under GNU time for ru_maxrss, while a thread samples the tree's RSS."""
    time_file = work / f"time-{uuid.uuid4().hex[:6]}.txt"
    wrapper = [GNU_TIME, "-f", "%M", "-o", str(time_file)] if Path(GNU_TIME).is_file() else []
    peak, done = [0], threading.Event()
    started = time.perf_counter()
    process = subprocess.Popen([*wrapper, PIX_LIVRET, *args], env=env, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True)

    def sample() -> None:
        while not done.wait(0.5):
            peak[0] = max(peak[0], process_tree_rss_kb(process.pid))

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    stdout, stderr = process.communicate()
    seconds = time.perf_counter() - started
    done.set()
    sampler.join()
    max_rss = None
    if wrapper and time_file.is_file():
        lines = time_file.read_text().split()
        max_rss = int(lines[-1]) if lines and lines[-1].isdigit() else None
    return CliRun(seconds, process.returncode, stdout, stderr, max_rss, peak[0] or None)


def failed_row(measure: str, run: CliRun | None, target: str, why: str = "") -> Row:
    if run is not None:
        tail = "\n".join((run.stderr or run.stdout).strip().splitlines()[-15:])
        log.print(f"[red]{measure}: exit {run.code}[/red]\n{tail}")
        why = why or f"FAILED (exit {run.code})"
    return Row(measure, run.seconds if run else None, why, target, failed=True)


# ---- the measures ----

def measure_floor(manifest: AcademieManifest, url: str) -> Row:
    """pandas read_csv of every class CSV, concat, to_sql into a fresh table: the floor, best of 1."""
    engine = create_engine(url)
    started = time.perf_counter()
    frame = pd.concat([pd.read_csv(path, sep=";", encoding="utf-8-sig") for path in class_csvs(manifest)],
                      ignore_index=True)
    frame.to_sql("floor_certifications", engine, index=False)
    seconds = time.perf_counter() - started
    engine.dispose()
    return Row("floor: read_csv + concat + to_sql", seconds, f"1.00× · {len(frame):,} rows", "—")


def measure_roster_floor(manifest: AcademieManifest, url: str) -> Row:
    """pandas read_xml of every roster's students, concat, to_sql: what the floor leaves out, read the same way.

    The issue's floor reads the class CSVs only; the engine also reads a SIECLE roster per establishment (as
    many students as rows). This is pandas' own cost for that step, its STRUCTURES (the divisions) left out.
    """
    engine = create_engine(url)
    started = time.perf_counter()
    frame = pd.concat([pd.read_xml(path, xpath="/BEE_ELEVES/DONNEES/ELEVES/ELEVE", parser="lxml",
                                   encoding="iso-8859-15") for path in sorted(manifest.root.glob("*/*.xml"))],
                      ignore_index=True)
    frame.to_sql("floor_students", engine, index=False)
    seconds = time.perf_counter() - started
    engine.dispose()
    return Row("rosters' floor: read_xml + concat + to_sql", seconds, f"{len(frame):,} students", "—")


def measure_data_path(manifest: AcademieManifest, url: str, work: Path, floor: float,
                      measure: str = "data path: plan_inbox + load_inbox, 2 workers",
                      with_rosters: float | None = None) -> Row:
    """The engine's data path (the schema, the plan, the load), in this process, without Prefect."""
    target = "≤ 1.0×"
    try:
        from pipeline.ingest import load_inbox, plan_inbox
        from pipeline.settings import Settings
        from store.database import connect, upgrade_to_head
    except ImportError as error:
        log.print(f"data path: not available ({error})")
        return Row(measure, None, "not available", target)
    started = time.perf_counter()
    try:
        with connect(url) as connection:
            upgrade_to_head(connection)
        report = load_inbox(plan_inbox(manifest.root),
                            Settings(db_url=url, archive_dir=work / "archive-data-path", workers=2))
    except Exception as error:  # noqa: BLE001 - a failed measure is a row, the bench goes on
        log.print(f"[red]data path failed: {error!r}[/red]\n" + "".join(traceback.format_exc().splitlines(True)[-15:]))
        return Row(measure, time.perf_counter() - started, f"FAILED ({type(error).__name__})", target, failed=True)
    seconds = time.perf_counter() - started
    loaded = report.totals()["rows_loaded"]
    return Row(measure, seconds, ratio_and_rows(seconds, floor, loaded, manifest.rows_loaded, with_rosters), target,
               failed=loaded != manifest.rows_loaded)


def ratio_and_rows(seconds: float, floor: float, loaded: int | None, expected: int,
                   with_rosters: float | None = None) -> str:
    rows = f"{loaded:,} rows" if loaded == expected else f"[red]{loaded} rows of {expected:,}[/red]"
    rosters = f" · {seconds / with_rosters:.2f}× the floor with rosters" if with_rosters else ""
    return f"{seconds / floor:.2f}×{rosters} · {rows}"


def ingest(manifest_root: Path, url: str, env: dict[str, str], work: Path, *extra: str) -> CliRun:
    return run_cli(["ingest", str(manifest_root), "--db", url, *extra], env, work)


def whole_command(measure: str, target: str, manifest: AcademieManifest, url: str, env: dict[str, str],
                  work: Path, floor: float, with_rosters: float | None = None) -> tuple[Row, CliRun]:
    run = ingest(manifest.root, url, env, work, "--no-attestations", "--no-bilans")  # the bilans: bench_bilans.py
    if not run.ok:
        return failed_row(measure, run, target), run
    loaded = count_certifications(url)
    figure = ratio_and_rows(run.seconds, floor, loaded, manifest.rows_loaded, with_rosters)
    if run.code == 3:
        figure += " · exit 3"
    return Row(measure, run.seconds, figure, target, failed=loaded != manifest.rows_loaded), run


def memory_row(run: CliRun) -> Row:
    parts = []
    if run.max_rss_kb:
        parts.append(f"{run.max_rss_kb / 1024:,.0f} MB largest process (GNU time %M)")
    if run.tree_rss_kb:
        parts.append(f"{run.tree_rss_kb / 1024:,.0f} MB whole tree (/proc every 0.5 s)")
    peak = max(run.max_rss_kb or 0, run.tree_rss_kb or 0)
    return Row("peak memory, whole command (running server)", None, " · ".join(parts) or "not measured", "≤ 1 GB",
               failed=peak > 1024 * 1024)


def export_one(manifest: AcademieManifest, url: str, env: dict[str, str], work: Path, runs: int = 3) -> Row:
    """`pix-livret export lsu --uai` of one establishment of the loaded académie, against the running server: the
    whole command, RUNS times; the best and the median."""
    measure, target = "export lsu of one establishment, whole command, running server", "< 3 s"
    times = []
    for _ in range(runs):
        run = run_cli(["export", "lsu", "--year", "2025-2026",  # make_sample_academie's default year
                       "--uai", manifest.uais[0], "--db", url,
                       "--out", str(work / "export")], env, work)
        if run.code != 0:
            return failed_row(measure, run, target)
        times.append(run.seconds)
    times.sort()
    return Row(measure, times[0], f"best of {runs}; median {times[len(times) // 2]:.2f} s", target,
               failed=times[0] >= 3)


def one_establishment(manifest: AcademieManifest, url: str, env: dict[str, str], work: Path) -> Row:
    """The night of one establishment, attestations included; the report's timings if it has any."""
    measure, target = "one establishment 6×30, attestations, running server", "≤ 10 s"
    uai = manifest.uais[0]
    report_path = work / "one-establishment-report.json"
    run = ingest(manifest.root / uai, url, env, work, "--school-name", manifest.school_names[uai],
                 "--report", str(report_path))
    if not run.ok:
        return failed_row(measure, run, target)
    report = json.loads(report_path.read_text()) if report_path.is_file() else {}
    totals = report.get("totals", {})
    figure = f"{totals.get('rows_loaded', '?')} rows, {totals.get('attestations_written', '?')} attestations"
    breakdown = next((report[key] for key in ("timings", "durations", "breakdown")
                      if isinstance(report.get(key), dict)), None)
    if breakdown:
        figure += " · " + ", ".join(f"{k} {v:.1f} s" for k, v in breakdown.items() if isinstance(v, (int, float)))
    else:
        figure += " · no breakdown in the report"
    return Row(measure, run.seconds, figure, target, failed=run.seconds > 10)


def attestations(manifest: AcademieManifest, url: str, env: dict[str, str], work: Path, count: int) -> Row:
    """`pix-livret attestations --uai` on COUNT establishments, one after the other; pages/s and the whole académie."""
    measure = f"attestations, {count} establishment(s), running server"
    target = "both cores (≈ 1 h of one core today)"
    pages, seconds = 0, 0.0
    for uai in manifest.uais[:count]:
        run = run_cli(["attestations", "--uai", uai, "--db", url, "--out", str(work / "attestations" / uai)],
                      env, work)
        if run.code != 0:
            return failed_row(measure, run, target)
        found = re.search(r"(\d+) pages", run.stdout)
        pages += int(found[1]) if found else 0
        seconds += run.seconds
    if not pages:
        return Row(measure, seconds, "no pages rendered", target, failed=True)
    rate = pages / seconds
    whole = manifest.validated / rate
    return Row(measure, seconds, f"{pages:,} pages, {rate:.1f} pages/s (2 processes, Prefect's start included) · "
                                 f"académie: {manifest.validated:,} pages ≈ {duration(whole)}", target)


def night_with_bilans(manifest: AcademieManifest, url: str, env: dict[str, str], work: Path, floor: float) -> Row:
    """The académie's night with its bilans (page and workbook of every establishment), attestations aside: the
    whole command against the floor, and the report's load and bilans phases against each other."""
    measure, target = "whole command with the bilans (--no-attestations), running server", "≤ 3×; bilans ≤ load"
    report_path = work / "night-with-bilans.json"
    run = ingest(manifest.root, url, env, work, "--no-attestations", "--report", str(report_path))
    if not run.ok or not report_path.is_file():
        return failed_row(measure, run, target)
    timings = json.loads(report_path.read_text()).get("timings", {})
    load, bilans = timings.get("load", 0.0), timings.get("bilans", 0.0)
    per_establishment = bilans / len(manifest.uais)
    figure = (f"{run.seconds / floor:.2f}× · load {load:.1f} s, bilans {bilans:.1f} s "
              f"({per_establishment:.2f} s per establishment of {manifest.rows // len(manifest.uais):,} rows)")
    return Row(measure, run.seconds, figure, target, failed=run.seconds > 3 * floor or bilans > load)


def night_with_defaults(manifest: AcademieManifest, url: str, env: dict[str, str], work: Path,
                        reference: float | None) -> Row:
    """An académie's night as users run it (default flags: attestations and bilans), on a smaller académie: its
    phases from the run's report, and the attestations' pages/s against bench_attestations.py's on this machine."""
    sizes = f"{len(manifest.uais)} establishments × {manifest.files // len(manifest.uais)} classes"
    measure = f"night with default flags, {sizes}, running server"
    target = f"attestations ≥ {reference:.1f} pages/s (bench_attestations.py)" if reference else "—"
    report_path = work / "night-with-defaults.json"
    run = ingest(manifest.root, url, env, work, "--report", str(report_path))
    if not run.ok or not report_path.is_file():
        return failed_row(measure, run, target)
    report = json.loads(report_path.read_text())
    timings, pages = report.get("timings", {}), report.get("totals", {}).get("attestations_written", 0)
    attesting = timings.get("attestations", 0.0)
    rate = pages / attesting if attesting else 0.0
    figure = (f"load {timings.get('load', 0):.1f} s, attestations {attesting:.1f} s ({pages:,} pages, "
              f"{rate:.1f} pages/s), bilans {timings.get('bilans', 0):.1f} s")
    return Row(measure, run.seconds, figure, target, failed=bool(reference) and rate < reference)


def reference_pages_per_second(students: int = 500) -> float | None:
    """bench_attestations.py's last figure: STUDENTS in classes of 30 rendered on 2 processes, the pool's start
    included (best of 2)."""
    try:
        from bench_attestations import class_jobs, make_rows

        from pipeline.attestations import render_classes
        from transforms.attestations import build_attestation_pages
    except ImportError as error:
        log.print(f"attestations' reference: not available ({error})")
        return None
    from datetime import datetime

    pages = build_attestation_pages(make_rows(students), "Établissement 0861234Z", datetime(2026, 6, 1, 12))
    jobs = class_jobs(pages)
    best = None
    for _ in range(2):
        started = time.perf_counter()
        render_classes(jobs, 2)
        seconds = time.perf_counter() - started
        best = seconds if best is None else min(best, seconds)
    return len(pages) / best


def duration(seconds: float) -> str:
    if seconds < 120:
        return f"{seconds:.0f} s"
    hours, minutes = divmod(round(seconds / 60), 60)
    return f"{hours} h {minutes:02d} min" if hours else f"{minutes} min"


def bench_backend(backend: str, inputs: dict[str, AcademieManifest], databases: Databases, server: PrefectServer,
                  cli_home: Path, work: Path, args: argparse.Namespace, reference: float | None) -> list[Row]:
    academie, rosterless, one = inputs["academie"], inputs["rosterless"], inputs["one"]

    def workdir(name: str) -> Path:
        folder = work / backend / name
        folder.mkdir(parents=True)
        return folder

    def env_for(folder: Path, api_url: str | None) -> dict[str, str]:
        return prefect_env(cli_home, api_url, PIX_LIVRET_ARCHIVE_DIR=str(folder / "archive"),
                           PIX_LIVRET_OUT_DIR=str(folder / "out"))

    def step(name: str) -> None:
        log.print(f"[dim]{backend}: {name}…[/dim]")

    rows = []
    step("floor")
    floor_row = measure_floor(academie, databases.fresh(backend))
    floor = floor_row.seconds
    rows.append(floor_row)
    step("rosters' floor")
    roster_row = measure_roster_floor(academie, databases.fresh(backend))
    rows.append(roster_row)
    with_rosters = floor + roster_row.seconds
    rows.append(Row("floor with rosters: the two above", with_rosters,
                    f"{with_rosters / floor:.2f}× the floor", "—"))
    step("data path")
    rows.append(measure_data_path(academie, databases.fresh(backend), workdir("data-path"), floor,
                                  with_rosters=with_rosters))
    step("data path, rosterless")
    rows.append(measure_data_path(rosterless, databases.fresh(backend), workdir("data-path-rosterless"), floor,
                                  measure="data path, rosterless variant"))

    step("whole command, temporary server")
    folder = workdir("temporary-server")
    row, _ = whole_command("whole command, Prefect's temporary server", "≤ 2×", academie,
                           databases.fresh(backend), env_for(folder, None), folder, floor, with_rosters)
    rows.append(row)

    step("whole command, running server")
    folder, url = workdir("running-server"), databases.fresh(backend)
    env = env_for(folder, server.api_url)
    row, first = whole_command("whole command, running server", "≤ 1.5×", academie, url, env, folder, floor,
                               with_rosters)
    rows.append(row)
    if first.ok:
        step("re-run of the unchanged inbox")
        rerun, _ = whole_command("re-run, unchanged inbox, running server", "≤ 5 s", academie, url, env, folder,
                                 floor)
        rerun.failed = rerun.failed or (rerun.seconds or 0) > 5
        rows.append(rerun)
        step("export of one establishment")
        rows.append(export_one(academie, url, env, workdir("export")))
    rows.append(memory_row(first))

    step("whole command with the bilans, running server")
    folder = workdir("bilans")
    rows.append(night_with_bilans(academie, databases.fresh(backend), env_for(folder, server.api_url), folder, floor))

    step("rosterless, running server")
    folder = workdir("rosterless")
    row, _ = whole_command("rosterless variant, running server", "—", rosterless, databases.fresh(backend),
                           env_for(folder, server.api_url), folder, floor)
    rows.append(row)

    if not args.skip_attestations:
        step("one establishment with attestations")
        folder = workdir("one-establishment")
        rows.append(one_establishment(one, databases.fresh(backend), env_for(folder, server.api_url), folder))
        if first.ok:
            step("attestations throughput")
            rows.append(attestations(academie, url, env, workdir("attestations"), args.attestation_establishments))
        step("a smaller académie's night with default flags")
        folder = workdir("default-flags")
        rows.append(night_with_defaults(inputs["small"], databases.fresh(backend), env_for(folder, server.api_url),
                                        folder, reference))
    return rows


# ---- the run ----

def machine() -> str:
    model = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                  if line.startswith("model name")), platform.machine()) if Path("/proc/cpuinfo").exists() else ""
    return f"{os.cpu_count()} cores ({model}), {platform.platform()}, Python {platform.python_version()}"


def print_table(rows: dict[str, list[Row]]) -> None:
    table = Table(title="pix-livret ingest of an académie")
    table.add_column("measure")
    table.add_column("seconds", justify="right")
    table.add_column("ratio or figure")
    table.add_column("target")
    for backend, backend_rows in rows.items():
        table.add_row(f"[bold]{backend}[/bold]")
        for row in backend_rows:
            seconds = "—" if row.seconds is None else f"{row.seconds:.2f}" if row.seconds < 10 else f"{row.seconds:.1f}"
            table.add_row(row.measure, seconds, row.figure, row.target, style="red" if row.failed else None)
        table.add_section()
    console.print(table)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--establishments", type=int, default=110)
    parser.add_argument("--classes", type=int, default=30, help="class CSVs per establishment")
    parser.add_argument("--students", type=int, default=30, help="students per class")
    parser.add_argument("--backends", default="sqlite,postgresql", help="comma-separated: sqlite, postgresql")
    parser.add_argument("--pg-url", default=PG_URL)
    parser.add_argument("--skip-attestations", action="store_true",
                        help="skip the two measures that render PDFs (one establishment, throughput)")
    parser.add_argument("--attestation-establishments", type=int, default=2)
    args = parser.parse_args()
    backends = [b.strip() for b in args.backends.split(",") if b.strip()]
    if unknown := set(backends) - {"sqlite", "postgresql"}:
        parser.error(f"unknown backend(s): {', '.join(sorted(unknown))}")

    sizes = dict(establishments=args.establishments, classes=args.classes, students_per_class=args.students)
    key = f"{args.establishments}x{args.classes}x{args.students}-{GENERATOR}"
    inputs = {"academie": cached_academie(f"academie-{key}", **sizes),
              "rosterless": cached_academie(f"academie-{key}-no-rosters", **sizes, rosters=False),
              "one": cached_academie(f"one-establishment-6x30-{GENERATOR}", establishments=1, classes=6,
                                     students_per_class=30),
              "small": cached_academie(f"academie-10x6x30-{GENERATOR}", establishments=10, classes=6,
                                       students_per_class=30)}
    academie = inputs["academie"]
    console.print(f"Machine: {machine()}")
    console.print(f"Académie: {args.establishments} establishments × {args.classes} classes × {args.students} "
                  f"students = {academie.rows:,} rows in {academie.files:,} files, {academie.validated:,} validated "
                  f"(inbox {academie.root}); rosterless variant; one establishment 6 × 30")

    work = Path(tempfile.mkdtemp(prefix="pix-livret-bench-run-"))
    databases, server = Databases(work, args.pg_url), PrefectServer(work)
    cli_home = work / "prefect-cli-home"
    rows: dict[str, list[Row]] = {}
    try:
        # a real user's Prefect database is migrated already: do it before timing the temporary server
        subprocess.run([PREFECT, "server", "database", "upgrade", "-y"], env=prefect_env(cli_home),
                       capture_output=True, check=True)
        log.print(f"[dim]Prefect server up in {server.start():.1f} s at {server.api_url}[/dim]")
        reference = None if args.skip_attestations else reference_pages_per_second()
        if reference:
            log.print(f"[dim]attestations' reference (bench_attestations.py, 2 processes): {reference:.1f} pages/s[/dim]")
        for backend in backends:
            rows[backend] = bench_backend(backend, inputs, databases, server, cli_home, work, args, reference)
    finally:
        server.stop()
        databases.drop_all()
        shutil.rmtree(work, ignore_errors=True)
    print_table(rows)


if __name__ == "__main__":
    main()
