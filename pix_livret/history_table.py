"""What `pix-livret runs` prints: the run history as a table, an académie night on one line (« 110 établissements »),
its establishments' runs beneath it on demand.

Takes pipeline_runs rows (store.runs.list_runs, children_of); statuses and kinds in the words of transforms/labels,
counts only, never a student.
"""
from __future__ import annotations

import re
from datetime import date, datetime, time, timezone

from rich.table import Table

from transforms.labels import run_kind_label, run_status_label
from transforms.printable import printable

ACADEMIE_KIND = "ingest-academie"  # flows/fan_out.py's row of a night whose establishments ran on their own
BENEATH = "  └ "  # before the number of an establishment's run, under its night


class SinceRefused(ValueError):
    """--since is not a date: the message for the operator (French)."""


def since_moment(text: str) -> datetime:
    """The first moment of the day TEXT (AAAA-MM-JJ) on this machine's clock, in UTC as the history stores it."""
    try:
        if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
            raise ValueError(text)
        day = date.fromisoformat(text)
    except ValueError:
        raise SinceRefused(f"Date invalide pour --since : « {printable(text)} » (attendu AAAA-MM-JJ, "
                           "ex. 2026-06-01).") from None
    return datetime.combine(day, time()).astimezone().astimezone(timezone.utc)


def history_table(runs: list, children: dict[int, list]) -> Table:
    """One line per run, the latest first; beneath a night, its establishments' runs (CHILDREN, by night)."""
    table = Table(title="Historique des exécutions")
    for column in ("N°", "Type", "UAI", "Début", "Durée", "Statut"):
        table.add_column(column, no_wrap=True)
    table.add_column("Résultat")
    for run in runs:
        table.add_row(*run_cells(run))
        for child in children.get(run.id, []):
            table.add_row(*run_cells(child, beneath=True))
    return table


def run_cells(run, beneath: bool = False) -> list[str]:
    duration = f"{(run.ended_at - run.started_at).total_seconds():.0f} s" if run.ended_at else ""
    return [f"{BENEATH if beneath else ''}{run.id}", run_kind_label(run.kind), establishments_cell(run),
            f"{local(run.started_at):%d/%m/%Y %H:%M}", duration, run_status_label(run.status),
            run_outcome(run.kind, run.counts or {})]


def establishments_cell(run) -> str:
    """The run's UAI; for a run of several establishments (an académie night), how many: as many as it set out to
    do (an interrupted night's counts hold only those it committed), else as it counted."""
    if run.uai:
        return printable(run.uai, markup=True)
    count = int((run.parameters or {}).get("establishments") or (run.counts or {}).get("establishments") or 0)
    if run.kind == ACADEMIE_KIND or count > 1:
        return f"{count} établissement{'s' if count > 1 else ''}"
    return ""


def local(moment: datetime) -> datetime:
    # stored in UTC; SQLite hands it back without its offset
    return (moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)).astimezone()


def run_outcome(kind: str, counts: dict) -> str:
    if kind == "ingest" and counts:
        still_open = f", {counts['open_problems']} problème(s) ouvert(s)" if counts.get("open_problems") else ""
        return f"{counts.get('rows_loaded', 0)} lignes chargées, {counts.get('rows_quarantined', 0)} écartées{still_open}"
    if kind == ACADEMIE_KIND and counts:  # its establishments each have their own row, shown with --detail
        return (f"{counts.get('rows_loaded', 0)} lignes chargées, {counts.get('rows_quarantined', 0)} écartées ; "
                f"{counts.get('establishments_quarantined', 0)} établissement(s) en quarantaine, "
                f"{counts.get('establishments_failed', 0)} en échec")
    if kind.startswith("export") and counts:
        return f"{counts.get('students', 0)} élèves, {counts.get('left_out', 0)} certif. écartées"
    if kind == "attestations" and counts:
        return f"{counts.get('pages', 0)} attestations, {counts.get('divisions_rendered', 0)} classes"
    if kind == "acknowledge" and counts:
        return f"{counts.get('acknowledged', 0)} problème(s) acquitté(s)"
    return ""
