"""The nightly's attestations of several establishments, their classes rendered as one stream: each establishment
comes out as it would alone, one that fails leaves the others made, and no lock stays held."""
from __future__ import annotations

from pathlib import Path

from pipeline.attestations import attestations_in_turn, produce_attestations
from pipeline.settings import Settings
from store.locks import establishment_lock
from tests.bilan_school import UAI, YEAR, build_school

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

    assert done == [UAI, OTHER]
    for uai in (UAI, OTHER):
        alone = produce_attestations(YEAR, uai, settings_of(db_url, tmp_path / "alone", workers=1), record_run=False)
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
