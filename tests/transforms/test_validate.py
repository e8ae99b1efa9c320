import pandas as pd

from schemas.problems import make_problems
from tests.builders import LABELS, canonical_frame, canonical_row
from transforms.validate import validate_certifications

FILE = "20260320_resultats_3A.csv"


def validate(rows, known=None):
    return validate_certifications(canonical_frame(rows), LABELS, known if known is not None else make_problems([]), FILE)


def test_clean_rows_all_load_with_no_problem():
    good, problems = validate([canonical_row(1, row_number=2), canonical_row(2, row_number=3)])
    assert list(good["certification_number"]) == [1, 2]
    assert problems.empty


def test_out_of_range_level_quarantines_only_its_row_and_names_the_column():
    good, problems = validate([canonical_row(1, row_number=2), canonical_row(2, row_number=3, level_2_3=9)])
    assert list(good["certification_number"]) == [1]
    [problem] = problems.to_dict("records")
    assert (problem["row"], problem["column"], problem["rule"]) == (3, "2.3", "out_of_range")
    assert "0 à 8" in problem["message"] and "« 9 »" in problem["message"]


def test_rejected_with_a_positive_score_breaks_a_cross_field_rule():
    good, problems = validate([canonical_row(1, status="rejected", score=120, global_level=None,
                                             **{f"level_{c}": None for c in ("1_1",)})])
    assert good.empty
    rules = set(problems["rule"])
    assert "rejected_scores_zero" in rules
    assert problems.loc[problems["rule"] == "rejected_scores_zero", "column"].item() == "Score en Pix"


def test_rejected_with_a_level_above_zero_points_at_that_competence():
    levels = {column: None for column in LABELS if column.startswith("level_")} | {"level_3_2": 2}
    good, problems = validate([canonical_row(1, status="rejected", score=0, global_level=None, **levels)])
    assert good.empty
    assert problems[["rule", "column"]].values.tolist() == [["rejected_has_no_level", "3.2"]]


def test_cancelled_certification_with_a_score_is_quarantined():
    good, problems = validate([canonical_row(1, status="cancelled", score=200)])
    assert good.empty and list(problems["rule"]) == ["unfinished_has_no_score"]


def test_duplicate_number_keeps_the_first_row_and_quarantines_the_next():
    good, problems = validate([canonical_row(1, row_number=2), canonical_row(1, row_number=5)])
    assert list(good["row_number"]) == [2]
    assert problems[["row", "rule"]].values.tolist() == [[5, "number_unique_in_file"]]


def test_missing_name_problem_never_carries_personal_values():
    good, problems = validate([canonical_row(1, first_name="", last_name="Durand")])
    assert good.empty
    [problem] = problems.to_dict("records")
    assert problem["column"] == "Prénom" and problem["value"] is None and "Durand" not in problem["message"]


def test_cell_already_reported_unreadable_is_not_reported_twice():
    known = make_problems([{"stage": "normalise", "file": FILE, "row": 2, "column": "Date de naissance",
                            "rule": "unreadable_value", "value": None, "message": "Date de naissance illisible"}])
    good, problems = validate([canonical_row(1, birth_date=None)], known)
    assert good.empty
    assert list(problems["rule"]) == ["unreadable_value"]


# Dates that cannot be: the run's day (received_on, 2026-06-30 in canonical_row) is the bound, passed in as data.

def only_problem(rows):
    good, problems = validate(rows)
    assert good.empty
    [problem] = problems.to_dict("records")
    return problem


def test_certification_after_the_run_day_is_set_aside_with_its_row_and_column():
    problem = only_problem([canonical_row(1, row_number=4, passed_on=pd.Timestamp("2030-01-01"))])
    assert (problem["row"], problem["column"], problem["rule"]) == (4, "Date de passage de la certification",
                                                                   "passed_after_run_day")
    assert problem["message"] == "Date de passage postérieure au jour du traitement"
    assert problem["value"] == "01/01/2030"


def test_certification_on_the_run_day_itself_loads():
    good, problems = validate([canonical_row(1, passed_on=pd.Timestamp("2026-06-30"))])
    assert len(good) == 1 and problems.empty


def test_certification_before_2018_is_set_aside():
    problem = only_problem([canonical_row(1, birth_date=pd.Timestamp("2002-04-04"), passed_on=pd.Timestamp("2017-06-12"))])
    assert (problem["column"], problem["rule"]) == ("Date de passage de la certification", "passed_before_pix")
    assert problem["message"] == "Date de passage antérieure à 2018 (les certifications Pix ont commencé fin 2017)"


def test_birth_date_in_the_future_is_set_aside_without_quoting_it():
    good, problems = validate([canonical_row(1, row_number=3, birth_date=pd.Timestamp("2027-02-01"))])
    assert good.empty
    future = problems[problems["rule"] == "born_in_future"].to_dict("records")
    assert [(p["row"], p["column"], p["value"], p["message"]) for p in future] == [
        (3, "Date de naissance", None, "Date de naissance dans le futur")]
    assert not any("2027" in message for message in problems["message"])


def test_student_younger_than_ten_at_passage_is_set_aside():
    problem = only_problem([canonical_row(1, birth_date=pd.Timestamp("2016-03-21"), passed_on=pd.Timestamp("2026-03-20"))])
    assert (problem["column"], problem["rule"], problem["value"]) == ("Date de naissance", "too_young_at_passage", None)
    assert problem["message"] == "Élève de moins de 10 ans à la date de passage"


def test_student_of_exactly_ten_and_an_adult_both_load():
    good, problems = validate([
        canonical_row(1, row_number=2, birth_date=pd.Timestamp("2016-03-20"), passed_on=pd.Timestamp("2026-03-20")),
        canonical_row(2, row_number=3, birth_date=pd.Timestamp("1970-05-17"))])  # a BTS or GRETA adult
    assert list(good["certification_number"]) == [1, 2] and problems.empty


def test_undated_certification_of_a_child_too_young_on_the_day_received_is_set_aside():
    problem = only_problem([canonical_row(1, passed_on=None, birth_date=pd.Timestamp("2018-01-01"))])
    assert problem["rule"] == "too_young_at_passage"


def test_bounds_are_relative_to_the_run_day_not_the_clock():
    # the same row, received a year earlier: its date of passage was then in the future
    good, problems = validate([canonical_row(1, received_on=pd.Timestamp("2025-06-30"))])
    assert good.empty and list(problems["rule"]) == ["passed_after_run_day"]
