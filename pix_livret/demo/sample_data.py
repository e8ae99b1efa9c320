"""Sample data, as one import: a sample establishment (the demo's), a sample académie, and the writers of each kind
of file they hold (class CSVs, SIECLE rosters, foreign files), for the demo, the tests and the benches.

`python -m pix_livret.demo.sample_data OUT_DIR` writes a sample establishment and says what it holds.
"""
from __future__ import annotations

import argparse
from collections.abc import Sequence
from pathlib import Path

from pix_livret.demo.academie import *  # noqa: F401,F403
from pix_livret.demo.class_csv import *  # noqa: F401,F403
from pix_livret.demo.establishment import *  # noqa: F401,F403
from pix_livret.demo.other_files import *  # noqa: F401,F403
from pix_livret.demo.people import *  # noqa: F401,F403
from pix_livret.demo.records import *  # noqa: F401,F403
from pix_livret.demo.roster import *  # noqa: F401,F403
from pix_livret.demo.establishment import make_sample_establishment
from pix_livret.demo.roster import DEFAULT_UAI


def main(argv: Sequence[str] | None = None) -> None:
    """python -m pix_livret.demo.sample_data OUT_DIR: writes a sample establishment and says what it wrote."""
    parser = argparse.ArgumentParser(prog="python -m pix_livret.demo.sample_data",
                                     description="Écrit un établissement d'exemple (CSV Pix Orga, fichier SIECLE).")
    parser.add_argument("out_dir", type=Path)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--uai", default=DEFAULT_UAI)
    parser.add_argument("--year", type=int, default=2025, help="first year of the school year (2025 for 2025-2026)")
    parser.add_argument("--classes", type=int, default=4)
    parser.add_argument("--students", type=int, default=25, help="students per class")
    args = parser.parse_args(argv)
    manifest = make_sample_establishment(args.out_dir, seed=args.seed, uai=args.uai, school_year=args.year,
                                         classes=args.classes, students_per_class=args.students)
    print(f"Roster: {manifest.roster_path} ({len(manifest.students)} students, UAI {manifest.uai})")
    print(f"Inbox: {manifest.inbox}")
    for f in manifest.files:
        what = f.version or f.kind
        print(f"  {f.name}: {what}, {f.rows_read} rows ({f.rows_loaded} good, {f.rows_quarantined} bad)")
    for title, entries in (("Planted (to be quarantined)", manifest.planted),
                           ("Notices (loaded, but reported)", manifest.notices)):
        print(f"{title}:")
        for name, row, what in entries:
            print(f"  {name}{f', row {row}' if row is not None else ''}: {what}")
    print("Expected: " + ", ".join(f"{key} {value}" for key, value in manifest.expected.items()))


if __name__ == "__main__":
    main()
