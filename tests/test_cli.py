"""The command line end to end: export, attestations and demo, with their exit codes and messages."""
from __future__ import annotations

import os
from pathlib import Path

import pytest
from typer.testing import CliRunner

from schemas.referential import LEVEL_COLUMNS
from pix_livret.cli import EXIT_FAILURE, EXIT_OK, EXIT_USAGE, app
from tests.db_builders import add_certification, add_establishment, add_student
from transforms.lsu_xml import validate_livret_xml

pytestmark = pytest.mark.usefixtures("prefect_harness")
YEAR = "2025-2026"


@pytest.fixture
def school(engine, db_url, tmp_path, monkeypatch):
    """One establishment: a validated student in 3A, a rejected one in 3B."""
    monkeypatch.setenv("PIX_LIVRET_OUT_DIR", str(tmp_path / "out"))
    add_establishment(engine)
    lea = add_student(engine, 1, last_name="Martin", first_name="Léa")
    tom = add_student(engine, 2, last_name="Petit", first_name="Tom", division="3B")
    add_certification(engine, 101, student_id=lea)
    add_certification(engine, 102, student_id=tom, status="rejected", score=0, global_level=None,
                      levels=dict.fromkeys(LEVEL_COLUMNS))
    return db_url


def test_export_writes_the_xml_and_says_how_many_students(school, tmp_path):
    result = CliRunner().invoke(app, ["export", "lsu", "--year", YEAR, "--out", str(tmp_path / "x"), "--db", school])
    assert result.exit_code == EXIT_OK, result.output
    assert "2 élèves" in result.output
    written = tmp_path / "x" / "LSU_0861234Z_2025-2026.xml"
    validate_livret_xml(written.read_bytes())


def test_export_of_an_unknown_uai_fails_with_a_message_and_writes_nothing(school, tmp_path):
    result = CliRunner().invoke(app, ["export", "lsl", "--year", YEAR, "--uai", "0330001A", "--out",
                                      str(tmp_path / "x"), "--db", school])
    assert result.exit_code == EXIT_FAILURE
    assert "Établissement inconnu" in result.output
    assert not (tmp_path / "x").exists()


def test_export_of_an_unknown_livret_is_a_usage_error(school):
    result = CliRunner().invoke(app, ["export", "lsx", "--year", YEAR, "--db", school])
    assert result.exit_code == EXIT_USAGE


def test_attestations_writes_one_pdf_per_class_with_a_validated_student(school, tmp_path):
    out = tmp_path / "pdf"
    # no --year: the school year of the latest certification (2025-2026), not the one today falls in
    result = CliRunner().invoke(app, ["attestations", "--out", str(out), "--db", school])
    assert result.exit_code == EXIT_OK, result.output
    assert sorted(p.name for p in out.glob("*.pdf")) == ["Attestations_Pix_3A.pdf"]
    assert "3A : 1 attestation(s)" in result.output and "2025-2026" in result.output


def test_demo_runs_the_whole_pipeline_and_says_where_things_are(tmp_path, monkeypatch):
    monkeypatch.setenv("PIX_LIVRET_DB_URL", "sqlite:///the-callers.sqlite")
    result = CliRunner().invoke(app, ["demo", "--dir", str(tmp_path / "demo")])
    assert result.exit_code == EXIT_OK, result.output
    assert os.environ["PIX_LIVRET_DB_URL"] == "sqlite:///the-callers.sqlite"  # the demo's settings do not leak
    assert (tmp_path / "demo" / "pix-livret.sqlite").exists() and not Path("the-callers.sqlite").exists()
    assert (tmp_path / "demo" / "sorties" / "LSU_0861234Z_2025-2026.xml").exists()
    assert list((tmp_path / "demo" / "sorties" / "attestations" / "0861234Z" / YEAR).glob("*.pdf"))
    assert "Quarantaine" in result.output and "fichier LSU" in result.output


def test_demo_refuses_to_wipe_a_folder_that_is_not_its_own(tmp_path):
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "notes.txt").write_text("à garder")
    result = CliRunner().invoke(app, ["demo", "--dir", str(tmp_path / "mine")])
    assert result.exit_code == EXIT_USAGE
    assert (tmp_path / "mine" / "notes.txt").exists()


def test_runs_on_a_database_never_created_says_so_and_creates_nothing(tmp_path):
    result = CliRunner().invoke(app, ["runs", "--db", f"sqlite:///{tmp_path / 'none.sqlite'}"])
    assert result.exit_code == EXIT_FAILURE and "pas initialisée" in result.output
    assert not (tmp_path / "none.sqlite").exists()


def test_attestations_for_an_unknown_uai_fail_with_a_message(school, tmp_path):
    result = CliRunner().invoke(app, ["attestations", "--uai", "0330001A", "--year", YEAR, "--out",
                                      str(tmp_path / "pdf"), "--db", school])
    assert result.exit_code == EXIT_FAILURE and "Établissement inconnu" in result.output
    assert not (tmp_path / "pdf").exists()
