"""What the command line prints of an ingest (French): one line per file for one establishment, one line per
establishment for an académie, then the counts.

Takes a RunReport and a rich Console; row numbers and columns only, never a name. Input text (file names,
columns, messages quoting cells) is escaped: a cell reading "[/b]" is text, not rich markup.
"""
from __future__ import annotations

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from transforms.report import RunReport

FILE_STATUS_LABELS = {"loaded": "chargé", "partial": "partiel", "quarantined": "quarantaine", "unchanged": "inchangé"}


def print_ingest_summary(report: RunReport, console: Console, *, verbose: bool = False) -> None:
    """The per-file table for one establishment; for several, the per-establishment table (files with VERBOSE)."""
    academie = len(report.establishments) > 1
    if academie:
        console.print(_establishment_table(report))
    if verbose or not academie:
        console.print(_file_table(report))
        for f in report.files:
            for p in f.problems:
                where = f"ligne {p['row']}" if p["row"] is not None else "fichier entier"
                column = f", colonne {escape(p['column'])}" if p["column"] else ""
                console.print(f"  {escape(f.name)}, {where}{column} : {escape(p['message'])}")
    for e in report.establishments:
        if not academie and (e.notice or e.error):
            console.print(f"{e.uai} : {escape(e.error or e.notice)}")
    console.print(escape(report.state_message()))
    totals = report.totals()
    console.print(f"Non rattachés : {totals['unmatched']} ; ambigus : {totals['ambiguous']} ; "
                  f"absents : {totals['absents']} ; attestations produites : {totals['attestations_written']}")


def _file_table(report: RunReport) -> Table:
    table = Table(title="Import des résultats Pix")
    for column in ("Fichier", "Statut", "Lues", "Chargées", "Quarantaine"):
        table.add_column(column)
    for f in report.files:
        table.add_row(escape(f.name), FILE_STATUS_LABELS[f.status], str(f.rows_read), str(f.rows_loaded),
                      str(f.rows_quarantined))
    return table


def _establishment_table(report: RunReport) -> Table:
    table = Table(title=f"Import des résultats Pix : {len(report.establishments)} établissements")
    table.add_column("UAI", no_wrap=True)
    table.add_column("Nom")
    for column in ("Nouveaux", "Inchangés", "Écartés", "Chargées", "Quarant.", "Non ratt.", "Absents", "Attest."):
        table.add_column(column, justify="right")
    table.add_column("Remarque")
    rows = report.establishment_rows()
    for r in rows:
        table.add_row(r["uai"], escape(r["name"] or ""), *(str(r[k]) for k in (
            "files_new", "files_unchanged", "files_set_aside", "rows_loaded", "rows_quarantined", "unmatched",
            "absents", "attestations")), escape(r["notice"] or ""))
    table.add_row("Total", "", *(str(sum(r[k] for r in rows)) for k in (
        "files_new", "files_unchanged", "files_set_aside", "rows_loaded", "rows_quarantined", "unmatched",
        "absents", "attestations")), "", style="bold")
    return table
