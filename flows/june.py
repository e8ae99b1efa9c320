"""An académie's June as Prefect wiring: the export or the attestations of every establishment with data for the
year, asked for without a UAI on a database of several establishments.

In the one run (the use cases of pipeline.export and pipeline.attestations, an establishment after another), or,
with fan_out, each establishment as a flow run of its own on the pool's « etablissements » queue, started and
waited for with the nightly fan-out's parts (flows/fan_out.py). Either way one artifact lists each UAI with its
counts or its reason, and the run is Failed, naming them, when an establishment failed.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

from prefect import get_run_logger, task
from prefect.artifacts import create_markdown_artifact
from prefect.cache_policies import NO_CACHE
from prefect.states import Completed, Failed, State

from flows.fan_out import QUEUE, read_recorded_runs, start_child_run, wait_for_establishment_runs
from flows.retry import DELAY_SECONDS, TRIES_AGAIN, retry_when_transient
from pipeline.requests import academie_establishments
from pipeline.settings import Settings
from transforms.june_report import EstablishmentOutcome, JuneReport, outcome_sentence
from transforms.worded import WordedError


class JuneNotClean(WordedError):
    """The data of an académie's Failed state (Prefect resolves it into an exception): its message, and the report
    whose table the command line prints."""

    def __init__(self, report: JuneReport) -> None:
        super().__init__(report.state_message())
        self.report = report

    def __reduce__(self):
        return type(self), (self.report,)


@task(cache_policy=NO_CACHE, retries=TRIES_AGAIN, retry_delay_seconds=DELAY_SECONDS,
      retry_condition_fn=retry_when_transient)
def plan_academie(uai: str | None, school_year: str, settings: Settings, refusal: type[Exception]) -> list[str] | None:
    """The UAIs to do one by one (pipeline.requests.academie_establishments); None: the request is for one."""
    uais = academie_establishments(settings.database_url, uai, school_year, refusal)
    if uais:
        get_run_logger().info("Académie : %d établissement(s) avec des données en %s", len(uais), school_year)
    return uais


def spread_june(deployment: str, report: JuneReport, parameters: dict[str, dict], settings: Settings) -> JuneReport:
    """REPORT filled in by one flow run of DEPLOYMENT per UAI of PARAMETERS (UAI → that run's parameters), on the
    queue « etablissements »: each run's counts from its row of the run history, or its reason."""
    started = {}
    for uai, child_parameters in parameters.items():
        child = start_child_run(deployment, child_parameters, f"{deployment.split('/')[0]}-{uai}", key=uai,
                                work_queue_name=QUEUE)
        started[str(child.id)] = (uai, child.name)
    get_run_logger().info("%d exécution(s) %s lancée(s) sur la file « %s »", len(started), deployment, QUEUE)
    ended = wait_for_establishment_runs(list(started))
    recorded = read_recorded_runs(settings, list(started))
    return replace(report, establishments=tuple(child_outcome(*started[i], ended[i], recorded.get(i)) for i in started))


def child_outcome(uai: str, flow_run: str, ended: tuple[str, str | None],
                  recorded: tuple[str, dict, str | None] | None) -> EstablishmentOutcome:
    """A completed run's counts; else the reason its run recorded (French, names nobody), or, when it recorded
    none, its state and where to read more: a Prefect state message may quote an error's text."""
    state, _ = ended
    status, counts, message = recorded or (None, {}, None)
    if state == "COMPLETED":
        return EstablishmentOutcome(uai, counts)
    if status == "failed" and message:
        return EstablishmentOutcome(uai, reason=message)
    return EstablishmentOutcome(uai, reason=f"exécution {flow_run} terminée dans l'état {state} : voir son journal "
                                            "dans l'interface Prefect")


def june_state(report: JuneReport, key: str) -> State:
    """The artifact KEY (the single run's key: the UI shows the latest of either), then Completed when every
    establishment was done, else Failed with the message naming those that were not."""
    publish_june_summary(report, key)
    message = report.state_message()
    if report.failed:
        return Failed(message=message, data=JuneNotClean(report))
    return Completed(message=message, data=report)


@task(cache_policy=NO_CACHE)
def publish_june_summary(report: JuneReport, key: str) -> None:
    create_markdown_artifact(key=key, markdown=report.to_markdown(),
                             description="Établissements de l'académie : effectifs ou motif de l'échec "
                                         "(sans données nominatives)")


def outcome_logger(columns: tuple[tuple[str, str], ...]) -> Callable[[EstablishmentOutcome], None]:
    """One sentence per establishment in the run's log: its counts under COLUMNS' names, or its reason."""
    def log(outcome: EstablishmentOutcome) -> None:
        sentence = outcome_sentence(outcome, columns)
        if outcome.reason is None:
            get_run_logger().info(sentence)
        else:
            get_run_logger().error(sentence)
    return log
