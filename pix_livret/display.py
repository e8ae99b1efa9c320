"""What the command line prints of an ingest: a table of files, their problems, the counts (French).

Takes a RunReport and a rich Console; row numbers and columns only, never a name.
"""
from __future__ import annotations

from rich.console import Console
from rich.table import Table

from transforms.report import RunReport


FILE_STATUS_LABELS = {"loaded": "chargé", "quarantined": "quarantaine", "unchanged": "inchangé"}


def print_ingest_summary(report: RunReport, console: Console) -> None:
    table = Table(title="Import des résultats Pix")
    for column in ("Fichier", "Statut", "Lues", "Chargées", "Quarantaine"):
        table.add_column(column)
    for f in report.files:
        table.add_row(f.name, FILE_STATUS_LABELS[f.status], str(f.rows_read), str(f.rows_loaded), str(f.rows_quarantined))
    console.print(table)
    for f in report.files:
        for p in f.problems:
            where = f"ligne {p['row']}" if p["row"] is not None else "fichier entier"
            console.print(f"  {f.name}, {where}{', colonne ' + p['column'] if p['column'] else ''} : {p['message']}")
    console.print(report.state_message())
    totals = report.totals()
    console.print(f"Non rattachés : {totals['unmatched']} ; ambigus : {totals['ambiguous']} ; "
                  f"absents : {totals['absents']} ; attestations produites : {totals['attestations_written']}")
