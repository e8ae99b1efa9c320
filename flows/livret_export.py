"""The June export: one establishment's certifications of a school year → the LSU/LSL import XML and the list of who was left out.

Prefect orchestration over transforms/select_livret.py and transforms/lsu_xml.py; run_livret_export is the same without Prefect.
"""
from __future__ import annotations

import logging
from dataclasses import asdict, dataclass, field
from datetime import date, datetime
from importlib.metadata import version
from pathlib import Path

from pandera.typing import DataFrame
from prefect import flow, get_run_logger, task
from prefect.artifacts import create_markdown_artifact
from prefect.cache_policies import NO_CACHE
from prefect.exceptions import MissingContextError

from pipeline import config
from flows.failures import failure_published
from flows.run_row import current_flow_run_id
from pipeline.history import recorded_run
from flows.retry import DELAY_SECONDS, TRIES_AGAIN, retry_when_transient
from pipeline.school_years import default_school_year
from schemas.livret import LIVRETS, LeftOutReason, Livret
from schemas.referential import Status
from schemas.stored import StoredCertificationFrame
from store.database import NOT_READY, connect, is_ready
from store.query import EstablishmentChoiceError, choose_establishment, list_establishments, read_certifications
from transforms.lsu_xml import LivretXmlInvalid, left_out_csv, left_out_file_name, livret_file_name, render_livret_xml
from transforms.private_files import write_private_file
from transforms.select_livret import LivretSelection, school_year_bounds, select_livret_certifications
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


@flow(name="livret-export", log_prints=False)
def livret_export(livret: Livret, school_year: str | None = None, uai: str | None = None,
                  out_dir: str | None = None) -> ExportReport:
    """Writes LIVRET_UAI_YEAR.xml for the livret scolaire (LSU: collège, LSL: lycée) and the CSV of the
    certifications left out, for SCHOOL_YEAR (AAAA-AAAA; by default the year of the establishment's latest
    certification, as for the attestations: a June deployment needs no edit each year). UAI may be omitted when
    the database holds one establishment; OUT_DIR defaults to PIX_LIVRET_OUT_DIR.
    """
    with failure_published(f"export-{str(livret).lower()}", EXPORT_ERRORS):
        # Parameters and database checked first: a refusal records nothing and writes nothing
        school_year = school_year or default_school_year(uai, date.today())
        check_export_request(livret, school_year)
        ensure_database_ready()
        with _recorded_export(livret, school_year, uai, current_flow_run_id()) as outcome:
            # The establishment's certifications (the read is retried), then select, build, validate, write
            uai, stored = read_certifications_task(uai, school_year)
            report = write_export_task(livret, school_year, uai, stored, out_dir)
            outcome.counts, outcome.message = report.counts(), report.asstr()
    # What the Prefect UI shows
    publish_export_summary(report)
    return report


@task(cache_policy=NO_CACHE, retries=TRIES_AGAIN, retry_delay_seconds=DELAY_SECONDS,
      retry_condition_fn=retry_when_transient)
def read_certifications_task(uai: str | None, school_year: str) -> tuple[str, DataFrame[StoredCertificationFrame]]:
    return read_establishment_certifications(uai, school_year)


@task(cache_policy=NO_CACHE)
def write_export_task(livret: Livret, school_year: str, uai: str, stored: DataFrame[StoredCertificationFrame],
                      out_dir: str | None) -> ExportReport:
    report = export_certifications(livret, school_year, uai, stored, out_dir)
    _logger().info("Export %s %s %s : %s", livret, uai, school_year, report.counts())
    return report


@task(cache_policy=NO_CACHE)
def publish_export_summary(report: ExportReport) -> None:
    create_markdown_artifact(key=f"export-{report.livret.lower()}", markdown=report.to_markdown(),
                             description="Élèves exportés et certifications écartées par motif (sans données nominatives)")


# --- Without Prefect: the CLI and the tests call this; the flow calls the same steps


def run_livret_export(livret: Livret, school_year: str, uai: str | None = None, out_dir: str | None = None,
                      *, now: datetime | None = None) -> ExportReport:
    """The flow's work as a plain function; NOW (aware) stamps date-generation, by default the clock.

    Raises ExportError (French message, nothing written) for a malformed year or livret, a database never
    migrated, an unknown UAI, several establishments and no UAI, or a year with nothing to export.
    A document failing the XSD raises LivretXmlInvalid (a bug); nothing is written either.
    """
    check_export_request(livret, school_year)
    ensure_database_ready()
    with _recorded_export(livret, school_year, uai, None) as outcome:
        uai, stored = read_establishment_certifications(uai, school_year)
        report = export_certifications(livret, school_year, uai, stored, out_dir, now)
        outcome.counts, outcome.message = report.counts(), report.asstr()
    return report


# --- The steps


def check_export_request(livret: str, school_year: str) -> None:
    """ExportError unless LIVRET is LSU or LSL and SCHOOL_YEAR reads AAAA-AAAA with consecutive years."""
    if livret not in LIVRETS:
        raise ExportError(f"Livret inconnu : « {livret} » (attendu LSU ou LSL).")
    try:
        school_year_bounds(school_year)
    except ValueError as error:
        raise ExportError(str(error)) from None


def ensure_database_ready() -> None:
    """ExportError when the configured database was never created or migrated (nothing is created by asking)."""
    if not is_ready(config.database_url()):
        raise ExportError(NOT_READY)


def _recorded_export(livret: str, school_year: str, uai: str | None, flow_run_id: str | None):
    """The export's row in the run history; its parameters are the livret, the year and the UAI."""
    return recorded_run(f"export-{livret.lower()}", {"livret": livret, "school_year": school_year, "uai": uai},
                        flow_run_id, worded_errors=EXPORT_ERRORS)


def read_establishment_certifications(uai: str | None,
                                      school_year: str) -> tuple[str, DataFrame[StoredCertificationFrame]]:
    """The UAI exported (the only one in the database when UAI is None) and all its stored certifications, each
    student in their SCHOOL_YEAR class."""
    with connect(config.database_url(), write=False) as connection:
        try:
            uai = choose_establishment(list_establishments(connection), uai)
        except EstablishmentChoiceError as error:
            raise ExportError(str(error)) from None
        return uai, read_certifications(connection, uai, school_year)


def export_certifications(livret: Livret, school_year: str, uai: str, stored: DataFrame[StoredCertificationFrame],
                          out_dir: str | None, now: datetime | None = None) -> ExportReport:
    """Selects, builds and validates the XML, then writes it and the left-out CSV (mode 0640) into OUT_DIR."""
    selection = select_livret_certifications(stored, school_year)
    _ensure_something_to_export(selection, uai, school_year)
    document = render_livret_xml(selection, livret=livret, uai=uai, school_year=school_year,
                                 generated_at=(now or datetime.now()).astimezone(), editor=config.editor_name(),
                                 version=version("pix-livret"))
    folder = Path(out_dir) if out_dir else config.output_dir()
    path, left_out_path = folder / livret_file_name(livret, uai, school_year), folder / left_out_file_name(
        livret, uai, school_year)
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


def _logger() -> logging.Logger | logging.LoggerAdapter:
    # a task called through .fn() (tests, the plain path) has no run context to log into
    try:
        return get_run_logger()
    except MissingContextError:
        return logging.getLogger(__name__)
