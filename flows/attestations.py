"""The attestations as a Prefect flow: the request checked, the establishment's PDFs made (pipeline.attestations), a
summary without names published in the UI; without a UAI on a database of several establishments, every one's
(flows/june.py).

Takes the year, UAI, division and output folder as parameters, the rest from the settings; gives the
AttestationsReport (the nightly run reads its pages), in a Completed state whose message is its French sentence.
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
from pipeline.attestations import (AttestationsError, AttestationsReport, attestations_of_establishments,
                                   check_attestations_request, establishment_out_dir, produce_attestations)
from pipeline.school_years import default_school_year
from pipeline.settings import Settings, current_settings
from transforms.june_report import ATTESTATIONS_COLUMNS, JuneReport

# the deployment an académie's attestations run each establishment with, when fanned out (deploy/prefect.yaml)
ATTESTATIONS_DEPLOYMENT = "make-attestations/attestations"


@flow(name="make-attestations", log_prints=False, persist_result=False)
def make_attestations(school_year: str | None = None, uai: str | None = None, division: str | None = None,
                      out_dir: str | None = None, only_changed: bool = False, fan_out: bool = False) -> State:
    """Renders the attestations: per class one PDF, and one PDF per student.

    Args:
        school_year: AAAA-AAAA; empty, the year of the latest certification.
        uai: the establishment; empty, the database's only one, or, when it holds several, every establishment
            with data that year (an académie's June: a folder per UAI, one that fails named, the others done).
        division: one class only (e.g. 3A); empty, every class.
        out_dir: where the PDFs go; empty, PIX_LIVRET_OUT_DIR/attestations/UAI/YEAR (for an académie, OUT_DIR/UAI).
        only_changed: render only the classes whose pages changed since the last run.
        fan_out: an académie's establishments each as a flow run of their own on the pool's queue
            « etablissements » (shared by every worker); false, one after the other in this run.
    """
    settings = current_settings()
    with failure_published("attestations", (AttestationsError, FanOutError)):
        # Parameters and database checked first: a refusal records nothing
        school_year = check_attestations(school_year, uai, settings)
        # No UAI on a database of several establishments: each one with data that year, on its own (a UAI given,
        # as an académie's fanned-out runs give it, costs no task)
        academie = plan_academie(uai, school_year, settings, AttestationsError) if uai is None else None
        if academie:
            return june_state(attestations_of_academie(school_year, academie, division, out_dir, only_changed,
                                                       fan_out, settings), "attestations")
        # Plan against what was rendered before, render the classes over the settings' workers, write
        report = render_attestations(school_year, uai, division, out_dir, only_changed, settings)
    # What the Prefect UI shows: the summary as an artifact, the counts as the run's state
    publish_summary(report)
    return Completed(message=report.state_message(), data=report)


@task(cache_policy=NO_CACHE, retries=TRIES_AGAIN, retry_delay_seconds=DELAY_SECONDS,
      retry_condition_fn=retry_when_transient)
def check_attestations(school_year: str | None, uai: str | None, settings: Settings) -> str:
    """The school year to render (SCHOOL_YEAR, or the default one), once the request is known good."""
    school_year = school_year or default_school_year(uai, date.today(), database_url=settings.database_url)
    check_attestations_request(school_year, settings.database_url)
    return school_year


# pages and PDFs carry names: never persisted
@task(cache_policy=NO_CACHE, persist_result=False, retries=TRIES_AGAIN, retry_delay_seconds=DELAY_SECONDS,
      retry_condition_fn=retry_when_transient)
def render_attestations(school_year: str, uai: str | None, division: str | None, out_dir: str | None,
                        only_changed: bool, settings: Settings) -> AttestationsReport:
    report = produce_attestations(school_year, uai, settings, division=division, out_dir=out_dir,
                                  only_changed=only_changed, flow_run_id=current_flow_run_id(), on_wait=say_waiting)
    get_run_logger().info(report.state_message())
    return report


def attestations_of_academie(school_year: str, uais: list[str], division: str | None, out_dir: str | None,
                             only_changed: bool, fan_out: bool, settings: Settings) -> JuneReport:
    """Each establishment's attestations: a flow run of its own on the pool (FAN_OUT), or here, one after the
    other."""
    if not fan_out:
        return render_each_establishment(school_year, uais, division, out_dir, only_changed, settings)
    return spread_june(ATTESTATIONS_DEPLOYMENT, JuneReport("Attestations", school_year, ATTESTATIONS_COLUMNS),
                       {uai: {"school_year": school_year, "uai": uai, "division": division,
                              "out_dir": establishment_out_dir(out_dir, uai), "only_changed": only_changed}
                        for uai in uais}, settings)


@task(cache_policy=NO_CACHE, persist_result=False)
def render_each_establishment(school_year: str, uais: list[str], division: str | None, out_dir: str | None,
                              only_changed: bool, settings: Settings) -> JuneReport:
    """Every establishment's attestations in turn, each recorded as its own run; one line of log per
    establishment."""
    return attestations_of_establishments(school_year, uais, settings, division=division, out_dir=out_dir,
                                          only_changed=only_changed, flow_run_id=current_flow_run_id(),
                                          on_wait=say_waiting, on_done=outcome_logger(ATTESTATIONS_COLUMNS))


@task(cache_policy=NO_CACHE)
def publish_summary(report: AttestationsReport) -> None:
    create_markdown_artifact(key="attestations", markdown=report.asstr().replace("\n", "\n\n"),
                             description="Attestations produites par classe (sans données nominatives)")


def say_waiting(uai: str) -> None:
    """Into the run's log: another run holds the establishment's lock, this one waits for it."""
    get_run_logger().warning("Attestations %s : une autre exécution les produit en ce moment ; attente de sa fin, "
                             "puis seules les pages encore à faire seront produites.", uai)
