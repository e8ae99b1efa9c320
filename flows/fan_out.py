"""The nightly run's fan-out: an académie's establishments as flow runs of their own, shared by the pool's workers
(an académie's June, flows/june.py, starts and waits for its establishments' runs with the same parts).

The nightly flow with fan_out=True plans the inbox as usual, then hands over here: one establishment-ingest flow
run per establishment (run_deployment, linked to the parent as subflows), on the work queue « etablissements »
whose concurrency limit bounds how many run at once across all machines; then it waits for them, reads what each
recorded in the run history, and publishes one artifact. Each establishment passes or fails on its own.
"""
from __future__ import annotations

import time
from pathlib import Path

from prefect import get_run_logger, task
from prefect.artifacts import create_markdown_artifact
from prefect.cache_policies import NO_CACHE
from prefect.client.orchestration import get_client
from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterId
from prefect.client.schemas.objects import FlowRun
from prefect.deployments import run_deployment
from prefect.exceptions import ObjectNotFound
from prefect.states import Completed, Failed, State

from flows.retry import DELAY_SECONDS, TRIES_AGAIN, retry_when_transient
from flows.run_row import close_run, closed_as_failed_on_error, current_flow_run_id, open_run, prepare_database
from pipeline.ingest import EstablishmentJob, InboxPlan
from pipeline.settings import Settings
from store.database import connect
from store.runs import adopt_runs, read_runs_of
from transforms.academie_report import AcademieReport, EstablishmentRun
from transforms.worded import WordedError

ESTABLISHMENT_DEPLOYMENT = "establishment-ingest/nightly-establishment"
QUEUE = "etablissements"  # deploy/prefect.yaml's queue of the establishment runs; its limit is set by the operator guide's command
POLL_SECONDS = 5
# the night and the morning: an establishment still not over then (no worker, queue stuck) is reported as failed
WAIT_LIMIT_SECONDS = 12 * 3600
PAGE = 200  # flow runs read per request: the API's default page


class FanOutError(WordedError):
    """The fan-out cannot start: a message for the administrator (French)."""


class EstablishmentsNotClean(WordedError):
    """The data of the parent's Failed state (Prefect resolves it into an exception): its message, counts and UAIs."""


def spread_establishments(settings: Settings, inbox: str, plan: InboxPlan, roster: str | None, attestations: bool,
                          report_path: str | None) -> State:
    """The parent's part of the nightly run: the establishments of PLAN each in a flow run of their own, one
    artifact for all (with the problems of the list of establishments), Failed when any of them is not clean (and
    only those are Failed among the children).
    """
    # The parent's own row of the run history, beside the row each establishment's run records
    prepare_database(settings)
    # its own kind: its counts are the sums of its establishments' rows, which are kind "ingest"
    run_id = open_run(settings, {"inbox": inbox, "fan_out": True, "attestations": attestations,
                                 "establishments": len(plan.jobs)}, kind="ingest-academie")
    with closed_as_failed_on_error(settings, run_id):
        # One flow run per establishment, taken by whichever worker of the pool is free
        started = start_establishment_runs(inbox, plan.jobs, roster, attestations)
        # Their ends, then what each recorded (counts only)
        ended = wait_for_establishment_runs(list(started))
        recorded = read_recorded_runs(settings, list(started), run_id)
        report = AcademieReport(tuple(_establishment_run(started[i], ended[i], recorded.get(i)) for i in started),
                                plan.ignored, plan.schools_problems)
    close_run(settings, run_id, report.status, report.totals(), report.state_message())
    publish_academie_report(report.to_markdown(), report.to_json() if report_path else None, report_path)
    return academie_state(report)


def start_establishment_runs(inbox: str, jobs: tuple[EstablishmentJob, ...], roster: str | None,
                             attestations: bool) -> dict[str, dict]:
    """The establishments' flow runs, created without waiting (each shows as a subflow of this run): by flow run
    id, the UAI, school name and run name. A retried parent finds the runs it created (idempotency key).
    """
    started = {}
    for job in jobs:
        # the roster the administrator named goes to a single establishment only; a sub-folder's is found there
        parameters = {"folder": job.folder, "uai": job.uai, "school_name": job.name, "attestations": attestations,
                      "roster": roster if Path(job.folder) == Path(inbox) else None}
        if job.head:  # only when there is one: a deployment made before this parameter existed still takes the rest
            parameters["school_head"] = job.head
        name = f"etablissement-{job.uai}" if job.uai else None
        child = start_child_run(ESTABLISHMENT_DEPLOYMENT, parameters, name, key=job.folder)
        started[str(child.id)] = {"uai": job.uai, "name": job.name, "flow_run": child.name}
    get_run_logger().info("%d exécution(s) establishment-ingest lancée(s) sur la file « %s »", len(started), QUEUE)
    return started


def start_child_run(deployment: str, parameters: dict, name: str | None, *, key: str,
                    work_queue_name: str | None = None) -> FlowRun:
    """A flow run of DEPLOYMENT, created without waiting (a subflow of this run in the UI), on WORK_QUEUE_NAME (by
    default the deployment's queue). A retried parent finds the run it created for KEY (idempotency key).
    FanOutError when the deployment was never registered."""
    idempotency_key = f"{current_flow_run_id()}:{key}" if current_flow_run_id() else None
    try:
        return run_deployment(deployment, parameters=parameters, flow_run_name=name, timeout=0,
                              idempotency_key=idempotency_key, work_queue_name=work_queue_name)
    except ObjectNotFound:
        raise FanOutError(f"Déploiement {deployment} introuvable : enregistrez les déploiements "
                          "(« prefect --no-prompt deploy --all --prefect-file deploy/prefect.yaml »), puis "
                          "relancez l'exécution.") from None


@task(cache_policy=NO_CACHE)
def wait_for_establishment_runs(flow_run_ids: list[str]) -> dict[str, tuple[str, str | None]]:
    """Each flow run's final state (type, message), polled until all are over or WAIT_LIMIT_SECONDS have passed
    (those not over then keep the state they had)."""
    deadline = time.monotonic() + WAIT_LIMIT_SECONDS
    with get_client(sync_client=True) as client:
        while True:
            states = {}
            for first in range(0, len(flow_run_ids), PAGE):
                runs = client.read_flow_runs(flow_run_filter=FlowRunFilter(
                    id=FlowRunFilterId(any_=flow_run_ids[first:first + PAGE])), limit=PAGE)
                states |= {str(r.id): r.state for r in runs}
            over = [s for s in states.values() if s is not None and s.is_final()]
            if len(over) == len(flow_run_ids) or time.monotonic() > deadline:
                return {i: (states[i].type.value, states[i].message) if states.get(i) else ("UNKNOWN", None)
                        for i in flow_run_ids}
            time.sleep(POLL_SECONDS)


@task(retries=TRIES_AGAIN, retry_delay_seconds=DELAY_SECONDS, retry_condition_fn=retry_when_transient,
      cache_policy=NO_CACHE)
def read_recorded_runs(settings: Settings, flow_run_ids: list[str], parent_id: int | None = None
                       ) -> dict[str, tuple[str, dict, str | None]]:
    """The status, counts and message each establishment's run wrote in the run history, by flow run id; those rows
    made PARENT_ID's when given, so that `pix-livret runs` shows the night as one line (a night killed before this
    step leaves its establishments' rows on their own: each is still in the history)."""
    with connect(settings.database_url, write=parent_id is not None) as connection:
        if parent_id is not None:
            adopt_runs(connection, parent_id, flow_run_ids)
        return {i: (row.status, dict(row.counts or {}), row.message)
                for i, row in read_runs_of(connection, flow_run_ids).items()}


@task(cache_policy=NO_CACHE)
def publish_academie_report(markdown: str, report_json: str | None, report_path: str | None) -> None:
    create_markdown_artifact(key="nightly-academie-report", markdown=markdown,
                             description="Établissements de l'académie : lignes chargées, mises en quarantaine, état "
                                         "(sans données nominatives)")
    if report_path and report_json is not None:
        Path(report_path).write_text(report_json, encoding="utf-8")


def academie_state(report: AcademieReport) -> State:
    """As flows/nightly_ingest.final_state: Completed when every establishment is, else Prefect's own Failed (the
    state the UI's run lists show by default), whose message says which establishments to look at."""
    message = report.state_message()
    if report.status != "completed":
        return Failed(message=message, data=EstablishmentsNotClean(message))
    return Completed(message=message, data=report)


def _establishment_run(started: dict, ended: tuple[str, str | None], recorded: tuple[str, dict, str | None] | None,
                       ) -> EstablishmentRun:
    status, counts, _ = recorded or (None, {}, None)
    return EstablishmentRun(started["uai"], started["name"], started["flow_run"], ended[0], ended[1], status, counts)
