"""An académie's June in one run (SQLite, and PostgreSQL when configured): the export and the attestations of every
establishment with data for the year, one that fails named with its reason while the others are done; the use
cases as plain functions, then the flows under the Prefect harness for their state and artifact."""
from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from lxml import etree

from flows.attestations import make_attestations
from flows.june import JuneNotClean
from flows.livret_export import livret_export
from pipeline.attestations import AttestationsError, attestations_of_establishments
from pipeline.export import ExportError, export_establishments
from pipeline.requests import academie_establishments
from pipeline.school_years import default_school_year
from pipeline.settings import Settings, current_settings, using
from schemas.livret import NAMESPACE
from tests.builders import artifacts_of, full_disk_under
from tests.db_builders import add_certification, add_establishment, add_student

YEAR = "2025-2026"
COLLEGE, EMPTY = "0861234Z", "0870001A"  # EMPTY: its roster of the year, no certification yet
NAMES = ("Martin", "Léa", "Petit", "Tom", "Durand", "Louis")


@pytest.fixture
def academie(engine, db_url, tmp_path) -> Path:
    """Two establishments with data for 2025-2026: COLLEGE's 3A has Léa validated and Tom not obtained; EMPTY has
    Louis enrolled, certified only the year before. Their database and output folder are the settings in use."""
    with using(Settings(db_url=db_url, out_dir=tmp_path / "out", workers=1)) as settings:
        add_establishment(engine, COLLEGE)
        add_establishment(engine, EMPTY)
        add_certification(engine, 101, uai=COLLEGE, student_id=add_student(engine, 1, uai=COLLEGE,
                                                                            last_name="Martin", first_name="Léa"))
        add_certification(engine, 102, uai=COLLEGE, status="rejected", score=0, global_level=None,
                          student_id=add_student(engine, 2, uai=COLLEGE, last_name="Petit", first_name="Tom"))
        louis = add_student(engine, 3, uai=EMPTY, school_years=(2024, 2025))
        add_certification(engine, 103, uai=EMPTY, student_id=louis, passed_on=date(2025, 3, 20))
        yield settings.out_dir


def test_every_establishment_with_data_that_year_is_done_and_the_one_with_nothing_is_named(academie):
    uais = academie_establishments(current_settings().database_url, None, YEAR, ExportError)
    report = export_establishments("LSU", YEAR, uais, current_settings())

    assert uais == [COLLEGE, EMPTY]
    assert sorted(p.name for p in academie.glob("*.xml")) == [f"LSU_{COLLEGE}_{YEAR}.xml"]
    assert report.failed == [EMPTY]
    done, empty = report.rows()
    assert done == [COLLEGE, "2", "1", "1", "0", ""]
    assert empty[:5] == [EMPTY, "—", "—", "—", "—"] and "Aucune certification Pix" in empty[5]
    assert report.headers() == ["UAI", "Élèves", "Validées", "Non obtenues", "Écartées", "Motif de l'échec"]
    assert report.state_message() == (f"Export LSU {YEAR} : 1 établissement(s) sur 2 fait(s) ; en échec : {EMPTY} "
                                      "(motifs dans le tableau)")


def test_an_establishment_whose_disk_is_full_fails_alone_and_the_others_get_their_own_folder(academie, engine,
                                                                                           monkeypatch):
    add_certification(engine, 104, uai=EMPTY, student_id=add_student(engine, 4, uai=EMPTY, last_name="Petit"))
    full_disk_under(academie / "attestations" / COLLEGE, monkeypatch)

    report = attestations_of_establishments(YEAR, [COLLEGE, EMPTY], current_settings())

    assert report.failed == [COLLEGE]
    assert "disque plein" in report.rows()[0][-1] and "Écriture impossible" in report.rows()[0][-1]
    assert report.rows()[1] == [EMPTY, "1", "1", "2", "0", ""]
    assert [p.name for p in (academie / "attestations" / EMPTY / YEAR).glob("*.pdf")] == ["Attestations_Pix_3A.pdf"]


def test_a_folder_given_holds_a_folder_per_establishment(academie, tmp_path):
    report = attestations_of_establishments(YEAR, [COLLEGE, EMPTY], current_settings(), out_dir=str(tmp_path / "x"))

    assert report.failed == []
    assert sorted(p.relative_to(tmp_path / "x").parts[0] for p in (tmp_path / "x").rglob("*.pdf")) == [COLLEGE] * 2


def test_a_uai_or_a_single_establishment_keeps_the_single_run(academie, engine, db_url):
    assert academie_establishments(db_url, COLLEGE, YEAR, ExportError) is None
    with pytest.raises(AttestationsError, match="Aucun établissement de la base n'a de données pour l'année "
                                                "scolaire 2019-2020"):
        academie_establishments(db_url, None, "2019-2020", AttestationsError)


def test_without_a_uai_the_default_year_is_the_latest_with_results_of_any_establishment(academie, engine, db_url):
    # a new roster in September, in a third establishment, does not move it to the year to come
    add_establishment(engine, "0330001R", school_year=2026)

    assert default_school_year(None, date(2026, 11, 23), database_url=db_url) == YEAR
    assert default_school_year(EMPTY, date(2026, 11, 23), database_url=db_url) == "2024-2025"


@pytest.mark.usefixtures("prefect_harness")
def test_the_export_flow_without_a_uai_fails_naming_the_establishment_and_publishes_the_table(academie):
    state = livret_export(livret="LSU", return_state=True)  # no year either: the latest with results, 2025-2026

    assert state.is_failed()
    assert state.message == (f"Export LSU {YEAR} : 1 établissement(s) sur 2 fait(s) ; en échec : {EMPTY} "
                             "(motifs dans le tableau)")
    assert isinstance(state.result(raise_on_failure=False), JuneNotClean)
    table = artifacts_of(state)["export-lsu"]
    assert "| UAI | Élèves | Validées | Non obtenues | Écartées | Motif de l'échec |" in table
    assert f"| {COLLEGE} | 2 | 1 | 1 | 0 |  |" in table and f"| {EMPTY} | — | — | — | — | Aucune certification" in table
    assert not [name for name in NAMES if name in table]
    document = etree.parse(str(academie / f"LSU_{COLLEGE}_{YEAR}.xml"))
    assert len(document.findall(f".//{{{NAMESPACE}}}eleve")) == 2


@pytest.mark.usefixtures("prefect_harness")
def test_the_attestations_flow_without_a_uai_makes_every_establishment_s(academie, engine):
    add_certification(engine, 104, uai=EMPTY, student_id=add_student(engine, 4, uai=EMPTY, last_name="Petit"))

    state = make_attestations(return_state=True)

    assert state.is_completed(), state.message
    assert state.message == f"Attestations {YEAR} : 2 établissement(s) sur 2 fait(s)"
    assert {p.parts[-3] for p in (academie / "attestations").rglob("Attestations_Pix_3A.pdf")} == {COLLEGE, EMPTY}
    assert f"| {EMPTY} | 1 | 1 | 2 | 0 |  |" in artifacts_of(state)["attestations"]
