"""The attestations flow: validated certifications in the database → a PDF per class and per student.

Prefect orchestration (one task per class) over transforms/attestations.py; run_attestations is the same without Prefect.
"""
from __future__ import annotations

import threading
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict, dataclass, field
from datetime import date, datetime
from pathlib import Path

from prefect import flow, get_run_logger, task
from prefect.artifacts import create_markdown_artifact
from prefect.cache_policies import NO_CACHE
from prefect.task_runners import ThreadPoolTaskRunner
from prefect.utilities.annotations import unmapped

from pipeline import config
from flows.failures import failure_published
from flows.run_row import current_flow_run_id
from pipeline.gc_policy import rare_collections
from pipeline.history import recorded_run, utc_now
from flows.retry import DELAY_SECONDS, TRIES_AGAIN, retry_when_transient
from pipeline.school_years import default_school_year
from pipeline.work_sharing import share_out, spawn_pool
from store.attestations import read_stored_attestations, save_attestations
from store.database import NOT_READY, connect, is_ready
from store.locks import establishment_lock
from store.query import (EstablishmentChoiceError, choose_establishment, list_establishments, read_certifications,
                         read_establishment_label)
from transforms.attestations import (ClassJob, RenderedClass, RenderPlan, build_attestation_pages, plan_renders,
                                     render_job)
from transforms.private_files import write_private_file
from transforms.select_livret import school_year_bounds, select_livret_certifications
from transforms.worded import WordedError

WORKERS = 2  # the machine's two cores; one class per process


class AttestationsError(WordedError):
    """An expected failure, with a message for the administrator (French)."""


@dataclass(frozen=True)
class AttestationsReport:
    """What a run wrote. Paths carry names: for the person at the console, never for logs or artifacts."""

    uai: str
    school_year: str
    out_dir: str
    pages: dict[str, int] = field(default_factory=dict)  # division -> pages rendered
    files_written: tuple[str, ...] = ()
    files_removed: tuple[str, ...] = ()
    skipped_unchanged: tuple[str, ...] = ()  # divisions left as they were
    empty: tuple[str, ...] = ()  # divisions without any validated student: no PDF

    @property
    def divisions(self) -> tuple[str, ...]:
        return tuple(self.pages)

    def counts(self) -> dict[str, int]:
        """Counts only (no names): for the run history and artifacts."""
        return {"divisions_rendered": len(self.pages), "pages": sum(self.pages.values()),
                "files_written": len(self.files_written), "files_removed": len(self.files_removed),
                "divisions_unchanged": len(self.skipped_unchanged)}

    def asdict(self) -> dict:
        return asdict(self)

    def asstr(self) -> str:
        """A French summary without names: divisions and counts."""
        lines = [f"Attestations {self.uai} {self.school_year} : {sum(self.pages.values())} pages, "
                 f"{len(self.files_written)} fichiers écrits, {len(self.files_removed)} supprimés."]
        lines += [f"- {division} : {count} attestation(s)" for division, count in self.pages.items()]
        if self.skipped_unchanged:
            lines.append(f"Inchangées : {', '.join(self.skipped_unchanged)}")
        if self.empty:
            lines.append(f"Sans certification validée (aucun PDF) : {', '.join(self.empty)}")
        return "\n".join(lines)


@flow(name="make-attestations", log_prints=False, persist_result=False, task_runner=ThreadPoolTaskRunner(max_workers=WORKERS))
def make_attestations(school_year: str | None = None, uai: str | None = None, division: str | None = None,
                      out_dir: str | None = None, only_changed: bool = False, record_run: bool = True
                      ) -> AttestationsReport:
    """Renders the attestations of SCHOOL_YEAR (YYYY-YYYY; by default default_school_year's): per class one PDF,
    and one PDF per student.

    ONLY_CHANGED renders only the classes whose pages changed; RECORD_RUN=False leaves the run history to the
    calling flow (the nightly run counts the pages it made).
    """
    with failure_published("attestations", (AttestationsError,)):
        # Parameters and database checked first: a refusal records nothing
        school_year = school_year or default_school_year(uai, date.today())
        check_attestations_request(school_year)
        with _recorded_attestations(school_year, uai, division, only_changed, current_flow_run_id(),
                                    record_run) as outcome:
            # One run at a time per establishment: a second one waits, then finds the pages rendered
            uai = choose_uai(uai)
            with establishment_lock(config.database_url(), "attestations", uai, on_wait=_waiting_said(uai)):
                # What should exist, against what was rendered before
                plan, out_root, uai = plan_attestations_task(school_year, uai, division, out_dir, only_changed)
                # One coarse task per class, this process and a helper rendering
                rendered = render_classes(plan.jobs)
                # Files first, then the table that makes the next run incremental
                report = write_attestations_task(plan, rendered, uai, school_year, out_root)
            outcome.counts, outcome.message = report.counts(), report.asstr()
    publish_summary(report)
    return report


@task(cache_policy=NO_CACHE, persist_result=False, retries=TRIES_AGAIN, retry_delay_seconds=DELAY_SECONDS,
      retry_condition_fn=retry_when_transient)
def plan_attestations_task(school_year: str, uai: str, division: str | None, out_dir: str | None,
                           only_changed: bool) -> tuple[RenderPlan, Path, str]:
    return plan_attestations(school_year, uai, division, out_dir, only_changed)


@task(cache_policy=NO_CACHE, persist_result=False)  # pages and PDFs carry names: never persisted
def render_class_task(job: ClassJob, pool: ProcessPoolExecutor | None,
                      here: threading.Semaphore | None = None) -> RenderedClass:
    """One class: a single WeasyPrint layout, its pages cut into the students' PDFs. Rendered in this process
    when HERE (one class at a time) is free, else in POOL."""
    if pool is None:
        return _render(job)
    if here is not None and here.acquire(blocking=False):
        try:
            return _render(job)
        finally:
            here.release()
    return pool.submit(_render, job).result()


@task(cache_policy=NO_CACHE, persist_result=False)
def write_attestations_task(plan: RenderPlan, rendered: list[RenderedClass], uai: str, school_year: str,
                            out_root: Path) -> AttestationsReport:
    report = write_attestations(plan, rendered, uai, school_year, out_root, utc_now())
    get_run_logger().info("Attestations %s : %s", uai, report.counts())
    return report


@task(cache_policy=NO_CACHE)
def publish_summary(report: AttestationsReport) -> None:
    create_markdown_artifact(key="attestations", markdown=report.asstr().replace("\n", "\n\n"),
                             description="Attestations produites par classe (sans données nominatives)")


def render_classes(jobs: tuple[ClassJob, ...]) -> list[RenderedClass]:
    """render_class_task per class, in WORKERS threads: one renders in this process while the others hand their
    class to a helper process of one shared pool (WORKERS - 1 of them).

    Measured (2 classes of 30, same run): Prefect's ProcessPoolTaskRunner took 19 s, each of its processes
    booting Prefect's engine, against 6 s for a plain process pool; this costs the same as the plain pool, less
    the helper's start, during which this process renders. WeasyPrint holds the GIL, so threads alone would use
    one core.
    """
    if len(jobs) <= 1:  # a pool costs ~2 s (process start, WeasyPrint import): not for one class
        return [render_class_task(job, None) for job in jobs]
    with spawn_pool(min(WORKERS - 1, len(jobs) - 1)) as pool:
        here = threading.Semaphore(1)
        return [future.result() for future in render_class_task.map(jobs, pool=unmapped(pool), here=unmapped(here))]


# --- Without Prefect: the tests call this; the flow runs the same steps


def run_attestations(school_year: str, uai: str | None = None, division: str | None = None,
                     out_dir: str | None = None, only_changed: bool = False, workers: int = WORKERS) -> AttestationsReport:
    """Same as the flow, as a plain function: plans, renders classes in WORKERS processes, writes, records.

    Raises AttestationsError (French message) for a database never migrated, an unknown UAI,
    several establishments without --uai, or a malformed school year.
    """
    check_attestations_request(school_year)
    with _recorded_attestations(school_year, uai, division, only_changed, None) as outcome:
        uai = choose_uai(uai)
        with establishment_lock(config.database_url(), "attestations", uai):
            plan, out_root, uai = plan_attestations(school_year, uai, division, out_dir, only_changed)
            report = write_attestations(plan, render_in_processes(plan.jobs, workers), uai, school_year, out_root,
                                        utc_now())
        outcome.counts, outcome.message = report.counts(), report.asstr()
    return report


def check_attestations_request(school_year: str) -> None:
    """AttestationsError for a malformed school year or a database never created or migrated."""
    _check_school_year(school_year)
    if not is_ready(config.database_url()):
        raise AttestationsError(NOT_READY)


def _recorded_attestations(school_year: str, uai: str | None, division: str | None, only_changed: bool,
                           flow_run_id: str | None, enabled: bool = True):
    """The run's row in the history: parameters are the year, the UAI, the division (no personal data)."""
    return recorded_run("attestations", {"school_year": school_year, "uai": uai, "division": division,
                                         "only_changed": only_changed},
                        flow_run_id, worded_errors=(AttestationsError,), enabled=enabled)


def render_in_processes(jobs: tuple[ClassJob, ...], workers: int = WORKERS) -> list[RenderedClass]:
    """render_class per class, in the order of JOBS; on WORKERS processes (this one included) when there is more
    than one class to share out."""
    rendered = dict(share_out(jobs, _render, workers))
    return [rendered[index] for index in range(len(jobs))]


def choose_uai(uai: str | None) -> str:
    """UAI, or the database's only establishment; AttestationsError (French) when unknown or ambiguous."""
    with connect(config.database_url(), write=False) as connection:
        try:
            return choose_establishment(list_establishments(connection), uai)
        except EstablishmentChoiceError as error:
            raise AttestationsError(str(error)) from None


def _waiting_said(uai: str):
    def say() -> None:
        get_run_logger().warning("Attestations %s : une autre exécution les produit en ce moment ; attente de sa fin, "
                                 "puis seules les pages encore à faire seront produites.", uai)
    return say


def plan_attestations(school_year: str, uai: str, division: str | None, out_dir: str | None,
                      only_changed: bool) -> tuple[RenderPlan, Path, str]:
    """Reads the establishment's certifications and the attestations already rendered; decides what to render."""
    with connect(config.database_url(), write=False) as connection:
        stored = read_certifications(connection, uai, school_year)
        rendered_before = read_stored_attestations(connection, uai)
        establishment = read_establishment_label(connection, uai)
    out_root = Path(out_dir or config.output_dir() / "attestations" / uai / school_year).resolve()
    exported = select_livret_certifications(stored, school_year).exported
    pages = build_attestation_pages(exported, establishment, datetime.now().astimezone())
    if division is not None:
        pages = [page for page in pages if page.division == division]
    return plan_renders(pages, rendered_before, out_root, only_changed, division), out_root, uai


def write_attestations(plan: RenderPlan, rendered: list[RenderedClass], uai: str, school_year: str,
                       out_root: Path, now: datetime) -> AttestationsReport:
    """Writes every rendered file atomically (mode 0640), removes stale ones, then records them in the table."""
    written: list[str] = []
    for job, result in zip(plan.jobs, rendered):
        if result.class_pdf is None:
            continue
        written.append(str(write_private_file(job.class_path, result.class_pdf)))
        written.extend(str(write_private_file(job.student_paths[n], pdf)) for n, pdf in result.student_pdfs.items())
    removed = [str(path) for path in plan.stale_files if _remove(path)]
    with connect(config.database_url()) as connection:
        save_attestations(connection, plan.jobs, plan.stale_numbers, now)
    return AttestationsReport(uai, school_year, str(out_root), {j.division: len(j.pages) for j in plan.jobs},
                              tuple(written), tuple(removed), plan.unchanged, plan.empty)


def _remove(path: Path) -> bool:
    existed = path.exists()
    path.unlink(missing_ok=True)
    return existed


def _check_school_year(school_year: str) -> None:
    try:
        school_year_bounds(school_year)
    except ValueError as error:  # its message is already French, for the administrator
        raise AttestationsError(str(error)) from error


def _render(job: ClassJob) -> RenderedClass:
    """render_job with rarer garbage collections: a class's layout allocates hundreds of thousands of objects."""
    with rare_collections():
        return render_job(job)
