"""The June export as a Prefect flow: the request checked, the establishment's livret written (pipeline.export), its
summary published in the UI.

Takes the livret, year, UAI and output folder as parameters, the rest from the settings; gives the ExportReport, in a
Completed state whose message is its French sentence (the first thing the run's page shows).
"""
from __future__ import annotations

from datetime import date

from prefect import flow, get_run_logger, task
from prefect.artifacts import create_markdown_artifact
from prefect.cache_policies import NO_CACHE
from prefect.states import Completed, State

from flows.failures import failure_published
from flows.retry import DELAY_SECONDS, TRIES_AGAIN, retry_when_transient
from flows.run_row import current_flow_run_id
from pipeline.export import EXPORT_ERRORS, ExportReport, check_export_request, export_livret
from pipeline.school_years import default_school_year
from pipeline.settings import Settings, current_settings
from schemas.livret import Livret


@flow(name="livret-export", log_prints=False)
def livret_export(livret: Livret, school_year: str | None = None, uai: str | None = None,
                  out_dir: str | None = None) -> State:
    """Writes LIVRET_UAI_YEAR.xml for the livret scolaire and the CSV of the certifications left out.

    Args:
        livret: LSU (collège) or LSL (lycée).
        school_year: AAAA-AAAA; empty, the year of the establishment's latest certification (a June deployment
            needs no edit each year).
        uai: the establishment; may stay empty when the database holds only one.
        out_dir: where the files go; empty, PIX_LIVRET_OUT_DIR.
    """
    settings = current_settings()
    with failure_published(f"export-{str(livret).lower()}", EXPORT_ERRORS):
        # Parameters and database checked first: a refusal records nothing and writes nothing
        school_year = check_export(livret, school_year, uai, settings)
        # The establishment's certifications → the XML (checked against the XSD) and the left-out list, recorded
        report = write_export(livret, school_year, uai, out_dir, settings)
    # What the Prefect UI shows: the summary as an artifact, the counts as the run's state
    publish_export_summary(report)
    return Completed(message=report.state_message(), data=report)


@task(cache_policy=NO_CACHE, retries=TRIES_AGAIN, retry_delay_seconds=DELAY_SECONDS,
      retry_condition_fn=retry_when_transient)
def check_export(livret: Livret, school_year: str | None, uai: str | None, settings: Settings) -> str:
    """The school year to export (SCHOOL_YEAR, or the default one), once the request is known good."""
    school_year = school_year or default_school_year(uai, date.today(), database_url=settings.database_url)
    check_export_request(livret, school_year, settings.database_url)
    return school_year


@task(cache_policy=NO_CACHE, retries=TRIES_AGAIN, retry_delay_seconds=DELAY_SECONDS,
      retry_condition_fn=retry_when_transient)
def write_export(livret: Livret, school_year: str, uai: str | None, out_dir: str | None,
                 settings: Settings) -> ExportReport:
    report = export_livret(livret, school_year, uai, settings, out_dir=out_dir, flow_run_id=current_flow_run_id())
    get_run_logger().info(report.state_message())
    return report


@task(cache_policy=NO_CACHE)
def publish_export_summary(report: ExportReport) -> None:
    create_markdown_artifact(key=f"export-{report.livret.lower()}", markdown=report.to_markdown(),
                             description="Élèves exportés et certifications écartées par motif "
                                         "(sans données nominatives)")
