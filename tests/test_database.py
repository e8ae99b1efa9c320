from pathlib import Path

import pytest
from sqlalchemy import inspect

from store.database import HEAD_REVISION, alembic_config, is_at_head, make_engine, sqlite_file, upgrade_to_head
from store.query import read_certifications
from tests.db_builders import add_certification, add_establishment, add_student


def test_never_migrated_database_is_not_at_head(db_url):
    assert not is_at_head(make_engine(db_url))


def test_upgrade_creates_every_table_and_is_repeatable(db_url):
    engine = make_engine(db_url)
    upgrade_to_head(engine)
    upgrade_to_head(engine)
    assert is_at_head(engine)
    tables = set(inspect(engine).get_table_names())
    assert {"establishments", "students", "certifications", "source_files", "quarantined_rows",
            "file_problems", "pipeline_runs", "attestations"} <= tables


def test_read_certifications_joins_the_roster_student(engine):
    add_establishment(engine)
    student = add_student(engine, 180004, last_name="D'ARTAGNAN", usage_name="DUPONT")
    add_certification(engine, 7310657, student_id=student, levels={"level_1_1": None})
    add_certification(engine, 7310658, status="cancelled", score=None)
    with engine.connect() as connection:
        frame = read_certifications(connection, "0861234Z")
    assert list(frame["number"]) == [7310657, 7310658]
    matched, unmatched = frame.iloc[0], frame.iloc[1]
    assert matched["eleve_id"] == 180004 and matched["student_usage_name"] == "DUPONT"
    assert matched["level_1_1"] is None or str(matched["level_1_1"]) == "<NA>"
    assert str(unmatched["eleve_id"]) == "<NA>"


def test_migrations_build_exactly_the_tables_the_code_declares(engine):
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext

    from schemas.tables import Base

    with engine.connect() as connection:
        differences = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    assert differences == []


def test_absents_are_students_of_certified_divisions_without_a_certification_who_have_not_left(engine):
    from datetime import date

    from store.query import read_absents

    add_establishment(engine)
    certified = add_student(engine, 1001, division="3A")
    add_student(engine, 1003, division="3A")
    add_student(engine, 1004, division="3A")
    add_student(engine, 1005, division="3A", left_on=date(2026, 1, 15))
    add_student(engine, 1002, division="3B")  # no certification in 3B: not looked at
    add_student(engine, 1006, division="3A", school_years=(2024,))  # last year's 3A: not this year's absent
    add_certification(engine, 7310657, student_id=certified, division="3A")
    add_certification(engine, 7310658, division="3A")  # unmatched: makes nobody present

    with engine.connect() as connection:
        absents = read_absents(connection, "0861234Z", date(2026, 6, 1))

    assert absents == [{"eleve_id": 1003, "division": "3A"}, {"eleve_id": 1004, "division": "3A"}]


def test_head_revision_is_the_latest_migration():
    from alembic.script import ScriptDirectory

    assert HEAD_REVISION == ScriptDirectory.from_config(alembic_config()).get_current_head()


def test_the_migration_to_enrolments_keeps_every_student_in_the_years_the_database_knew(db_url):
    """Before 0007 a student had one division: they are enrolled with it in their last roster's year and in the
    years of their own certifications; nobody is lost."""
    from datetime import date

    from alembic import command
    from sqlalchemy import insert, select

    from schemas.tables import Enrolment, Establishment, SourceFile, Student
    from tests.db_builders import NOW

    engine = make_engine(db_url)
    with engine.begin() as connection:
        config = alembic_config()
        config.attributes["connection"] = connection
        command.upgrade(config, "0006")
        connection.execute(insert(Establishment).values(uai="0861234Z", school_year=2025, updated_at=NOW))
        repeater, new, old = (connection.execute(insert(Student).values(
            uai="0861234Z", eleve_id=eleve_id, last_name="X", first_name="Y", birth_date=date(2011, 1, 1),
            division=division, last_roster_year=year).returning(Student.id)).scalar_one()
            for eleve_id, division, year in ((1, "3C", 2025), (2, "3B", 2025), (3, "3A", 2024)))
        file_id = connection.execute(insert(SourceFile).values(
            uai="0861234Z", sha256="0" * 64, name="a.csv", size=1, archived_path="/dev/null", status="loaded",
            registered_at=NOW).returning(SourceFile.id)).scalar_one()
        connection.exec_driver_sql(
            "INSERT INTO certifications (number, uai, student_id, match_method, first_name, last_name, "
            "certification_type, status, status_inferred, passed_on, division, source_file_id, source_row, "
            "loaded_at, updated_at) VALUES (7100001, '0861234Z', %s, 'exact', 'Y', 'X', 'Pix', 'rejected', %s, "
            "'2025-03-20', '3C', %s, 2, '2026-06-01', '2026-06-01')" % (
                repeater, "false" if engine.dialect.name == "postgresql" else "0", file_id))
    upgrade_to_head(engine)
    with engine.connect() as connection:
        enrolments = sorted(tuple(row) for row in connection.execute(
            select(Enrolment.student_id, Enrolment.school_year, Enrolment.division)))
    engine.dispose()
    assert enrolments == [(repeater, 2024, "3C"), (repeater, 2025, "3C"), (new, 2025, "3B"), (old, 2024, "3A")]


def test_a_process_keeps_one_engine_per_url(tmp_path):
    from store.database import engine_for

    url = f"sqlite:///{tmp_path / 'one.sqlite'}"

    assert engine_for(url) is engine_for(url)
    assert engine_for(f"sqlite:///{tmp_path / 'other.sqlite'}") is not engine_for(url)


def test_the_least_recently_used_engine_past_the_bound_is_disposed(tmp_path, monkeypatch):
    import store.database as database

    monkeypatch.setattr(database, "ENGINES_KEPT", 2)
    first = database.engine_for(f"sqlite:///{tmp_path / 'first.sqlite'}")
    first_pool = first.pool
    database.engine_for(f"sqlite:///{tmp_path / 'second.sqlite'}")
    database.engine_for(f"sqlite:///{tmp_path / 'third.sqlite'}")

    assert first.pool is not first_pool  # disposed: its pool closed and replaced
    assert database.engine_for(f"sqlite:///{tmp_path / 'first.sqlite'}") is not first


def test_a_forked_child_builds_its_own_engine_and_leaves_the_parents_connections_alone(db_url):
    import os

    from store.database import connect, engine_for

    with connect(db_url) as connection:
        upgrade_to_head(connection)
    parent = id(engine_for(db_url))
    read, write = os.pipe()
    child = os.fork()
    if child == 0:  # the child: a connection of its own, then it reports and exits without Python's clean-up
        try:
            with connect(db_url, write=False) as connection:
                connection.exec_driver_sql("SELECT 1")
            os.write(write, b"own" if id(engine_for(db_url)) != parent else b"inherited")
        finally:
            os._exit(0)
    os.close(write)
    said = os.read(read, 16)
    os.waitpid(child, 0)

    assert said == b"own"
    with connect(db_url, write=False) as connection:  # the parent's pooled connection still works
        assert is_at_head(engine_for(db_url)) and connection.exec_driver_sql("SELECT 1").scalar_one() == 1


def test_a_read_does_not_take_the_write_lock_that_a_write_on_the_same_engine_holds(tmp_path):
    import time

    from store.database import connect

    url = f"sqlite:///{tmp_path / 'pix.sqlite'}"
    with connect(url) as connection:
        upgrade_to_head(connection)
    started = time.monotonic()
    with connect(url) as writer:
        writer.exec_driver_sql("DELETE FROM establishments")
        with connect(url, write=False) as reader:  # BEGIN IMMEDIATE here would wait for the writer: seconds
            assert reader.exec_driver_sql("SELECT count(*) FROM establishments").scalar_one() == 0

    assert time.monotonic() - started < 2


def test_the_migration_to_run_uais_reads_each_earlier_run_s_uai_from_its_parameters(db_url):
    """Before 0010 a run's UAI was only among its parameters: two establishments' runs over two years keep theirs,
    a run of several keeps none, and `runs --uai` then finds each establishment's runs."""
    from datetime import datetime, timezone

    from alembic import command
    from sqlalchemy import select

    from schemas.tables import PipelineRun
    from store.runs import list_runs

    engine = make_engine(db_url)
    runs = [("ingest", {"uai": "0861234Z", "inbox": "/srv/depot/0861234Z"}, datetime(2025, 6, 2, tzinfo=timezone.utc)),
            ("export-lsu", {"livret": "LSU", "school_year": "2024-2025", "uai": "0790101J"},
             datetime(2025, 6, 20, tzinfo=timezone.utc)),
            ("ingest", {"uai": "0790101J"}, datetime(2026, 6, 2, tzinfo=timezone.utc)),
            ("ingest", {"inbox": "/srv/depot", "uai": None}, datetime(2026, 6, 3, tzinfo=timezone.utc)),
            ("export-lsu", {"livret": "LSU", "school_year": "2025-2026", "uai": "0861234Z"},
             datetime(2026, 6, 20, tzinfo=timezone.utc))]
    with engine.begin() as connection:
        config = alembic_config()
        config.attributes["connection"] = connection
        command.upgrade(config, "0009")
        table = PipelineRun.__table__
        for kind, parameters, started in runs:
            connection.execute(table.insert().values(kind=kind, parameters=parameters, started_at=started,
                                                     status="completed", counts={}))
    upgrade_to_head(engine)
    with engine.connect() as connection:
        uais = connection.execute(select(PipelineRun.uai, PipelineRun.parent_run_id).order_by(PipelineRun.id)).all()
        of_one = [run.kind for run in list_runs(connection, uai="0790101J")]
    engine.dispose()
    assert [tuple(row) for row in uais] == [("0861234Z", None), ("0790101J", None), ("0790101J", None), (None, None),
                                            ("0861234Z", None)]
    assert of_one == ["ingest", "export-lsu"]


@pytest.mark.parametrize("url, file", [
    ("sqlite:///var/pix-livret.sqlite", "var/pix-livret.sqlite"),
    ("sqlite:///file:/srv/pix/base.sqlite?mode=ro&uri=true", "/srv/pix/base.sqlite"),  # a URI filename
    ("sqlite://", None), ("sqlite:///:memory:", None), ("postgresql+psycopg://pix@127.0.0.1/pix", None)])
def test_the_sqlite_file_of_a_url_is_what_locks_and_serve_s_password_sit_beside(url, file):
    assert sqlite_file(url) == (Path(file) if file else None)
