"""transforms/normalise.py: every header version onto the canonical frame; bad cells become problems."""
from __future__ import annotations

import datetime as dt
import unicodedata

import pandas as pd
import pandera.pandas as pa
import pytest

from schemas.certification import CertificationFrame
from schemas.problems import ProblemFrame
from schemas.referential import LEVEL_COLUMNS
from tests.transforms.test_read_csv import (COMMENT, COMPETENCES, HEADER_2018, HEADER_CURRENT, HEADER_NOMBRE,
                                            HEADER_PIX_PLUS_SESSION, HEADER_RESULTAT, HEADER_SESSION,
                                            PLAIN_COMMENT, export_bytes, record, three_students)
from transforms.normalise import export_date_from_name, file_division_from_name, normalise_export
from transforms.read_csv import read_export

NAME = "20250601_resultats_3èmeA.csv"
RUN_DAY = dt.date(2026, 6, 30)
FRAME_COLUMNS = ["certification_number", "first_name", "last_name", "birth_date", "birthplace",
                 "external_id", "certification_type", "status", "status_inferred", "score", "global_level",
                 *LEVEL_COLUMNS, "jury_comment", "session", "centre", "passed_on", "source_file",
                 "row_number", "file_division", "received_on", "school_year"]


def no_levels(cell: str) -> dict[str, str]:
    """Every competence cell set to CELL, as in a certification that was not obtained."""
    return {code: cell for code in COMPETENCES}


def normalised(header, records, name=NAME, **options):
    return normalise_export(read_export(name, export_bytes(header, records, **options)), received_on=RUN_DAY)


def problem_by_column(result) -> dict[str, dict]:
    return {p["column"]: p for p in result.problems.to_dict("records")}


def test_clean_current_export_passes_the_certification_schema():
    result = normalised(HEADER_CURRENT, three_students(HEADER_CURRENT))

    validated = CertificationFrame.validate(result.frame)

    assert result.problems.empty
    assert len(validated) == 3
    assert result.frame["global_level"].tolist() == ["Novice 2"] * 3
    assert result.frame["file_division"].tolist() == ["3èmeA"] * 3
    assert result.frame["source_file"].tolist() == [NAME] * 3


def test_frame_has_the_canonical_columns_and_dtypes():
    frame = normalised(HEADER_CURRENT, three_students(HEADER_CURRENT)).frame

    assert list(frame.columns) == FRAME_COLUMNS
    assert {str(frame[c].dtype) for c in ("certification_number", "score", *LEVEL_COLUMNS)} == {"Int64"}
    assert str(frame["birth_date"].dtype).startswith("datetime64")
    assert frame["external_id"].dtype == object and frame["external_id"].tolist() == [None] * 3
    assert frame["status_inferred"].dtype == bool


def test_source_columns_name_the_labels_of_the_file():
    sources = normalised(HEADER_CURRENT, three_students(HEADER_CURRENT)).source_columns

    assert sources["score"] == "Score en Pix"
    assert sources["level_1_1"] == "1.1"
    assert sources["status"] == "Statut"
    assert sources["jury_comment"] == COMMENT


def test_nombre_de_pix_export_maps_score_and_invents_no_global_level():
    students = [record(HEADER_NOMBRE, pix="412"),
                record(HEADER_NOMBRE, number="100002", status="Rejetée", pix="0", **no_levels("0"))]

    result = normalised(HEADER_NOMBRE, students)

    assert result.frame["score"].tolist() == [412, 0]
    assert result.frame["status"].tolist() == ["validated", "rejected"]
    assert result.frame["global_level"].isna().all()
    assert result.frame["certification_type"].tolist() == ["Pix", "Pix"]
    assert result.source_columns["score"] == "Nombre de Pix"
    CertificationFrame.validate(result.frame)


def test_oldest_export_infers_status_from_score_and_says_so():
    students = [record(HEADER_2018, pix="300"),
                record(HEADER_2018, number="100002", pix="0", **no_levels("0"))]

    result = normalised(HEADER_2018, students)

    assert result.frame["status"].tolist() == ["validated", "rejected"]
    assert result.frame["status_inferred"].tolist() == [True, True]
    assert result.frame["certification_type"].tolist() == ["Pix", "Pix"]
    assert result.frame["centre"].tolist() == ["Collège Jean Moulin"] * 2
    assert result.frame["jury_comment"].tolist() == [None, None]
    assert result.source_columns["status"] == "Nombre de Pix"
    CertificationFrame.validate(result.frame)


def test_current_export_status_is_read_not_inferred():
    frame = normalised(HEADER_CURRENT, three_students(HEADER_CURRENT)).frame

    assert frame["status_inferred"].tolist() == [False] * 3


def test_resultat_cells_give_global_level_and_score():
    students = [record(HEADER_RESULTAT, result="Novice 1 (5 Pix)"),
                record(HEADER_RESULTAT, result="Indépendant 2 (402 Pix)"),
                record(HEADER_RESULTAT, result="0 Pix", status="Non obtenue"),
                record(HEADER_RESULTAT, result="-", status="Annulée")]

    result = normalised(HEADER_RESULTAT, students)

    assert result.frame["global_level"].tolist() == ["Novice 1", "Indépendant 2", None, None]
    assert result.frame["score"].tolist()[:3] == [5, 402, 0] and pd.isna(result.frame["score"].iloc[3])
    assert result.frame["status"].tolist() == ["validated", "validated", "rejected", "cancelled"]
    assert result.source_columns["score"] == result.source_columns["global_level"] == "Résultat"
    assert result.problems.empty


def test_unreadable_resultat_is_a_problem_with_its_value():
    result = normalised(HEADER_RESULTAT, [record(HEADER_RESULTAT, result="beaucoup")])

    problem = problem_by_column(result)["Résultat"]
    assert problem["value"] == "beaucoup"
    assert problem["message"].startswith("Résultat illisible : « beaucoup »")
    assert result.frame["score"].isna().all() and result.frame["global_level"].isna().all()


def test_session_export_ignores_pix_plus_columns_and_keeps_the_centre():
    result = normalised(HEADER_SESSION, three_students(HEADER_SESSION))

    assert list(result.frame.columns) == FRAME_COLUMNS
    assert "Certification CléA numérique" not in result.source_columns.values()
    assert result.frame["centre"].tolist() == ["Collège Jean Moulin"] * 3
    CertificationFrame.validate(result.frame)


def test_pix_plus_only_session_has_no_competence_levels():
    frame = normalised(HEADER_PIX_PLUS_SESSION, three_students(HEADER_PIX_PLUS_SESSION)).frame

    assert frame[list(LEVEL_COLUMNS)].isna().all().all()


def test_dates_in_spreadsheet_forms_are_read():
    students = [record(HEADER_CURRENT, birth="4/3/2011", passed="12/05/2025"),
                record(HEADER_CURRENT, birth="2011-03-04", passed="2025-05-12 00:00:00"),
                record(HEADER_CURRENT, birth="04/03/2011 00:00:00", passed="")]

    frame = normalised(HEADER_CURRENT, students, quoted=False).frame

    assert frame["birth_date"].tolist() == [pd.Timestamp("2011-03-04")] * 3
    assert frame["passed_on"].tolist()[:2] == [pd.Timestamp("2025-05-12")] * 2
    assert pd.isna(frame["passed_on"].iloc[2])


def test_impossible_birth_date_is_a_problem_without_the_personal_value():
    result = normalised(HEADER_CURRENT, [record(HEADER_CURRENT, birth="31/02/2010"),
                                         record(HEADER_CURRENT, number="100002")])

    problem = problem_by_column(result)["Date de naissance"]
    assert (problem["stage"], problem["rule"], problem["row"]) == ("normalise", "unreadable_value", 2)
    assert pd.isna(problem["value"])
    assert problem["message"] == "Date de naissance illisible (attendu JJ/MM/AAAA)"
    assert "31/02" not in problem["message"]
    assert pd.isna(result.frame["birth_date"].iloc[0]) and len(result.frame) == 2


def test_unreadable_score_level_and_status_are_problems_with_their_values():
    students = [record(HEADER_CURRENT, score="abc", status="Bof", **{"2.3": "9x"})]

    result = normalised(HEADER_CURRENT, students)

    ProblemFrame.validate(result.problems)
    problems = problem_by_column(result)
    assert problems["Score en Pix"]["message"] == "Score illisible : « abc »"
    assert problems["Statut"]["message"] == "Statut inconnu : « Bof »"
    assert problems["2.3"]["message"] == "Niveau de compétence illisible : « 9x » (attendu 0 à 8 ou -)"
    assert problems["2.3"]["value"] == "9x"
    frame = result.frame
    assert pd.isna(frame["score"].iloc[0]) and frame["status"].iloc[0] is None
    assert pd.isna(frame["level_2_3"].iloc[0]) and frame["level_2_2"].iloc[0] == 2


def test_problems_never_carry_personal_values():
    students = [record(HEADER_CURRENT, birth="le 3 mars", score="abc")]

    problems = normalised(HEADER_CURRENT, students).problems

    assert problems.loc[problems["column"] == "Date de naissance", "value"].isna().all()
    assert not problems["message"].str.contains("le 3 mars").any()


def test_integers_may_carry_spaces_and_non_breaking_spaces():
    students = [record(HEADER_CURRENT, score="1\u00a0024", number="100 001")]

    frame = normalised(HEADER_CURRENT, students, quoted=False).frame

    assert frame[["score", "certification_number"]].iloc[0].tolist() == [1024, 100001]


@pytest.mark.parametrize("number", ["١٢٣٤٥٦", "１２３４５６", "۱۲۳"])  # Arabic-Indic, full-width, Persian
def test_a_number_in_other_than_ascii_digits_is_a_problem_with_its_row_and_column(number):
    students = [record(HEADER_CURRENT, number=number, score="٥٠٠", passed="٠١/٠٦/٢٠٢٥"),
                record(HEADER_CURRENT, number="100002")]

    result = normalised(HEADER_CURRENT, students)

    problems = problem_by_column(result)
    assert problems["Numéro de certification"]["message"] == (f"Numéro de certification illisible : « {number} » "
                                                              "(attendu des chiffres de 0 à 9)")
    assert problems["Numéro de certification"]["row"] == 2 and problems["Numéro de certification"]["file"] == NAME
    assert {"Score en Pix", "Date de passage de la certification"} <= set(problems)
    assert pd.isna(result.frame["certification_number"].iloc[0]) and pd.isna(result.frame["score"].iloc[0])
    assert result.frame["certification_number"].iloc[1] == 100002


def test_dash_and_empty_mean_not_evaluated():
    students = [record(HEADER_CURRENT, score="-", level="-", status="En erreur",
                       **{"1.1": "-", "1.2": ""})]

    result = normalised(HEADER_CURRENT, students)

    row = result.frame.iloc[0]
    assert pd.isna(row["score"]) and row["global_level"] is None
    assert pd.isna(row["level_1_1"]) and pd.isna(row["level_1_2"])
    assert result.problems.empty
    CertificationFrame.validate(result.frame)


def test_out_of_range_values_are_kept_for_the_schema_to_reject():
    students = [record(HEADER_CURRENT, score="2000", **{"1.1": "9"})]

    result = normalised(HEADER_CURRENT, students)

    assert result.problems.empty
    assert result.frame[["score", "level_1_1"]].iloc[0].tolist() == [2000, 9]
    with pytest.raises(pa.errors.SchemaError):
        CertificationFrame.validate(result.frame)


def test_status_wordings_are_compared_without_case_accents_or_spaces():
    students = [record(HEADER_CURRENT, status=" VALIDEE "),
                record(HEADER_CURRENT, status="non  obtenue", score="0", level="-", **no_levels("-")),
                record(HEADER_CURRENT, status="démarrée", score="-")]

    frame = normalised(HEADER_CURRENT, students).frame

    assert frame["status"].tolist() == ["validated", "rejected", "started"]


def test_global_level_spelled_differently_gets_its_canonical_spelling():
    frame = normalised(HEADER_CURRENT, [record(HEADER_CURRENT, level="independant 1", score="300")]).frame

    assert frame["global_level"].tolist() == ["Indépendant 1"]


def test_plain_apostrophe_and_other_case_still_map_the_columns():
    header = tuple(PLAIN_COMMENT if label == COMMENT else label.upper() for label in HEADER_CURRENT)
    students = [record(HEADER_CURRENT, comment="Très bien")]

    result = normalised(header, students)

    assert result.source_columns["jury_comment"] == PLAIN_COMMENT
    assert result.source_columns["score"] == "SCORE EN PIX"
    assert result.frame["jury_comment"].tolist() == ["Très bien"]


def test_every_read_row_is_in_the_frame_with_its_row_number():
    content = export_bytes(HEADER_CURRENT, [record(HEADER_CURRENT, number="1"),
                                            record(HEADER_CURRENT, number="x")]) + b"\n\n"
    content = content.replace(b'\n1;', b'\n\n\n1;')
    raw = read_export(NAME, content)

    frame = normalise_export(raw, received_on=RUN_DAY).frame

    assert frame["row_number"].tolist() == raw.rows["row_number"].tolist() == [4, 5]


def test_the_raw_export_is_not_mutated():
    raw = read_export(NAME, export_bytes(HEADER_RESULTAT, three_students(HEADER_RESULTAT)))
    before = raw.rows.copy()

    normalise_export(raw, file_division="3A", received_on=RUN_DAY)

    pd.testing.assert_frame_equal(raw.rows, before)


def test_explicit_division_wins_over_the_file_name():
    raw = read_export(NAME, export_bytes(HEADER_CURRENT, three_students(HEADER_CURRENT)))

    assert normalise_export(raw, file_division="3B", received_on=RUN_DAY).frame["file_division"].tolist() == ["3B"] * 3


def test_unreadable_file_gives_an_empty_canonical_frame():
    result = normalise_export(read_export(NAME, b""), received_on=RUN_DAY)

    assert result.frame.empty and list(result.frame.columns) == FRAME_COLUMNS
    assert result.problems.empty


@pytest.mark.parametrize(("name", "division"), [
    ("20190101_resultats_3èmeA.csv", "3èmeA"),
    (unicodedata.normalize("NFD", "20190101_resultats_3èmeA.csv"), "3èmeA"),
    ("20190101_RESULTATS_2nde B.CSV", "2nde B"),
    ("20190101_resultats_3èmeA (1).csv", "3èmeA"),
    ("inbox/20190101_resultats_4C.csv", "4C"),
    ("resultats_3A.csv", None),
    ("export.csv", None),
])
def test_division_is_read_from_the_pix_orga_file_name(name, division):
    found = file_division_from_name(name)

    assert found == division
    assert found is None or unicodedata.is_normalized("NFC", found)


@pytest.mark.parametrize(("name", "date"), [
    ("20190101_resultats_3èmeA.csv", dt.date(2019, 1, 1)),
    ("20191301_resultats_3A.csv", None),
    ("3A.csv", None),
])
def test_export_date_is_read_from_the_file_name(name, date):
    assert export_date_from_name(name) == date


def test_passage_date_with_a_typo_year_is_a_problem_with_its_value():
    result = normalised(HEADER_CURRENT, [record(HEADER_CURRENT, passed="12/05/9025")])

    problem = problem_by_column(result)["Date de passage de la certification"]
    assert problem["message"] == "Date de passage illisible : « 12/05/9025 » (attendu JJ/MM/AAAA)"
    assert pd.isna(result.frame["passed_on"].iloc[0])


def test_school_year_is_that_of_the_date_of_passage_else_of_the_export_date_in_the_name():
    students = [record(HEADER_CURRENT, number="100001", passed="12/09/2025"),
                record(HEADER_CURRENT, number="100002", passed="")]

    frame = normalised(HEADER_CURRENT, students, name="20250601_resultats_3A.csv").frame

    assert frame["school_year"].tolist() == [2025, 2024]  # the undated one: exported on 2025-06-01, 2024-2025
    assert frame["received_on"].tolist() == [pd.Timestamp(RUN_DAY)] * 2


@pytest.mark.parametrize("name", ["3A.csv", "20300101_resultats_3A.csv", "20170101_resultats_3A.csv"])
def test_undated_certification_of_a_file_without_a_plausible_export_date_gets_the_day_received(name):
    frame = normalised(HEADER_CURRENT, [record(HEADER_CURRENT, passed="")], name=name).frame

    assert frame["school_year"].tolist() == [2025]  # received on 2026-06-30
