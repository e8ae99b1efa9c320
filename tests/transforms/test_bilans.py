"""The bilan's statistics against figures worked out by hand on the small establishment of tests/bilan_school.py."""
from __future__ import annotations

import math

import pandas as pd
import pytest
from sqlalchemy import update

from schemas.referential import LEVEL_COLUMNS
from schemas.tables import Student

from store.class_files import read_year_files
from store.enrolments import read_enrolment
from store.query import read_certifications
from tests.bilan_school import UAI, YEAR, build_school, school_bilan
from transforms.bilans import (ESTABLISHMENT, SMALL_GROUP, VALIDATED, WITHHELD, EmptyYearError,
                               class_competence_means, find_small_classes, make_bilan, score_histogram,
                               score_statistics, select_candidates, split_by_sex, summarise_academie,
                               summarise_establishment)


@pytest.fixture
def bilan(engine):
    return school_bilan(engine)


@pytest.fixture
def validated(bilan, engine):
    """The validated certifications of the school (built by the bilan fixture), one per candidate."""
    with engine.connect() as connection:
        candidates = select_candidates(read_certifications(connection, UAI, YEAR),
                                       read_enrolment(connection, UAI, 2025), YEAR)
    return candidates[candidates["outcome"] == VALIDATED]


def row(frame: pd.DataFrame, column: str, value) -> pd.Series:
    return frame[frame[column] == value].iloc[0]


def test_per_class_counts_and_rates_worked_out_by_hand(bilan):
    table = bilan.classes.set_index("division")
    counts = ["roster", "candidates", "absents", "validated", "not_obtained", "cancelled_or_error"]

    assert table.loc["3A", counts].tolist() == [6, 4, 2, 2, 1, 1]  # the one who left is not counted
    assert table.loc["3B", counts].tolist() == [3, 3, 1, 3, 0, 0]  # the unmatched candidate counts in 3B
    # 4C has no class file and no MEF says it is concerned: listed apart, in no denominator
    assert "4C" not in table.index
    assert bilan.other_classes.to_dict("records") == [{"division": "4C", "roster": 2}]
    assert table.loc[ESTABLISHMENT, counts].tolist() == [9, 7, 3, 5, 1, 1]
    assert table.loc["3B", "unmatched"] == 1 and table.loc[ESTABLISHMENT, "unmatched"] == 1
    assert table.loc["3A", "rate_of_candidates"] == 0.5 and table.loc["3A", "rate_of_roster"] == pytest.approx(2 / 6)
    assert table.loc[ESTABLISHMENT, "rate_of_candidates"] == pytest.approx(5 / 7)
    assert table.loc[ESTABLISHMENT, "rate_of_roster"] == pytest.approx(5 / 9)


def test_a_candidate_counts_once_with_their_best_result(bilan):
    # Léa validated, then had a cancelled certification: one candidate, validated
    assert row(bilan.classes, "division", "3A")["cancelled_or_error"] == 1  # Jade's only


def test_scores_of_the_validated_worked_out_by_hand(validated):
    scores = score_statistics(validated).set_index("division")  # without the k ≥ 5 rule

    assert scores.loc["3A"].tolist() == [2, 400, 400, 350, 450]
    assert scores.loc["3B", ["n", "median", "q1", "q3"]].tolist() == [3, 200, 150, 300]
    assert scores.loc["3B", "mean"] == pytest.approx(700 / 3)
    assert scores.loc[ESTABLISHMENT].tolist() == [5, 300, 300, 200, 400]
    assert "4C" not in scores.index
    histogram = score_histogram(validated)
    histogram = histogram[histogram["division"] == "3B"]
    assert histogram["n"].sum() == 3 and histogram[histogram["bin_start"] == 192]["n"].item() == 1


def test_a_class_with_fewer_than_five_validated_keeps_its_counts_and_rates_but_not_its_means(bilan):
    # 3A has 2 validated certifications, 3B 3: a mean of 2 or 3 scores is those students' own results
    assert bilan.small_classes == ("3A", "3B")
    scores = bilan.scores.set_index("division")
    assert scores.loc["3A", "n"] == 2 and scores.loc["3A", ["mean", "median", "q1", "q3"]].isna().all()
    assert scores.loc["3B", "n"] == 3 and scores.loc["3B", ["mean", "median", "q1", "q3"]].isna().all()
    assert scores.loc[ESTABLISHMENT, "mean"] == 300  # the establishment's 5 stay
    assert bilan.heat_map.isna().all().all() and list(bilan.heat_map.index) == ["3A", "3B"]
    assert bilan.histogram.empty
    classes = bilan.classes.set_index("division")
    assert classes.loc["3A", ["candidates", "validated"]].tolist() == [4, 2]
    assert classes.loc["3A", "rate_of_candidates"] == 0.5


def test_a_class_of_five_validated_has_its_means_and_a_smaller_one_beside_it_not():
    levels = dict.fromkeys(LEVEL_COLUMNS, 2)
    validated = pd.DataFrame([{"division": "3A", "score": 100 * (i + 1), **levels} for i in range(5)]
                             + [{"division": "3B", "score": 640, **levels} for _ in range(4)])
    small = find_small_classes(validated)

    assert small == {"3B"}
    scores = score_statistics(validated, small).set_index("division")
    assert scores.loc["3A", ["n", "mean", "median"]].tolist() == [5, 300, 300]
    assert scores.loc["3B", "n"] == 4 and math.isnan(scores.loc["3B", "mean"])
    assert scores.loc[ESTABLISHMENT, "mean"] == pytest.approx((1500 + 4 * 640) / 9)
    heat = class_competence_means(validated, small)
    assert heat.loc["3A"].eq(2).all() and heat.loc["3B"].isna().all()
    assert set(score_histogram(validated, small)["division"]) == {"3A"}


def test_a_sex_group_of_five_candidates_with_fewer_than_five_validated_has_no_mean_score():
    candidates = pd.DataFrame({"division": "3A", "sex": list("2" * 5 + "1" * 5), "score": 300,
                               "outcome": ["validated"] * 4 + ["not_obtained"] + ["validated"] * 5})

    split = split_by_sex(candidates).set_index(["unit", "sex"])
    assert split.loc[(ESTABLISHMENT, "Filles"), ["candidates", "validated", "rate"]].tolist() == [5, 4, 0.8]
    assert math.isnan(split.loc[(ESTABLISHMENT, "Filles"), "mean_score"])
    assert split.loc[(ESTABLISHMENT, "Garçons"), "mean_score"] == 300


def test_competence_levels_with_one_competence_nobody_was_evaluated_on(bilan):
    c11, c34, c52 = (row(bilan.competences, "code", code) for code in ("1.1", "3.4", "5.2"))

    # 1.1: Léa 1, Inès 2, Tom 2, Paul 3, the unmatched 3
    assert (c11["evaluated"], c11["mean"], c11["share_ge_1"], c11["share_ge_2"], c11["share_ge_3"]) == \
        (5, pytest.approx(2.2), 1.0, 0.8, 0.4)
    assert c11["share_not_evaluated"] == 0
    assert c34["evaluated"] == 0 and math.isnan(c34["mean"]) and math.isnan(c34["share_ge_1"])
    assert c34["share_not_evaluated"] == 1.0
    assert c52["evaluated"] == 4 and c52["mean"] == pytest.approx(13 / 4) and c52["share_not_evaluated"] == 0.2
    assert c11["label"] == "Mener une recherche et une veille d’information"  # the referential's words


def test_domain_levels_pool_their_competences(bilan):
    creation = row(bilan.domains, "code", "3")

    # 3.1–3.3 evaluated for the 5 validated (levels 3, 4, 2, 3, 3), 3.4 for nobody: 15 of 20
    assert (creation["evaluated"], creation["mean"], creation["share_ge_3"], creation["share_not_evaluated"]) == \
        (15, pytest.approx(3.0), pytest.approx(0.8), 0.25)


def test_class_by_competence_means(validated):
    heat = class_competence_means(validated)  # without the k ≥ 5 rule

    assert list(heat.index) == ["3A", "3B"] and len(heat.columns) == 16
    assert heat.loc["3A", "1.1"] == 1.5 and heat.loc["3B", "1.1"] == pytest.approx(8 / 3)
    assert heat["3.4"].isna().all()


def test_the_strongest_and_weakest_competences_are_named_in_a_sentence(bilan):
    sentence = bilan.extremes

    assert sentence.startswith("Les compétences les mieux maîtrisées sont « Construire un environnement numérique » "
                               "(5.2")
    assert "les moins maîtrisées sont « Mener une recherche et une veille d’information » (1.1, niveau moyen 2,2)" \
        in sentence
    assert "Aucun candidat n'a été évalué sur « Programmer » (3.4)." in sentence


def test_a_group_of_four_is_shown_as_under_five_never_as_a_number(bilan):
    establishment = bilan.sexes[bilan.sexes["unit"] == ESTABLISHMENT].set_index("sex")

    assert establishment.loc["Filles"].drop("unit").tolist() == [SMALL_GROUP] * 4  # the four girls of 3A
    assert 4 not in bilan.sexes[["candidates", "validated"]].to_numpy()


def test_a_split_is_shown_when_each_group_has_five_and_hidden_beside_a_small_one():
    def candidates(sexes: str) -> pd.DataFrame:
        return pd.DataFrame({"division": "3A", "sex": list(sexes), "score": 300,
                             "outcome": ["validated"] * len(sexes)})

    shown = split_by_sex(candidates("2" * 5 + "1" * 6)).set_index(["unit", "sex"])
    assert shown.loc[(ESTABLISHMENT, "Filles"), "candidates"] == 5 and shown.loc[("3A", "Garçons"), "rate"] == 1.0
    hidden = split_by_sex(candidates("2" * 4 + "1" * 6)).set_index(["unit", "sex"])
    assert hidden.loc[(ESTABLISHMENT, "Filles"), "candidates"] == SMALL_GROUP
    assert hidden.loc[(ESTABLISHMENT, "Garçons"), "candidates"] == WITHHELD  # 10 − 6 would give the 4 away


def test_year_over_year(bilan):
    assert bilan.years.to_dict("list") == {"school_year": ["2024-2025", YEAR], "candidates": [1, 7],
                                           "validated": [1, 5], "rate": [1.0, pytest.approx(5 / 7)],
                                           "mean_score": [250.0, 300.0]}


def test_the_follow_up_list_names_the_roster_students_not_certified_with_their_ine(engine):
    build_school(engine)
    with engine.begin() as connection:  # SIECLE gives an INE to some students only
        for first_name, ine in (("Noé", "123456789AB"), ("Jade", "987654321CD")):
            connection.execute(update(Student).where(Student.first_name == first_name).values(ine=ine))
        bilan = make_bilan(read_certifications(connection, UAI, YEAR), read_enrolment(connection, UAI, 2025), YEAR,
                           UAI, None, *read_year_files(connection, UAI, YEAR))

    assert bilan.follow_up.to_dict("records") == [
        {"division": "3A", "last_name": "Durand", "first_name": "Noé", "ine": "123456789AB", "situation": "Absent(e)"},
        {"division": "3A", "last_name": "Petit", "first_name": "Hugo", "ine": None, "situation": "Absent(e)"},
        {"division": "3A", "last_name": "Richard", "first_name": "Jade", "ine": "987654321CD",
         "situation": "Annulée"},
        {"division": "3A", "last_name": "Robert", "first_name": "Zoé", "ine": None, "situation": "Non obtenue"},
        {"division": "3B", "last_name": "Simon", "first_name": "Marc", "ine": None, "situation": "Absent(e)"},
    ]
    # names and INEs are for the bilan's own documents: never in the artifact's headline nor the académie's line
    elsewhere = repr(bilan.headline()) + repr(summarise_establishment(bilan))
    assert "123456789AB" not in elsewhere and "Durand" not in elsewhere


def test_a_year_without_certification_has_no_bilan(engine):
    build_school(engine)
    with engine.connect() as connection:
        stored, roster = read_certifications(connection, UAI), read_enrolment(connection, UAI, 2023)

    with pytest.raises(EmptyYearError, match="Aucune certification Pix en 2023-2024"):
        make_bilan(stored, roster, "2023-2024", UAI)


def test_the_academie_summary_sums_counts_and_recomputes_rates(bilan):
    other = summarise_establishment(bilan) | {"uai": "0330001A", "name": ""}
    summary = summarise_academie([summarise_establishment(bilan), other])

    total = summary.table.iloc[-1]
    assert (total["candidates"], total["validated"], total["roster"]) == (14, 10, 18)
    assert total["rate_of_candidates"] == pytest.approx(10 / 14) and total["mean_score"] == 300
    # Gironde (033) then Vienne (086), each with its total
    assert list(summary.table["uai"]) == ["0330001A", "Total Gironde (033)", UAI, "Total Vienne (086)", "Académie"]


def test_an_undated_certification_is_a_candidate_of_its_file_year_only():
    from tests.transforms.test_select_livret import stored, stored_row
    from transforms.bilans import compare_years, select_candidates

    certifications = stored(stored_row(101, eleve_id=1, passed_on=pd.NaT, school_year=2024),  # its file: 2024-2025
                            stored_row(102, eleve_id=2))
    roster = pd.DataFrame({"eleve_id": pd.array([1, 2], dtype="Int64"), "sex": ["1", "2"]})

    assert select_candidates(certifications, roster, "2025-2026")["number"].tolist() == [102]
    assert select_candidates(certifications, roster, "2024-2025")["number"].tolist() == [101]
    years = compare_years(certifications, roster)
    assert years[["school_year", "candidates"]].values.tolist() == [["2024-2025", 1], ["2025-2026", 1]]


# The académie summary, from summary lines built here (no database): what an inspector comparing schools reads.

def line(uai: str, candidates: int, validated: int, mean_score: float = 400.0, **overrides) -> dict:
    """An establishment's summary line as summarise_establishment writes it (every validated one scored)."""
    row = {"uai": uai, "name": f"Collège {uai}", "school_year": YEAR, "roster": candidates + 2,
           "candidates": candidates, "unmatched": 0, "set_aside": 0, "absents": 2, "validated": validated,
           "not_obtained": candidates - validated, "cancelled_or_error": 0, "validated_concerned": validated,
           "files_set_aside": 0, "classes_without_results": 0, "mean_score": mean_score, "scored": validated}
    for code in "12345":
        row[f"domain_{code}"], row[f"evaluated_{code}"] = 2.0, validated * 3
    return row | overrides


def test_the_summary_line_counts_the_files_set_aside_classes_without_results_and_unmatched(engine):
    from tests.db_builders import add_source_file, add_student

    build_school(engine)
    # 3C's only file was set aside whole: a concerned class without results, and an open file
    add_student(engine, 1030, division="3C", first_name="Rose", last_name="Blanc")
    add_source_file(engine, "20260320_resultats_3C.csv", division="3C", status="quarantined", rows_read=2,
                    rows_quarantined=2)
    with engine.connect() as connection:
        from store.class_files import read_year_files
        bilan = make_bilan(read_certifications(connection, UAI, YEAR), read_enrolment(connection, UAI, 2025), YEAR,
                           UAI, "Collège Jean Moulin", *read_year_files(connection, UAI, YEAR))

    summary_line = summarise_establishment(bilan)

    assert (summary_line["files_set_aside"], summary_line["classes_without_results"], summary_line["unmatched"]) \
        == (1, 1, 1)
    assert summary_line["school_year"] == YEAR
    assert "Rose" not in str(summary_line) and "Martin" not in str(summary_line)  # counts and means only


def test_an_establishment_of_four_candidates_shows_its_counts_but_no_rate_mean_nor_level():
    summary = summarise_academie([line("0861234Z", 20, 15), line("0860005X", 4, 3, mean_score=412.3)])

    small = summary.table.set_index("uai").loc["0860005X"]
    assert (small["candidates"], small["roster"], small["absents"]) == (4, 6, 2)  # its counts stay
    withheld = ["rate_of_candidates", "rate_of_roster", "validated", "not_obtained", "mean_score",
                *(f"domain_{code}" for code in "12345")]
    assert small[withheld].tolist() == [WITHHELD] * len(withheld)
    # the académie counts it, and its own rate is shown: 18 validated of 24 candidates
    total = summary.table.iloc[-1]
    assert (total["uai"], total["candidates"], total["validated"]) == ("Académie", 24, 18)
    assert total["rate_of_candidates"] == pytest.approx(18 / 24)
    assert total["mean_score"] == pytest.approx((15 * 400 + 3 * 412.3) / 18)


def test_a_mean_resting_on_fewer_than_five_validated_certifications_is_withheld_not_the_rate():
    summary = summarise_academie([line("0861234Z", 20, 15), line("0860005X", 8, 2, mean_score=512.0)])

    few = summary.table.set_index("uai").loc["0860005X"]
    assert few["rate_of_candidates"] == pytest.approx(2 / 8) and few["validated"] == 2
    assert few["mean_score"] == WITHHELD and few["domain_1"] == WITHHELD


def test_establishments_are_grouped_by_departement_each_with_its_total():
    summary = summarise_academie([line("0861234Z", 20, 15), line("0330001A", 10, 5), line("0860002B", 30, 30),
                                  line("0990001A", 6, 3)])

    table = summary.table
    assert summary.departements == 3
    assert table["uai"].tolist() == ["0330001A", "Total Gironde (033)", "0860002B", "0861234Z", "Total Vienne (086)",
                                     "0990001A", "Total Département 099", "Académie"]
    vienne = table.set_index("uai").loc["Total Vienne (086)"]
    assert (vienne["level"], vienne["candidates"], vienne["validated"], vienne["name"]) == \
        ("departement", 50, 45, "2 établissements")
    assert vienne["rate_of_candidates"] == pytest.approx(45 / 50)


def test_one_departement_has_no_departement_total():
    summary = summarise_academie([line("0861234Z", 20, 15), line("0860002B", 30, 30)])

    assert summary.departements == 1
    assert summary.table["uai"].tolist() == ["0860002B", "0861234Z", "Académie"]
    assert summary.establishments["departement_label"].tolist() == ["Vienne (086)"] * 2


def test_the_previous_year_comes_from_that_years_lines_only():
    previous = [line("0861234Z", 16, 10, mean_score=350.0, school_year="2024-2025"),
                line("0860002B", 3, 3, mean_score=500.0, school_year="2024-2025")]
    summary = summarise_academie([line("0861234Z", 20, 15), line("0860002B", 30, 30), line("0860003C", 10, 5)],
                                 previous)

    table = summary.table.set_index("uai")
    assert table.loc["0861234Z", "previous_rate"] == pytest.approx(10 / 16)
    assert table.loc["0861234Z", "previous_mean_score"] == 350.0
    # three candidates then: withheld; no bilan that year: nothing, never this year's figures
    assert table.loc["0860002B", ["previous_rate", "previous_mean_score"]].tolist() == [WITHHELD, WITHHELD]
    assert math.isnan(table.loc["0860003C", "previous_rate"]) and math.isnan(table.loc["0860003C",
                                                                                        "previous_mean_score"])
    # the académie's previous year: over the establishments that have a line of it
    assert table.loc["Académie", "previous_rate"] == pytest.approx(13 / 19)


def test_a_summary_line_of_an_older_bilan_still_reads_with_what_it_lacks_unknown():
    old = {key: value for key, value in line("0861234Z", 20, 15).items()
           if key not in ("files_set_aside", "classes_without_results", "school_year", "scored")}

    summary = summarise_academie([old, line("0860002B", 30, 30, files_set_aside=2)])

    table = summary.table.set_index("uai")
    assert math.isnan(table.loc["0861234Z", "files_set_aside"])  # unknown, not none
    assert math.isnan(table.loc["Académie", "files_set_aside"])  # nor is the total known
    assert table.loc["0860002B", "files_set_aside"] == 2
    assert table.loc["0861234Z", "mean_score"] == 400.0


def test_the_quartiles_are_the_establishments_leaving_a_withheld_one_out():
    summary = summarise_academie([line("0860001A", 10, 5), line("0860002B", 10, 6), line("0860003C", 10, 8),
                                  line("0860004D", 10, 9), line("0860005E", 4, 0)])

    rate = summary.quartiles.set_index("indicator").loc["rate_of_candidates"]
    assert rate["n"] == 4
    assert [rate["q1"], rate["median"], rate["q3"]] == pytest.approx([0.575, 0.7, 0.825])
