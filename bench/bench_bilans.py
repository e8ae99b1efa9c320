"""Benchmark of the bilans: a generated database in, seconds out (printed, not asserted).

Run: .venv/bin/python bench/bench_bilans.py [--establishments 100] [--students 200] [--workers 2]
- one establishment of 300 students: read, statistics, charts, HTML, PDF, workbook (target < 2 s);
- an académie (100 establishments × 200 students = 20,000): every bilan and the summary (target < 60 s, 2 cores).
The rows go straight into a SQLite database (bulk inserts): the bilans read the database, not CSVs.
"""
from __future__ import annotations

import argparse
import sys
import tempfile
import time
from datetime import date, datetime, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import insert, select  # noqa: E402

from pipeline.bilans import make_bilans, write_establishment_bilan  # noqa: E402
from schemas.referential import LEVEL_COLUMNS, global_level_for  # noqa: E402
from schemas.tables import Certification, Enrolment, Establishment, SourceFile, Student  # noqa: E402
from store.class_files import read_year_files  # noqa: E402
from store.database import make_engine, upgrade_to_head  # noqa: E402
from store.enrolments import read_enrolment  # noqa: E402
from store.query import read_certifications  # noqa: E402
from transforms.bilan_charts import draw_bilan_charts  # noqa: E402
from transforms.bilan_html import render_bilan_html, render_pdf  # noqa: E402
from transforms.bilan_xlsx import build_bilan_workbook  # noqa: E402
from transforms.bilans import make_bilan  # noqa: E402

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
    write_establishment_bilan(url, uai, YEAR, out, date.today())  # warm: imports, fonts, WeasyPrint's caches
    engine = make_engine(url)
    phases = {}
    started = time.perf_counter()
    with engine.connect() as connection:
        stored, roster = read_certifications(connection, uai, YEAR), read_enrolment(connection, uai, 2025)
        files, set_aside = read_year_files(connection, uai, YEAR)
    phases["read"] = time.perf_counter() - started
    mark = time.perf_counter()
    bilan = make_bilan(stored, roster, YEAR, uai, None, files, set_aside)
    phases["statistics"], mark = time.perf_counter() - mark, time.perf_counter()
    charts = draw_bilan_charts(bilan)
    phases["charts"], mark = time.perf_counter() - mark, time.perf_counter()
    html = render_bilan_html(bilan, charts, date.today())
    phases["html"], mark = time.perf_counter() - mark, time.perf_counter()
    render_pdf(html)
    phases["pdf"], mark = time.perf_counter() - mark, time.perf_counter()
    build_bilan_workbook(bilan, date.today())
    phases["xlsx"] = time.perf_counter() - mark
    print(f"establishment of {len(roster)} students, phases: " +
          ", ".join(f"{name} {seconds:.2f} s" for name, seconds in phases.items()))
    timings = []
    for _ in range(3):
        started = time.perf_counter()
        write_establishment_bilan(url, uai, YEAR, out, date.today())
        timings.append(time.perf_counter() - started)
    print(f"establishment of {len(roster)} students, whole bilan written (3 runs): best {min(timings):.2f} s, "
          f"worst {max(timings):.2f} s (target < 2 s)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--establishments", type=int, default=100)
    parser.add_argument("--students", type=int, default=200)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        single = f"sqlite:///{root / 'one.sqlite'}"
        engine = make_engine(single)
        upgrade_to_head(engine)
        with engine.begin() as connection:
            fill_establishment(connection, "0861234Z", 300, 100_000)
        one_establishment(single, "0861234Z", root / "out-one")

        academie = f"sqlite:///{root / 'academie.sqlite'}"
        engine = make_engine(academie)
        upgrade_to_head(engine)
        started = time.perf_counter()
        with engine.begin() as connection:
            for n in range(args.establishments):
                fill_establishment(connection, f"{1000000 + n:07d}A", args.students, 1_000_000 + n * 1000)
        print(f"académie database: {args.establishments} establishments × {args.students} students, built in "
              f"{time.perf_counter() - started:.1f} s")
        started = time.perf_counter()
        report = make_bilans(academie, root / "out-academie", YEAR, None, date.today(), workers=args.workers)
        elapsed = time.perf_counter() - started
        print(f"académie: {len(report.written)} bilans and the summary in {elapsed:.1f} s with {args.workers} "
              f"process(es), {elapsed / len(report.written):.2f} s per establishment (target < 60 s)")


if __name__ == "__main__":
    main()
