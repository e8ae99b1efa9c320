"""The académie's night when its establishments ran as separate flow runs (the nightly run's fan-out).

Takes what each establishment's flow run left (its Prefect state, and its run-history row: status and counts);
returns the establishment table, the French state message and the run's status. UAIs, school names and counts
only: no student is ever named here.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Literal

from transforms.identifiers import uai_key_is_valid
from transforms.inbox import IgnoredEntry
from transforms.labels import prefect_state_label, run_status_label, said_uais
from transforms.printable import printable
from transforms.report import UAI_TO_CHECK

Outcome = Literal["completed", "quarantined", "failed"]


@dataclass(frozen=True)
class EstablishmentRun:
    """One establishment's flow run as the parent finds it at its end."""

    uai: str | None
    name: str | None  # the school's, from etablissements.csv
    flow_run: str  # the flow run's name in the UI
    state: str  # Prefect's state type: COMPLETED, FAILED, CRASHED, CANCELLED…; any other: not over when the wait ended
    message: str | None = None  # its state message: counts, or Prefect's word on a crash
    status: str | None = None  # its pipeline_runs row's status; None when it recorded no run (it died before)
    counts: dict = field(default_factory=dict)  # its row's counts (RunReport.totals)

    @property
    def outcome(self) -> Outcome:
        """Completed; in quarantine (a Failed run whose row says so: input set aside or problems open); else
        failed (not loaded, attestations in failure, crashed, cancelled, or still not over)."""
        if self.state == "COMPLETED":
            return "completed"
        return "quarantined" if self.state == "FAILED" and self.status == "quarantined" else "failed"


@dataclass(frozen=True)
class AcademieReport:
    establishments: tuple[EstablishmentRun, ...]
    ignored: tuple[IgnoredEntry, ...] = ()  # entries at the root of the académie inbox, not read
    schools_problems: tuple[dict, ...] = ()  # lines of its list of establishments set aside or to check

    @property
    def uais_to_check(self) -> list[str]:
        """Folder names whose key letter does not match their digits: kept, said (as a single run says them)."""
        return sorted(e.uai for e in self.establishments if e.uai and not uai_key_is_valid(e.uai))

    def uais(self, outcome: Outcome) -> list[str]:
        return [e.uai or "?" for e in self.establishments if e.outcome == outcome]

    def totals(self) -> dict[str, int]:
        """Sums of the establishments' counts: the parent's run-history row (each child has its own)."""
        def total(key: str) -> int:
            return sum(int(e.counts.get(key) or 0) for e in self.establishments)

        return {"establishments": len(self.establishments),
                "establishments_completed": len(self.uais("completed")),
                "establishments_quarantined": len(self.uais("quarantined")),
                "establishments_failed": len(self.uais("failed")),
                **{key: total(key) for key in ("files", "files_unchanged", "rows_loaded", "rows_quarantined",
                                               "open_problems", "attestations_written")},
                "ignored": len(self.ignored), "ignored_set_aside": sum(i.set_aside for i in self.ignored)}

    @property
    def quarantined(self) -> bool:
        return bool(self.uais("quarantined")) or any(i.set_aside for i in self.ignored)

    @property
    def failed(self) -> bool:
        return bool(self.uais("failed"))

    @property
    def status(self) -> str:
        """The parent's pipeline_runs status, ranked as a single run's is: failed, then quarantined."""
        return "failed" if self.failed else "quarantined" if self.quarantined else "completed"

    def state_message(self) -> str:
        """One French sentence for the parent's Prefect state: counts, and the UAIs of the establishments to look
        at (« Quarantaine : » first when input was set aside, as a single run's message)."""
        t = self.totals()
        quarantined, failed = self.uais("quarantined"), self.uais("failed")
        if self.quarantined:
            message = (f"Quarantaine : {len(quarantined)} établissement(s) sur {t['establishments']} avec des "
                       f"fichiers écartés ou des problèmes ouverts{_listed(quarantined)} ; "
                       f"{t['rows_quarantined']} ligne(s) écartée(s), {t['rows_loaded']} ligne(s) valide(s) "
                       "chargée(s)")
        else:
            message = (f"{t['establishments']} établissement(s), {t['rows_loaded']} ligne(s) chargée(s) ; "
                       "aucune quarantaine")
        if t["ignored_set_aside"]:
            message += f" ; {t['ignored_set_aside']} élément(s) refusé(s) à la racine du dépôt"
        if failed:
            message += (f" ; {len(failed)} établissement(s) en échec{_listed(failed)} : voir leur exécution "
                        "establishment-ingest")
        return message

    def to_markdown(self) -> str:
        """The parent's artifact: one line per establishment, then what the runs not completed said."""
        lines = ["# Import des résultats Pix : académie, une exécution par établissement", "",
                 self.state_message(), "",
                 "| UAI | Établissement | Exécution | Nouveaux fichiers | Fichiers écartés | Lignes chargées | "
                 "En quarantaine | Problèmes ouverts | Attestations | État |",
                 "|---|---|---|---|---|---|---|---|---|---|"]
        lines += [f"| {e.uai or '?'} | {_md(e.name or '')} | {_md(e.flow_run)} | {_count(e, 'files', 'files_unchanged')}"
                  f" | {_count(e, 'files_quarantined', plus='files_partial')} | {_count(e, 'rows_loaded')} | "
                  f"{_count(e, 'rows_quarantined')} | {_count(e, 'open_problems')} | "
                  f"{_count(e, 'attestations_written')} | {_state_label(e)} |" for e in self.establishments]
        unclean = [e for e in self.establishments if e.outcome != "completed"]
        if unclean:
            lines += ["", "## Établissements à voir", "",
                      "Le détail (fichiers, lignes, colonnes) est dans l'artefact de leur exécution.", "",
                      "| UAI | Exécution | Message |", "|---|---|---|"]
            lines += [f"| {e.uai or '?'} | {_md(e.flow_run)} | {_md(e.message or '')} |" for e in unclean]
        if self.uais_to_check:
            lines += ["", *(UAI_TO_CHECK.format(uai=uai) for uai in self.uais_to_check)]
        if self.schools_problems:
            lines += ["", "## Liste des établissements", "", "| Fichier | Ligne | Message |", "|---|---|---|"]
            lines += [f"| {_md(p['file'])} | {p['row'] if p['row'] is not None else 'fichier'} | {_md(p['message'])} |"
                      for p in self.schools_problems]
        if self.ignored:
            lines += ["", "## Éléments de la racine non lus", "", "| Élément | Raison |", "|---|---|"]
            lines += [f"| {_md(i.name)} | {_md(i.reason)} |" for i in self.ignored]
        return "\n".join(lines) + "\n"

    def asdict(self) -> dict:
        return {"establishments": [{"uai": e.uai, "name": e.name, "flow_run": e.flow_run, "state": e.state,
                                    "outcome": e.outcome, "message": e.message, "counts": e.counts}
                                   for e in self.establishments],
                "ignored": [{"name": i.name, "rule": i.rule, "reason": i.reason} for i in self.ignored],
                "uais_to_check": self.uais_to_check,
                "schools_problems": [{key: p[key] for key in ("file", "row", "column", "rule", "message")}
                                     for p in self.schools_problems],
                "totals": self.totals()}

    def to_json(self) -> str:
        return json.dumps(self.asdict(), ensure_ascii=False, indent=2)


def _listed(uais: list[str]) -> str:
    return f" ({said_uais(uais)})" if uais else ""


def _count(run: EstablishmentRun, key: str, minus: str | None = None, plus: str | None = None) -> str:
    """A count of the run's row; « — » when it recorded none."""
    if not run.counts:
        return "—"
    value = int(run.counts.get(key) or 0)
    value -= int(run.counts.get(minus) or 0) if minus else 0
    value += int(run.counts.get(plus) or 0) if plus else 0
    return str(value)


def _state_label(run: EstablishmentRun) -> str:
    # an outcome is a run's status (completed, quarantined, failed): the words of `pix-livret runs`
    label = run_status_label(run.outcome)
    return label if run.state in ("COMPLETED", "FAILED") else f"{label} ({prefect_state_label(run.state)})"


def _md(text: str) -> str:
    return printable(text).replace("|", "\\|").replace("\n", " ")
