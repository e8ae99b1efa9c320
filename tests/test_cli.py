"""The command line end to end: ingest, export, attestations and demo, with their exit codes and messages."""
from __future__ import annotations

import json
import os
from dataclasses import replace
from pathlib import Path

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from tests.builders import one_school_inbox
from tests.ingest_runs import ingested
from pix_livret.cli import EXIT_FAILURE, EXIT_OK, EXIT_QUARANTINE, EXIT_USAGE, app
from pix_livret.demo.sample_data import ROSTER_FILE_NAME, make_sample_establishment, write_class_csv
from schemas.referential import LEVEL_COLUMNS, Status
from schemas.tables import PipelineRun, SourceFile
from tests.db_builders import add_certification, add_establishment, add_student, read_rows
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


@pytest.fixture
def academie(school, engine):
    """SCHOOL and a second establishment whose roster of the year is in, but none of its results yet."""
    add_establishment(engine, "0870001A")
    add_student(engine, 3, uai="0870001A", last_name="Durand", first_name="Louis")
    return school


def test_export_without_uai_does_every_establishment_and_fails_naming_the_one_with_nothing(academie, tmp_path):
    result = CliRunner().invoke(app, ["export", "lsu", "--year", YEAR, "--out", str(tmp_path / "x"),
                                      "--db", academie])

    assert result.exit_code == EXIT_FAILURE, result.output
    assert [p.name for p in (tmp_path / "x").glob("*.xml")] == ["LSU_0861234Z_2025-2026.xml"]
    lines = result.output.splitlines()
    assert any(line.split()[:5] == ["0861234Z", "2", "1", "1", "0"] for line in lines), result.output
    assert any(line.split()[:3] == ["0870001A", "—", "—"] and "Aucune certification Pix" in line for line in lines)
    assert "Export LSU 2025-2026 : 1 établissement(s) sur 2 fait(s) ; en échec : 0870001A" in result.output
    assert "Martin" not in result.output and "Louis" not in result.output


def test_attestations_without_uai_make_a_folder_per_establishment_and_succeed(academie, tmp_path):
    result = CliRunner().invoke(app, ["attestations", "--out", str(tmp_path / "pdf"), "--db", academie])

    assert result.exit_code == EXIT_OK, result.output
    assert [p.relative_to(tmp_path / "pdf").as_posix() for p in (tmp_path / "pdf").rglob("Attestations_Pix_*.pdf")] \
        == ["0861234Z/Attestations_Pix_3A.pdf"]
    assert "Attestations 2025-2026 : 2 établissement(s) sur 2 fait(s)" in result.output


def test_demo_runs_the_whole_pipeline_and_says_where_things_are(tmp_path, monkeypatch):
    monkeypatch.setenv("PIX_LIVRET_DB_URL", "sqlite:///the-callers.sqlite")
    result = CliRunner().invoke(app, ["demo", "--dir", str(tmp_path / "demo")])
    assert result.exit_code == EXIT_OK, result.output
    assert os.environ["PIX_LIVRET_DB_URL"] == "sqlite:///the-callers.sqlite"  # the demo's settings do not leak
    assert (tmp_path / "demo" / "pix-livret.sqlite").exists() and not Path("the-callers.sqlite").exists()
    assert (tmp_path / "demo" / "sorties" / "LSU_0861234Z_2025-2026.xml").exists()
    assert list((tmp_path / "demo" / "sorties" / "attestations" / "0861234Z" / YEAR).glob("*.pdf"))
    assert "Quarantaine" in result.output and "fichier LSU" in result.output
    bilan = tmp_path / "demo" / "sorties" / "bilans" / "0861234Z" / YEAR / f"Bilan_Pix_0861234Z_{YEAR}.html"
    assert bilan.exists() and "bilan (à ouvrir dans un navigateur)" in result.output


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


@pytest.fixture
def clean_inbox(db_url, tmp_path, monkeypatch):
    """An inbox of one establishment with its roster and one clean class file (3 validated certifications)."""
    return one_school_inbox(tmp_path, monkeypatch, validated=3)


def ingest(inbox, db_url, tmp_path, *options):
    result = CliRunner().invoke(app, ["ingest", str(inbox), "--no-attestations", "--db", db_url,
                                      "--report", str(tmp_path / "report.json"), *options], terminal_width=200)
    report = json.loads((tmp_path / "report.json").read_text(encoding="utf-8")) if result.exit_code != 1 else None
    return result, report


def test_links_are_refused_without_opening_their_target_and_set_the_run_aside(clean_inbox, db_url, tmp_path):
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "passwd").write_text("root:x:0:0:SECRET-LINE:/root:/bin/bash\n")
    write_class_csv(outside / "20260320_resultats_3B.csv", [], "pix-niveau-score")
    (clean_inbox / "a.csv").symlink_to(outside / "passwd")
    (clean_inbox / "b.csv").symlink_to(clean_inbox / "20260320_resultats_3A.csv")  # stays inside: not followed either
    (clean_inbox / "0123456A").symlink_to(outside, target_is_directory=True)

    result, report = ingest(clean_inbox, db_url, tmp_path)

    assert result.exit_code == EXIT_QUARANTINE, result.output
    assert [(f["name"], f["status"]) for f in report["files"]] == [("20260320_resultats_3A.csv", "loaded")]
    links = {i["name"]: i for i in report["ignored"] if i["rule"] == "symlink"}
    assert sorted(links) == ["0123456A", "a.csv", "b.csv"]
    assert all("lien symbolique" in i["reason"] and i["uai"] == "0861234Z" for i in links.values())
    assert report["totals"]["ignored_set_aside"] == 3 and report["totals"]["rows_loaded"] == 3
    assert "refusé" in result.output and "SECRET-LINE" not in result.output
    archived = [p.read_bytes() for p in (tmp_path / "archive").rglob("*") if p.is_file()]
    assert len(archived) == 1 and not any(b"SECRET-LINE" in content for content in archived)


def test_everything_in_the_inbox_is_loaded_or_listed_as_ignored_with_its_reason(clean_inbox, db_url, tmp_path):
    for name in ("...csv", "..\\..\\x.csv", "~$20260320_resultats_3A.csv", ".~lock.20260320_resultats_3A.csv#"):
        (clean_inbox / name).write_text("x")
    (clean_inbox / "x.csv").mkdir()
    (clean_inbox / "etablissements.csv").write_text("uai;nom\n0861234Z;Collège Jean Moulin\n", encoding="utf-8")

    result, report = ingest(clean_inbox, db_url, tmp_path, "--verbose")

    # debris is not set aside: the run is clean, and etablissements.csv is no quarantined class file
    assert result.exit_code == EXIT_OK, result.output
    assert [f["name"] for f in report["files"]] == ["20260320_resultats_3A.csv"]
    assert {i["name"]: i["rule"] for i in report["ignored"]} == {
        "...csv": "hidden", "..\\..\\x.csv": "hidden", "~$20260320_resultats_3A.csv": "lock_file",
        ".~lock.20260320_resultats_3A.csv#": "lock_file", "x.csv": "folder", "etablissements.csv": "schools_list",
        ROSTER_FILE_NAME: "roster"}
    assert report["totals"]["ignored"] == 7 and report["totals"]["ignored_set_aside"] == 0
    assert "Éléments du dépôt non lus : 7, dont 0 refusé(s)" in result.output
    for reason in ("élément caché", "verrouillage d'un tableur", "sous-dossiers", "liste des établissements",
                   "liste d'élèves SIECLE"):
        assert reason in result.output, result.output
    assert "..\\..\\x.csv" in result.output


def test_control_characters_and_markup_in_file_names_are_shown_escaped(clean_inbox, db_url, tmp_path):
    names = ["3A\x1b[31m.csv", "a\nb.csv", "[blink]3B[reset].csv", "c\x9b2J.csv", ".\x1b]0;titre\x07"]
    for number, name in enumerate(names):
        (clean_inbox / name).write_text(f"pas un export Pix {number}\n")

    result, report = ingest(clean_inbox, db_url, tmp_path, "--verbose")

    assert result.exit_code == EXIT_QUARANTINE, result.output
    assert not any(c in result.output for c in "\x1b\x07\x9b"), result.output
    for shown in ("3A\\x1b[31m.csv", "a\\nb.csv", "[blink]3B[reset].csv", "c\\x9b2J.csv", ".\\x1b]0;titre\\x07"):
        assert shown in result.output, shown
    # the JSON report keeps the exact names
    assert set(names) <= {f["name"] for f in report["files"]} | {i["name"] for i in report["ignored"]}


def test_a_status_cell_that_reads_like_markup_is_quarantined_not_a_crash(clean_inbox, db_url, tmp_path):
    path = clean_inbox / "20260320_resultats_3A.csv"
    text = path.read_text(encoding="utf-8-sig")
    path.write_text(text.replace('"Validée"', '"[/b]"', 1), encoding="utf-8-sig")

    result, report = ingest(clean_inbox, db_url, tmp_path)

    assert result.exit_code == EXIT_QUARANTINE, result.output
    assert "Traceback" not in result.output and report["totals"]["rows_quarantined"] == 1


@pytest.fixture
def open_problems(db_url, tmp_path):
    """Two establishments loaded by the data path: 0861234Z with a clean 3A, a 3B whose third row is set aside and
    a workbook renamed .csv; 0330001A (no roster) with a workbook renamed .csv. Returns the student of the bad row.
    """
    sample = make_sample_establishment(tmp_path / "sample")
    inbox, other = tmp_path / "inbox", tmp_path / "other"
    inbox.mkdir()
    other.mkdir()
    validated = [c for c in sample.certifications if c.student is not None and c.status is Status.VALIDATED]
    write_class_csv(inbox / "20260320_resultats_3A.csv", [c for c in validated if c.student.division == "3A"][:3],
                    "pix-niveau-score")
    first, second, third = [c for c in validated if c.student.division == "3B"][:3]
    write_class_csv(inbox / "20260320_resultats_3B.csv", [first, second, replace(third, levels={**third.levels,
                                                                                                 "2.3": 9})],
                    "pix-niveau-score")
    (inbox / "20260321_resultats_3C.csv").write_bytes(b"PK\x03\x04 a workbook")
    (other / "20260321_resultats_4A.csv").write_bytes(b"PK\x03\x04 another workbook")
    ingested(inbox, db_url, tmp_path / "archive", roster=sample.roster_path, workers=1)
    ingested(other, db_url, tmp_path / "archive", uai="0330001A", workers=1)
    return third


def problems(db_url, *arguments):
    return CliRunner().invoke(app, ["problems", "--db", db_url, *arguments], terminal_width=200)


def file_id(db_url, name):
    [(found,)] = read_rows(db_url, select(SourceFile.id).where(SourceFile.name == name))
    return found


def acknowledgements(db_url):
    return read_rows(db_url, select(PipelineRun.__table__).where(PipelineRun.kind == "acknowledge")
                     .order_by(PipelineRun.id))


def test_problems_lists_each_open_file_with_its_first_reasons_and_no_name(open_problems, db_url):
    listed = problems(db_url)
    one_school = problems(db_url, "--uai", "0330001A")

    assert listed.exit_code == EXIT_OK, listed.output
    assert "Problèmes ouverts : 3 fichier(s) écarté(s)" in listed.output
    assert f"N° {file_id(db_url, '20260320_resultats_3B.csv')} · 0861234Z · 20260320_resultats_3B.csv" in listed.output
    assert "partiel, 1 ligne(s) écartée(s)" in listed.output and "- ligne 4 : 2.3 : valeur hors limites" in listed.output
    assert "quarantaine, fichier entier écarté" in listed.output and "- fichier entier : " in listed.output
    assert "20260320_resultats_3A.csv" not in listed.output
    assert open_problems.last_name not in listed.output and open_problems.first_name not in listed.output
    assert one_school.exit_code == EXIT_OK
    assert "20260321_resultats_4A.csv" in one_school.output and "0861234Z" not in one_school.output


def test_acknowledging_closes_the_numbers_given_and_is_in_the_run_history(open_problems, db_url):
    partial = file_id(db_url, "20260320_resultats_3B.csv")

    acknowledged = problems(db_url, "--acknowledge", str(partial))
    all_of_one = problems(db_url, "--acknowledge-all", "--uai", "0861234Z")

    assert acknowledged.exit_code == EXIT_OK and f"Problème(s) acquitté(s) : 1 (n° {partial})" in acknowledged.output
    assert all_of_one.exit_code == EXIT_OK and "Problème(s) acquitté(s) : 1" in all_of_one.output
    left = problems(db_url).output
    assert "Problèmes ouverts : 1 fichier(s)" in left and "20260321_resultats_4A.csv" in left
    assert "Aucun problème ouvert pour 0861234Z." in problems(db_url, "--uai", "0861234Z").output
    assert [(r.status, r.counts, r.parameters["all"]) for r in acknowledgements(db_url)] == [
        ("completed", {"acknowledged": 1, "already_closed": 0}, False),
        ("completed", {"acknowledged": 1, "already_closed": 0}, True)]


def test_a_number_that_is_not_open_acknowledges_nothing_and_fails(open_problems, db_url):
    partial = file_id(db_url, "20260320_resultats_3B.csv")
    loaded = file_id(db_url, "20260320_resultats_3A.csv")

    refused = problems(db_url, "--acknowledge", str(partial), str(loaded))

    assert refused.exit_code == EXIT_FAILURE
    said = " ".join(refused.output.split())  # the error console folds lines at 80 columns
    assert f"sous le(s) numéro(s) {loaded} (déjà clos, ou inconnu) : rien n'est acquitté" in said
    assert "Problèmes ouverts : 3 fichier(s)" in problems(db_url).output
    assert acknowledgements(db_url) == []


@pytest.mark.parametrize("arguments", [["--acknowledge"], ["12"], ["--acknowledge-all"],
                                       ["--acknowledge", "12", "--acknowledge-all", "--uai", "0861234Z"],
                                       ["--acknowledge-all", "--uai", "0861234Z", "12"]])
def test_problems_options_that_make_no_sense_are_usage_errors(arguments, tmp_path):
    result = problems(f"sqlite:///{tmp_path / 'none.sqlite'}", *arguments)
    assert result.exit_code == EXIT_USAGE, result.output


def test_problems_on_a_database_never_created_says_so_and_creates_nothing(tmp_path):
    result = problems(f"sqlite:///{tmp_path / 'none.sqlite'}")
    assert result.exit_code == EXIT_FAILURE and "pas initialisée" in result.output
    assert not (tmp_path / "none.sqlite").exists()
