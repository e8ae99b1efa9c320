"""`pix-livret runs` as an operator reads it: an académie night on one line, its establishments beneath with
--detail, one establishment's runs with --uai, the latest days with --since; on a history the test writes itself."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import insert, select
from typer.testing import CliRunner

from pix_livret.cli import EXIT_OK, EXIT_USAGE, app
from schemas.tables import PipelineRun, SourceFile
from store.runs import adopt_runs, finish_run, start_run
from tests.db_builders import add_establishment

LAST_NIGHT = datetime(2026, 6, 2, 1, 0, tzinfo=timezone.utc)
A_YEAR_BEFORE = datetime(2025, 6, 3, 1, 0, tzinfo=timezone.utc)
LAST_YEARS_SCHOOLS = ("0861234Z", "0790101J")
THIS_YEARS_SCHOOLS = ("0861234Z", "0790101J", "0170102K")


def night(connection, started: datetime, uais: tuple[str, ...], quarantined: str | None = None) -> int:
    """A fan-out night as flows/fan_out.py records it: the parent's row, one row per establishment, adopted."""
    parent = start_run(connection, "ingest-academie", {"fan_out": True, "establishments": len(uais)}, f"p-{started}",
                       started)
    for minute, uai in enumerate(uais):
        child = start_run(connection, "ingest", {"uai": uai}, f"c-{started}-{uai}", started + timedelta(minutes=minute),
                          uai=uai)
        status = "quarantined" if uai == quarantined else "completed"
        finish_run(connection, child, status, {"rows_loaded": 40 + minute, "rows_quarantined": int(uai == quarantined)},
                   "…", started + timedelta(minutes=minute + 1))
    adopt_runs(connection, parent, [f"c-{started}-{uai}" for uai in uais])
    finish_run(connection, parent, "quarantined" if quarantined else "completed",
               {"establishments": len(uais), "rows_loaded": 120, "establishments_quarantined": int(bool(quarantined))},
               "…", started + timedelta(minutes=10))
    return parent


@pytest.fixture
def history(engine, db_url):
    """Last year's night (2 establishments), this year's (3, one in quarantine), an académie run of one process
    (2 establishments, its files naming it), and an export whose UAI was found rather than asked."""
    for uai in THIS_YEARS_SCHOOLS:
        add_establishment(engine, uai)
    with engine.begin() as connection:
        night(connection, A_YEAR_BEFORE, LAST_YEARS_SCHOOLS)
        night(connection, LAST_NIGHT, THIS_YEARS_SCHOOLS, quarantined="0790101J")
        one_process = start_run(connection, "ingest", {"inbox": "/srv/depot"}, None, LAST_NIGHT + timedelta(hours=2))
        finish_run(connection, one_process, "completed", {"establishments": 2, "rows_loaded": 9}, "…",
                   LAST_NIGHT + timedelta(hours=3))
        for uai in ("0861234Z", "0170102K"):
            connection.execute(insert(SourceFile).values(
                uai=uai, sha256=uai.ljust(64, "0"), name="20260601_resultats_3A.csv", size=1, archived_path="/dev/null",
                status="loaded", rows_read=1, rows_loaded=1, registered_at=LAST_NIGHT, first_run_id=one_process))
        export = start_run(connection, "export-lsu", {"livret": "LSU", "uai": None}, None, LAST_NIGHT + timedelta(hours=8))
        finish_run(connection, export, "completed", {"students": 83, "left_out": 2}, "…",
                   LAST_NIGHT + timedelta(hours=8), uai="0861234Z")
    return db_url


def runs(db_url: str, *options: str):
    return CliRunner().invoke(app, ["runs", "--db", db_url, *options])


def table(output: str) -> list[list[str]]:
    """The table's lines as their cells: N°, Type, UAI, Début, Durée, Statut, Résultat."""
    return [[cell.strip() for cell in line.strip("│ ").split("│")] for line in output.splitlines()
            if line.startswith("│")]


def test_an_academie_night_is_one_line_saying_how_many_establishments(history):
    listed = runs(history)

    assert listed.exit_code == EXIT_OK, listed.output
    assert [(kind, uai, status) for _, kind, uai, _, _, status, _ in table(listed.output)] == [
        ("export LSU", "0861234Z", "réussie"),
        ("import", "2 établissements", "réussie"),
        ("import académie", "3 établissements", "quarantaine"),
        ("import académie", "2 établissements", "réussie")]
    assert "1 établissement(s) en quarantaine" in listed.output


def test_an_academie_night_interrupted_early_still_says_how_many_establishments_it_was_for(engine, db_url):
    with engine.begin() as connection:
        stopped = start_run(connection, "ingest", {"inbox": "/srv/depot", "establishments": 3}, None, LAST_NIGHT)
        finish_run(connection, stopped, "interrupted", {"establishments": 1, "rows_loaded": 40}, "…",
                   LAST_NIGHT + timedelta(minutes=2))  # one establishment committed before the stop

    listed = runs(db_url)

    assert [(kind, uai, status) for _, kind, uai, _, _, status, _ in table(listed.output)] == [
        ("import", "3 établissements", "interrompue")]


def test_detail_puts_each_night_s_establishments_beneath_it(history):
    lines = table(runs(history, "--detail").output)

    this_night = next(i for i, line in enumerate(lines) if line[2] == "3 établissements")
    beneath = lines[this_night + 1:this_night + 4]
    assert [(number.startswith("└"), uai, status) for number, _, uai, _, _, status, _ in beneath] == [
        (True, "0170102K", "réussie"), (True, "0790101J", "quarantaine"), (True, "0861234Z", "réussie")]
    assert [uai for _, _, uai, *_ in lines[this_night + 4:]] == ["2 établissements", "0790101J", "0861234Z"]


def test_uai_lists_that_establishment_s_runs_only(history):
    listed = runs(history, "--uai", "0170102k")

    assert listed.exit_code == EXIT_OK, listed.output
    # this year's night (its own run), and the académie run of one process that loaded its files
    assert [(kind, uai) for _, kind, uai, *_ in table(listed.output)] == [("import", "2 établissements"),
                                                                         ("import", "0170102K")]
    assert "0861234Z" not in listed.output and "0790101J" not in listed.output


def test_since_leaves_out_the_runs_started_before_that_day(history):
    listed = runs(history, "--since", "2026-01-01", "--uai", "0861234Z")

    assert listed.exit_code == EXIT_OK, listed.output
    starts = [start for _, _, _, start, *_ in table(listed.output)]
    assert len(starts) == 3 and not any("/2025" in start for start in starts)


@pytest.mark.parametrize("day", ["2026-13-01", "01/06/2026", "hier", "20260601"])
def test_a_since_that_is_no_date_is_a_usage_error_in_french(day, tmp_path):
    refused = runs(f"sqlite:///{tmp_path / 'none.sqlite'}", "--since", day)

    assert refused.exit_code == EXIT_USAGE
    assert "Date invalide pour --since" in refused.output and "AAAA-MM-JJ" in refused.output
    assert not (tmp_path / "none.sqlite").exists()


def test_the_fan_out_makes_its_establishments_runs_its_own(engine, db_url):
    from flows.fan_out import read_recorded_runs
    from pipeline.settings import Settings

    with engine.begin() as connection:
        parent = start_run(connection, "ingest-academie", {"establishments": 2}, "parent", LAST_NIGHT)
        for uai in ("0861234Z", "0790101J"):
            child = start_run(connection, "ingest", {"uai": uai}, f"run-{uai}", LAST_NIGHT, uai=uai)
            finish_run(connection, child, "completed", {"rows_loaded": 1}, "…", LAST_NIGHT)

    recorded = read_recorded_runs.fn(Settings(db_url=db_url), ["run-0861234Z", "run-0790101J"], parent)

    assert recorded == {"run-0861234Z": ("completed", {"rows_loaded": 1}, "…"),
                        "run-0790101J": ("completed", {"rows_loaded": 1}, "…")}
    with engine.connect() as connection:
        adopted = connection.execute(select(PipelineRun.uai, PipelineRun.parent_run_id)
                                     .where(PipelineRun.kind == "ingest").order_by(PipelineRun.uai)).all()
    assert [tuple(row) for row in adopted] == [("0790101J", parent), ("0861234Z", parent)]


@pytest.mark.usefixtures("prefect_harness")
def test_the_nightly_flow_records_whose_run_it_is_and_logs_sentences(db_url, tmp_path, monkeypatch):
    from flows.nightly_ingest import nightly_ingest
    from pix_livret.demo.sample_data import make_sample_academie
    from tests.builders import kept_run_logs

    for name, value in {"PIX_LIVRET_DB_URL": db_url, "PIX_LIVRET_ARCHIVE_DIR": str(tmp_path / "archive"),
                        "PIX_LIVRET_OUT_DIR": str(tmp_path / "out")}.items():
        monkeypatch.setenv(name, value)
    academie = make_sample_academie(tmp_path / "depot", establishments=2, classes=1, students_per_class=2)
    first, second = academie.uais
    with kept_run_logs() as logs:
        # the whole académie in this process, then one establishment's folder (its UAI from the folder's name)
        nightly_ingest(inbox=str(academie.root), attestations=False, bilans=False, return_state=True)
        nightly_ingest(inbox=str(academie.root / second), attestations=False, bilans=False, return_state=True)

    assert not [record.getMessage() for record in logs if "{" in record.getMessage()]
    assert [(kind, uai) for _, kind, uai, *_ in table(runs(db_url).output)] == [("import", second),
                                                                              ("import", "2 établissements")]
    assert [uai for _, _, uai, *_ in table(runs(db_url, "--uai", first).output)] == ["2 établissements"]
    assert [uai for _, _, uai, *_ in table(runs(db_url, "--uai", second).output)] == [second, "2 établissements"]
