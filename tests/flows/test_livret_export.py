"""The June export end to end on a database (SQLite, and PostgreSQL when configured): the use case as a plain function,
then the flow under the Prefect harness for what only the flow does (artifacts, its run in the history)."""
from __future__ import annotations

import stat
from collections.abc import Iterator
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import pytest
from lxml import etree
from sqlalchemy import select

from pipeline.export import ExportError, export_livret
from pipeline.school_years import default_school_year
from pipeline.settings import Settings, current_settings, using
from schemas.livret import NAMESPACE
from schemas.tables import PipelineRun
from store.database import make_engine
from tests.builders import artifacts_of, kept_run_logs
from tests.db_builders import add_certification, add_establishment, add_student
from transforms.lsu_xml import validate_livret_xml

YEAR = "2025-2026"
NOW = datetime(2026, 6, 15, 10, tzinfo=timezone(timedelta(hours=2)))
NS = {"l": NAMESPACE}


@pytest.fixture
def configured(db_url, tmp_path) -> Iterator[Path]:
    """This test's database and output folder as the settings in use, as the command line puts its own."""
    with using(Settings(db_url=db_url, out_dir=tmp_path / "out")) as settings:
        yield settings.out_dir


def export(livret: str = "LSU", year: str = YEAR, uai: str | None = None, **options):
    """The export use case, handed the settings in use as a flow hands them."""
    return export_livret(livret, year, uai, current_settings(), **options)


@pytest.fixture
def school(engine, configured) -> Path:
    """3A: validated, rejected, cancelled-then-nothing, older-then-latest, in error, unmatched; one of last year."""
    add_establishment(engine)
    durand = add_student(engine, 1, last_name="D'Artagnan & Fils", first_name="Élodie")
    martin = add_student(engine, 2, last_name="Martin", first_name="Léa", ine="123456789AB")
    annul = add_student(engine, 3, last_name="Annul", first_name="Anne")
    twice = add_student(engine, 4, last_name="Bis", first_name="Eva", division="3B")
    broken = add_student(engine, 5, last_name="Erreur", first_name="Rémi")
    add_certification(engine, 101, student_id=durand, levels={"level_1_2": None})
    add_certification(engine, 102, student_id=martin, status="rejected", score=0, global_level=None,
                      levels={name: None for name in ("level_1_1", "level_1_2")})
    add_certification(engine, 103, student_id=annul, status="cancelled", score=None, global_level=None)
    add_certification(engine, 104, student_id=twice, passed_on=date(2025, 11, 2), division="3B")
    add_certification(engine, 105, student_id=twice, passed_on=date(2026, 2, 2), division="3B")
    add_certification(engine, 106, student_id=broken, status="error", score=None, global_level=None)
    add_certification(engine, 107, last_name="Inconnu", first_name="Ivan")
    add_certification(engine, 108, student_id=durand, passed_on=date(2025, 3, 1))  # 2024-2025
    return configured


def test_export_writes_a_valid_file_and_the_left_out_list(school):
    report = export("LSU", YEAR, now=NOW)

    path = Path(report.path)
    assert path == school / "LSU_0861234Z_2025-2026.xml"
    document = path.read_bytes()
    validate_livret_xml(document)
    root = etree.fromstring(document)
    assert [c.get("numero") for c in root.iterfind("l:donnees/l:certifications/l:certification", NS)] == \
        ["101", "102", "105"]
    assert root.find("l:donnees/l:eleves/l:eleve", NS).get("nom") == "D'Artagnan & Fils"
    assert (report.students, report.certifications, report.validated, report.not_obtained) == (3, 3, 2, 1)
    assert report.left_out == {"unmatched": 1, "cancelled": 1, "error": 1, "older": 1}
    csv_lines = Path(report.left_out_path).read_text(encoding="utf-8-sig").splitlines()
    assert [line.split(";")[0] for line in csv_lines[1:]] == ["107", "103", "106", "104"]


def test_outputs_are_readable_by_owner_and_group_only(school):
    report = export("LSL", YEAR, now=NOW)
    assert Path(report.path).name == "LSL_0861234Z_2025-2026.xml"
    assert {stat.S_IMODE(Path(p).stat().st_mode) for p in (report.path, report.left_out_path)} == {0o640}


def test_same_database_gives_the_same_bytes_but_for_date_generation(school):
    first = Path(export("LSU", YEAR, now=NOW).path).read_bytes()
    second = Path(export("LSU", YEAR, now=NOW).path).read_bytes()
    assert first == second


def test_the_run_is_recorded_with_counts_and_no_names(school, engine):
    export("LSU", YEAR, now=NOW)
    with engine.connect() as connection:
        run = connection.execute(select(PipelineRun.__table__)).one()
    assert (run.kind, run.status) == ("export-lsu", "completed")
    assert run.parameters == {"livret": "LSU", "school_year": YEAR, "uai": None}
    assert run.counts["students"] == 3 and run.counts["left_out_unmatched"] == 1
    assert "Artagnan" not in run.message and "Martin" not in run.message


def test_unknown_uai_is_refused_and_nothing_is_written(school, engine):
    with pytest.raises(ExportError, match="Établissement inconnu"):
        export("LSU", YEAR, uai="0999999Z")
    assert not school.exists()
    with engine.connect() as connection:
        assert connection.execute(select(PipelineRun.status)).scalars().all() == ["failed"]


def test_year_without_data_is_refused_and_nothing_is_written(school):
    with pytest.raises(ExportError, match="Aucune certification Pix"):
        export("LSU", "2023-2024")
    assert not school.exists()


def test_year_with_only_left_out_certifications_says_why(engine, configured):
    add_establishment(engine)
    add_certification(engine, 201, last_name="Inconnu")
    with pytest.raises(ExportError, match="non rattaché"):
        export("LSU", YEAR)
    assert not configured.exists()


def test_several_establishments_need_a_uai(engine, configured):
    add_establishment(engine, "0861234Z")
    add_establishment(engine, "0860001A")
    add_certification(engine, 301, student_id=add_student(engine, 1, uai="0860001A"), uai="0860001A")
    with pytest.raises(ExportError, match="précisez --uai"):
        export("LSU", YEAR)
    assert export("LSU", YEAR, uai="0860001A", now=NOW).students == 1


def test_never_migrated_database_is_refused_and_nothing_is_created(db_url, configured, tmp_path):
    with pytest.raises(ExportError, match="pas initialisée"):
        export("LSU", YEAR)
    assert not configured.exists()
    if db_url.startswith("sqlite"):
        assert not (tmp_path / "pix-livret.sqlite").exists()


def test_never_migrated_existing_database_is_refused(db_url, configured):
    make_engine(db_url).connect().close()  # the file exists, the tables do not
    with pytest.raises(ExportError, match="pas initialisée"):
        export("LSU", YEAR)


@pytest.mark.parametrize("livret, year", [("LSX", YEAR), ("LSU", "2025-2027")])
def test_bad_parameters_are_refused_before_touching_the_database(configured, livret, year):
    with pytest.raises(ExportError):
        export(livret, year)


def test_out_dir_overrides_the_configured_folder(school, tmp_path):
    report = export("LSU", YEAR, out_dir=str(tmp_path / "elsewhere"), now=NOW)
    assert Path(report.path).parent == tmp_path / "elsewhere" and not school.exists()


def test_report_summary_is_in_french_and_names_nobody(school):
    summary = export("LSU", YEAR, now=NOW).asstr()
    assert "3 élèves" in summary and "non rattaché" in summary and "Artagnan" not in summary


def test_the_settings_given_choose_the_folder_and_the_editor(school, db_url, tmp_path):
    settings = Settings(db_url=db_url, out_dir=tmp_path / "academie", editor="Rectorat de Poitiers")

    report = export_livret("LSU", YEAR, None, settings, now=NOW)

    assert Path(report.path).parent == tmp_path / "academie" and not school.exists()
    entete = etree.fromstring(Path(report.path).read_bytes()).find("l:entete", NS)
    assert entete.findtext("l:editeur", namespaces=NS) == "Rectorat de Poitiers"


def test_the_flow_exports_the_default_year_when_none_is_given(school):
    from flows.livret_export import check_export

    settings = current_settings()
    assert check_export.fn("LSU", None, None, settings) == default_school_year(None, date.today(),
                                                                       database_url=settings.database_url)


@pytest.mark.usefixtures("prefect_harness")
def test_the_flow_publishes_the_counts_and_records_its_run(school, engine):
    from flows.livret_export import livret_export

    with kept_run_logs() as logs:
        state = livret_export(livret="LSU", school_year=YEAR, return_state=True)

    assert state.is_completed() and state.result().students == 3
    # the first thing the run's page shows, and its log line: a sentence, never a dict
    said = ("Export LSU 0861234Z 2025-2026 : 3 élève(s), 3 certification(s) (2 validée(s), 1 non obtenue(s)), "
            "4 certification(s) écartée(s).")
    assert state.message == said and said in [r.getMessage() for r in logs]
    assert not [r.getMessage() for r in logs if "{" in r.getMessage()]
    summary = artifacts_of(state)["export-lsu"]
    assert "**3** élèves exportés" in summary and "Artagnan" not in summary and "Martin" not in summary
    with engine.connect() as connection:
        run = connection.execute(select(PipelineRun.__table__)).one()
    assert (run.kind, run.status, run.flow_run_id) == ("export-lsu", "completed", str(state.state_details.flow_run_id))
    assert run.uai == "0861234Z"  # not asked: the only establishment, found by the export


@pytest.mark.usefixtures("prefect_harness")
def test_a_refused_export_says_why_in_an_artifact_of_its_run(school):
    from flows.livret_export import livret_export

    state = livret_export(livret="LSU", school_year=YEAR, uai="0330099X", return_state=True)

    assert state.is_failed()
    why = artifacts_of(state)["export-lsu"]
    assert why.startswith("# Échec de l'exécution") and "0330099X" in why
