"""Benchmark of the attestation rendering: generated students in, milliseconds and pages per second out.

Run: .venv/bin/python bench/bench_attestations.py [--students 500] [--repeat 3]. Prints best and spread of the repeats.
"""
from __future__ import annotations

import argparse
import time
from datetime import datetime

import pandas as pd

from pipeline.attestations import render_classes
from schemas.referential import LEVEL_COLUMNS
from transforms.attestations import ClassJob, build_attestation_pages, render_class, render_pdf

CLASS_SIZE = 30
FIRST_NAMES = ("Léa", "Louis", "Chloé", "Noé", "Inès", "Adam", "Zoé", "Hugo", "Éva", "Jean-Baptiste")
LAST_NAMES = ("Martin", "Bernard", "Dubois", "Thomas", "Robert", "Richard", "Petit", "Durand", "Leroy", "Moreau",
              "D'Artagnan & Fils", "Lefèvre", "Garcia", "N'Diaye", "Fournier")


def make_rows(students: int) -> pd.DataFrame:
    """StoredCertificationFrame-shaped rows: validated, matched, CLASS_SIZE per division."""
    rows = []
    for i in range(students):
        levels = {column: (i + k) % 8 or None for k, column in enumerate(LEVEL_COLUMNS)}
        division = f"3{chr(ord('A') + i // CLASS_SIZE)}"
        last, first = LAST_NAMES[i % len(LAST_NAMES)], FIRST_NAMES[i % len(FIRST_NAMES)]
        rows.append(dict(
            number=7_300_000 + i, uai="0861234Z", status="validated", certification_type="Pix", score=100 + i % 700,
            global_level="Indépendant 1" if i % 3 else None, passed_on=pd.Timestamp("2026-03-20"), school_year=2025,
            centre="Collège Jean Moulin", session="12345", **levels, division=division, match_method="exact",
            first_name=first, last_name=last, birth_date=pd.Timestamp("2011-04-04"), eleve_id=180_000 + i, ine=None,
            student_last_name=last, student_usage_name=None, student_first_name=first,
            student_birth_date=pd.Timestamp("2011-04-04"), student_division=division))
    return pd.DataFrame(rows).astype({"eleve_id": "Int64", "score": "Int64", **{c: "Int64" for c in LEVEL_COLUMNS}})


def time_best(action, repeat: int) -> tuple[float, float]:
    """Best and worst wall time of REPEAT runs, in seconds (the machine is shared: report both)."""
    timings = []
    for _ in range(repeat):
        start = time.perf_counter()
        action()
        timings.append(time.perf_counter() - start)
    return min(timings), max(timings)


def minimal_pdf() -> bytes:
    from weasyprint import HTML

    return HTML(string="<p>Bonjour</p>").write_pdf()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--students", type=int, default=500)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    pages = build_attestation_pages(make_rows(args.students), "Établissement 0861234Z", datetime(2026, 6, 1, 12))
    one_class = tuple(pages[:CLASS_SIZE])
    jobs = class_jobs(pages)
    render_pdf(one_class[:1])  # warm up: WeasyPrint import, fontconfig, the template

    minimal, minimal_worst = time_best(minimal_pdf, 10 * args.repeat)
    single, single_worst = time_best(lambda: render_pdf(one_class[:1]), 10 * args.repeat)
    in_class, in_class_worst = time_best(lambda: render_pdf(one_class), args.repeat)
    full_class, full_class_worst = time_best(lambda: render_class("3A", one_class), args.repeat)
    per_page = in_class / len(one_class)
    print(f"minimal page (1-page PDF)             : {minimal * 1000:6.1f} ms (worst {minimal_worst * 1000:.1f})")
    print(f"attestation, 1-page PDF               : {single * 1000:6.1f} ms (worst {single_worst * 1000:.1f})"
          f"  ratio {single / minimal:.1f}x")
    print(f"attestation, per page of a class PDF  : {per_page * 1000:6.1f} ms"
          f"  ratio {per_page / minimal:.1f}x (target <= 3x)")
    print(f"class PDF of {len(one_class)} students, one core    : {in_class:6.2f} s (worst {in_class_worst:.2f}; target < 1 s)")
    print(f"  + the {len(one_class)} student PDFs cut out     : {full_class:6.2f} s (worst {full_class_worst:.2f})")
    for workers in (1, 2):
        best, worst = time_best(lambda: render_classes(jobs, workers), args.repeat)
        print(f"{len(pages)} students, {len(jobs)} classes, {workers} process(es): {len(pages) / best:6.1f} pages/s"
              f" ({best:.2f} s, worst {worst:.2f} s; with 2, pool start included)")


def class_jobs(pages) -> tuple[ClassJob, ...]:
    divisions = sorted({p.division for p in pages})
    return tuple(ClassJob(d, tuple(p for p in pages if p.division == d), None, {}) for d in divisions)


if __name__ == "__main__":
    main()
