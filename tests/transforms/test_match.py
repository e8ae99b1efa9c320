"""Matching certifications to the roster: by external id, by birth date and names, never by guess."""
from __future__ import annotations

import time

import pandas as pd
import pytest

from schemas.certification import CertificationFrame
from schemas.problems import ProblemFrame
from schemas.referential import LEVEL_COLUMNS
from schemas.roster import RosterFrame
from transforms.match import match_problems, match_students, normalise_name


def certifications(*rows: dict) -> pd.DataFrame:
    """A valid CertificationFrame of validated certifications; each row gives at least names and birth date."""
    records = []
    for position, row in enumerate(rows):
        record = {
            "certification_number": 500_000 + position, "first_name": None, "last_name": None,
            "birth_date": None, "birthplace": "PARIS", "external_id": None, "certification_type": "Pix",
            "status": "validated", "status_inferred": False, "score": 300, "global_level": "Indépendant 1",
            **{column: 3 for column in LEVEL_COLUMNS},
            "jury_comment": None, "session": "12345", "centre": None, "passed_on": pd.Timestamp("2026-03-10"),
            "source_file": "20260315_resultats_3A.csv", "row_number": position + 2, "file_division": "3A",
            "received_on": pd.Timestamp("2026-06-30"), "school_year": 2025,
        }
        records.append(record | row | {"birth_date": pd.Timestamp(row["birth_date"])})
    return CertificationFrame.validate(pd.DataFrame.from_records(records))


def roster(*rows: dict) -> pd.DataFrame:
    """A valid RosterFrame; each row gives at least eleve_id, names and birth date."""
    defaults = {"ine": None, "usage_name": None, "other_first_names": None, "division": "3A", "sex": "2",
                "left_on": None}
    records = [defaults | row | {"birth_date": pd.Timestamp(row["birth_date"])} for row in rows]
    frame = pd.DataFrame.from_records(records, columns=list(RosterFrame.to_schema().columns))
    frame["left_on"] = pd.to_datetime(frame["left_on"])
    return RosterFrame.validate(frame)


SCHOOL = roster(
    {"eleve_id": 1001, "ine": "123456789AB", "last_name": "MARTIN", "first_name": "Éloïse",
     "other_first_names": "Marie", "birth_date": "2011-03-14"},
    {"eleve_id": 1002, "last_name": "LEFÈVRE", "usage_name": "DURAND", "first_name": "Noël",
     "birth_date": "2010-11-02", "division": "3B"},
    {"eleve_id": 1003, "last_name": "D'ARTAGNAN", "first_name": "Charles", "birth_date": "2011-06-05"},
    {"eleve_id": 1004, "last_name": "DUPONT", "first_name": "Jean-Pierre", "birth_date": "2011-01-30"},
    {"eleve_id": 1005, "last_name": "PETIT", "first_name": "Jade", "birth_date": "2011-09-09",
     "left_on": "2026-01-15"},
)


def match_one(**certification) -> pd.Series:
    return match_students(certifications(certification), SCHOOL).iloc[0]


def test_names_equal_but_for_case_are_an_exact_match():
    match = match_one(first_name="éloïse", last_name="Martin", birth_date="2011-03-14")

    assert (match["eleve_id"], match["match_method"], match["candidates"]) == (1001, "exact", 1)


def test_first_name_followed_by_the_other_first_names_matches():
    match = match_one(first_name="Éloïse Marie", last_name="MARTIN", birth_date="2011-03-14")

    assert (match["eleve_id"], match["match_method"]) == (1001, "exact")


def test_first_word_of_the_pix_first_name_may_be_the_siecle_first_name():
    match = match_one(first_name="Charles Henri", last_name="D'ARTAGNAN", birth_date="2011-06-05")

    assert (match["eleve_id"], match["match_method"]) == (1003, "normalised")


def test_names_without_accents_match_after_normalisation():
    match = match_one(first_name="ELOISE", last_name="MARTIN", birth_date="2011-03-14")

    assert (match["eleve_id"], match["match_method"]) == (1001, "normalised")


@pytest.mark.parametrize(("first_name", "last_name"), [
    ("JEAN PIERRE", "Dupont"), ("Jean Pierre", "DUPONT"), ("jean–pierre", "du pont"),
])
def test_hyphen_and_space_variants_of_a_first_name_match(first_name, last_name):
    match = match_one(first_name=first_name, last_name=last_name, birth_date="2011-01-30")

    assert (match["eleve_id"], match["match_method"]) == (1004, "normalised")


@pytest.mark.parametrize("last_name", ["D’Artagnan", "D ARTAGNAN", "Dartagnan", "D‘ARTAGNAN", "Dʼartagnan"])
def test_apostrophe_variants_of_a_last_name_match(last_name):
    match = match_one(first_name="Charles", last_name=last_name, birth_date="2011-06-05")

    assert (match["eleve_id"], match["match_method"]) == (1003, "normalised")


def test_usage_name_matches_and_says_so():
    match = match_one(first_name="Noel", last_name="Durand", birth_date="2010-11-02")

    assert (match["eleve_id"], match["match_method"]) == (1002, "usage_name")


def test_family_name_match_is_not_reported_as_usage_name():
    match = match_one(first_name="Noël", last_name="Lefèvre", birth_date="2010-11-02")

    assert (match["eleve_id"], match["match_method"]) == (1002, "exact")


def test_external_id_equal_to_the_ine_matches_whatever_the_names():
    match = match_one(first_name="Lou", last_name="MARTIN-ROUX", birth_date="2011-03-14",
                      external_id=" 123456789ab ")

    assert (match["eleve_id"], match["match_method"], match["candidates"]) == (1001, "ine", 1)


def test_external_id_equal_to_the_eleve_id_matches():
    match = match_one(first_name="Charles", last_name="X", birth_date="2011-06-05", external_id="01003")

    assert (match["eleve_id"], match["match_method"]) == (1003, "ine")


def test_external_id_with_another_birth_date_falls_back_to_names():
    match = match_one(first_name="Charles", last_name="D'Artagnan", birth_date="2011-06-05",
                      external_id="123456789AB")

    assert (match["eleve_id"], match["match_method"]) == (1003, "exact")


def test_same_names_with_another_birth_date_are_unmatched():
    match = match_one(first_name="Éloïse", last_name="MARTIN", birth_date="2011-03-15")

    assert pd.isna(match["eleve_id"])
    assert (match["match_method"], match["candidates"]) == ("unmatched", 0)


def test_first_name_absent_from_siecle_is_unmatched():
    match = match_one(first_name="Marie", last_name="MARTIN", birth_date="2011-03-14")

    assert match["match_method"] == "unmatched"


def test_two_candidates_are_reported_as_ambiguous_not_guessed():
    twins = roster(
        {"eleve_id": 1, "last_name": "NGUYEN", "first_name": "Lina", "birth_date": "2011-05-05"},
        {"eleve_id": 2, "last_name": "Nguyen", "first_name": "LINA", "birth_date": "2011-05-05"},
    )

    match = match_students(certifications({"first_name": "Lina", "last_name": "Nguyen",
                                           "birth_date": "2011-05-05"}), twins).iloc[0]

    assert pd.isna(match["eleve_id"])
    assert (match["match_method"], match["candidates"]) == ("ambiguous", 2)


def test_name_that_folds_to_nothing_never_matches():
    other_script = roster({"eleve_id": 1, "last_name": "ИВАНОВ", "first_name": "Анна", "birth_date": "2011-05-05"})

    match = match_students(certifications({"first_name": "Анна", "last_name": "Иванова",
                                           "birth_date": "2011-05-05"}), other_script).iloc[0]

    assert match["match_method"] == "unmatched"


def test_one_row_per_certification_in_order_and_inputs_untouched():
    certs = certifications(
        {"first_name": "Charles", "last_name": "D'ARTAGNAN", "birth_date": "2011-06-05"},
        {"first_name": "Personne", "last_name": "INCONNU", "birth_date": "2011-06-05"},
        {"first_name": "Eloise", "last_name": "Martin", "birth_date": "2011-03-14"},
    )
    certs_before, roster_before = certs.copy(), SCHOOL.copy()

    matches = match_students(certs, SCHOOL)

    assert matches["certification_number"].tolist() == certs["certification_number"].tolist()
    assert matches["match_method"].tolist() == ["exact", "unmatched", "normalised"]
    assert matches.index.equals(certs.index)
    pd.testing.assert_frame_equal(certs, certs_before)
    pd.testing.assert_frame_equal(SCHOOL, roster_before)


def test_empty_certifications_give_an_empty_match_frame():
    certs = certifications({"first_name": "A", "last_name": "B", "birth_date": "2011-01-01"}).iloc[0:0]

    assert match_students(certs, SCHOOL).empty


def test_a_thousand_certifications_against_two_thousand_students_take_milliseconds():
    students = roster(*({"eleve_id": i + 1, "last_name": f"NOM{i}", "first_name": f"Prénom{i}",
                         "birth_date": pd.Timestamp("2010-01-01") + pd.Timedelta(days=i % 700)}
                        for i in range(2000)))
    certs = certifications(*({"first_name": f"prenom{i}", "last_name": f"Nom{i}",
                              "birth_date": pd.Timestamp("2010-01-01") + pd.Timedelta(days=i % 700)}
                             for i in range(0, 2000, 2)))

    start = time.perf_counter()
    matches = match_students(certs, students)
    elapsed = time.perf_counter() - start

    assert (matches["match_method"] == "normalised").all()
    assert elapsed < 0.5


@pytest.mark.parametrize(("text", "folded"), [
    ("Jean-Pierre", "JEANPIERRE"), ("D’Artagnan", "DARTAGNAN"), ("d`ar´tagʼnan", "DARTAGNAN"),
    ("Éloïse", "ELOISE"), ("Bœuf", "BOEUF"), ("Lætitia", "LAETITIA"), ("Strauß", "STRAUSS"),
    ("  mc donald  ", "MCDONALD"), ("Louis 14", "LOUIS14"),
])
def test_normalise_name_keeps_only_folded_letters_and_digits(text, folded):
    assert normalise_name(text) == folded


# --- problems ------------------------------------------------------------------------

def test_ambiguous_and_unmatched_certifications_become_match_problems_without_names():
    twins = roster(
        {"eleve_id": 1, "last_name": "NGUYEN", "first_name": "Lina", "birth_date": "2011-05-05"},
        {"eleve_id": 2, "last_name": "NGUYEN", "first_name": "Lina", "other_first_names": "Anh",
         "birth_date": "2011-05-05"},
        {"eleve_id": 3, "last_name": "PETIT", "first_name": "Jade", "birth_date": "2011-09-09"},
    )
    certs = certifications(
        {"first_name": "Jade", "last_name": "PETIT", "birth_date": "2011-09-09"},
        {"first_name": "Lina", "last_name": "NGUYEN", "birth_date": "2011-05-05"},
        {"first_name": "Sacha", "last_name": "INCONNU", "birth_date": "2011-09-09"},
    )

    problems = match_problems(certs, match_students(certs, twins))

    assert problems[["stage", "file", "row", "rule"]].values.tolist() == [
        ["match", "20260315_resultats_3A.csv", 3, "ambiguous_student"],
        ["match", "20260315_resultats_3A.csv", 4, "unmatched_student"],
    ]
    ProblemFrame.validate(problems)
    assert problems["column"].isna().all() and problems["value"].isna().all()
    assert problems.loc[0, "message"] == ("Plusieurs élèves de la liste SIECLE correspondent (2) : "
                                          "aucun rattachement choisi")
    for personal in ("Lina", "NGUYEN", "Sacha", "INCONNU", "2011"):
        assert not problems["message"].str.contains(personal).any()
