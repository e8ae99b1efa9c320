"""The nightly's attestations of several establishments, their classes rendered as one stream: each establishment
comes out as it would alone, one that fails leaves the others made, and no lock stays held; the night tries again
an establishment the database failed for a moment, and no other."""
from __future__ import annotations

from datetime import date
from pathlib import Path

import pipeline.attestations as pipeline_attestations
import pipeline.nightly as pipeline_nightly
from pipeline.attestations import attestations_in_turn, produce_attestations
from pipeline.nightly import refresh_attestations
from pipeline.settings import Settings
from store.certifications import mark_attestations_due, read_attestations_due
from store.database import DatabaseFailure
from store.locks import establishment_lock
from tests.bilan_school import UAI, YEAR, build_school
from transforms.report import EstablishmentReport, RunReport

OTHER, THIRD = "0330001A", "0330002B"


def settings_of(db_url: str, out: Path, workers: int = 2) -> Settings:
    return Settings(db_url=db_url, out_dir=out, workers=workers)


def files_under(folder: Path) -> set[str]:
    return {str(path.relative_to(folder)) for path in folder.rglob("*.pdf")}


def test_the_stream_writes_what_each_establishment_alone_would(engine, db_url, tmp_path):
    build_school(engine)
    build_school(engine, OTHER, name="Collège Montaigne")
    done: list[str] = []

    made = attestations_in_turn([(UAI, YEAR), (OTHER, YEAR)], settings_of(db_url, tmp_path / "stream"),
                                on_done=lambda report: done.append(report.uai))

    assert sorted(done) == sorted([UAI, OTHER])  # each once, in the order their last class was done
    for uai in (UAI, OTHER):
        alone = produce_attestations(YEAR, uai, settings_of(db_url, tmp_path / "alone", workers=1))
        assert made[uai].pages == alone.pages and sum(alone.pages.values()) == 4  # Léa, Inès, Tom, Paul
    assert files_under(tmp_path / "stream") == files_under(tmp_path / "alone")


def test_one_establishment_that_fails_leaves_the_others_made_and_its_lock_free(engine, db_url, tmp_path):
    for uai in (UAI, OTHER, THIRD):
        build_school(engine, uai, first_number={UAI: None, OTHER: None, THIRD: 30_000}[uai])
    out = tmp_path / "out"
    (out / "attestations").mkdir(parents=True)
    (out / "attestations" / OTHER).write_text("a file where its folder should be")
    failures: list[tuple[str, str]] = []

    made = attestations_in_turn([(UAI, YEAR), (OTHER, YEAR), (THIRD, YEAR)], settings_of(db_url, out),
                                on_failure=lambda uai, error: failures.append((uai, type(error).__name__)))

    assert made[OTHER] is None and [uai for uai, _ in failures] == [OTHER]
    assert sum(made[UAI].pages.values()) == sum(made[THIRD].pages.values()) == 4
    waited: list[str] = []
    for uai in (UAI, OTHER, THIRD):
        with establishment_lock(db_url, "attestations", uai, on_wait=lambda: waited.append(uai)):
            pass
    assert waited == []


def test_a_second_night_renders_nothing_that_did_not_change(engine, db_url, tmp_path):
    build_school(engine)
    build_school(engine, OTHER)
    settings = settings_of(db_url, tmp_path / "out")
    attestations_in_turn([(UAI, YEAR), (OTHER, YEAR)], settings)

    again = attestations_in_turn([(UAI, YEAR), (OTHER, YEAR)], settings)

    assert all(report.pages == {} and report.skipped_unchanged for report in again.values())


def night_of(engine, *uais: str) -> RunReport:
    """A night that loaded UAIS, whose results changed: their attestations are due."""
    with engine.begin() as connection:
        for uai in uais:
            mark_attestations_due(connection, uai, True)
    return RunReport(establishments=[EstablishmentReport(uai=uai, roster_students=12) for uai in uais])


def test_the_night_tries_again_an_establishment_the_database_failed_for_a_moment(engine, db_url, tmp_path,
                                                                                monkeypatch):
    build_school(engine)
    build_school(engine, OTHER)
    plan, refused = pipeline_attestations.plan_attestations, []

    def out_of_reach_once(url, school_year, uai, *args, **kwargs):
        if uai == OTHER and not refused:
            refused.append(uai)
            raise DatabaseFailure("Base de données injoignable", transient=True)
        return plan(url, school_year, uai, *args, **kwargs)

    monkeypatch.setattr(pipeline_attestations, "plan_attestations", out_of_reach_once)
    failures: list[str] = []

    night = refresh_attestations(night_of(engine, UAI, OTHER), settings_of(db_url, tmp_path / "out", workers=1),
                                 date(2026, 6, 30), on_failure=lambda uai, error: failures.append(uai),
                                 tries_again=2, delay_seconds=0)

    assert refused == [OTHER] and failures == []
    assert [e.attestations_written for e in night.establishments] == [4, 4]


def test_the_night_gives_up_at_once_on_what_trying_again_cannot_change(engine, db_url, tmp_path, monkeypatch):
    build_school(engine)
    build_school(engine, OTHER)
    out = tmp_path / "out"
    (out / "attestations").mkdir(parents=True)
    (out / "attestations" / OTHER).write_text("a file where its folder should be")
    streams, failures = [], []
    monkeypatch.setattr(pipeline_nightly, "attestations_in_turn",
                        lambda targets, *args, **kwargs: streams.append(targets) or attestations_in_turn(
                            targets, *args, **kwargs))

    night = refresh_attestations(night_of(engine, UAI, OTHER), settings_of(db_url, out), date(2026, 6, 30),
                                 on_failure=lambda uai, error: failures.append(uai), tries_again=2, delay_seconds=0)

    assert len(streams) == 1 and failures == [OTHER]  # a file in the way is not trouble that passes
    assert [(e.attestations_written, e.attestations_failed) for e in night.establishments] == [(4, False), (0, True)]
    with engine.connect() as connection:
        assert read_attestations_due(connection) == [OTHER]  # the next night tries again
