"""Retention of minors' data: `purge` removes the personal data of past school years, `forget` one student everywhere."""
from __future__ import annotations

import json
from datetime import date, datetime, timezone
from pathlib import Path

import pytest
from sqlalchemy import func, insert, select, update

from pipeline.attestations import produce_attestations
from tests.ingest_runs import ingested
from pipeline.retention import RetentionError, forget, purge
from pipeline.settings import Settings
from pix_livret.demo.sample_data import make_sample_academie
from schemas.tables import Attestation, Certification, Enrolment, PipelineRun, QuarantinedRow, SourceFile, Student
from store.database import make_engine
from store.query import read_certifications

OLD_DAY = datetime(2024, 3, 1, tzinfo=timezone.utc)  # in 2023-2024


@pytest.fixture
def school(db_url, tmp_path, monkeypatch):
    monkeypatch.setenv("PIX_LIVRET_DB_URL", db_url)
    monkeypatch.setenv("PIX_LIVRET_OUT_DIR", str(tmp_path / "out"))
    academie = make_sample_academie(tmp_path / "inbox", establishments=1, classes=2, students_per_class=3)
    report = ingested(academie.root, db_url, tmp_path / "archive", workers=1)
    assert not report.failed
    engine = make_engine(db_url)
    yield academie, engine, tmp_path / "out"
    engine.dispose()


@pytest.fixture
def where(db_url, tmp_path):
    """The database and the outputs' folder a retention command works on (the command line's settings)."""
    return {"database_url": db_url, "out_dir": tmp_path / "out"}


def rows(engine, query):
    with engine.connect() as connection:
        return connection.execute(query).all()


def age_one_class(engine) -> tuple[int, str]:
    """The first file's class moved to 2023-2024: passed, registered and on the roster then; one quarantined row."""
    with engine.begin() as connection:
        file_id, archived = connection.execute(select(SourceFile.id, SourceFile.archived_path)
                                               .order_by(SourceFile.id)).first()
        students = select(Certification.student_id).where(Certification.source_file_id == file_id)
        connection.execute(update(Certification).where(Certification.source_file_id == file_id)
                           .values(passed_on=date(2024, 3, 1)))
        # set aside back then (a partial file): an open problem the purge must close
        connection.execute(update(SourceFile).where(SourceFile.id == file_id)
                           .values(registered_at=OLD_DAY, status="partial"))
        connection.execute(update(Student).where(Student.id.in_(students)).values(last_roster_year=2023))
        connection.execute(update(Enrolment).where(Enrolment.student_id.in_(students)).values(school_year=2023))
        connection.execute(insert(QuarantinedRow).values(source_file_id=file_id, row_number=9,
                                                         raw_text="1;Jean;Secret;01/01/2010", reasons="test"))
    return file_id, archived


def write_outputs(out: Path, uai: str) -> dict[str, Path]:
    paths = {"old_xml": out / f"LSU_{uai}_2023-2024.xml", "new_xml": out / f"LSU_{uai}_2025-2026.xml",
             "old_pdf": out / "attestations" / uai / "2023-2024" / "3A" / "X.pdf",
             "new_pdf": out / "attestations" / uai / "2025-2026" / "3B" / "Y.pdf"}
    for path in paths.values():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("contenu")
    return paths


def test_purge_anonymises_past_years_and_keeps_the_counts_and_the_current_year(school, where):
    academie, engine, out = school
    uai = academie.uais[0]
    old_file, old_archive = age_one_class(engine)
    outputs = write_outputs(out, uai)
    per_file = academie.rows // 2

    simulated = purge("2025-2026", dry_run=True, **where)

    assert simulated.removed.certifications == per_file and simulated.dry_run
    assert rows(engine, select(func.count()).where(Certification.anonymised_at.is_not(None)))[0][0] == 0
    assert all(path.exists() for path in outputs.values()) and Path(old_archive).exists()

    report = purge("2025-2026", **where)

    counts = report.removed.counts()
    assert counts == {"certifications_anonymised": per_file, "students_removed": per_file,
                      "quarantined_rows_removed": 1, "attestations_removed": 0, "open_problems_closed": 1}
    old = rows(engine, select(Certification.first_name, Certification.last_name, Certification.birth_date,
                              Certification.student_id, Certification.score, Certification.status)
               .where(Certification.source_file_id == old_file))
    assert len(old) == per_file and all(r[:4] == ("", "", None, None) for r in old)
    assert all(r.status for r in old)  # what the bilans count stays
    assert rows(engine, select(func.count()).select_from(Student))[0][0] == academie.rows - per_file
    assert not Path(old_archive).exists() and not outputs["old_xml"].exists() and not outputs["old_pdf"].exists()
    assert outputs["new_xml"].exists() and outputs["new_pdf"].exists()
    with engine.connect() as connection:
        assert len(read_certifications(connection, uai)) == academie.rows - per_file  # the outputs never see them
    [run] = rows(engine, select(PipelineRun.parameters, PipelineRun.counts, PipelineRun.status)
                 .where(PipelineRun.kind == "purge", PipelineRun.status == "completed")
                 .order_by(PipelineRun.id.desc()).limit(1))
    assert run.parameters == {"before": "2025-2026", "dry_run": False}
    assert run.counts["certifications_anonymised"] == per_file and run.counts["files_deleted"] == 3

    assert purge("2025-2026", **where).removed.counts()["certifications_anonymised"] == 0  # twice is once


def test_purge_refuses_a_malformed_year(school, where):
    with pytest.raises(RetentionError, match="Année scolaire invalide"):
        purge("2025", **where)


def test_forget_removes_one_student_everywhere_and_records_no_identifier(school, where):
    academie, engine, out = school
    uai = academie.uais[0]
    produce_attestations("2025-2026", uai, Settings(workers=1))
    [(student_id, ine, last_name, number, file_id)] = rows(engine, select(
        Student.id, Student.ine, Student.last_name, Certification.number, Certification.source_file_id)
        .join(Certification, Certification.student_id == Student.id).where(Student.ine.is_not(None))
        .order_by(Student.id).limit(1))
    [attestation] = rows(engine, select(Attestation.path).where(Attestation.certification_number == number))
    student_pdf = Path(attestation.path)
    class_pdf = student_pdf.parent.parent / f"Attestations_Pix_{student_pdf.parent.name}.pdf"
    [archived] = rows(engine, select(SourceFile.archived_path).where(SourceFile.id == file_id))
    with engine.begin() as connection:
        connection.execute(insert(QuarantinedRow).values(source_file_id=file_id, row_number=40,
                                                         raw_text=f"9;x;y;01/01/2011;;{ine}", reasons="test"))
    export = out / f"LSU_{uai}_2025-2026.xml"
    export.write_text(f'<eleve id-be="{rows(engine, select(Student.eleve_id).where(Student.id == student_id))[0][0]}"/>')
    assert student_pdf.exists() and class_pdf.exists()

    report = forget(ine=ine.lower(), **where)

    assert report.removed.counts() == {"certifications_anonymised": 1, "students_removed": 1,
                                       "quarantined_rows_removed": 1, "attestations_removed": 1,
                                       "open_problems_closed": 0}
    assert rows(engine, select(func.count()).where(Student.id == student_id))[0][0] == 0
    assert rows(engine, select(Certification.last_name, Certification.external_id)
                .where(Certification.number == number)) == [("", None)]
    assert not student_pdf.exists() and not class_pdf.exists() and not Path(archived.archived_path).exists()
    assert not export.exists()
    history = rows(engine, select(PipelineRun.parameters, PipelineRun.counts, PipelineRun.message)
                   .where(PipelineRun.kind == "forget"))
    assert history and ine not in json.dumps([list(map(str, h)) for h in history]) \
        and last_name not in json.dumps([list(map(str, h)) for h in history])
    # the next attestations run makes the class again, without the student
    again = produce_attestations("2025-2026", uai, Settings(workers=1), only_changed=True)
    assert class_pdf.exists() and sum(again.pages.values()) >= 1


def test_forget_keeps_the_reasons_of_a_row_whose_file_is_still_to_be_fixed(school, where):
    _, engine, _ = school
    [(ine, file_id)] = rows(engine, select(Student.ine, Certification.source_file_id)
                            .join(Certification, Certification.student_id == Student.id)
                            .where(Student.ine.is_not(None)).order_by(Student.id).limit(1))
    with engine.begin() as connection:  # the file was set aside in part: an open problem
        connection.execute(update(SourceFile).where(SourceFile.id == file_id).values(status="partial"))
        connection.execute(insert(QuarantinedRow).values(source_file_id=file_id, row_number=40,
                                                         raw_text=f"9;x;y;01/01/2011;;{ine}",
                                                         reasons="Score : valeur non reconnue"))

    assert forget(ine=ine, **where).removed.counts()["quarantined_rows_removed"] == 1

    [(text, reasons)] = rows(engine, select(QuarantinedRow.raw_text, QuarantinedRow.reasons)
                             .where(QuarantinedRow.source_file_id == file_id, QuarantinedRow.row_number == 40))
    assert ine not in text and "effacé" in text
    assert reasons == "Score : valeur non reconnue"


def test_forget_says_when_nobody_has_that_identifier(school, where):
    with pytest.raises(RetentionError, match="Aucun élève ni aucune certification pour cet INE"):
        forget(ine="00000000000", **where)


def test_the_purge_command_says_what_it_would_remove_in_french(school):
    from typer.testing import CliRunner

    from pix_livret.cli import app

    academie, engine, _ = school
    age_one_class(engine)

    result = CliRunner().invoke(app, ["purge", "--before", "2025-2026", "--dry-run"])

    assert result.exit_code == 0, result.output
    assert "Ces données seraient supprimées (simulation : rien n’est modifié) :" in result.output
    assert f"- Certifications anonymisées : {academie.rows // 2}" in result.output
    usage = CliRunner().invoke(app, ["forget"])
    assert usage.exit_code == 2 and "Donnez soit --ine, soit --eleve-id." in usage.output
