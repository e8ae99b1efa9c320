"""The run report: what happened to each file of an ingest, as data, JSON, markdown and French text.

Built by the nightly flow from the per-file outcomes; carries counts, row numbers and columns, never names.
"""
from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field, replace
from typing import Literal

import pandas as pd

from schemas.problems import PROBLEM_COLUMNS, OpenFile
from transforms.identifiers import uai_key_is_valid
from transforms.inbox import IgnoredEntry
from transforms.labels import file_status_label
from transforms.printable import printable

FileStatus = Literal["loaded", "partial", "quarantined", "unchanged"]
NO_ROSTER_NOTICE = "aucune liste d'élèves : {count} certification(s) non rattachée(s)"
UAI_TO_CHECK = "UAI à vérifier : {uai} (sa lettre clé ne correspond pas à ses chiffres ; gardé tel quel)"
OPEN_PROBLEMS_SHOWN = 50  # lines of the artifact: an académie's whole list is in the JSON and `pix-livret problems`


@dataclass(frozen=True)
class FileReport:
    """The outcome of one input file: 'partial' when some rows were set aside, 'quarantined' when none loaded."""

    name: str
    uai: str
    status: FileStatus
    rows_read: int = 0
    rows_loaded: int = 0
    rows_quarantined: int = 0
    rows_inserted: int = 0
    rows_updated: int = 0
    format: str | None = None
    problems: tuple[dict, ...] = ()  # each: row, column, message (+ rule, stage)
    notices: tuple[dict, ...] = ()  # reported but loaded: unmatched or ambiguous students

    @property
    def quarantined_whole(self) -> bool:
        return self.status == "quarantined" and self.rows_loaded == 0 and any(p["row"] is None for p in self.problems)

    @property
    def set_aside(self) -> bool:
        """Some input of the file was quarantined (all of it, or some rows)."""
        return self.status in ("quarantined", "partial")


@dataclass(frozen=True)
class EstablishmentReport:
    uai: str
    roster_students: int
    absents: tuple[dict, ...] = ()  # each: eleve_id, division
    roster_problems: tuple[dict, ...] = ()
    attestations_written: int = 0
    attestations_failed: bool = False  # the rendering failed: the loaded data stands, the next run retries
    name: str | None = None
    has_roster: bool = True
    unmatched_without_roster: int = 0  # said once for the establishment, not once per row
    error: str | None = None  # nothing of it was loaded (a database failure); the next run takes it again
    open_problems: tuple[OpenFile, ...] = ()  # its files set aside, this run's or earlier, still open

    @property
    def uai_to_check(self) -> bool:
        """Its UAI (folder name, --uai or the roster's UAJ) has a key letter that does not match its digits: kept,
        as public tools only warn about it (shared/formats.md), and said to the administrator."""
        return not uai_key_is_valid(self.uai)

    @property
    def roster_file_problems(self) -> tuple[dict, ...]:
        """What made its roster unusable as a whole (empty, not SIECLE's, no UAJ…): said in the summary."""
        return tuple(p for p in self.roster_problems if p["row"] is None and p["rule"] != "uai_key")

    @property
    def notice(self) -> str | None:
        if not self.has_roster and self.unmatched_without_roster:
            return NO_ROSTER_NOTICE.format(count=self.unmatched_without_roster)
        return None


@dataclass(repr=False)
class RunReport:
    files: list[FileReport] = field(default_factory=list)
    establishments: list[EstablishmentReport] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)  # seconds per phase of the run, for the operator
    ignored: list[IgnoredEntry] = field(default_factory=list)  # every inbox entry not read as results, and why
    # the académie's list of establishments (etablissements.csv, --schools): lines set aside, UAIs to check
    schools_problems: list[dict] = field(default_factory=list)

    def __repr__(self) -> str:
        # a repr reaches tracebacks and logs: the totals only, never a file's problems or the absents' ids
        return f"RunReport({self.totals()})"

    @classmethod
    def of(cls, outcomes, ignored: tuple[IgnoredEntry, ...] = (), schools_problems: tuple[dict, ...] = ()) -> RunReport:
        """The run's report from the establishments' outcomes (pipeline.ingest.EstablishmentOutcome), the
        entries IGNORED at the root of an académie inbox and the problems of its list of establishments.
        """
        return cls([f for o in outcomes for f in o.files], [o.report for o in outcomes],
                   ignored=[*ignored, *(i for o in outcomes for i in o.ignored)],
                   schools_problems=list(schools_problems))

    @property
    def uais_to_check(self) -> list[str]:
        return sorted(e.uai for e in self.establishments if e.uai_to_check)

    def with_attestations(self, written: dict[str, int | None]) -> RunReport:
        """The report with the attestations made per UAI (None: the rendering failed)."""
        establishments = [replace(e, attestations_written=written[e.uai] or 0,
                                  attestations_failed=written[e.uai] is None) if e.uai in written else e
                          for e in self.establishments]
        return replace(self, establishments=establishments)

    def with_timing(self, phase: str, seconds: float) -> RunReport:
        return replace(self, timings=self.timings | {phase: round(seconds, 2)})

    def files_of(self, uai: str) -> list[FileReport]:
        return [f for f in self.files if f.uai == uai]

    def totals(self) -> dict[str, int]:
        files = _file_totals(self.files)
        return {**files,
                "unmatched": files["unmatched"] + sum(e.unmatched_without_roster for e in self.establishments),
                "absents": sum(len(e.absents) for e in self.establishments),
                "attestations_written": sum(e.attestations_written for e in self.establishments),
                "attestations_failed": sum(e.attestations_failed for e in self.establishments),
                "establishments": len(self.establishments),
                "establishments_failed": sum(e.error is not None for e in self.establishments),
                "ignored": len(self.ignored),
                "ignored_set_aside": sum(i.set_aside for i in self.ignored),
                "open_problems": len(self.open_problems)}

    @property
    def has_quarantine(self) -> bool:
        """Some input was set aside: rows or files quarantined, or an entry refused (a link, an unreadable file)."""
        return any(f.set_aside for f in self.files) or any(i.set_aside for i in self.ignored)

    @property
    def open_problems(self) -> list[OpenFile]:
        """The files of the run's establishments still set aside (store.problems.is_open), this run's
        included: what keeps the run from being green until a newer export loads or someone acknowledges them.
        """
        return [p for e in self.establishments for p in e.open_problems]

    @property
    def has_open_problems(self) -> bool:
        return any(e.open_problems for e in self.establishments)

    @property
    def quarantined(self) -> bool:
        """What puts the run in quarantine (« Quarantaine », exit 3): input set aside by this run, or a problem
        still open."""
        return self.has_quarantine or self.has_open_problems

    @property
    def failed(self) -> bool:
        """An establishment could not be loaded at all."""
        return any(e.error is not None for e in self.establishments)

    def asdict(self) -> dict:
        """The JSON report of design.md: files (name, status, counts, problems) and totals."""
        return {
            "files": [
                {"name": f.name, "uai": f.uai, "status": f.status, "format": f.format,
                 "rows_read": f.rows_read, "rows_loaded": f.rows_loaded, "rows_quarantined": f.rows_quarantined,
                 "problems": [_public_problem(p) for p in f.problems],
                 "notices": [_public_problem(n) for n in f.notices]}
                for f in self.files
            ],
            "establishments": [_establishment_dict(e) for e in self.establishments],
            "ignored": [{"name": i.name, "uai": i.uai, "rule": i.rule, "reason": i.reason} for i in self.ignored],
            "open_problems": [p.asdict() for p in self.open_problems],
            "uais_to_check": self.uais_to_check,
            "schools_problems": [{"file": p["file"], **_public_problem(p)} for p in self.schools_problems],
            "totals": self.totals(),
            "timings": self.timings,
        }

    def establishment_rows(self) -> list[dict]:
        """One line per establishment: what the académie's summary shows (counts only)."""
        rows = []
        for e in self.establishments:
            t = _file_totals(self.files_of(e.uai))
            rows.append({"uai": e.uai, "name": e.name, "files_new": t["files"] - t["files_unchanged"],
                         "files_unchanged": t["files_unchanged"],
                         "files_set_aside": t["files_quarantined"] + t["files_partial"],
                         "rows_loaded": t["rows_loaded"], "rows_quarantined": t["rows_quarantined"],
                         "unmatched": t["unmatched"] + e.unmatched_without_roster, "absents": len(e.absents),
                         "attestations": e.attestations_written,
                         "ignored": sum(i.uai == e.uai for i in self.ignored),
                         "open_problems": len(e.open_problems), "notice": e.error or e.notice})
        return rows

    def to_json(self) -> str:
        return json.dumps(self.asdict(), ensure_ascii=False, indent=2)

    @property
    def attestations_failed(self) -> bool:
        return any(e.attestations_failed for e in self.establishments)

    def state_message(self) -> str:
        """One French sentence for the Prefect state."""
        t = self.totals()
        if not self.has_quarantine:
            message = (f"{t['files']} fichier(s), {t['rows_loaded']} ligne(s) chargée(s), "
                       f"{t['files_unchanged']} fichier(s) inchangé(s) ; "
                       + ("aucune nouvelle quarantaine" if self.has_open_problems else "aucune quarantaine"))
        else:
            message = (f"Quarantaine : {t['files_quarantined'] + t['files_partial']} fichier(s) concerné(s), {t['rows_quarantined']} "
                       f"ligne(s) écartée(s) ; {t['rows_loaded']} ligne(s) valide(s) chargée(s)")
        if t["ignored_set_aside"]:
            message += (f" ; {t['ignored_set_aside']} élément(s) du dépôt refusé(s) (liens symboliques, fichiers "
                        "illisibles)")
        if self.has_open_problems:
            message += (f" ; problèmes ouverts : {t['open_problems']} fichier(s) écarté(s), ni remplacé(s) par un "
                        "export plus récent de la classe ni acquitté(s) (voir « pix-livret problems »)")
        if self.failed:
            message += (f" ; {t['establishments_failed']} établissement(s) non chargé(s) "
                        "(erreur de base de données, repris à la prochaine exécution)")
        if self.attestations_failed:
            message += (f" ; attestations en échec pour {t['attestations_failed']} établissement(s) "
                        "(voir le journal de l'exécution)")
        return message

    def to_markdown(self) -> str:
        """The run's Prefect artifact: counts and problems (row, column, message), no names."""
        t = self.totals()
        lines = ["# Import des résultats Pix", "", self.state_message(), ""]
        if len(self.establishments) > 1:
            lines += ["| UAI | Nouveaux | Inchangés | Écartés | Chargées | En quarantaine | Non rattachés | Absents | "
                      "Problèmes ouverts | Remarque |", "|---|---|---|---|---|---|---|---|---|---|"]
            lines += [f"| {r['uai']} | {r['files_new']} | {r['files_unchanged']} | {r['files_set_aside']} | "
                      f"{r['rows_loaded']} | {r['rows_quarantined']} | {r['unmatched']} | {r['absents']} | "
                      f"{r['open_problems']} | "
                      f"{_md(r['notice'] or '')} |" for r in self.establishment_rows()]
        else:
            lines += ["| Fichier | Établissement | Statut | Lues | Chargées | En quarantaine |", "|---|---|---|---|---|---|"]
            lines += [f"| {_md(f.name)} | {f.uai} | {file_status_label(f.status)} | {f.rows_read} | {f.rows_loaded} | {f.rows_quarantined} |"
                      for f in self.files]
            lines += [f"{e.uai} : {e.notice}" for e in self.establishments if e.notice]
        lines += [UAI_TO_CHECK.format(uai=uai) for uai in self.uais_to_check]
        if self.ignored:
            lines += ["", f"Éléments du dépôt non lus : {t['ignored']} (détail en fin de rapport)."]
        lines += ["", f"Élèves non rattachés à SIECLE : {t['unmatched']} ; rattachements ambigus : {t['ambiguous']} ; "
                      f"élèves sans certification (absents) : {t['absents']}."]
        problems = [(f, p) for f in self.files for p in f.problems]
        if problems:
            lines += ["", "## Problèmes", "", "| Fichier | Établissement | Ligne | Colonne | Message |", "|---|---|---|---|---|"]
            lines += [f"| {_md(f.name)} | {f.uai} | {p['row'] if p['row'] is not None else 'fichier'} | {_md(p['column'] or '')} | {_md(p['message'])} |"
                      for f, p in problems]
        if self.schools_problems:
            lines += ["", "## Liste des établissements", "", "| Fichier | Ligne | Message |", "|---|---|---|"]
            lines += [f"| {_md(p['file'])} | {p['row'] if p['row'] is not None else 'fichier'} | {_md(p['message'])} |"
                      for p in self.schools_problems]
        if self.ignored:
            lines += ["", "## Éléments non lus", "", "| Élément | Établissement | Raison |", "|---|---|---|"]
            lines += [f"| {_md(i.name)} | {i.uai or 'racine'} | {_md(i.reason)} |" for i in self.ignored]
        if self.has_open_problems:
            lines += ["", *_open_problems_markdown(self.open_problems)]
        return "\n".join(lines) + "\n"


def _file_totals(files: list[FileReport]) -> dict[str, int]:
    return {
        "files": len(files),
        "files_loaded": sum(f.status == "loaded" for f in files),
        "files_partial": sum(f.status == "partial" for f in files),
        "files_quarantined": sum(f.status == "quarantined" for f in files),
        "files_unchanged": sum(f.status == "unchanged" for f in files),
        "rows_read": sum(f.rows_read for f in files),
        "rows_loaded": sum(f.rows_loaded for f in files),
        "rows_quarantined": sum(f.rows_quarantined for f in files),
        "unmatched": sum(n["rule"] == "unmatched_student" for f in files for n in f.notices),
        "ambiguous": sum(n["rule"] == "ambiguous_student" for f in files for n in f.notices),
    }


def problems_as_records(problems: pd.DataFrame) -> tuple[dict, ...]:
    """A ProblemFrame as dicts with its columns, rows as int or None, ordered as in the file (whole-file first)."""
    if not len(problems):  # most files: pandas' column selection alone costs milliseconds a file
        return ()
    records = [dict(zip(PROBLEM_COLUMNS, row)) for row in problems[list(PROBLEM_COLUMNS)].itertuples(index=False, name=None)]
    for record in records:
        record["row"] = None if pd.isna(record["row"]) else int(record["row"])
    return tuple(sorted(records, key=lambda p: p["row"] or 0))


def _establishment_dict(e: EstablishmentReport) -> dict:
    # open problems are listed once, at the top of the report: the establishment's entry keeps its fields
    return {key: value for key, value in asdict(e).items() if key != "open_problems"} | {
        "absents": list(e.absents), "roster_problems": [_public_problem(p) for p in e.roster_problems],
        "uai_to_check": e.uai_to_check}


def _open_problems_markdown(problems: list[OpenFile]) -> list[str]:
    """File names, dates and counts only; the reasons are in `pix-livret problems` (and were in the run's report)."""
    lines = ["## Problèmes ouverts", "",
             "Fichiers écartés ni remplacés par un export plus récent de la classe ni acquittés : déposez un export "
             "corrigé, ou acquittez-les (« pix-livret problems --acknowledge N° »).", "",
             "| N° | Établissement | Fichier | Reçu le | Statut | Lignes écartées |", "|---|---|---|---|---|---|"]
    lines += [f"| {p.id} | {p.uai} | {_md(p.name)} | {p.registered_at:%d/%m/%Y} | {file_status_label(p.status)} | {p.rows_quarantined} |"
              for p in problems[:OPEN_PROBLEMS_SHOWN]]
    if len(problems) > OPEN_PROBLEMS_SHOWN:
        lines += ["", f"… et {len(problems) - OPEN_PROBLEMS_SHOWN} autre(s) : « pix-livret problems »."]
    return lines


def _public_problem(problem: dict) -> dict:
    return {"row": problem["row"], "column": problem["column"], "rule": problem["rule"], "message": problem["message"]}


def _md(text: str) -> str:
    return printable(text).replace("|", "\\|")
