"""The pix-livret command line (design.md): ingest, export, attestations, report, problems, runs, purge, forget,
serve, alerts, worker, demo.

Exit status: 0 all good; 3 done but some input was quarantined; 1 failure; 2 usage; 128 + the signal's number for a
run stopped by a signal (143 SIGTERM, 130 SIGINT), after closing it « interrompue ».
"""
from __future__ import annotations

import os
import signal
import sys

# Prefect must not phone home, whatever the machine's settings; set before prefect is imported
os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
os.environ.setdefault("DO_NOT_TRACK", "1")
# the terminal gets warnings only; a configured server still gets every log line of the runs (its level stays INFO)
os.environ.setdefault("PREFECT_LOGGING_HANDLERS_CONSOLE_LEVEL", "WARNING")

from collections.abc import Iterator  # noqa: E402
from contextlib import contextmanager  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import TYPE_CHECKING, Optional  # noqa: E402

import typer  # noqa: E402
from rich.console import Console  # noqa: E402

from transforms.printable import printable  # noqa: E402

if TYPE_CHECKING:
    from pipeline.settings import Settings

EXIT_OK, EXIT_FAILURE, EXIT_USAGE, EXIT_QUARANTINE = 0, 1, 2, 3

app = typer.Typer(add_completion=False, no_args_is_help=True,
                  help="Résultats de certification Pix : import, livret scolaire (LSU/LSL), attestations.")
LOG_WIDTH = 200  # columns of what is printed to a file or a pipe (a cron job's log): rich would wrap it at 80


def _console(stream, **options) -> Console:
    """A console as wide as its terminal; in a log, as wide as the académie's table (13 columns), never cut."""
    width = None if stream.isatty() or os.environ.get("COLUMNS") else LOG_WIDTH
    return Console(width=width, **options)


console = _console(sys.stdout)
errors = _console(sys.stderr, stderr=True)

DbOption = typer.Option(None, "--db", help="URL de la base (défaut : PIX_LIVRET_DB_URL, puis var/pix-livret.sqlite)")


def _settings(db: Optional[str]) -> Settings:
    """This command's settings: its --db option, else the environment's (PIX_LIVRET_…); exit 2 when the environment
    holds a value that cannot be one (named, its value not repeated: it may be a URL with its password)."""
    from pipeline.settings import Settings

    os.umask(0o027)  # minors' personal data: outputs readable by owner and group only
    try:
        return Settings(db_url=db) if db else Settings()
    except ValueError as error:  # pydantic's ValidationError, which lists the settings refused
        names = ", ".join(sorted({f"PIX_LIVRET_{str(e['loc'][0]).upper()}" for e in error.errors() if e["loc"]}))
        errors.print(f"[red]Réglage invalide dans l'environnement : {names}.[/red]")
        raise typer.Exit(EXIT_USAGE)


def _reach_database(settings: Settings, *, write: bool, migrated: bool = False) -> None:
    """Exit 1 with the French reason, before Prefect starts, when the database is out of reach (or read-only,
    for a command that writes), or, for a command that only reads what runs wrote (MIGRATED), never created or
    migrated: said in seconds, without a traceback."""
    from store.database import NOT_READY, DatabaseFailure, check_writable, is_ready

    url = settings.database_url
    try:
        if write:
            check_writable(url)
        ready = is_ready(url) if migrated or not write else True
    except DatabaseFailure as failure:
        errors.print(f"[red]{printable(failure, markup=True)}[/red]")
        raise typer.Exit(EXIT_FAILURE)
    if migrated and not ready:
        errors.print(f"[red]{NOT_READY}[/red]")
        raise typer.Exit(EXIT_FAILURE)


@contextmanager
def _prefect_runs() -> Iterator[None]:
    """Prefect ready for this command's flow runs: the temporary server when no PREFECT_API_URL is set (tied to this
    command: it must not outlive it, even killed), and no flow-run heartbeats.

    Heartbeats cost about a second a flow run (flows/heartbeats.py), and nothing listens to those of a command.
    """
    from pix_livret.temporary_server import start_tied_temporary_server

    start_tied_temporary_server()
    from flows.heartbeats import without_heartbeats

    with without_heartbeats():
        yield


INGEST_WORK = "pipeline.ingest"  # the module of the load's work (pipeline.ingest.ingest_batch): its helpers import it


def _run_nightly_ingest(settings: Settings, inbox: Path, roster: Path | None, uai: str | None, report: Path | None,
                        attestations: bool, bilans: bool, school_name: str | None, schools: Path | None,
                        school_head: str | None = None):
    from pipeline.settings import using
    from pipeline.work_sharing import lend_helpers

    _reach_database(settings, write=True)
    # the load's helpers spawned before Prefect and the data libraries are imported: their own imports (a second or
    # two) overlap this process's, and they are ready when the first batch is
    with using(settings), lend_helpers(settings.workers - 1, INGEST_WORK), _prefect_runs():
        from flows.nightly_ingest import nightly_ingest

        return nightly_ingest(inbox=str(inbox), roster=str(roster) if roster else None, uai=uai,
                              report_path=str(report) if report else None, attestations=attestations, bilans=bilans,
                              school_name=school_name, schools=str(schools) if schools else None,
                              school_head=school_head, return_state=True)


@app.command()
def ingest(
    inbox: Path = typer.Argument(..., help="Dossier des CSV de classes (ou un sous-dossier par UAI)"),
    roster: Optional[Path] = typer.Option(None, "--roster", help="ElevesSansAdresses.xml (SIECLE) ou CSV élèves"),
    uai: Optional[str] = typer.Option(None, "--uai", help="UAI de l'établissement (sinon celui du fichier SIECLE)"),
    db: Optional[str] = DbOption,
    report: Optional[Path] = typer.Option(None, "--report", help="Écrire le compte rendu JSON dans ce fichier"),
    attestations: bool = typer.Option(True, help="Produire les attestations nouvelles ou modifiées"),
    bilans: bool = typer.Option(True, help="Refaire les bilans des établissements dont les données ont changé"),
    school_name: Optional[str] = typer.Option(None, "--school-name",
                                              help="Nom de l'établissement imprimé sur les attestations (gardé en base)"),
    school_head: Optional[str] = typer.Option(None, "--school-head", help="Nom du chef d'établissement, signataire "
                                              "des attestations (gardé en base ; un seul établissement)"),
    schools: Optional[Path] = typer.Option(None, "--schools", help="UAI et noms des établissements d'une académie "
                                           "(uai;nom, ou l'export de l'Annuaire de l'éducation)"),
    verbose: bool = typer.Option(False, "--verbose", help="Détail par fichier, même pour une académie"),
) -> None:
    """Charge les CSV de résultats Pix d'un dossier dans la base (flux de nuit)."""
    from transforms.inbox import InboxError, find_establishments
    from transforms.schools import given_head

    settings = _settings(db)
    try:
        if schools is not None and not schools.is_file():
            raise InboxError(f"Fichier des établissements introuvable : {schools}")
        establishments = find_establishments(inbox, roster, uai, school_name)  # a usage error is said before Prefect
        refused = given_head(school_head, all(e.folder == inbox for e in establishments))[1]
        if refused:
            raise InboxError(refused)
    except InboxError as error:
        errors.print(f"[red]{printable(error, markup=True)}[/red]")
        raise typer.Exit(EXIT_USAGE)
    try:
        state = _run_nightly_ingest(settings, inbox, roster, uai, report, attestations, bilans, school_name,
                                    schools, school_head)
    except KeyboardInterrupt:  # Ctrl-C before the run began (or once it ended): nothing of it is in the database
        errors.print("[red]Import interrompu (SIGINT) avant le début du chargement : rien n'est chargé.[/red]")
        raise typer.Exit(128 + signal.SIGINT)
    from flows.interruptions import RunInterrupted
    from flows.nightly_ingest import report_of
    from pix_livret.display import print_ingest_summary

    stopped = state.result(raise_on_failure=False) if state.is_crashed() else None
    if isinstance(stopped, RunInterrupted):  # the French line says what was committed; the shell's status
        errors.print(f"[red]{printable(stopped, markup=True)}[/red]")
        raise typer.Exit(stopped.exit_status)
    outcome = report_of(state)
    if outcome is not None:
        print_ingest_summary(outcome, console, verbose=verbose)
        if outcome.failed:
            errors.print("[red]Des établissements n'ont pas pu être enregistrés en base (voir la remarque) : "
                         "ils seront repris à la prochaine exécution.[/red]")
            raise typer.Exit(EXIT_FAILURE)
        if outcome.quarantined:
            raise typer.Exit(EXIT_QUARANTINE)
        if outcome.attestations_failed:
            errors.print("[red]Les données sont chargées, mais les attestations n'ont pas pu être produites.[/red]")
            raise typer.Exit(EXIT_FAILURE)
        raise typer.Exit(EXIT_OK)
    failure = state.result(raise_on_failure=False)
    if isinstance(failure, InboxError):
        errors.print(f"[red]{printable(failure, markup=True)}[/red]")
        raise typer.Exit(EXIT_USAGE)
    from store.database import DatabaseFailure
    from transforms.private_files import StorageFailure

    # a worded failure says what to fix; any other is named by the state (Prefect's own words)
    reason = failure if isinstance(failure, DatabaseFailure | StorageFailure) else state.message or failure
    errors.print(f"[red]Échec de l'import : {printable(reason, markup=True)}[/red]")
    raise typer.Exit(EXIT_FAILURE)


@app.command()
def export(
    livret: str = typer.Argument(..., help="lsu (collège) ou lsl (lycée)"),
    year: str = typer.Option(..., "--year", help="Année scolaire, ex. 2025-2026"),
    uai: Optional[str] = typer.Option(None, "--uai", help="UAI (sans : chaque établissement de la base qui a des "
                                      "données cette année)"),
    out: Optional[Path] = typer.Option(None, "--out", help="Dossier de sortie (défaut : PIX_LIVRET_OUT_DIR)"),
    db: Optional[str] = DbOption,
) -> None:
    """Produit le fichier d'import du livret scolaire (LSU ou LSL) et la liste des certifications écartées ; sans
    --uai, ceux de chaque établissement de la base."""
    if livret.upper() not in ("LSU", "LSL"):
        errors.print(f"[red]Livret inconnu : « {livret} » (attendu lsu ou lsl).[/red]")
        raise typer.Exit(EXIT_USAGE)
    from pipeline.settings import using

    settings = _settings(db)
    _reach_database(settings, write=False)
    with using(settings), _prefect_runs():
        from flows.livret_export import livret_export

        state = livret_export(livret=livret.upper(), school_year=year, uai=uai, out_dir=str(out) if out else None,
                              return_state=True)
    result = state.result(raise_on_failure=False)
    _finish_academie(result)
    if not state.is_completed():
        errors.print(f"[red]{printable(_failure_text(result, state), markup=True)}[/red]")
        raise typer.Exit(EXIT_FAILURE)
    _print_lines(result.asstr())


@app.command()
def attestations(
    division: Optional[str] = typer.Option(None, "--division", help="Une seule classe, ex. 3A"),
    year: Optional[str] = typer.Option(None, "--year", help="Année scolaire (défaut : celle de la dernière certification)"),
    uai: Optional[str] = typer.Option(None, "--uai", help="UAI (sans : chaque établissement de la base qui a des "
                                      "données cette année)"),
    out: Optional[Path] = typer.Option(None, "--out", help="Dossier de sortie (défaut : PIX_LIVRET_OUT_DIR/"
                                       "attestations/UAI/ANNÉE ; sans --uai, un sous-dossier par UAI)"),
    db: Optional[str] = DbOption,
) -> None:
    """Produit les attestations PDF des élèves certifiés : un PDF par classe et un par élève ; sans --uai, celles de
    chaque établissement de la base."""
    from datetime import date

    from pipeline.settings import using

    settings = _settings(db)
    _reach_database(settings, write=False)
    with using(settings), _prefect_runs():
        from flows.attestations import make_attestations
        from pipeline.school_years import default_school_year

        year = year or default_school_year(uai, date.today(), database_url=settings.database_url)
        state = make_attestations(school_year=year, uai=uai,
                                  division=division, out_dir=str(out) if out else None, return_state=True)
    result = state.result(raise_on_failure=False)
    _finish_academie(result)
    if not state.is_completed():
        errors.print(f"[red]{printable(_failure_text(result, state), markup=True)}[/red]")
        raise typer.Exit(EXIT_FAILURE)
    _print_lines(result.asstr())
    console.print(f"Dossier : {printable(result.out_dir, markup=True)}")


@app.command()
def report(
    year: Optional[str] = typer.Option(None, "--year", help="Année scolaire (défaut : celle de la dernière certification)"),
    uai: Optional[str] = typer.Option(None, "--uai", help="Un seul établissement (sinon tous, et la synthèse académique)"),
    out: Optional[Path] = typer.Option(None, "--out", help="Dossier de sortie (défaut : PIX_LIVRET_OUT_DIR) : "
                                       "les bilans vont dans bilans/UAI/ANNÉE"),
    db: Optional[str] = DbOption,
) -> None:
    """Produit le bilan Pix de l'établissement (HTML, PDF, tableur), et la synthèse académique s'il y en a plusieurs."""
    from datetime import date

    from pipeline.bilans import BilanError, make_bilans
    from pipeline.school_years import default_school_year

    settings = _settings(db)
    _reach_database(settings, write=False)
    url = settings.database_url
    try:
        school_year = year or default_school_year(uai, date.today(), database_url=url)
        result = make_bilans(url, (out or settings.out_dir).resolve(), school_year, uai, date.today(),
                             workers=settings.workers)
    except BilanError as error:
        errors.print(f"[red]{printable(error, markup=True)}[/red]")
        raise typer.Exit(EXIT_FAILURE)
    _print_lines(result.asstr())


@app.command()
def runs(db: Optional[str] = DbOption, limit: int = typer.Option(20, help="Nombre d'exécutions affichées"),
         uai: Optional[str] = typer.Option(None, "--uai", help="Les exécutions d'un seul établissement"),
         since: Optional[str] = typer.Option(None, "--since", help="Depuis ce jour (AAAA-MM-JJ)"),
         detail: bool = typer.Option(False, "--detail", help="Sous chaque nuit d'une académie, ses établissements")
         ) -> None:
    """Historique des exécutions (les plus récentes d'abord ; une nuit d'académie sur une ligne)."""
    from pix_livret.history_table import ACADEMIE_KIND, SinceRefused, history_table, since_moment
    from store.database import connect
    from store.runs import children_of, list_runs

    try:
        start = since_moment(since) if since else None
    except SinceRefused as refused:
        errors.print(f"[red]{printable(refused, markup=True)}[/red]")
        raise typer.Exit(EXIT_USAGE)
    settings = _settings(db)
    _reach_database(settings, write=False, migrated=True)
    with connect(settings.database_url, write=False) as connection:
        history = list_runs(connection, limit, uai=uai.strip().upper() if uai else None, since=start)
        nights = [run.id for run in history if detail and run.kind == ACADEMIE_KIND]
        children = children_of(connection, nights)
    console.print(history_table(history, children))


@app.command()
def problems(
    file_ids: Optional[list[int]] = typer.Argument(None, metavar="[N°…]", help="Numéros à acquitter (avec --acknowledge)"),
    acknowledge: bool = typer.Option(False, "--acknowledge", help="Acquitter les problèmes de ces numéros"),
    acknowledge_all: bool = typer.Option(False, "--acknowledge-all", help="Acquitter tous ceux de l'établissement --uai"),
    uai: Optional[str] = typer.Option(None, "--uai", help="Un seul établissement"),
    db: Optional[str] = DbOption,
) -> None:
    """Problèmes ouverts : fichiers écartés, ni remplacés par un export plus récent de la classe, ni acquittés."""
    writing = acknowledge or acknowledge_all
    usage = _problems_usage(file_ids or [], acknowledge, acknowledge_all, uai)
    if usage:
        errors.print(f"[red]{usage}[/red]")
        raise typer.Exit(EXIT_USAGE)
    settings = _settings(db)
    _reach_database(settings, write=writing, migrated=True)
    from pipeline.problems import ProblemsError
    from pipeline.problems import acknowledge as acknowledge_ids
    from pipeline.problems import acknowledge_all as acknowledge_uai

    try:
        url = settings.database_url
        if not writing:
            _print_open_problems(url, uai)
            return
        closed = acknowledge_uai(url, uai) if acknowledge_all else acknowledge_ids(url, file_ids, uai)
    except ProblemsError as error:
        errors.print(f"[red]{printable(error, markup=True)}[/red]")
        raise typer.Exit(EXIT_FAILURE)
    console.print(f"Problème(s) acquitté(s) : {len(closed)}" + (f" (n° {', '.join(map(str, closed))})" if closed else
                                                                " : aucun n'était ouvert"))


def _problems_usage(file_ids: list[int], acknowledge: bool, acknowledge_all: bool, uai: str | None) -> str | None:
    """What is wrong with the options of `problems`, in French; None when they make sense."""
    if acknowledge and acknowledge_all:
        return "Donnez soit --acknowledge N° …, soit --acknowledge-all --uai UAI."
    if acknowledge and not file_ids:
        return "Donnez les numéros des problèmes à acquitter : --acknowledge N° … (« pix-livret problems » les liste)."
    if file_ids and not acknowledge:
        return "Des numéros sans --acknowledge : ajoutez --acknowledge pour acquitter ces problèmes."
    if acknowledge_all and (uai is None or file_ids):
        return "--acknowledge-all acquitte les problèmes d'un établissement : donnez --uai UAI, sans numéros."
    return None


def _print_open_problems(database_url: str, uai: str | None) -> None:
    from pipeline.problems import list_problems
    from pix_livret.history_table import local
    from transforms.labels import file_status_label

    listed = list_problems(database_url, uai)
    if not listed.files:
        console.print("Aucun problème ouvert" + (f" pour {printable(uai, markup=True)}." if uai else "."))
        return
    console.print(f"Problèmes ouverts : {len(listed.files)} fichier(s) écarté(s), ni remplacé(s) par un export plus "
                  "récent de la classe ni acquitté(s)")
    # a block per file, not a table: file names and reasons are long, and a table cut them in an 80-column terminal
    for f in listed.files:
        console.print(f"\n[bold]N° {f.id}[/bold] · {f.uai} · {printable(f.name, markup=True)}", soft_wrap=True)
        set_aside = f"{f.rows_quarantined} ligne(s) écartée(s)" if f.rows_quarantined else "fichier entier écarté"
        console.print(f"  reçu le {local(f.registered_at):%d/%m/%Y}, "
                      f"{file_status_label(f.status)}, {set_aside}")
        for reason in listed.reasons.get(f.id, []):
            where = "fichier entier" if reason["row"] is None else f"ligne {reason['row']}"
            console.print(f"  - {where} : {printable(reason['message'], markup=True)}")
    console.print("\nPour clore un problème : déposez un export corrigé de la classe (la prochaine exécution le clôt), "
                  "ou acquittez-le : pix-livret problems --acknowledge N° …")


@app.command()
def purge(
    before: str = typer.Option(..., "--before", help="Première année scolaire gardée, ex. 2024-2025 : les "
                               "données nominatives des années antérieures sont supprimées"),
    dry_run: bool = typer.Option(False, "--dry-run", help="Dire ce qui serait supprimé, sans rien supprimer"),
    out: Optional[Path] = typer.Option(None, "--out", help="Dossier des sorties (défaut : PIX_LIVRET_OUT_DIR)"),
    db: Optional[str] = DbOption,
) -> None:
    """Supprime les données personnelles des années scolaires passées (les comptes anonymes restent)."""
    from pipeline.retention import RetentionError
    from pipeline.retention import purge as purge_years

    settings = _settings(db)
    _reach_database(settings, write=True)
    try:
        report = purge_years(before, database_url=settings.database_url, out_dir=out or settings.out_dir,
                             dry_run=dry_run)
    except RetentionError as error:
        errors.print(f"[red]{printable(error, markup=True)}[/red]")
        raise typer.Exit(EXIT_USAGE)
    _print_lines(report.summary())
    raise typer.Exit(EXIT_FAILURE if report.failed else EXIT_OK)


@app.command()
def forget(
    ine: Optional[str] = typer.Option(None, "--ine", help="INE de l'élève"),
    eleve_id: Optional[int] = typer.Option(None, "--eleve-id", help="ELEVE_ID (SIECLE) de l'élève"),
    uai: Optional[str] = typer.Option(None, "--uai", help="Seulement dans cet établissement"),
    out: Optional[Path] = typer.Option(None, "--out", help="Dossier des sorties (défaut : PIX_LIVRET_OUT_DIR)"),
    db: Optional[str] = DbOption,
) -> None:
    """Efface un élève partout (droit à l'effacement) : liste, résultats, quarantaine, archives, attestations."""
    from pipeline.retention import RetentionError
    from pipeline.retention import forget as forget_student

    if (ine is None) == (eleve_id is None):
        errors.print("[red]Donnez soit --ine, soit --eleve-id.[/red]")
        raise typer.Exit(EXIT_USAGE)
    settings = _settings(db)
    _reach_database(settings, write=True)
    try:
        report = forget_student(database_url=settings.database_url, out_dir=out or settings.out_dir, ine=ine,
                                eleve_id=eleve_id, uai=uai)
    except RetentionError as error:
        errors.print(f"[red]{printable(error, markup=True)}[/red]")
        raise typer.Exit(EXIT_FAILURE)
    _print_lines(report.summary())
    console.print("Pensez à retirer l'élève des fichiers de la boîte de dépôt et à refaire l'export du livret "
                  "s'il en avait un : les exports qui le nommaient sont supprimés.")
    raise typer.Exit(EXIT_FAILURE if report.failed else EXIT_OK)


@app.command()
def serve(port: int = typer.Option(4200, "--port", help="Port du serveur Prefect démarré (sans PREFECT_API_URL)"),
          db: Optional[str] = DbOption) -> None:
    """Production la plus simple : serveur Prefect, import de nuit programmé, export et attestations, en un processus."""
    from pix_livret.serve import ServerNotStarted, serve as serve_deployments
    from transforms.private_files import StorageFailure

    settings = _settings(db)
    _reach_database(settings, write=True)
    try:
        serve_deployments(port, settings=settings, database_url=db)
    except (ServerNotStarted, StorageFailure) as failure:  # the server down, or its password file not written
        errors.print(f"[red]{printable(failure, markup=True)}[/red]")
        raise typer.Exit(EXIT_FAILURE)


@app.command()
def alerts(webhook_url: str = typer.Option(..., "--webhook-url",
                                           help="Adresse du webhook entrant (Mattermost, Rocket.Chat, Teams…)"),
           db: Optional[str] = typer.Option(None, "--db", help="Avec le serveur de pix-livret serve : la base qu'il "
                                            "a reçue (son --db), à côté de laquelle il garde le mot de passe de l'API "
                                            "(défaut : PIX_LIVRET_DB_URL, puis var/pix-livret.sqlite)")) -> None:
    """Alerte : chaque exécution de nuit qui finit Failed ou Crashed est signalée au webhook (automatisation Prefect
    sur le serveur de PREFECT_API_URL) ; un message de test part aussitôt. Le mot de passe de l'API :
    PREFECT_API_AUTH_STRING, sinon celui que pix-livret serve garde."""
    from pix_livret.alerts import AlertFailure, install
    from pix_livret.serve import kept_auth

    if not os.environ.get("PREFECT_API_URL"):
        errors.print("[red]Réglez PREFECT_API_URL : l'alerte se crée sur le serveur Prefect qui exécute la nuit (celui "
                     "de pix-livret serve : http://127.0.0.1:4200/api).[/red]")
        raise typer.Exit(EXIT_USAGE)
    kept = None if os.environ.get("PREFECT_API_AUTH_STRING") else kept_auth(_settings(db))
    if kept:  # pix-livret serve's server: the password it keeps
        os.environ["PREFECT_API_AUTH_STRING"] = kept
    try:
        name = install(webhook_url)
    except AlertFailure as failure:
        errors.print(f"[red]{printable(failure, markup=True)}[/red]")
        raise typer.Exit(EXIT_FAILURE)
    console.print(f"Automatisation « {name} » créée ; message de test envoyé au webhook.")


@app.command(context_settings={"allow_extra_args": True, "ignore_unknown_options": True},
             epilog="Toute autre option de « prefect worker start » lui est passée telle quelle (la liste : "
                    "prefect worker start --help).")
def worker(
    context: typer.Context,
    pool: str = typer.Option(..., "--pool", "-p", help="Le pool de travail dont il prend les exécutions : pix-livret"),
    work_queue: Optional[list[str]] = typer.Option(None, "--work-queue", "-q", help="Seulement cette file du pool "
                                                   "(répétable ; défaut : toutes, etablissements comprise)"),
    limit: Optional[int] = typer.Option(None, "--limit", "-l", help="Au plus N exécutions à la fois sur ce worker"),
    name: Optional[str] = typer.Option(None, "--name", "-n", help="Le nom du worker dans l'interface"),
    worker_type: Optional[str] = typer.Option(None, "--type", "-t", help="Le type de worker (process ; défaut : "
                                              "celui du pool)"),
    with_healthcheck: bool = typer.Option(False, "--with-healthcheck", help="Sert /health (port 8080) tant qu'il "
                                          "interroge le serveur"),
) -> None:
    """Worker Prefect (« prefect worker start ») : arrêté (SIGTERM, Ctrl-C), il interrompt proprement ses exécutions
    en cours (« interrompue », état Crashed) avant de s'arrêter."""
    from pix_livret.worker import run_worker

    os.umask(0o027)  # minors' personal data: outputs readable by owner and group only
    raise typer.Exit(run_worker(worker_arguments(pool, work_queue or [], limit, name, worker_type, with_healthcheck,
                                                 context.args),
                                say=lambda line: console.print(printable(line, markup=True))))


def worker_arguments(pool: str, work_queues: list[str], limit: Optional[int], name: Optional[str],
                     worker_type: Optional[str], with_healthcheck: bool, others: list[str]) -> list[str]:
    """The `prefect worker start` arguments of `pix-livret worker`'s options; the options it does not know (OTHERS)
    first, as given, and the work queues last (Prefect's --work-queue takes every value up to the next option)."""
    arguments = [*others, "--pool", pool]
    for option, value in (("--limit", limit), ("--name", name), ("--type", worker_type)):
        if value is not None:
            arguments += [option, str(value)]
    if with_healthcheck:
        arguments.append("--with-healthcheck")
    for queue in work_queues:
        arguments += ["--work-queue", queue]
    return arguments


@app.command()
def demo(dir: Path = typer.Option(Path("var/demo"), "--dir", help="Dossier de la démonstration (recréé)")) -> None:
    """Démonstration : un établissement fictif, l'import de nuit, l'export LSU, les attestations et le bilan, en SQLite."""
    from pix_livret.demo.run import DemoError, DemoFolderRefused, run_demo

    os.umask(0o027)
    try:
        with _prefect_runs():
            run_demo(dir, console)
    except DemoError as error:
        errors.print(f"[red]{printable(error, markup=True)}[/red]")
        raise typer.Exit(EXIT_USAGE if isinstance(error, DemoFolderRefused) else EXIT_FAILURE)


def _finish_academie(result) -> None:
    """For an académie's June (RESULT: its report, or the failure carrying it): the table printed, then exit 0, or
    1 when an establishment failed. For one establishment, nothing."""
    from flows.june import JuneNotClean
    from pix_livret.display import print_june_summary
    from transforms.june_report import JuneReport

    report = result.report if isinstance(result, JuneNotClean) else result
    if not isinstance(report, JuneReport):
        return
    print_june_summary(report, console)
    if report.failed:
        errors.print("[red]Des établissements n'ont pas pu être faits (motif dans le tableau) : les autres le "
                     "sont.[/red]")
        raise typer.Exit(EXIT_FAILURE)
    raise typer.Exit(EXIT_OK)


def _print_lines(text: str) -> None:
    # a summary of several lines that quotes input (divisions, paths): each line made safe on its own
    for line in text.splitlines():
        console.print(printable(line, markup=True))


def _failure_text(result, state) -> str:
    # expected failures carry the administrator's message; anything else is named by its state
    return str(result) if isinstance(result, Exception) else (state.message or "échec")


def main() -> None:
    app()
