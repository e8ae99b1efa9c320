"""What the command line prints of an ingest (French): one line per file for one establishment, one line per
establishment for an académie, then the counts and the entries of the inbox that were not read; and of an
académie's June (export, attestations), one line per establishment.

Takes a RunReport and a rich Console; row numbers and columns only, never a name. Every piece of input text
(file names, columns, messages quoting cells) goes through `shown`: a cell reading "[/b]" is text, not rich
markup, and an ESC in a file name is printed as \\x1b, not sent to the terminal.
"""
from __future__ import annotations

from functools import partial

from rich import box
from rich.console import Console
from rich.table import Table

from transforms.labels import file_status_label
from transforms.june_report import JuneReport
from transforms.printable import printable
from transforms.report import UAI_TO_CHECK, RunReport

shown = partial(printable, markup=True)


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
                column = f", colonne {shown(p['column'])}" if p["column"] else ""
                console.print(f"  {shown(f.name)}, {where}{column} : {shown(p['message'])}")
    if verbose and report.ignored:
        _print_ignored(report, console, academie)
    elif any(i.set_aside for i in report.ignored):  # a link, an unreadable file or roster: input lost, said always
        _print_ignored(report, console, academie, set_aside_only=True)
    for e in report.establishments:
        if not academie and (e.notice or e.error):
            console.print(f"{shown(e.uai)} : {shown(e.error or e.notice)}")
        for p in e.roster_file_problems:
            console.print(f"{shown(e.uai)} : liste d'élèves {shown(p['file'])} : {shown(p['message'])}", soft_wrap=True)
    for p in report.schools_problems:
        where = f"ligne {p['row']}" if p["row"] is not None else "fichier entier"
        console.print(f"{shown(p['file'])}, {where} : {shown(p['message'])}", soft_wrap=True)
    for uai in report.uais_to_check:
        console.print(shown(UAI_TO_CHECK.format(uai=uai)))
    console.print(shown(report.state_message()))
    totals = report.totals()
    console.print(f"Non rattachés : {totals['unmatched']} ; ambigus : {totals['ambiguous']} ; "
                  f"absents : {totals['absents']} ; attestations produites : {totals['attestations_written']}")
    if report.ignored:
        console.print(f"Éléments du dépôt non lus : {totals['ignored']}, dont {totals['ignored_set_aside']} "
                      "refusé(s) (liens, fichiers illisibles)" + ("" if verbose else " ; détail avec --verbose"))


def _file_table(report: RunReport) -> Table:
    table = Table(title="Import des résultats Pix")
    for column in ("Fichier", "Statut", "Lues", "Chargées", "Quarantaine"):
        table.add_column(column)
    for f in report.files:
        table.add_row(shown(f.name), file_status_label(f.status), str(f.rows_read), str(f.rows_loaded),
                      str(f.rows_quarantined))
    return table


def _print_ignored(report: RunReport, console: Console, academie: bool, set_aside_only: bool = False) -> None:
    console.print("Éléments du dépôt refusés :" if set_aside_only else "Éléments du dépôt non lus :")
    for i in report.ignored:
        if set_aside_only and not i.set_aside:
            continue
        where = f"{i.uai}/" if academie and i.uai else ""
        # soft wrap: a name is never cut nor shortened with an ellipsis, the terminal folds the line
        console.print(f"  {shown(where + i.name)} — {shown(i.reason)}", soft_wrap=True)


def _establishment_table(report: RunReport) -> Table:
    # thirteen columns: rules under the header only, which leaves their room to the headers and the names
    table = Table(title=f"Import des résultats Pix : {len(report.establishments)} établissements",
                  box=box.SIMPLE_HEAD)
    table.add_column("UAI", no_wrap=True)
    table.add_column("Nom")
    counts = ("files_new", "files_unchanged", "files_set_aside", "rows_loaded", "rows_quarantined", "unmatched",
              "absents", "attestations", "ignored", "open_problems")
    for column in ("Nouveaux", "Inchangés", "Écartés", "Chargées", "Quarant.", "Non ratt.", "Absents", "Attest.",
                   "Non lus", "Ouverts"):
        table.add_column(column, justify="right")
    table.add_column("Remarque")
    rows = report.establishment_rows()
    for r in rows:
        table.add_row(shown(r["uai"]), shown(r["name"] or ""), *(str(r[k]) for k in counts), shown(r["notice"] or ""))
    # the root of the inbox is no establishment: what is left unread there counts in the total only
    total = {k: sum(r[k] for r in rows) for k in counts} | {"ignored": len(report.ignored)}
    table.add_row("Total", "", *(str(total[k]) for k in counts), "", style="bold")
    return table


def print_june_summary(report: JuneReport, console: Console) -> None:
    """The académie's table: per UAI its counts, or the reason it failed; then the sentence that sums it up."""
    table = Table(title=f"{report.title} {report.school_year} : {len(report.establishments)} établissements",
                  box=box.SIMPLE_HEAD)
    headers = report.headers()
    table.add_column(headers[0], no_wrap=True)
    for header in headers[1:-1]:
        table.add_column(header, justify="right")
    table.add_column(headers[-1])
    for row in report.rows():
        table.add_row(*(shown(cell) for cell in row))
    console.print(table)
    console.print(shown(report.state_message()))
