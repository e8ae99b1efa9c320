"""Benchmark of the bilans: a generated database in, CPU seconds and megabytes out (printed, not asserted).

Run: .venv/bin/python bench/bench_bilans.py [--establishments 110] [--students 900] [--workers 2] [--classes 2000]
     [--only one|many|academie]
- one establishment of 900 students in 30 classes: the CPU of the nightly's bilan (page, workbook and summary line,
  the read included; best of 5), by phase, and the PDF's apart (made on demand by `pix-livret report`);
- 2,000 classes of one student each, in a fresh process: peak RSS and CPU of the nightly's bilan and of the PDF,
  and the time headless Chromium takes to open the page (when `chromium` is installed);
- the académie's nightly refresh (ESTABLISHMENTS × STUDENTS, every bilan due, then the académie summary) on
  WORKERS processes: CPU of every process (this one and its helpers, getrusage) and wall time.
CPU time, not wall time: the machine may be shared. The rows go straight into SQLite (bulk inserts): the bilans
read the database, not CSVs.
"""
from __future__ import annotations

import argparse
import json
import multiprocessing
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import date, datetime, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import insert, select  # noqa: E402

from pipeline.bilans import (read_bilan, read_summary_lines, refresh_bilans, write_academie_summary,  # noqa: E402
                            write_establishment_bilan)
from schemas.referential import LEVEL_COLUMNS, global_level_for  # noqa: E402
from schemas.tables import Certification, Enrolment, Establishment, SourceFile, Student  # noqa: E402
from store.database import make_engine, upgrade_to_head  # noqa: E402
from transforms.bilan_charts import draw_bilan_charts  # noqa: E402
from transforms.bilan_html import render_bilan_html, render_pdf  # noqa: E402
from transforms.bilan_xlsx import build_bilan_workbook  # noqa: E402
from transforms.bilans import summarise_establishment  # noqa: E402

YEAR = "2025-2026"
NOW = datetime(2026, 6, 1, tzinfo=timezone.utc)
CLASS_SIZE = 30


def fill_establishment(connection, uai: str, students: int, first_id: int, class_size: int = CLASS_SIZE) -> None:
    """STUDENTS on the roster, in classes of CLASS_SIZE; 9 in 10 certified, of whom 1 in 8 not obtained."""
    connection.execute(insert(Establishment).values(uai=uai, name=f"Collège {uai}", school_year=2025, updated_at=NOW))
    source = connection.execute(insert(SourceFile).values(
        uai=uai, sha256=uai.ljust(64, "0"), name="bench.csv", size=1, archived_path="/dev/null", status="loaded",
        registered_at=NOW).returning(SourceFile.id)).scalar_one()
    roster = [dict(uai=uai, eleve_id=first_id + i, last_name=f"NOM{i}", first_name=f"Prénom{i}",
                   birth_date=date(2011, 1, 1), division=f"3-{i // class_size + 1:02d}", sex="12"[i % 2])
              for i in range(students)]
    connection.execute(insert(Student), [dict(r, last_roster_year=2025) for r in roster])
    ids = dict(connection.execute(select(Student.eleve_id, Student.id).where(Student.uai == uai)).all())
    # enrolled in 2025-2026, all in 3e (the MEF says so: every class is concerned)
    connection.execute(insert(Enrolment), [dict(student_id=ids[r["eleve_id"]], school_year=2025, uai=uai,
                                                division=r["division"], mef="10310019110") for r in roster])
    certifications = []
    for i, student in enumerate(roster):
        if i % 10 == 9:
            continue  # absent
        failed = i % 8 == 7
        score = 0 if failed else 64 + (i * 37) % 700
        levels = {c: None if failed or (i + k) % 11 == 0 else (i + k) % 6 for k, c in enumerate(LEVEL_COLUMNS)}
        certifications.append(dict(
            number=first_id * 10 + i, uai=uai, student_id=ids[student["eleve_id"]], match_method="exact",
            first_name=student["first_name"], last_name=student["last_name"], birth_date=date(2011, 1, 1),
            certification_type="Pix", status="rejected" if failed else "validated", status_inferred=False,
            score=score, global_level=None if failed else global_level_for(score), passed_on=date(2026, 3, 20),
            school_year=2025,
            division=student["division"], source_file_id=source, source_row=i + 2, loaded_at=NOW, updated_at=NOW,
            **levels))
    connection.execute(insert(Certification), certifications)


def one_establishment(url: str, uai: str, out: Path) -> None:
    write_establishment_bilan(url, uai, YEAR, out, date.today(), pdf=False)  # warm: imports, caches
    engine = make_engine(url)
    runs = []
    for _ in range(5):
        phases = {}
        mark = time.process_time()
        with engine.connect() as connection:
            bilan = read_bilan(connection, uai, YEAR)
        phases["read and statistics"], mark = time.process_time() - mark, time.process_time()
        html = render_bilan_html(bilan, draw_bilan_charts(bilan), date.today())
        phases["charts and page"], mark = time.process_time() - mark, time.process_time()
        build_bilan_workbook(bilan, date.today())
        phases["workbook"], mark = time.process_time() - mark, time.process_time()
        summarise_establishment(bilan)
        phases["summary line"] = time.process_time() - mark
        runs.append(phases)
    best = {name: min(run[name] for run in runs) for name in runs[0]}
    print(f"establishment of {int(bilan.classes['roster'].iloc[-1])} students in "
          f"{len(bilan.classes) - 1} classes, nightly bilan (page + workbook + summary line), CPU best of 5: "
          f"{min(sum(run.values()) for run in runs):.3f} s (" +
          ", ".join(f"{name} {seconds:.3f}" for name, seconds in best.items()) + ") (target ≤ 0.3 s)")
    whole = []
    for _ in range(3):
        mark = time.process_time()
        write_establishment_bilan(url, uai, YEAR, out, date.today(), pdf=False)
        whole.append(time.process_time() - mark)
    print(f"  written to disk as the nightly does (digest read, files written), CPU best of 3: {min(whole):.3f} s")
    render_pdf(html)  # warm: WeasyPrint's import and fonts
    mark = time.process_time()
    render_pdf(html)
    print(f"  its PDF, on demand (pix-livret report), CPU: {time.process_time() - mark:.2f} s (target ≤ 1.5 s)")


def many_classes(root: Path, classes: int) -> None:
    """One establishment of CLASSES classes of one student: each document made in a fresh process (its peak RSS is
    that process's own), then the page opened in headless Chromium."""
    url = f"sqlite:///{root / 'many.sqlite'}"
    engine = make_engine(url)
    upgrade_to_head(engine)
    with engine.begin() as connection:
        fill_establishment(connection, "0869999A", classes, 5_000_000, class_size=1)
    out = root / "out-many"
    for pdf in (False, True):
        measured = json.loads(subprocess.run(
            [sys.executable, __file__, "--child", url, str(out), "pdf" if pdf else "page"], check=True,
            capture_output=True, text=True).stdout)
        what = "pix-livret report (page, workbook and PDF)" if pdf else "nightly bilan (page and workbook)"
        print(f"{classes} classes of one student, {what}: peak {measured['peak_mb']:.0f} MB, CPU "
              f"{measured['cpu']:.2f} s, page {measured['page_kb']:.0f} kB"
              + (f", PDF {measured['pdf_kb']:.0f} kB" if pdf else "") + " (target ≤ 500 MB)")
    if shutil.which("chromium"):
        page = next((out / "bilans").rglob("*.html"))
        print(f"  the page opened in headless Chromium: {chromium_load(page):.2f} s from navigation to laid out "
              "(target < 2 s)")


def child(url: str, out: str, what: str) -> None:
    started = time.process_time()
    bilan = write_establishment_bilan(url, "0869999A", YEAR, Path(out), date.today(), pdf=what == "pdf")
    sizes = {f"{Path(p).suffix[1:]}_kb": Path(p).stat().st_size / 1024 for p in bilan.paths}
    print(json.dumps({"cpu": time.process_time() - started, "page_kb": sizes["html_kb"], "pdf_kb": sizes.get("pdf_kb"),
                      "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))


def chromium_load(page: Path) -> float:
    """Seconds from navigation to the page laid out, as the page itself measures them (performance.now after
    forcing a layout), in headless Chromium: the browser's own start is left out."""
    from tests.chromium import chromium, load_page

    script = "document.body.getBoundingClientRect() && performance.now() / 1000"
    with tempfile.TemporaryDirectory() as profile, chromium(Path(profile)) as browser:
        return min(load_page(browser, page.as_uri(), script).value for _ in range(3))


def academie(root: Path, establishments: int, students: int, workers: int) -> None:
    url = f"sqlite:///{root / 'academie.sqlite'}"
    engine = make_engine(url)
    upgrade_to_head(engine)
    with engine.begin() as connection:
        for n in range(establishments):
            fill_establishment(connection, f"{1000000 + n:07d}A", students, 1_000_000 + n * 1000)
    years = {f"{1000000 + n:07d}A": YEAR for n in range(establishments)}
    before, started = _cpu(), time.perf_counter()
    report = refresh_bilans(url, root / "out-academie", years, date.today(), workers=workers)
    wall = time.perf_counter() - started
    for helper in multiprocessing.active_children():  # ended and waited for: only then is its CPU in RUSAGE_CHILDREN
        helper.join(timeout=30)
    cpu = _cpu() - before
    print(f"académie refresh, {establishments} establishments × {students} students, {workers} process(es): "
          f"{len(report.written)} bilans and the summary, CPU {cpu:.1f} s ({cpu / len(report.written):.2f} s an "
          f"establishment, helpers' start included), wall {wall:.1f} s")
    summary = root / "out-academie" / "bilans" / "academie" / YEAR
    started = _cpu()
    write_academie_summary(root / "out-academie", YEAR, read_summary_lines(root / "out-academie", YEAR), date.today())
    print(f"  the académie summary alone (page, PDF, workbook): CPU {_cpu() - started:.2f} s; its files: " +
          ", ".join(f"{p.suffix[1:]} {p.stat().st_size // 1024} kB" for p in sorted(summary.iterdir())))


def _cpu() -> float:
    """CPU seconds of this process and of its children that ended (the helper processes)."""
    return sum(resource.getrusage(who).ru_utime + resource.getrusage(who).ru_stime
               for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN))


def main() -> None:
    if sys.argv[1:2] == ["--child"]:
        return child(*sys.argv[2:5])
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--establishments", type=int, default=110)
    parser.add_argument("--students", type=int, default=900)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--classes", type=int, default=2000)
    parser.add_argument("--only", choices=("one", "many", "academie"), help="one part of the three")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        if args.only in (None, "one"):
            single = f"sqlite:///{root / 'one.sqlite'}"
            engine = make_engine(single)
            upgrade_to_head(engine)
            with engine.begin() as connection:
                fill_establishment(connection, "0861234Z", 900, 100_000)
            one_establishment(single, "0861234Z", root / "out-one")
        if args.only in (None, "many"):
            many_classes(root, args.classes)
        if args.only in (None, "academie"):
            academie(root, args.establishments, args.students, args.workers)


if __name__ == "__main__":
    main()
