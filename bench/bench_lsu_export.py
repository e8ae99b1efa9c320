"""Benchmark of the LSU export: 100,000 generated students in, seconds for build, XSD validation and atomic write out.

Run: .venv/bin/python bench/bench_lsu_export.py [--students 100000] [--repeat 3] [--sqlite]. Prints best and spread.
"""
from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

import numpy
import pandas as pd
from lxml import etree

from schemas.referential import LEVEL_COLUMNS
from transforms.lsu_xml import build_livret_tree, livret_file_name, validate_livret_tree, validate_livret_xml
from transforms.private_files import write_private_file
from transforms.select_livret import select_livret_certifications

CLASS_SIZE = 30
FIRST_NAMES = ("Léa", "Louis", "Chloé", "Noé", "Inès", "Adam", "Zoé", "Hugo", "Éva", "Jean-Baptiste")
LAST_NAMES = ("Martin", "Bernard", "Dubois", "Thomas", "Robert", "Richard", "Petit", "Durand", "Leroy", "Moreau",
              "D'Artagnan & Fils", "Lefèvre", "Garcia", "N'Diaye", "Fournier")
GLOBAL = ("Novice 1", "Novice 2", "Indépendant 1", "Indépendant 2", "Avancé 1")


def make_stored(students: int) -> pd.DataFrame:
    """StoredCertificationFrame columns: matched students, 9 in 10 validated, 1 in 10 rejected, built column-wise."""
    index = pd.RangeIndex(students)
    validated = (index % 10) != 0
    division = pd.Series([f"{3 + i // 100_000 % 4}{i // CLASS_SIZE % 1000:03d}" for i in range(students)])
    last = pd.Series(LAST_NAMES).iloc[index % len(LAST_NAMES)].reset_index(drop=True)
    first = pd.Series(FIRST_NAMES).iloc[index % len(FIRST_NAMES)].reset_index(drop=True)
    # levels drawn at random (seeded): real students rarely share 16 levels, so nothing may be cached per pattern
    drawn = numpy.random.default_rng(2026).integers(-1, 8, size=(students, len(LEVEL_COLUMNS)))
    levels = {column: pd.Series(drawn[:, k], dtype="Int64").where((drawn[:, k] >= 0) & numpy.asarray(validated))
              for k, column in enumerate(LEVEL_COLUMNS)}
    return pd.DataFrame({
        "number": pd.array(7_300_000 + index, dtype="Int64"), "uai": "0861234Z",
        "status": pd.Series(validated).map({True: "validated", False: "rejected"}),
        "certification_type": "Pix",
        "score": pd.array([100 + i % 700 if validated[i] else 0 for i in range(students)], dtype="Int64"),
        "global_level": [GLOBAL[i % len(GLOBAL)] if validated[i] and i % 3 else None for i in range(students)],
        "passed_on": pd.Timestamp("2026-03-20"), "school_year": pd.array([2025] * students, dtype="Int64"),
        "centre": "Collège Jean Moulin", "session": "12345", **levels,
        "division": division, "match_method": "exact", "first_name": first, "last_name": last,
        "birth_date": pd.Timestamp("2011-04-04"), "eleve_id": pd.array(180_000 + index, dtype="Int64"),
        "ine": [f"{i:09d}AB" for i in range(students)], "student_last_name": last.str.upper(),
        "student_usage_name": None, "student_first_name": first, "student_birth_date": pd.Timestamp("2011-04-04"),
        "student_division": division,
    })


def time_export(selection, out_dir: Path) -> dict[str, float]:
    """Seconds per phase of one export as the flow runs it (render_livret_xml, then write_private_file)."""
    started = time.perf_counter()
    root = build_livret_tree(selection, livret="LSU", uai="0861234Z", school_year="2025-2026",
                             generated_at=datetime.now(timezone.utc), editor="bench", version="0.1.0")
    built = time.perf_counter()
    validate_livret_tree(root)
    validated = time.perf_counter()
    document = etree.tostring(root, xml_declaration=True, encoding="UTF-8")
    serialised = time.perf_counter()
    write_private_file(out_dir / livret_file_name("LSU", "0861234Z", "2025-2026"), document)
    written = time.perf_counter()
    return {"build": built - started, "validate": validated - built, "serialise": serialised - validated,
            "write": written - serialised, "total": written - started, "megabytes": len(document) / 1e6,
            "document": document}


def time_bytes_validation(document: bytes) -> float:
    """validate_livret_xml on the written bytes (parse + validate), for comparison."""
    started = time.perf_counter()
    validate_livret_xml(document)
    return time.perf_counter() - started


def selection_from_sqlite(stored: pd.DataFrame, folder: Path):
    """Loads STORED into a migrated SQLite database through the test builders' tables, reads it back, selects."""
    from sqlalchemy import insert

    from store.database import make_engine, upgrade_to_head
    from schemas.tables import Certification, Establishment, SourceFile, Student
    from store.query import read_certifications

    now = datetime.now(timezone.utc)
    engine = make_engine(f"sqlite:///{folder / 'bench.sqlite'}")
    upgrade_to_head(engine)
    with engine.begin() as connection:
        connection.execute(insert(Establishment).values(uai="0861234Z", school_year=2025, updated_at=now))
        file_id = connection.execute(insert(SourceFile).values(
            uai="0861234Z", sha256="0" * 64, name="bench.csv", size=1, archived_path="/dev/null", status="loaded",
            registered_at=now).returning(SourceFile.id)).scalar_one()
        connection.execute(insert(Student), [dict(
            id=i + 1, uai="0861234Z", eleve_id=int(r.eleve_id), ine=r.ine, last_name=r.student_last_name,
            first_name=r.student_first_name, birth_date=r.student_birth_date.date(), division=r.student_division)
            for i, r in enumerate(stored.itertuples())])
        connection.execute(insert(Certification), [dict(
            number=int(r.number), uai="0861234Z", student_id=i + 1, match_method="exact", first_name=r.first_name,
            last_name=r.last_name, birth_date=r.birth_date.date(), certification_type="Pix", status=r.status,
            score=int(r.score), global_level=r.global_level, passed_on=r.passed_on.date(), centre=r.centre,
            session=r.session, division=r.division, source_file_id=file_id, source_row=i + 2, loaded_at=now,
            updated_at=now, **{c: None if pd.isna(getattr(r, c)) else int(getattr(r, c)) for c in LEVEL_COLUMNS})
            for i, r in enumerate(stored.itertuples())])
    started = time.perf_counter()
    with engine.connect() as connection:
        read = read_certifications(connection, "0861234Z")
    selection = select_livret_certifications(read, "2025-2026")
    print(f"SQLite read + selection: {time.perf_counter() - started:.2f} s")
    engine.dispose()
    return selection


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--students", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--sqlite", action="store_true", help="also load the students into SQLite and read them back")
    arguments = parser.parse_args()
    stored = make_stored(arguments.students)
    with tempfile.TemporaryDirectory() as folder:
        started = time.perf_counter()
        selection = select_livret_certifications(stored, "2025-2026")
        print(f"{len(selection.exported)} students selected in memory in {time.perf_counter() - started:.2f} s")
        if arguments.sqlite:
            selection = selection_from_sqlite(stored, Path(folder))
        runs = [time_export(selection, Path(folder)) for _ in range(arguments.repeat)]
    best = min(runs, key=lambda run: run["total"])
    print(f"{arguments.students} students, {best['megabytes']:.1f} MB, best of {arguments.repeat}: "
          + ", ".join(f"{phase} {best[phase]:.2f} s" for phase in ("build", "validate", "serialise", "write", "total")))
    print(f"validate_livret_xml on the bytes instead (parse + validate): {time_bytes_validation(best['document']):.2f} s")
    totals = [run["total"] for run in runs]
    print(f"total: min {min(totals):.2f} s, median {statistics.median(totals):.2f} s, max {max(totals):.2f} s")


if __name__ == "__main__":
    main()
