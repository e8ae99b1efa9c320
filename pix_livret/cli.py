"""The pix-livret command line (design.md): ingest, export, attestations, runs, demo.

Exit status: 0 all good; 3 done but some input was quarantined; 1 failure; 2 usage.
"""
from __future__ import annotations

import os

# Prefect must not phone home, whatever the machine's settings; set before prefect is imported
os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
os.environ.setdefault("DO_NOT_TRACK", "1")
os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")

from pathlib import Path  # noqa: E402
from typing import Optional  # noqa: E402

import typer  # noqa: E402
from rich.console import Console  # noqa: E402
from rich.table import Table  # noqa: E402

EXIT_OK, EXIT_FAILURE, EXIT_USAGE, EXIT_QUARANTINE = 0, 1, 2, 3

app = typer.Typer(add_completion=False, no_args_is_help=True,
                  help="Résultats de certification Pix : import, livret scolaire (LSU/LSL), attestations.")
console = Console()
errors = Console(stderr=True)

DbOption = typer.Option(None, "--db", help="URL de la base (défaut : PIX_LIVRET_DB_URL, puis var/pix-livret.sqlite)")


def _use_database(url: Optional[str]) -> None:
    # flows read the URL from the environment: a URL can carry a password, never a flow parameter
    if url:
        os.environ["PIX_LIVRET_DB_URL"] = url
    os.umask(0o027)  # minors' personal data: outputs readable by owner and group only


@app.command()
def ingest(
    inbox: Path = typer.Argument(..., help="Dossier des CSV de classes (ou un sous-dossier par UAI)"),
    roster: Optional[Path] = typer.Option(None, "--roster", help="ElevesSansAdresses.xml (SIECLE) ou CSV élèves"),
    uai: Optional[str] = typer.Option(None, "--uai", help="UAI de l'établissement (sinon celui du fichier SIECLE)"),
    db: Optional[str] = DbOption,
    report: Optional[Path] = typer.Option(None, "--report", help="Écrire le compte rendu JSON dans ce fichier"),
    attestations: bool = typer.Option(True, help="Produire les attestations nouvelles ou modifiées"),
) -> None:
    """Charge les CSV de résultats Pix d'un dossier dans la base (flux de nuit)."""
    from transforms.inbox import InboxError, find_establishments

    _use_database(db)
    try:
        find_establishments(inbox, roster, uai)
    except InboxError as error:
        errors.print(f"[red]{error}[/red]")
        raise typer.Exit(EXIT_USAGE)
    from flows.nightly_ingest import QUARANTINED, nightly_ingest

    state = nightly_ingest(inbox=str(inbox), roster=str(roster) if roster else None, uai=uai,
                           report_path=str(report) if report else None, attestations=attestations,
                           return_state=True)
    result = state.result(raise_on_failure=False)
    if state.is_completed() or state.name == QUARANTINED:
        print_ingest_summary(result)
        raise typer.Exit(EXIT_OK if state.is_completed() else EXIT_QUARANTINE)
    if isinstance(result, InboxError):
        errors.print(f"[red]{result}[/red]")
        raise typer.Exit(EXIT_USAGE)
    errors.print(f"[red]Échec de l'import : {state.message or result}[/red]")
    raise typer.Exit(EXIT_FAILURE)


def print_ingest_summary(report) -> None:
    table = Table(title="Import des résultats Pix")
    for column in ("Fichier", "Statut", "Lues", "Chargées", "Quarantaine"):
        table.add_column(column)
    for f in report.files:
        table.add_row(f.name, f.status, str(f.rows_read), str(f.rows_loaded), str(f.rows_quarantined))
    console.print(table)
    for f in report.files:
        for p in f.problems:
            where = f"ligne {p['row']}" if p["row"] is not None else "fichier"
            console.print(f"  {f.name}, {where}{', ' + p['column'] if p['column'] else ''} : {p['message']}")
    console.print(report.state_message())
    totals = report.totals()
    console.print(f"Non rattachés : {totals['unmatched']} ; ambigus : {totals['ambiguous']} ; "
                  f"absents : {totals['absents']} ; attestations produites : {totals['attestations_written']}")


@app.command()
def runs(db: Optional[str] = DbOption, limit: int = typer.Option(20, help="Nombre d'exécutions affichées")) -> None:
    """Historique des exécutions (les plus récentes d'abord)."""
    from pix_livret import config
    from pix_livret.database import is_at_head, make_engine
    from transforms.runs import list_runs

    _use_database(db)
    engine = make_engine(config.database_url())
    if not is_at_head(engine):
        errors.print("[red]La base n'est pas initialisée : lancez d'abord « pix-livret ingest ».[/red]")
        raise typer.Exit(EXIT_FAILURE)
    with engine.connect() as connection:
        history = list_runs(connection, limit)
    table = Table(title="Historique des exécutions")
    for column in ("N°", "Type", "Début", "Fin", "Statut", "Résumé"):
        table.add_column(column)
    for run in history:
        table.add_row(str(run.id), run.kind, f"{run.started_at:%Y-%m-%d %H:%M}",
                      f"{run.ended_at:%H:%M:%S}" if run.ended_at else "", run.status, run.message or "")
    console.print(table)


def main() -> None:
    app()
