"""The June export: one establishment's certifications of a school year → the LSU/LSL import XML and the CSV of the
certifications left out, with the run's row in the history.

Takes the request (livret, year, UAI) and the settings' database URL, output folder and editor; gives an ExportReport.
"""
from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import datetime
from importlib.metadata import version
from pathlib import Path

from pandera.typing import DataFrame

from pipeline.history import recorded_run
from pipeline.june import each_establishment
from pipeline.requests import check_year_and_database, chosen_establishment
from pipeline.settings import Settings
from schemas.livret import LIVRETS, LeftOutReason, Livret
from schemas.referential import Status
from schemas.stored import StoredCertificationFrame
from store.database import connect
from store.query import read_certifications
from transforms.june_report import EXPORT_COLUMNS, EstablishmentOutcome, JuneReport
from transforms.lsu_xml import LivretXmlInvalid, left_out_csv, left_out_file_name, livret_file_name, render_livret_xml
from transforms.private_files import write_private_file
from transforms.select_livret import LivretSelection, select_livret_certifications
from transforms.worded import WordedError


class ExportError(WordedError):
    """An expected failure, with the administrator's message (French): nothing was written."""


EXPORT_ERRORS = (ExportError, LivretXmlInvalid)  # their messages are written for administrators and name nobody


@dataclass(frozen=True)
class ExportReport:
    """What an export wrote. Counts carry no names; the paths name only the livret, UAI and year."""

    livret: str
    uai: str
    school_year: str
    path: str
    left_out_path: str
    students: int
    validated: int
    not_obtained: int
    left_out: dict[str, int] = field(default_factory=dict)  # LeftOutReason value -> certifications

    @property
    def certifications(self) -> int:
        return self.validated + self.not_obtained  # one per student, by the livret's rule

    def counts(self) -> dict[str, int]:
        """For the run history and artifacts."""
        return {"students": self.students, "certifications": self.certifications, "validated": self.validated,
                "not_obtained": self.not_obtained, "left_out": sum(self.left_out.values()),
                **{f"left_out_{reason}": count for reason, count in self.left_out.items()}}

    def asdict(self) -> dict:
        return asdict(self)

    def state_message(self) -> str:
        """One French sentence, counts only: the flow run's state and its log line."""
        left_out = sum(self.left_out.values())
        return (f"Export {self.livret} {self.uai} {self.school_year} : {self.students} élève(s), "
                f"{self.certifications} certification(s) ({self.validated} validée(s), {self.not_obtained} non "
                f"obtenue(s)), {left_out} certification(s) écartée(s).")

    def asstr(self) -> str:
        """The French summary the command line prints."""
        lines = [f"Export {self.livret} {self.uai} {self.school_year} : {self.students} élèves, "
                 f"{self.certifications} certifications ({self.validated} validées, {self.not_obtained} non obtenues).",
                 f"Fichier : {self.path}"]
        if self.left_out:
            lines.append(f"Non exportées : {sum(self.left_out.values())} (détail : {self.left_out_path})")
            lines += [f"- {LeftOutReason(reason).label} : {count}" for reason, count in self.left_out.items()]
        else:
            lines.append("Aucune certification écartée.")
        return "\n".join(lines)

    def to_markdown(self) -> str:
        rows = "\n".join(f"| {LeftOutReason(r).label} | {n} |" for r, n in self.left_out.items()) or "| — | 0 |"
        return (f"# Export {self.livret} {self.uai} {self.school_year}\n\n"
                f"**{self.students}** élèves exportés : {self.validated} certifications validées, "
                f"{self.not_obtained} non obtenues.\n\n"
                f"Fichier : `{Path(self.path).name}`\n\n"
                f"## Certifications non exportées : {sum(self.left_out.values())}\n\n"
                f"| motif | certifications |\n|---|---:|\n{rows}\n")


def export_livret(livret: Livret, school_year: str, uai: str | None, settings: Settings, *,
                  out_dir: str | None = None, now: datetime | None = None,
                  flow_run_id: str | None = None) -> ExportReport:
    """Writes LIVRET_UAI_YEAR.xml and the CSV of the certifications left out (mode 0640) into OUT_DIR (by default
    the settings' output folder), and records the run (FLOW_RUN_ID: the Prefect run it belongs to, if any).

    UAI may be None when the database holds one establishment; NOW (aware) stamps date-generation, by default the
    clock. Raises ExportError (French message, nothing written) for a malformed year or livret, a database never
    migrated, an unknown UAI, several establishments and no UAI, or a year with nothing to export; a refusal of the
    request itself records nothing. A document failing the XSD raises LivretXmlInvalid (a bug): nothing is written.
    """
    check_export_request(livret, school_year, settings.database_url)
    with recorded_run(f"export-{livret.lower()}", {"livret": livret, "school_year": school_year, "uai": uai},
                      flow_run_id, database_url=settings.database_url, worded_errors=EXPORT_ERRORS) as outcome:
        uai, stored = read_establishment_certifications(settings.database_url, uai, school_year)
        report = write_livret(livret, school_year, uai, stored, Path(out_dir) if out_dir else settings.out_dir,
                              settings.editor, (now or datetime.now()).astimezone())
        outcome.counts, outcome.message, outcome.uai = report.counts(), report.asstr(), uai
    return report


def export_establishments(livret: Livret, school_year: str, uais: Sequence[str], settings: Settings, *,
                          out_dir: str | None = None, now: datetime | None = None, flow_run_id: str | None = None,
                          on_done: Callable[[EstablishmentOutcome], None] = lambda outcome: None) -> JuneReport:
    """An académie's June: export_livret for each of UAIS, into one folder (the file names differ by UAI), each
    recorded as its own run; one that fails is named with its reason and the others are done. ON_DONE(outcome)
    after each."""
    outcomes = each_establishment(uais, lambda uai: export_livret(livret, school_year, uai, settings, out_dir=out_dir,
                                                                  now=now, flow_run_id=flow_run_id),
                                  EXPORT_ERRORS, on_done)
    return JuneReport(f"Export {livret}", school_year, EXPORT_COLUMNS, outcomes)


def check_export_request(livret: str, school_year: str, database_url: str) -> None:
    """ExportError unless LIVRET is LSU or LSL, SCHOOL_YEAR reads AAAA-AAAA with consecutive years, and the database
    was created and migrated (nothing is created by asking)."""
    if livret not in LIVRETS:
        raise ExportError(f"Livret inconnu : « {livret} » (attendu LSU ou LSL).")
    check_year_and_database(school_year, database_url, ExportError)


def read_establishment_certifications(database_url: str, uai: str | None,
                                      school_year: str) -> tuple[str, DataFrame[StoredCertificationFrame]]:
    """The UAI exported (the only one in the database when UAI is None) and all its stored certifications, each
    student in their SCHOOL_YEAR class."""
    with connect(database_url, write=False) as connection:
        uai = chosen_establishment(connection, uai, ExportError)
        return uai, read_certifications(connection, uai, school_year)


def write_livret(livret: Livret, school_year: str, uai: str, stored: DataFrame[StoredCertificationFrame],
                 folder: Path, editor: str, now: datetime) -> ExportReport:
    """Selects the certifications that count, builds the XML (checked against the XSD), then writes it and the
    left-out CSV (mode 0640) into FOLDER; ExportError when no student is left to export."""
    selection = select_livret_certifications(stored, school_year)
    _ensure_something_to_export(selection, uai, school_year)
    document = render_livret_xml(selection, livret=livret, uai=uai, school_year=school_year, generated_at=now,
                                 editor=editor, version=version("pix-livret"))
    path = folder / livret_file_name(livret, uai, school_year)
    left_out_path = folder / left_out_file_name(livret, uai, school_year)
    write_private_file(left_out_path, left_out_csv(selection), durable=True)
    write_private_file(path, document, durable=True)
    return _report_of(selection, livret, uai, school_year, path, left_out_path)


def _ensure_something_to_export(selection: LivretSelection, uai: str, school_year: str) -> None:
    if not selection.exported.empty:
        return
    if selection.left_out.empty:
        raise ExportError(f"Aucune certification Pix de l'établissement {uai} pour l'année scolaire {school_year} : "
                          "rien à exporter.")
    reasons = ", ".join(f"{LeftOutReason(r).label} : {n}" for r, n in selection.left_out_counts().items())
    raise ExportError(f"Aucun élève à exporter pour {uai} en {school_year} : "
                      f"{len(selection.left_out)} certification(s) écartée(s) ({reasons}).")


def _report_of(selection: LivretSelection, livret: str, uai: str, school_year: str, path: Path,
               left_out_path: Path) -> ExportReport:
    statuses = selection.exported["status"].value_counts()
    return ExportReport(livret, uai, school_year, str(path), str(left_out_path), len(selection.exported),
                        int(statuses.get(Status.VALIDATED.value, 0)), int(statuses.get(Status.REJECTED.value, 0)),
                        selection.left_out_counts())
