"""What the operator sees while a long ingest runs: a rich progress bar on a terminal, a log line otherwise.

Takes the totals to expect; returns a callback for each establishment done (counts and UAI only, no names).
"""
from __future__ import annotations

import logging
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from pipeline.ingest import EstablishmentOutcome
from transforms.printable import printable


@contextmanager
def establishment_progress(establishments: int, files: int, logger: logging.Logger | logging.LoggerAdapter,
                           ) -> Iterator[Callable[[EstablishmentOutcome], None]]:
    """A callback to call as each establishment is done: it logs one line, and moves the bar on a terminal."""
    console = Console(stderr=True)
    show_bar = establishments > 1 and console.is_terminal and sys.stderr.isatty()
    progress = Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                        TextColumn("{task.fields[files]}/{task.fields[all_files]} fichiers · {task.fields[rows]} lignes"),
                        TimeElapsedColumn(), console=console, transient=True, disable=not show_bar)
    with progress:
        task = progress.add_task("Établissements", total=establishments, files=0, rows=0, all_files=files)
        totals = {"files": 0, "rows": 0}

        def done(outcome: EstablishmentOutcome) -> None:
            report = outcome.report
            files_done = len(outcome.files)
            rows = sum(f.rows_loaded for f in outcome.files)
            totals["files"] += files_done
            totals["rows"] += rows
            progress.update(task, advance=1, files=totals["files"], rows=totals["rows"],
                            description=f"Établissements (dernier : {printable(report.uai, markup=True)})")
            logger.info("Établissement %s : %d fichier(s), %d ligne(s) chargée(s), %d en quarantaine%s",
                        printable(report.uai), files_done, rows, sum(f.rows_quarantined for f in outcome.files),
                        f" ; {report.error}" if report.error else "")

        yield done
