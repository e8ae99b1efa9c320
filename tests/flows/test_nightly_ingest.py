"""The nightly flow end to end, under one session-wide Prefect harness, on SQLite and PostgreSQL."""
from __future__ import annotations

import json
import shutil
from dataclasses import replace

import pytest
from pypdf import PdfReader
from sqlalchemy import func, select
from typer.testing import CliRunner

import flows.nightly_ingest as nightly_module
import pipeline.nightly as pipeline_nightly
from flows.nightly_ingest import RunNotClean, nightly_ingest, report_of
from pix_livret.cli import EXIT_FAILURE, EXIT_OK, EXIT_QUARANTINE, EXIT_USAGE, app
from pix_livret.demo.sample_data import MINIMUM_CLASS_SIZE, make_sample_academie, make_sample_establishment, write_class_csv
from schemas.referential import Status
from schemas.tables import Certification, Establishment, PipelineRun, QuarantinedRow, SourceFile
from store.database import DatabaseFailure, make_engine
from tests.builders import artifacts_of, full_disk_under
from transforms.private_files import StorageFailure

pytestmark = pytest.mark.usefixtures("prefect_harness")


@pytest.fixture
def database(db_url, tmp_path, monkeypatch):
    monkeypatch.setenv("PIX_LIVRET_DB_URL", db_url)
    monkeypatch.setenv("PIX_LIVRET_ARCHIVE_DIR", str(tmp_path / "archive"))
    monkeypatch.setenv("PIX_LIVRET_OUT_DIR", str(tmp_path / "out"))
    engine = make_engine(db_url)
    yield engine
    engine.dispose()


@pytest.fixture
def sample(tmp_path):
    return make_sample_establishment(tmp_path / "sample")


@pytest.fixture
def small_sample(tmp_path):
    """The sample establishment in one class, with its planted files: for the tests that make its attestations,
    a page each (a second or two of PDF a run instead of ten)."""
    return make_sample_establishment(tmp_path / "sample", classes=1, students_per_class=MINIMUM_CLASS_SIZE)


def ingest(sample, **options):
    return nightly_ingest(inbox=str(sample.inbox), roster=str(sample.roster_path), return_state=True,
                          attestations=False, **options)


def is_quarantined(state) -> bool:
    """A run with input set aside (or still open): Failed, by Prefect's own name, its report saying quarantine."""
    report = report_of(state)
    return state.is_failed() and state.name == "Failed" and report is not None and report.quarantined


def count(engine, query):
    with engine.connect() as connection:
        return connection.execute(query).scalar_one()


def test_sample_inbox_loads_the_good_rows_and_quarantines_exactly_the_planted_ones(database, sample, tmp_path):
    state = ingest(sample, report_path=str(tmp_path / "report.json"))

    expected = sample.expected
    assert is_quarantined(state) and not state.is_completed()
    assert f"{expected['rows_quarantined']} ligne(s) écartée(s)" in state.message
    totals = json.loads((tmp_path / "report.json").read_text())["totals"]
    for key in ("files", "rows_read", "rows_loaded", "rows_quarantined", "unmatched", "ambiguous", "absents"):
        assert totals[key] == expected[key], key
    assert count(database, select(func.count()).select_from(Certification)) == len(sample.certifications)
    planted_rows = {(name, row) for name, row, _ in sample.planted if row is not None}
    with database.connect() as connection:
        quarantined = set(connection.execute(
            select(SourceFile.name, QuarantinedRow.row_number).join(SourceFile)).all())
    assert quarantined == planted_rows


def test_second_run_of_the_same_inbox_loads_nothing_and_still_says_its_open_problems(database, sample):
    first = report_of(ingest(sample))
    loaded_at = count(database, select(func.max(Certification.updated_at)))

    state = ingest(sample)

    # the planted files are still in the inbox, unchanged: the night is not green for that
    report = report_of(state)
    assert is_quarantined(state)
    assert {f.status for f in report.files} == {"unchanged"}
    assert report.totals()["rows_loaded"] == 0
    assert count(database, select(func.max(Certification.updated_at))) == loaded_at
    assert sorted(p.name for p in report.open_problems) == sorted(f.name for f in first.files if f.set_aside)


def test_newer_export_of_a_class_updates_its_rows(database, sample, tmp_path):
    ingest(sample)
    first = next(c for c in sample.certifications if c.student is not None and c.score)
    newer = [c for c in sample.certifications if c.number == first.number]
    changed = [newer[0].__class__(**{**newer[0].__dict__, "score": first.score - 1})]
    inbox = tmp_path / "later"
    inbox.mkdir()
    write_class_csv(inbox / "20260601_resultats_3A.csv", changed, "pix-niveau-score")
    shutil.copy(sample.roster_path, inbox / "ElevesSansAdresses.xml")

    state = nightly_ingest(inbox=str(inbox), return_state=True, attestations=False)

    [file] = report_of(state).files
    assert file.rows_updated == 1
    assert count(database, select(Certification.score).where(Certification.number == first.number)) == first.score - 1


def test_clean_inbox_completes_and_the_run_is_in_the_history(database, sample, tmp_path):
    clean = tmp_path / "clean"
    clean.mkdir()
    good = [c for c in sample.certifications if c.student is not None][:5]
    write_class_csv(clean / "20260320_resultats_3A.csv", good, "pix-niveau-score")

    state = nightly_ingest(inbox=str(clean), roster=str(sample.roster_path), return_state=True, attestations=False)

    assert state.is_completed(), state.message
    with database.connect() as connection:
        run = connection.execute(select(PipelineRun.__table__)).one()
    assert run.status == "completed" and run.flow_run_id and run.counts["rows_loaded"] == 5
    assert run.parameters.pop("establishments") == 1  # as many as it set out to do (an interrupted run's is fewer)
    assert set(run.parameters) == {"inbox", "roster", "uai", "attestations", "bilans", "school_name", "schools"}


def test_cli_exit_codes_say_quarantine_and_usage(database, sample, tmp_path):
    runner = CliRunner()
    quarantined = runner.invoke(app, ["ingest", str(sample.inbox), "--roster", str(sample.roster_path),
                                      "--no-attestations", "--report", str(tmp_path / "r.json")])
    assert quarantined.exit_code == EXIT_QUARANTINE, quarantined.output
    # the bad files are still there and nobody acknowledged them: still 3 (this test said 0 before open problems)
    again = runner.invoke(app, ["ingest", str(sample.inbox), "--roster", str(sample.roster_path), "--no-attestations"])
    assert again.exit_code == EXIT_QUARANTINE, again.output
    assert runner.invoke(app, ["problems", "--acknowledge-all", "--uai", sample.uai]).exit_code == EXIT_OK
    clean = runner.invoke(app, ["ingest", str(sample.inbox), "--roster", str(sample.roster_path), "--no-attestations"])
    assert clean.exit_code == EXIT_OK, clean.output
    missing = runner.invoke(app, ["ingest", str(tmp_path / "nowhere")])
    assert missing.exit_code == EXIT_USAGE
    history = runner.invoke(app, ["runs"])
    assert history.exit_code == EXIT_OK
    # newest first: the clean re-run, then the ones that quarantined input or still had it open
    assert history.output.index("réussie") < history.output.index("quarantaine")


def test_report_and_artifact_carry_no_names(database, sample):
    report = report_of(ingest(sample))
    text = report.to_json() + report.to_markdown()
    for student in sample.students[:40]:
        assert student.last_name not in text and student.first_name not in text


def test_nightly_run_renders_attestations_of_new_results_only(database, small_sample, tmp_path):
    first = nightly_ingest(inbox=str(small_sample.inbox), roster=str(small_sample.roster_path),
                           school_name="Collège Jean Moulin", return_state=True)
    attestations = tmp_path / "out" / "attestations" / small_sample.uai / "2025-2026"
    student_pdfs = list(attestations.glob("*/*.pdf"))
    assert report_of(first).totals()["attestations_written"] == small_sample.expected["validated"]
    assert len(student_pdfs) == small_sample.expected["validated"]
    first_page = PdfReader(student_pdfs[0]).pages[0].extract_text()
    assert first_page.startswith("COLLÈGE JEAN MOULIN · 0861234Z")  # the header prints it in capitals
    written_at = {p: p.stat().st_mtime_ns for p in attestations.glob("**/*.pdf")}

    again = nightly_ingest(inbox=str(small_sample.inbox), roster=str(small_sample.roster_path), return_state=True)

    # in quarantine: the sample's planted files, still open; nothing to render again
    assert report_of(again).totals()["attestations_written"] == 0 and not report_of(again).attestations_failed
    assert {p: p.stat().st_mtime_ns for p in attestations.glob("**/*.pdf")} == written_at


def test_attestations_that_cannot_be_written_fail_the_run_but_keep_the_loaded_data(database, small_sample, tmp_path,
                                                                                  monkeypatch):
    blocked = tmp_path / "not-a-folder"
    blocked.write_text("a file where the output folder should be")
    monkeypatch.setenv("PIX_LIVRET_OUT_DIR", str(blocked))

    state = nightly_ingest(inbox=str(small_sample.inbox), roster=str(small_sample.roster_path), return_state=True)

    report = report_of(state)
    assert is_quarantined(state) and "attestations en échec" in state.message  # the planted rows, and this
    assert report.totals()["attestations_failed"] == 1
    assert count(database, select(func.count()).select_from(Certification)) == len(small_sample.certifications)


def test_clean_input_with_failed_attestations_is_a_failed_run_and_exit_1(database, small_sample, tmp_path, monkeypatch):
    clean = tmp_path / "clean"
    clean.mkdir()
    good = [c for c in small_sample.certifications
            if c.student is not None and c.student.division == "3A" and c.status is Status.VALIDATED][:3]
    write_class_csv(clean / "20260320_resultats_3A.csv", good, "pix-niveau-score")
    blocked = tmp_path / "not-a-folder"
    blocked.write_text("a file where the output folder should be")
    monkeypatch.setenv("PIX_LIVRET_OUT_DIR", str(blocked))

    result = CliRunner().invoke(app, ["ingest", str(clean), "--roster", str(small_sample.roster_path)])

    assert result.exit_code == EXIT_FAILURE and "attestations n'ont pas pu être produites" in result.output
    with database.connect() as connection:
        run = connection.execute(select(PipelineRun.__table__)).one()
    assert run.status == "failed" and run.counts["rows_loaded"] == 3


def test_attestations_run_only_where_results_changed(database, small_sample, monkeypatch):
    nightly_ingest(inbox=str(small_sample.inbox), roster=str(small_sample.roster_path), return_state=True)

    def refuse(targets, *_, **__):
        if targets:
            raise AssertionError(f"attestations made again with nothing new: {targets}")
        return {}

    monkeypatch.setattr(pipeline_nightly, "attestations_in_turn", refuse)
    again = nightly_ingest(inbox=str(small_sample.inbox), roster=str(small_sample.roster_path), return_state=True)

    # in quarantine (the sample's planted files are still open), not failed by the refusal above
    assert is_quarantined(again) and report_of(again) is not None, again.message


def test_attestations_that_failed_are_made_by_the_next_run(database, small_sample, tmp_path, monkeypatch):
    blocked = tmp_path / "not-a-folder"
    blocked.write_text("a file where the output folder should be")
    monkeypatch.setenv("PIX_LIVRET_OUT_DIR", str(blocked))
    nightly_ingest(inbox=str(small_sample.inbox), roster=str(small_sample.roster_path), return_state=True)
    monkeypatch.setenv("PIX_LIVRET_OUT_DIR", str(tmp_path / "out"))

    again = nightly_ingest(inbox=str(small_sample.inbox), roster=str(small_sample.roster_path), return_state=True)

    assert report_of(again).totals()["attestations_written"] == small_sample.expected["validated"]


def test_academie_summary_is_one_line_per_establishment_named_from_its_schools_file(database, tmp_path):
    academie = make_sample_academie(tmp_path / "academie", establishments=3, classes=2, students_per_class=5)
    runner = CliRunner()

    result = runner.invoke(app, ["ingest", str(academie.root), "--no-attestations"], terminal_width=200)

    assert result.exit_code == EXIT_OK, result.output
    assert all(uai in result.output for uai in academie.uais)  # names wrap in an 80-column terminal
    assert "Total" in result.output and ".csv" not in result.output
    verbose = runner.invoke(app, ["ingest", str(academie.root), "--no-attestations", "--verbose"], terminal_width=200)
    assert verbose.exit_code == EXIT_OK and "inchangé" in verbose.output and ".csv" in verbose.output
    with database.connect() as connection:
        names = dict(connection.execute(select(Establishment.uai, Establishment.name)).all())
    assert names == academie.school_names


def test_a_flow_that_fails_closes_its_run_as_failed_with_the_reason(database, sample, monkeypatch):
    def refused(*_args, **_kwargs):
        raise DatabaseFailure("Valeur refusée par la base de données (table certifications).", transient=False)

    monkeypatch.setattr(nightly_module, "load_inbox", refused)
    state = ingest(sample)

    assert state.is_failed()
    with database.connect() as connection:
        [run] = connection.execute(select(PipelineRun.status, PipelineRun.message, PipelineRun.ended_at)).all()
    assert run.status == "failed" and run.ended_at is not None
    assert run.message == "Valeur refusée par la base de données (table certifications)."


def test_a_full_disk_fails_the_run_with_the_folder_to_free_and_loads_nothing(database, sample, tmp_path,
                                                                             monkeypatch):
    full_disk_under(tmp_path / "archive", monkeypatch)  # the archive copies are written first

    state = ingest(sample)

    assert state.is_failed() and isinstance(state.result(raise_on_failure=False), StorageFailure)
    with database.connect() as connection:
        [run] = connection.execute(select(PipelineRun.status, PipelineRun.message)).all()
        loaded = connection.execute(select(func.count()).select_from(Certification)).scalar_one()
    assert run.status == "failed" and "disque plein" in run.message and str(tmp_path / "archive") in run.message
    assert loaded == 0
    assert artifacts_of(state)["nightly-ingest-report"] == f"# Échec de l'exécution\n\n{run.message}\n"


def test_a_quarantined_state_resolves_into_an_exception_that_quotes_no_absent(database, sample):
    """A worker resolves a failed state's data into an exception: it must be one, worded with counts only."""
    from prefect.states import get_state_exception

    state = ingest(sample)

    error = get_state_exception(state)
    assert isinstance(error, RunNotClean) and str(error) == state.message
    absents = [str(a["eleve_id"]) for e in error.report.establishments for a in e.absents]
    assert absents and not any(eleve_id in repr(error.report) + str(error) for eleve_id in absents)


def _validated_of(sample, division):
    return [c for c in sample.certifications
            if c.student is not None and c.student.division == division and c.status is Status.VALIDATED]


def _with_a_bad_3b(sample, inbox):
    """A clean 3A, and a 3B whose third row has a level out of range (one row set aside, the file partial)."""
    inbox.mkdir(exist_ok=True)
    write_class_csv(inbox / "20260320_resultats_3A.csv", _validated_of(sample, "3A")[:3], "pix-niveau-score")
    first, second, third = _validated_of(sample, "3B")[:3]
    bad = replace(third, levels={**third.levels, "2.3": 9})
    write_class_csv(inbox / "20260320_resultats_3B.csv", [first, second, bad], "pix-niveau-score")
    return third


def test_a_file_set_aside_is_still_reported_by_the_next_unchanged_run(database, sample, tmp_path):
    inbox = tmp_path / "inbox"
    bad = _with_a_bad_3b(sample, inbox)
    runner = CliRunner()
    command = ["ingest", str(inbox), "--roster", str(sample.roster_path), "--no-attestations"]
    assert runner.invoke(app, command).exit_code == EXIT_QUARANTINE

    again = runner.invoke(app, [*command, "--report", str(tmp_path / "again.json")])
    state = nightly_ingest(inbox=str(inbox), roster=str(sample.roster_path), return_state=True, attestations=False)

    assert again.exit_code == EXIT_QUARANTINE, again.output
    assert "problèmes ouverts : 1 fichier(s) écarté(s)" in unwrapped(again.output)
    report = json.loads((tmp_path / "again.json").read_text())
    assert report["totals"]["open_problems"] == 1 and report["totals"]["files_partial"] == 0
    [problem] = report["open_problems"]
    assert (problem["name"], problem["uai"], problem["status"], problem["rows_quarantined"]) == \
        ("20260320_resultats_3B.csv", sample.uai, "partial", 1)
    assert is_quarantined(state) and "aucune nouvelle quarantaine" in state.message
    assert "problèmes ouverts : 1" in state.message
    markdown = report_of(state).to_markdown()
    assert "## Problèmes ouverts" in markdown and f"| {problem['id']} | {sample.uai} | 20260320_resultats_3B.csv |" \
        in markdown
    for text in (state.message, markdown, json.dumps(report)):
        assert bad.last_name not in text and bad.first_name not in text
    with database.connect() as connection:
        statuses = connection.execute(select(PipelineRun.status).order_by(PipelineRun.id)).scalars().all()
    assert statuses == ["quarantined"] * 3


def test_a_newer_export_of_the_same_class_that_loads_closes_the_problem(database, sample, tmp_path):
    inbox = tmp_path / "inbox"
    _with_a_bad_3b(sample, inbox)
    assert is_quarantined(ingest_state(inbox, sample))
    # a newer export of another class closes nothing
    write_class_csv(inbox / "20260401_resultats_3A.csv", _validated_of(sample, "3A")[:4], "pix-niveau-score")
    assert is_quarantined(ingest_state(inbox, sample))

    # the corrected 3B downloaded again; the old file stays in the inbox, unchanged
    write_class_csv(inbox / "20260402_resultats_3B.csv", _validated_of(sample, "3B")[:3], "pix-niveau-score")
    closing = ingest_state(inbox, sample)
    after = ingest_state(inbox, sample)

    assert closing.is_completed(), closing.message
    assert report_of(closing).open_problems == [] and report_of(closing).totals()["open_problems"] == 0
    assert after.is_completed() and "aucune quarantaine" in after.message


def unwrapped(output):
    # rich folds lines at the terminal's width
    return " ".join(output.split())


def ingest_state(inbox, sample):
    return nightly_ingest(inbox=str(inbox), roster=str(sample.roster_path), return_state=True, attestations=False)


def test_acknowledging_closes_the_problem_and_the_next_run_is_green(database, sample, tmp_path):
    inbox = tmp_path / "inbox"
    _with_a_bad_3b(sample, inbox)
    runner = CliRunner()
    command = ["ingest", str(inbox), "--roster", str(sample.roster_path), "--no-attestations"]
    assert runner.invoke(app, command).exit_code == EXIT_QUARANTINE
    with database.connect() as connection:
        [file_id] = connection.execute(select(SourceFile.id).where(SourceFile.status == "partial")).scalars()

    listed = runner.invoke(app, ["problems"])
    acknowledged = runner.invoke(app, ["problems", "--acknowledge", str(file_id)])
    green = runner.invoke(app, command)

    assert listed.exit_code == EXIT_OK and f"N° {file_id}" in listed.output and "20260320_resultats_3B.csv" in listed.output
    assert acknowledged.exit_code == EXIT_OK, acknowledged.output
    assert green.exit_code == EXIT_OK, green.output
    assert "aucune quarantaine" in unwrapped(green.output)
    assert "Aucun problème ouvert." in runner.invoke(app, ["problems"]).output
    with database.connect() as connection:
        runs = connection.execute(select(PipelineRun.kind, PipelineRun.status, PipelineRun.counts)
                                  .order_by(PipelineRun.id)).all()
    assert [(r.kind, r.status) for r in runs] == [("ingest", "quarantined"), ("acknowledge", "completed"),
                                                 ("ingest", "completed")]
    assert runs[1].counts == {"acknowledged": 1, "already_closed": 0}
