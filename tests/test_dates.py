"""Dates that cannot be, end to end: set aside by an ingest run and by migration 0008; the default school year."""
from __future__ import annotations

import json
from dataclasses import replace
from datetime import date, datetime, timezone

import pytest
from alembic import command
from sqlalchemy import insert, select

from tests.ingest_runs import ingested
from pipeline.school_years import default_school_year
from pix_livret.demo.sample_data import make_sample_establishment, write_class_csv
from schemas.referential import LEVEL_COLUMNS
from schemas.tables import (Attestation, Certification, Enrolment, Establishment, FileProblem, QuarantinedRow,
                            SourceFile, Student)
from store.database import alembic_config, make_engine
from store.problems import read_open_files
from tests.db_builders import add_certification, add_establishment, read_rows

UAI = "0861234Z"
BEFORE_0008 = "0007"  # the revision 0008 follows


# --- an ingest run ---------------------------------------------------------------------------------------------

@pytest.fixture
def sample(tmp_path):
    return make_sample_establishment(tmp_path / "sample")  # results of 2025-2026


def test_a_certification_dated_2030_is_set_aside_and_the_default_year_stays_the_real_one(sample, db_url, tmp_path,
                                                                                       monkeypatch):
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    [real] = [c for c in sample.certifications if c.student is not None][:1]
    future = replace(real, number=real.number + 900_000, passed_on=date(2030, 1, 1))
    adult = replace(real, number=real.number + 900_001, student=None, first_name="Adulte", last_name="Formation",
                    birth_date=date(1970, 5, 17))  # a BTS or GRETA candidate: loaded
    write_class_csv(inbox / "20260320_resultats_3A.csv", [real, future, adult], "pix-niveau-score")

    report = ingested(inbox, db_url, tmp_path / "archive", roster=sample.roster_path, workers=1)

    [file] = report.files
    assert (file.status, file.rows_loaded, file.rows_quarantined) == ("partial", 2, 1)
    [problem] = file.problems
    assert (problem["row"], problem["column"], problem["message"]) == (
        3, "Date de passage de la certification", "Date de passage postérieure au jour du traitement")
    stored = read_rows(db_url, select(Certification.number, Certification.school_year).order_by(Certification.number))
    assert stored == [(real.number, 2025), (adult.number, 2025)]
    assert default_school_year(sample.uai, date.today(), database_url=db_url) == "2025-2026"
    assert "Formation" not in json.dumps(report.asdict()) and "1970" not in json.dumps(report.asdict())


# --- the default school year -----------------------------------------------------------------------------------

def test_a_new_years_roster_in_september_does_not_move_the_default_year(engine, db_url):
    add_establishment(engine, school_year=2026)  # the 2026-2027 roster, arrived in September
    add_certification(engine, 101, passed_on=date(2026, 3, 20))
    assert default_school_year(UAI, date(2026, 9, 15), database_url=db_url) == "2025-2026"


def test_a_stored_result_after_today_does_not_move_the_default_year(engine, db_url):
    add_establishment(engine)
    add_certification(engine, 101, passed_on=date(2026, 3, 20))
    add_certification(engine, 102, passed_on=date(2030, 1, 1))  # stored before the rules: never the default
    assert default_school_year(UAI, date(2026, 11, 23), database_url=db_url) == "2025-2026"


def test_an_undated_result_counts_in_its_files_year_for_the_default(engine, db_url):
    add_establishment(engine, school_year=2024)
    add_certification(engine, 101, passed_on=None, school_year=2025)
    assert default_school_year(UAI, date(2026, 11, 23), database_url=db_url) == "2025-2026"


# --- migration 0008 --------------------------------------------------------------------------------------------

REGISTERED = datetime(2026, 3, 21, 8, 0, tzinfo=timezone.utc)


def migrate(engine, revision: str) -> None:
    with engine.begin() as connection:
        config = alembic_config()
        config.attributes["connection"] = connection
        command.upgrade(config, revision)


def stored_file(connection, name: str, registered_at: datetime, rows: int) -> int:
    return connection.execute(insert(SourceFile.__table__).values(
        uai=UAI, sha256=name.ljust(64, "0")[:64], name=name, size=1, format="pix-niveau-score", encoding="utf-8-sig",
        delimiter=";", division=None, archived_path="/dev/null", status="loaded", rows_read=rows, rows_loaded=rows,
        rows_quarantined=0, registered_at=registered_at).returning(SourceFile.id)).scalar_one()


def stored_certification(connection, number: int, file_id: int, row: int, passed_on: date | None,
                         birth_date: date = date(2011, 4, 4), student_id: int | None = None) -> None:
    # the columns of revision 0006/0007: no school_year yet
    connection.execute(insert(Certification.__table__).values(
        number=number, uai=UAI, student_id=student_id, match_method="exact" if student_id else "unmatched",
        first_name="Louis", last_name="Durand",
        birth_date=birth_date, certification_type="Pix", status="validated", status_inferred=False, score=300,
        global_level=None, passed_on=passed_on, division="3A", source_file_id=file_id, source_row=row,
        loaded_at=REGISTERED, updated_at=REGISTERED, **{name: 3 for name in LEVEL_COLUMNS}))


@pytest.fixture
def before_0008(db_url):
    """A database at the revision before 0008 holding good rows, undated ones and two that break the date rules."""
    engine = make_engine(db_url)
    migrate(engine, BEFORE_0008)
    with engine.begin() as connection:
        connection.execute(insert(Establishment.__table__).values(uai=UAI, school_year=2025, updated_at=REGISTERED))
        named = stored_file(connection, "20260320_resultats_3A.csv", REGISTERED, 4)
        unnamed = stored_file(connection, "classe 3B.csv", datetime(2026, 10, 2, tzinfo=timezone.utc), 1)
        young = connection.execute(insert(Student.__table__).values(
            uai=UAI, eleve_id=4004, last_name="DURAND", first_name="Louis", birth_date=date(2019, 1, 1),
            division="3A").returning(Student.id)).scalar_one()
        stored_certification(connection, 1, named, 2, date(2026, 3, 20))
        stored_certification(connection, 2, named, 3, date(2030, 1, 1), student_id=young)
        stored_certification(connection, 3, named, 4, None)  # its file's name says 2026-03-20: 2025-2026
        stored_certification(connection, 4, named, 5, date(2026, 3, 20), birth_date=date(2019, 1, 1),
                             student_id=young)
        stored_certification(connection, 5, unnamed, 2, None)  # received 2026-10-02: 2026-2027
        connection.execute(insert(Attestation.__table__).values(certification_number=2, content_hash="0" * 64,
                                                                path="/dev/null", rendered_at=REGISTERED))
        # as 0007 enrolled them: the roster's year, and the year of each certification (2029 from the 2030 one)
        connection.execute(insert(Enrolment.__table__), [
            {"student_id": young, "school_year": year, "uai": UAI, "division": "3A"} for year in (2025, 2029)])
    yield engine
    engine.dispose()


def test_migration_0008_stores_school_years_and_sets_aside_the_rows_that_break_the_date_rules(before_0008, db_url,
                                                                                              tmp_path):
    migrate(before_0008, "head")

    with before_0008.connect() as connection:
        kept = connection.execute(select(Certification.number, Certification.school_year)
                                  .order_by(Certification.number)).all()
        quarantined = connection.execute(select(QuarantinedRow.row_number, QuarantinedRow.reasons,
                                                QuarantinedRow.raw_text, QuarantinedRow.eleve_id)
                                         .order_by(QuarantinedRow.row_number)).all()
        problems = connection.execute(select(FileProblem.row_number, FileProblem.column_name, FileProblem.value,
                                             FileProblem.message).order_by(FileProblem.row_number)).all()
        named = connection.execute(select(SourceFile.status, SourceFile.rows_loaded, SourceFile.rows_quarantined)
                                   .where(SourceFile.name == "20260320_resultats_3A.csv")).one()
        attestations = connection.execute(select(Attestation.certification_number)).scalars().all()
        due = connection.execute(select(Establishment.attestations_due)).scalar_one()
        enrolled = connection.execute(select(Enrolment.school_year).order_by(Enrolment.school_year)).scalars().all()
        open_files = read_open_files(connection, [UAI])

    assert kept == [(1, 2025), (3, 2025), (5, 2026)]  # the good rows untouched, each in one school year
    assert [(row, reasons, eleve_id) for row, reasons, _, eleve_id in quarantined] == [
        (3, "Date de passage postérieure au jour du traitement", 4004),
        (5, "Élève de moins de 10 ans à la date de passage", 4004)]  # its student: « résultat écarté »
    assert [json.loads(raw)["number"] for _, _, raw, _ in quarantined] == [2, 4]  # the stored row, kept whole
    assert problems == [(3, "Date de passage de la certification", "01/01/2030",
                         "Date de passage postérieure au jour du traitement"),
                        (5, "Date de naissance", None, "Élève de moins de 10 ans à la date de passage")]
    assert named == ("partial", 2, 2) and attestations == [] and due
    assert enrolled == [2025]  # 2029-2030 came from the certification set aside only
    assert [(f.name, f.status, f.rows_quarantined) for f in open_files] == [("20260320_resultats_3A.csv", "partial", 2)]

    # the next run's report says it, though nothing new came in
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    report = ingested(inbox, db_url, tmp_path / "archive", uai=UAI, workers=1)
    assert [(p.name, p.rows_quarantined) for p in report.open_problems] == [("20260320_resultats_3A.csv", 2)]
    assert report.quarantined
