"""Attestations: the validated certifications of an establishment's school year → a PDF per class and one per student,
the rendered pages recorded so that the next run renders only what changed, and the run's row in the history.

Takes the request (year, UAI, division) and the settings' database URL, output folder and worker count; gives an
AttestationsReport.
"""
from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import ExitStack
from dataclasses import asdict, dataclass, field
from datetime import datetime
from functools import partial
from pathlib import Path

from pipeline.gc_policy import rare_collections
from pipeline.history import recorded_run, utc_now
from pipeline.june import each_establishment
from pipeline.requests import check_year_and_database, chosen_establishment
from pipeline.settings import Settings
from pipeline.work_sharing import lend_helpers, share_out
from store.attestations import read_stored_attestations, save_attestations
from store.database import connect
from store.locks import establishment_lock
from store.query import read_certifications, read_establishment_head, read_establishment_label
from transforms.attestations import (ClassJob, RenderedClass, RenderPlan, build_attestation_pages, plan_renders,
                                     render_job)
from transforms.june_report import ATTESTATIONS_COLUMNS, EstablishmentOutcome, JuneReport
from transforms.private_files import write_private_file
from transforms.select_livret import select_livret_certifications
from transforms.worded import WordedError


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

    def state_message(self) -> str:
        """One French sentence, counts only: the flow run's state and its log line."""
        unchanged = f", {len(self.skipped_unchanged)} classe(s) inchangée(s)" if self.skipped_unchanged else ""
        return (f"Attestations {self.uai} {self.school_year} : {sum(self.pages.values())} attestation(s) dans "
                f"{len(self.pages)} classe(s){unchanged}, {len(self.files_written)} fichier(s) écrit(s), "
                f"{len(self.files_removed)} supprimé(s).")

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


def produce_attestations(school_year: str, uai: str | None, settings: Settings, *, division: str | None = None,
                         out_dir: str | None = None, only_changed: bool = False, flow_run_id: str | None = None,
                         on_wait: Callable[[str], None] = lambda uai: None) -> AttestationsReport:
    """Renders the attestations of SCHOOL_YEAR (of DIVISION only, when given) into OUT_DIR (by default
    attestations/UAI/YEAR under the settings' output folder), classes shared out over the settings' workers.

    ONLY_CHANGED renders only the classes whose pages changed. One run at a time per establishment: a second one
    calls ON_WAIT(uai), waits for the first, then finds its pages rendered. The run is recorded (FLOW_RUN_ID: the
    Prefect run it belongs to).
    Raises AttestationsError (French message) for a malformed year, a database never migrated, an unknown UAI, or
    several establishments and no UAI; a refusal of the request itself records nothing.
    """
    check_attestations_request(school_year, settings.database_url)
    with recorded_run("attestations", {"school_year": school_year, "uai": uai, "division": division,
                                       "only_changed": only_changed},
                      flow_run_id, database_url=settings.database_url, worded_errors=(AttestationsError,)) as outcome:
        uai = choose_uai(settings.database_url, uai)
        with establishment_lock(settings.database_url, "attestations", uai, on_wait=lambda: on_wait(uai)):
            out_root = Path(out_dir).resolve() if out_dir else attestations_folder(settings, uai, school_year)
            # what should exist, against what was rendered before
            plan = plan_attestations(settings.database_url, school_year, uai, division, out_root, only_changed)
            rendered = render_classes(plan.jobs, settings.workers)
            # files first, then the table that makes the next run incremental
            report = write_attestations(settings.database_url, plan, rendered, uai, school_year, out_root)
        outcome.counts, outcome.message, outcome.uai = report.counts(), report.asstr(), uai
    return report


def attestations_of_establishments(school_year: str, uais: Sequence[str], settings: Settings, *,
                                   division: str | None = None, out_dir: str | None = None,
                                   only_changed: bool = False, flow_run_id: str | None = None,
                                   on_wait: Callable[[str], None] = lambda uai: None,
                                   on_done: Callable[[EstablishmentOutcome], None] = lambda outcome: None,
                                   ) -> JuneReport:
    """An académie's June: produce_attestations for each of UAIS, each into a folder of its own
    (establishment_out_dir) and recorded as its own run; one that fails is named with its reason and the others
    are done. ON_DONE(outcome) after each."""
    with helpers_for_rounds(settings):
        outcomes = each_establishment(uais, lambda uai: produce_attestations(
            school_year, uai, settings, division=division, out_dir=establishment_out_dir(out_dir, uai),
            only_changed=only_changed, flow_run_id=flow_run_id, on_wait=on_wait), (AttestationsError,), on_done)
    return JuneReport("Attestations", school_year, ATTESTATIONS_COLUMNS, outcomes)


def attestations_in_turn(targets: Sequence[tuple[str, str]], settings: Settings, *,
                         on_wait: Callable[[str], None] = lambda uai: None,
                         on_done: Callable[[AttestationsReport], None] = lambda report: None,
                         on_failure: Callable[[str, Exception], None] = lambda uai, error: None,
                         ) -> dict[str, AttestationsReport | None]:
    """The nightly's attestations: of each of TARGETS ((UAI, school year)), only the classes whose pages changed,
    into the usual folders; the night's own run is the one in the history. UAI → its report, or None when it failed.

    The classes of all of them are one stream over the settings' workers: an establishment is planned (under its
    lock) while the classes of the one before are rendered, and written once its last class is. Made one after
    the other instead (produce_attestations each), an establishment ended with a process waiting for the other's
    last class, and its plan and its files kept the helpers waiting: 0.2 s an establishment, 12 % of its pages'
    time. An establishment that fails (its lock, its plan, a class, its files) is given to ON_FAILURE and the
    others are made; ON_DONE(report) after each one made.
    """
    made: dict[str, AttestationsReport | None] = {}
    underway: dict[str, _Underway] = {}
    owners: list[tuple[str, int]] = []  # each class drawn: its establishment, its place in the plan
    url, checked = settings.database_url, set()

    def fail(uai: str, error: Exception) -> None:
        made[uai] = None
        if (left := underway.pop(uai, None)) is not None:
            left.lock.close()
        on_failure(uai, error)

    def finish(uai: str) -> None:
        done = underway.pop(uai)
        try:
            report = write_attestations(url, done.plan, [done.rendered[n] for n in range(len(done.plan.jobs))], uai,
                                        done.school_year, done.out_root)
        except Exception as error:  # noqa: BLE001 - its files or its records: this establishment only
            fail(uai, error)
            return
        finally:
            done.lock.close()
        made[uai] = report
        on_done(report)

    def classes() -> Iterator[ClassJob]:
        for uai, school_year in targets:
            with ExitStack() as held:  # released here if its plan fails, kept under way if not
                try:
                    if school_year not in checked:
                        check_attestations_request(school_year, url)
                        checked.add(school_year)
                    held.enter_context(establishment_lock(url, "attestations", uai, on_wait=partial(on_wait, uai)))
                    out_root = attestations_folder(settings, uai, school_year)
                    plan = plan_attestations(url, school_year, uai, None, out_root, only_changed=True)
                except Exception as error:  # noqa: BLE001 - this establishment only
                    fail(uai, error)
                    continue
                lock = held.pop_all()
            underway[uai] = _Underway(school_year, lock, plan, out_root)
            if not plan.jobs:
                finish(uai)
            for position, job in enumerate(plan.jobs):
                owners.append((uai, position))
                yield job

    try:
        for index, rendered in share_out(classes(), _render_or_failure, settings.workers):
            uai, position = owners[index]
            if uai not in underway:  # failed already
                continue
            if isinstance(rendered, ClassNotRendered):
                fail(uai, AttestationsError(str(rendered)))
                continue
            underway[uai].rendered[position] = rendered
            if len(underway[uai].rendered) == len(underway[uai].plan.jobs):
                finish(uai)
    finally:  # stopped (SIGTERM): the locks of what was under way are released, nothing of it was written
        for left in underway.values():
            left.lock.close()
    return made


@dataclass
class _Underway:
    """An establishment planned and not yet written: its lock held, its classes rendered so far by place."""

    school_year: str
    lock: ExitStack
    plan: RenderPlan
    out_root: Path
    rendered: dict[int, RenderedClass] = field(default_factory=dict)


@dataclass(frozen=True)
class ClassNotRendered:
    """A class whose rendering raised, in words (its division and the error's type: never a value)."""

    division: str
    error: str

    def __str__(self) -> str:
        return f"Attestations de la classe {self.division} non produites ({self.error})."


def _render_or_failure(job: ClassJob) -> RenderedClass | ClassNotRendered:
    """_render, or what went wrong: one class that cannot be rendered ends its establishment's, not the others'."""
    try:
        return _render(job)
    except Exception as error:  # noqa: BLE001 - reported for its establishment
        return ClassNotRendered(job.division, type(error).__name__)


def helpers_for_rounds(settings: Settings):
    """The helper processes of the settings' workers, started once for the establishments rendered within, one
    after the other (the académie's June) or as one stream (the nightly's attestations): a pool per establishment
    would spend its first seconds importing while this process renders alone, each time."""
    return lend_helpers(settings.workers - 1, __name__)


def attestations_folder(settings: Settings, uai: str, school_year: str) -> Path:
    """Where UAI's attestations of SCHOOL_YEAR go by default: attestations/UAI/YEAR under the settings' output
    folder (absolute)."""
    return (settings.out_dir / "attestations" / uai / school_year).resolve()


def establishment_out_dir(out_dir: str | None, uai: str) -> str | None:
    """Where UAI's attestations go in an académie's run: OUT_DIR/UAI when a folder is given (a class's PDF of one
    establishment would otherwise overwrite another's), else the usual PIX_LIVRET_OUT_DIR/attestations/UAI/YEAR."""
    return str(Path(out_dir) / uai) if out_dir else None


def check_attestations_request(school_year: str, database_url: str) -> None:
    """AttestationsError for a malformed school year or a database never created or migrated."""
    check_year_and_database(school_year, database_url, AttestationsError)


def choose_uai(database_url: str, uai: str | None) -> str:
    """UAI, or the database's only establishment; AttestationsError (French) when unknown or ambiguous."""
    with connect(database_url, write=False) as connection:
        return chosen_establishment(connection, uai, AttestationsError)


def plan_attestations(database_url: str, school_year: str, uai: str, division: str | None, out_root: Path,
                      only_changed: bool) -> RenderPlan:
    """Reads the establishment's certifications and the attestations already rendered; decides what to render."""
    with connect(database_url, write=False) as connection:
        stored = read_certifications(connection, uai, school_year)
        rendered_before = read_stored_attestations(connection, uai)
        establishment = read_establishment_label(connection, uai)
        head = read_establishment_head(connection, uai)
    exported = select_livret_certifications(stored, school_year).exported
    pages = build_attestation_pages(exported, establishment, datetime.now().astimezone(), head)
    if division is not None:
        pages = [page for page in pages if page.division == division]
    return plan_renders(pages, rendered_before, out_root, only_changed, division)


def render_classes(jobs: tuple[ClassJob, ...], workers: int) -> list[RenderedClass]:
    """Each class rendered, in the order of JOBS, on WORKERS processes (this one included).

    A class is one WeasyPrint layout, its pages then cut into the students' PDFs: the unit shared out. WeasyPrint
    holds the GIL, so only processes use more than one core.
    """
    rendered = dict(share_out(jobs, _render, workers))
    return [rendered[index] for index in range(len(jobs))]


def write_attestations(database_url: str, plan: RenderPlan, rendered: list[RenderedClass], uai: str,
                       school_year: str, out_root: Path) -> AttestationsReport:
    """Writes every rendered file atomically (mode 0640), removes stale ones, then records them in the table."""
    written: list[str] = []
    for job, result in zip(plan.jobs, rendered):
        if result.class_pdf is None:
            continue
        written.append(str(write_private_file(job.class_path, result.class_pdf)))
        written.extend(str(write_private_file(job.student_paths[n], pdf)) for n, pdf in result.student_pdfs.items())
    removed = [str(path) for path in plan.stale_files if _remove(path)]
    with connect(database_url) as connection:
        save_attestations(connection, plan.jobs, plan.stale_numbers, utc_now())
    return AttestationsReport(uai, school_year, str(out_root), {j.division: len(j.pages) for j in plan.jobs},
                              tuple(written), tuple(removed), plan.unchanged, plan.empty)


def _remove(path: Path) -> bool:
    existed = path.exists()
    path.unlink(missing_ok=True)
    return existed


def _render(job: ClassJob) -> RenderedClass:
    """render_job with rarer garbage collections: a class's layout allocates hundreds of thousands of objects."""
    with rare_collections():
        return render_job(job)
