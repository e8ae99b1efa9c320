"""The June export as a Prefect flow: the request checked, the establishment's livret written (pipeline.export), its
summary published in the UI; without a UAI on a database of several establishments, every one's (flows/june.py).

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
from flows.fan_out import FanOutError
from flows.june import june_state, outcome_logger, plan_academie, spread_june
from flows.retry import DELAY_SECONDS, TRIES_AGAIN, retry_when_transient
from flows.run_row import current_flow_run_id
from pipeline.export import (EXPORT_ERRORS, ExportError, ExportReport, check_export_request, export_establishments,
                             export_livret)
from pipeline.school_years import default_school_year
from pipeline.settings import Settings, current_settings
from schemas.livret import Livret
from transforms.june_report import EXPORT_COLUMNS, JuneReport

# the deployment an académie's export runs each establishment with, when fanned out (deploy/prefect.yaml)
EXPORT_DEPLOYMENT = "livret-export/export-lsu"


@flow(name="livret-export", log_prints=False)
def livret_export(livret: Livret, school_year: str | None = None, uai: str | None = None,
                  out_dir: str | None = None, fan_out: bool = False) -> State:
    """Writes LIVRET_UAI_YEAR.xml for the livret scolaire and the CSV of the certifications left out.

    Args:
        livret: LSU (collège) or LSL (lycée).
        school_year: AAAA-AAAA; empty, the year of the latest certification (a June deployment needs no edit each
            year).
        uai: the establishment; empty, the database's only one, or, when it holds several, every establishment
            with data that year (an académie's June: a file per UAI, one that fails named, the others done).
        out_dir: where the files go; empty, PIX_LIVRET_OUT_DIR.
        fan_out: an académie's establishments each as a flow run of their own on the pool's queue
            « etablissements » (shared by every worker); false, one after the other in this run.
    """
    settings = current_settings()
    with failure_published(f"export-{str(livret).lower()}", (*EXPORT_ERRORS, FanOutError)):
        # Parameters and database checked first: a refusal records nothing and writes nothing
        school_year = check_export(livret, school_year, uai, settings)
        # No UAI on a database of several establishments: each one with data that year, on its own (a UAI given,
        # as an académie's fanned-out runs give it, costs no task)
        academie = plan_academie(uai, school_year, settings, ExportError) if uai is None else None
        if academie:
            return june_state(export_academie(livret, school_year, academie, out_dir, fan_out, settings),
                              f"export-{str(livret).lower()}")
        # The establishment's certifications → the XML (checked against the XSD) and the left-out list, recorded
        report = write_export(livret, school_year, uai, out_dir, settings)
    # What the Prefect UI shows: the summary as an artifact, the counts as the run's state
    publish_export_summary(report)
    return Completed(message=report.state_message(), data=report)


def export_academie(livret: Livret, school_year: str, uais: list[str], out_dir: str | None, fan_out: bool,
                    settings: Settings) -> JuneReport:
    """Each establishment's export: a flow run of its own on the pool (FAN_OUT), or here, one after the other."""
    if not fan_out:
        return export_each_establishment(livret, school_year, uais, out_dir, settings)
    return spread_june(EXPORT_DEPLOYMENT, JuneReport(f"Export {livret}", school_year, EXPORT_COLUMNS),
                       {uai: {"livret": livret, "school_year": school_year, "uai": uai, "out_dir": out_dir}
                        for uai in uais}, settings)


@task(cache_policy=NO_CACHE)
def export_each_establishment(livret: Livret, school_year: str, uais: list[str], out_dir: str | None,
                              settings: Settings) -> JuneReport:
    """Every establishment's file in turn, each recorded as its own run; one line of log per establishment."""
    return export_establishments(livret, school_year, uais, settings, out_dir=out_dir,
                                 flow_run_id=current_flow_run_id(), on_done=outcome_logger(EXPORT_COLUMNS))


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
