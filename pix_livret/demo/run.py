"""`pix-livret demo`: a sample establishment, the nightly flow, the June LSU export and the bilan, on a SQLite file.

Takes a folder (recreated) and a console; prints what ran and where everything is.
"""
from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path

from rich.console import Console

from pix_livret.display import print_ingest_summary
from pix_livret.demo.establishment import SampleManifest, make_sample_establishment
from pix_livret.demo.roster import SCHOOL_NAME
from pipeline.settings import Settings, using

MARKER = ".pix-livret-demo"  # only a folder that carries it is wiped by the next demo


class DemoError(Exception):
    """The demo failed (French message)."""


class DemoFolderRefused(DemoError):
    """The folder asked for holds something else than an earlier demo: nothing is wiped."""


def run_demo(folder: Path, console: Console) -> None:
    folder = folder.resolve()
    _recreate(folder)
    manifest = make_sample_establishment(folder / "exemple")
    school_year = f"{manifest.school_year}-{manifest.school_year + 1}"
    console.print(f"[bold]Établissement d'exemple[/bold] {manifest.uai} : {len(manifest.students)} élèves "
                  f"dans {manifest.roster_path.name}, {len(manifest.files)} fichiers dans {manifest.inbox}")

    with using(demo_settings(folder)) as settings:
        _run_pipeline(folder, settings, manifest, school_year, console)


def demo_settings(folder: Path) -> Settings:
    """Everything the demo writes goes under FOLDER, whatever the caller's configuration (the environment's editor
    and workers kept)."""
    return Settings(db_url=f"sqlite:///{folder / 'pix-livret.sqlite'}", out_dir=folder / "sorties",
                    archive_dir=folder / "archive")


def _run_pipeline(folder: Path, settings: Settings, manifest: SampleManifest, school_year: str,
                  console: Console) -> None:
    from flows.livret_export import livret_export
    from flows.nightly_ingest import nightly_ingest, report_of

    report_path = folder / "sorties" / "rapport-import.json"
    report_path.parent.mkdir(parents=True, exist_ok=True)
    console.print("\n[bold]1. Import de nuit[/bold] (flux Prefect nightly-ingest)")
    ingest = nightly_ingest(inbox=str(manifest.inbox), roster=str(manifest.roster_path), school_name=SCHOOL_NAME,
                            report_path=str(report_path), return_state=True)
    report = report_of(ingest)
    if report is None:
        raise DemoError(f"L'import a échoué : {ingest.message}")
    print_ingest_summary(report, console)
    console.print(f"Attendu d'après les données générées : {manifest.expected['rows_loaded']} lignes chargées, "
                  f"{manifest.expected['rows_quarantined']} en quarantaine, "
                  f"{manifest.expected['files_quarantined_whole']} fichiers écartés entiers.")

    console.print(f"\n[bold]2. Export du livret[/bold] (flux Prefect livret-export, LSU {school_year})")
    export = livret_export(livret="LSU", school_year=school_year, uai=manifest.uai, return_state=True)
    exported = export.result(raise_on_failure=False)
    if isinstance(exported, BaseException):
        raise DemoError(f"L'export LSU a échoué : {exported}")
    console.print(exported.asstr())

    console.print(f"\n[bold]3. Bilan de l'établissement[/bold] (pix-livret report, {school_year})")
    bilan = _make_bilan(settings, manifest.uai, school_year)
    console.print(bilan.asstr())

    console.print("\n[bold]Où sont les résultats[/bold]")
    console.print(f"- base de données : {folder / 'pix-livret.sqlite'} (historique : pix-livret runs --db "
                  f"sqlite:///{folder / 'pix-livret.sqlite'})")
    console.print(f"- compte rendu de l'import : {report_path}")
    console.print(f"- fichier LSU : {exported.path}")
    console.print(f"- attestations : {folder / 'sorties' / 'attestations' / manifest.uai / school_year}")
    console.print(f"- bilan (à ouvrir dans un navigateur) : {bilan.written[0].paths[0]}")
    console.print(f"- copies des fichiers reçus : {folder / 'archive'}")


def _make_bilan(settings: Settings, uai: str, school_year: str):
    from pipeline.bilans import BilanError, make_bilans

    try:
        return make_bilans(settings.database_url, settings.out_dir, school_year, uai, date.today(),
                           workers=settings.workers)
    except BilanError as error:
        raise DemoError(f"Le bilan a échoué : {error}") from error


def _recreate(folder: Path) -> None:
    if folder.exists():
        if not (folder / MARKER).exists() and any(folder.iterdir()):
            raise DemoFolderRefused(f"{folder} existe et n'est pas un dossier de démonstration : choisissez un autre --dir.")
        shutil.rmtree(folder)
    folder.mkdir(parents=True, mode=0o750)
    (folder / MARKER).touch()
