"""Attestations end to end on a database (SQLite, and PostgreSQL when configured): the use case as a plain function,
then the flow under the Prefect harness for what only the flow does (artifact, its run in the history)."""
from __future__ import annotations

import stat
from datetime import date, datetime, timezone
from pathlib import Path

import pytest
from pypdf import PdfReader
from sqlalchemy import select, update

from pipeline.attestations import AttestationsError, produce_attestations
from pipeline.ingest import plan_inbox
from pipeline.school_years import default_school_year
from pipeline.settings import Settings, current_settings, using
from schemas.tables import Attestation, Certification, Establishment, PipelineRun
from tests.builders import artifacts_of, kept_run_logs, one_school_inbox
from tests.db_builders import add_certification, add_establishment, add_student

YEAR = "2025-2026"


@pytest.fixture
def school(engine, db_url, tmp_path):
    """One establishment: 3A with two validated students, one rejected, one cancelled, one unmatched; 3B validated.
    Its database and output folder are the settings in use, as the command line puts its own."""
    with using(Settings(db_url=db_url, out_dir=tmp_path / "out")) as settings:
        _add_school(engine)
        yield settings.out_dir


def _add_school(engine) -> None:
    add_establishment(engine)
    martin = add_student(engine, 2, last_name="Martin", first_name="Léa")
    durand = add_student(engine, 1, last_name="Durand", first_name="Louis")
    rejected = add_student(engine, 3, last_name="Rejet", first_name="Rémi")
    cancelled = add_student(engine, 4, last_name="Annul", first_name="Anne")
    bernard = add_student(engine, 5, last_name="Bernard", first_name="Eva", division="3B")
    add_certification(engine, 101, student_id=martin)
    add_certification(engine, 102, student_id=durand, levels={"level_1_1": 0, "level_1_2": None})
    add_certification(engine, 103, student_id=rejected, status="rejected", score=0, global_level=None,
                      levels={name: None for name in ("level_1_1",)})
    add_certification(engine, 104, student_id=cancelled, status="cancelled", score=None, global_level=None)
    add_certification(engine, 105, last_name="Inconnu", first_name="Ivan", division="3A")
    add_certification(engine, 106, student_id=bernard, division="3B")


def attestations(school_year: str = YEAR, uai: str | None = None, workers: int = 1, **options):
    """The use case, handed the settings in use as a flow hands them, on WORKERS processes: one renders in the test
    process (two classes in a spawned pool cost ~2 s per run)."""
    settings = current_settings().model_copy(update={"workers": workers})
    return produce_attestations(school_year, uai, settings, **options)


def page_texts(path: Path) -> list[str]:
    return [page.extract_text() for page in PdfReader(path).pages]


def test_one_page_per_validated_student_and_nobody_else(school, engine):
    report = attestations(YEAR, workers=2)  # the only test paying for the process pool (~2 s)

    assert report.pages == {"3A": 2, "3B": 1}
    root = Path(report.out_dir)
    class_texts = page_texts(root / "Attestations_Pix_3A.pdf")
    assert ["Louis Durand" in t for t in class_texts] == [True, False]  # ordered by name
    assert "Léa Martin" in class_texts[1]
    everything = " ".join(class_texts + page_texts(root / "Attestations_Pix_3B.pdf"))
    assert not any(name in everything for name in ("Rejet", "Annul", "Inconnu"))
    assert sorted(p.name for p in (root / "3A").iterdir()) == ["DURAND_Louis_102.pdf", "MARTIN_Léa_101.pdf"]
    assert page_texts(root / "3A" / "DURAND_Louis_102.pdf") == class_texts[:1]
    with engine.connect() as connection:
        assert sorted(connection.execute(select(Attestation.certification_number)).scalars()) == [101, 102, 106]


def test_files_are_readable_by_owner_and_group_only(school):
    report = attestations(YEAR, division="3B")
    assert report.files_written
    assert all(stat.S_IMODE(Path(f).stat().st_mode) == 0o640 for f in report.files_written)


def test_second_run_renders_nothing_when_nothing_changed(school):
    attestations(YEAR, only_changed=True)
    again = attestations(YEAR, only_changed=True)
    assert again.pages == {} and again.files_written == () and set(again.skipped_unchanged) == {"3A", "3B"}


def test_a_changed_certification_rerenders_its_class_only(school, engine):
    attestations(YEAR, only_changed=True)
    with engine.begin() as connection:
        connection.execute(update(Certification).where(Certification.number == 101).values(level_5_2=7))

    report = attestations(YEAR, only_changed=True)

    assert report.pages == {"3A": 2} and report.skipped_unchanged == ("3B",)


def test_the_stored_name_head_and_session_reach_the_page_and_a_new_head_rerenders_every_class(school, engine):
    from store.certifications import save_establishment
    from store.query import read_establishment_head

    with engine.begin() as connection:
        save_establishment(connection, "0861234Z", None, None, datetime.now(timezone.utc), "Collège Jean Moulin",
                           head="Anne-Marie Lefebvre")
        connection.execute(update(Certification).where(Certification.number == 106).values(session="123456"))
    first = attestations(YEAR, only_changed=True)
    with engine.begin() as connection:
        save_establishment(connection, "0861234Z", None, None, datetime.now(timezone.utc), head="Paul Martin")
        due = connection.execute(select(Establishment.attestations_due)).scalar_one()
        assert read_establishment_head(connection, "0861234Z") == "Paul Martin"

    again = attestations(YEAR, only_changed=True)

    [page] = page_texts(Path(first.out_dir) / "3B" / "BERNARD_Eva_106.pdf")
    assert "COLLÈGE JEAN MOULIN · 0861234Z" in page and "123456" in page
    assert "Le chef d’établissement" in page and "Paul Martin" in page and "Lefebvre" not in page
    assert due and set(again.pages) == {"3A", "3B"}  # the new head is on every page: every class made again
    with engine.connect() as connection:
        runs = connection.execute(select(PipelineRun.message, PipelineRun.parameters)).all()
    assert not any("Lefebvre" in f"{message}{parameters}" or "Paul" in f"{message}{parameters}"
                   for message, parameters in runs)


def test_a_student_no_longer_validated_loses_the_file(school, engine):
    first = attestations(YEAR, only_changed=True)
    with engine.begin() as connection:
        connection.execute(update(Certification).where(Certification.number == 106).values(
            status="rejected", score=0, global_level=None))

    report = attestations(YEAR, only_changed=True)

    root = Path(first.out_dir)
    assert not (root / "3B" / "BERNARD_Eva_106.pdf").exists()
    assert not (root / "Attestations_Pix_3B.pdf").exists()
    assert report.empty == ("3B",) and len(report.files_removed) == 2


def test_a_division_without_validated_student_gives_no_pdf(school, engine):
    report = attestations(YEAR, division="5C")
    assert report.pages == {} and report.files_written == () and report.empty == ("5C",)


def test_unknown_establishment_is_a_clear_error_and_a_failed_run(school, engine):
    with pytest.raises(AttestationsError, match="Établissement inconnu"):
        attestations(YEAR, uai="0000000A")
    with engine.connect() as connection:
        run = connection.execute(select(PipelineRun.__table__)).one()
    assert (run.kind, run.status) == ("attestations", "failed") and "Établissement inconnu" in run.message


def test_the_run_is_recorded_with_counts_and_no_names(school, engine):
    attestations(YEAR)
    with engine.connect() as connection:
        run = connection.execute(select(PipelineRun.__table__)).one()
    assert (run.kind, run.status) == ("attestations", "completed")
    assert run.parameters == {"school_year": YEAR, "uai": None, "division": None, "only_changed": False}
    assert run.counts["pages"] == 3 and run.counts["divisions_rendered"] == 2
    assert not any(name in run.message for name in ("Martin", "Durand", "Bernard", "Léa", "Louis"))


def test_malformed_school_year_is_a_clear_error_and_records_nothing(school, engine):
    with pytest.raises(AttestationsError, match="Année scolaire invalide"):
        attestations("2025-2027")
    with engine.connect() as connection:
        assert connection.execute(select(PipelineRun.id)).all() == []


def test_never_migrated_database_is_a_clear_error(tmp_path):
    with pytest.raises(AttestationsError, match="pas initialisée"):
        produce_attestations(YEAR, None, Settings(db_url=f"sqlite:///{tmp_path / 'empty.sqlite'}", workers=1))


def test_default_year_is_that_of_the_latest_certification(school):
    # in November 2026, the results of March 2026 are still the ones to print
    in_use = current_settings().database_url
    assert default_school_year(None, date(2026, 11, 23), database_url=in_use) == "2025-2026"


def test_default_year_falls_back_to_the_roster_then_to_today(engine, db_url, monkeypatch):
    add_establishment(engine, school_year=2024)
    assert default_school_year("0861234Z", date(2026, 11, 23), database_url=db_url) == "2024-2025"
    # unknown here: the flow will say so
    assert default_school_year("0330001R", date(2026, 11, 23), database_url=db_url) == "2026-2027"


def test_two_runs_at_once_render_each_page_once_the_second_waiting(school, monkeypatch):
    """The first run holds the establishment's lock while it renders; the second says it waits, waits, then finds
    nothing to do."""
    import threading

    import pipeline.attestations as attestations_module

    rendering, release = threading.Event(), threading.Event()
    render = attestations_module.render_classes

    def slow_render(jobs, workers):
        rendering.set()
        release.wait(10)  # the second run starts while this one renders
        return render(jobs, workers)

    monkeypatch.setattr(attestations_module, "render_classes", slow_render)
    reports, waited = {}, {"first": [], "second": []}
    settings = current_settings().model_copy(update={"workers": 1})  # a thread starts without the settings in use

    def run(name):
        reports[name] = produce_attestations(YEAR, None, settings, only_changed=True, on_wait=waited[name].append)

    first = threading.Thread(target=run, args=("first",))
    first.start()
    assert rendering.wait(10)
    second = threading.Thread(target=run, args=("second",))
    second.start()
    second.join(1)
    assert second.is_alive(), "the second run did not wait for the first"
    assert waited == {"first": [], "second": ["0861234Z"]}
    release.set()
    first.join(30)
    second.join(30)

    assert reports["first"].pages == {"3A": 2, "3B": 1}
    assert reports["second"].pages == {} and sorted(reports["second"].skipped_unchanged) == ["3A", "3B"]


def test_the_flow_renders_the_default_year_when_none_is_given(school):
    from flows.attestations import check_attestations

    settings = current_settings()
    assert check_attestations.fn(None, None, settings) == default_school_year(None, date.today(),
                                                                    database_url=settings.database_url)


@pytest.mark.usefixtures("prefect_harness")
def test_the_flow_publishes_counts_without_names_and_records_its_run(school, engine):
    from flows.attestations import make_attestations

    with kept_run_logs() as logs:
        state = make_attestations(school_year=YEAR, division="3B", return_state=True)

    assert state.is_completed() and state.result().pages == {"3B": 1}
    said = "Attestations 0861234Z 2025-2026 : 1 attestation(s) dans 1 classe(s), 2 fichier(s) écrit(s), 0 supprimé(s)."
    assert state.message == said and said in [r.getMessage() for r in logs]
    assert not [r.getMessage() for r in logs if "{" in r.getMessage()]
    summary = artifacts_of(state)["attestations"]
    assert "3B : 1 attestation(s)" in summary and "Bernard" not in summary and "Eva" not in summary
    with engine.connect() as connection:
        run = connection.execute(select(PipelineRun.__table__)).one()
    assert (run.kind, run.status, run.flow_run_id) == ("attestations", "completed",
                                                       str(state.state_details.flow_run_id))


@pytest.mark.usefixtures("prefect_harness")
def test_a_refused_flow_says_why_in_an_artifact_and_records_nothing(school, engine):
    from flows.attestations import make_attestations

    state = make_attestations(school_year="2025-2027", return_state=True)

    assert state.is_failed()
    why = artifacts_of(state)["attestations"]
    assert why.startswith("# Échec de l'exécution") and "Année scolaire invalide" in why
    with engine.connect() as connection:
        assert connection.execute(select(PipelineRun.id)).all() == []


@pytest.mark.usefixtures("prefect_harness")
def test_a_flow_waiting_for_another_run_says_so_in_its_log(school, db_url):
    import threading

    from flows.attestations import make_attestations
    from store.locks import establishment_lock

    held, release = threading.Event(), threading.Event()

    def another_run():
        with establishment_lock(db_url, "attestations", "0861234Z"):
            held.set()
            release.wait(10)

    other = threading.Thread(target=another_run)
    other.start()
    assert held.wait(10)
    threading.Timer(1, release.set).start()

    state = make_attestations(school_year=YEAR, division="3B", return_state=True)
    other.join(10)

    assert state.is_completed()
    assert any("une autre exécution les produit en ce moment" in line for line in logs_of(state))


def logs_of(state, wait: float = 10) -> list[str]:
    """The messages of the flow run of STATE as its Logs tab shows them, once they have reached the API."""
    import time

    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import LogFilter, LogFilterFlowRunId

    deadline = time.monotonic() + wait
    with get_client(sync_client=True) as client:
        while True:
            logs = client.read_logs(log_filter=LogFilter(flow_run_id=LogFilterFlowRunId(
                any_=[state.state_details.flow_run_id])))
            if any(log.level >= 30 for log in logs) or time.monotonic() > deadline:
                return [log.message for log in logs]
            time.sleep(0.2)


@pytest.fixture
def inbox_of_one_school(tmp_path, monkeypatch):
    """An inbox of one establishment: its roster and two validated 3A certifications of the sample data."""
    return one_school_inbox(tmp_path, monkeypatch, validated=2)


def ingest_command(db_url: str, *arguments: str):
    from typer.testing import CliRunner

    from pix_livret.cli import app

    return CliRunner().invoke(app, ["ingest", *arguments, "--no-bilans", "--db", db_url], terminal_width=200)


@pytest.mark.usefixtures("prefect_harness")
def test_ingest_school_head_signs_the_attestations_and_stays_out_of_logs_and_history(inbox_of_one_school, db_url,
                                                                                    tmp_path, caplog):
    from pix_livret.cli import EXIT_OK
    from tests.db_builders import read_rows

    result = ingest_command(db_url, str(inbox_of_one_school), "--school-name", "Collège Jean Moulin",
                            "--school-head", "  Anne-Marie   Lefebvre ")

    assert result.exit_code == EXIT_OK, result.output
    assert read_rows(db_url, select(Establishment.name, Establishment.head)) == [
        ("Collège Jean Moulin", "Anne-Marie Lefebvre")]
    [class_pdf] = (tmp_path / "out" / "attestations").rglob("Attestations_Pix_3A.pdf")
    texts = page_texts(class_pdf)
    assert len(texts) == 2 and all("Anne-Marie Lefebvre" in t and "Le chef d’établissement" in t for t in texts)
    assert all(" Pix" in t and "COLLÈGE JEAN MOULIN" in t for t in texts)
    assert "Lefebvre" not in result.output and "Lefebvre" not in caplog.text
    history = read_rows(db_url, select(PipelineRun.parameters, PipelineRun.message))
    assert history and not any("Lefebvre" in f"{parameters}{message}" for parameters, message in history)


@pytest.mark.parametrize("head, message", [("x" * 121, "trop long"), ("Anne Durand", "un seul établissement")])
def test_ingest_school_head_refused_is_a_usage_error_naming_nobody(head, message, tmp_path, db_url):
    from pix_livret.cli import EXIT_USAGE

    academie = tmp_path / "academie"
    (academie / "0861234Z").mkdir(parents=True)
    inbox = academie if message == "un seul établissement" else academie / "0861234Z"

    result = ingest_command(db_url, str(inbox), "--school-head", head)

    assert result.exit_code == EXIT_USAGE and message in result.output
    assert "Durand" not in result.output and "xxxx" not in result.output


def test_an_academie_list_names_each_establishment_s_head_for_its_attestations(tmp_path):
    for uai in ("0861234Z", "0330001X"):
        (tmp_path / uai).mkdir()
    (tmp_path / "etablissements.csv").write_text(
        "uai;nom;chef_etablissement\n0861234Z;Collège Jean Moulin;Anne-Marie Lefebvre\n0330001X;Collège Cheverus;\n",
        encoding="utf-8")

    plan = plan_inbox(tmp_path)

    assert {job.uai: (job.name, job.head) for job in plan.jobs} == {
        "0861234Z": ("Collège Jean Moulin", "Anne-Marie Lefebvre"), "0330001X": ("Collège Cheverus", None)}
    assert plan.schools_problems == ()
