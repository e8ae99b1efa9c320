"""The livret selection rule, one behaviour per test, on small inline StoredCertificationFrame rows."""
from __future__ import annotations

from datetime import date

import pandas as pd
import pytest

from schemas.livret import LeftOutReason
from schemas.referential import LEVEL_COLUMNS
from schemas.stored import StoredCertificationFrame
from transforms.select_livret import school_year_bounds, school_year_of, select_livret_certifications

YEAR = "2025-2026"


def stored_row(number: int, eleve_id: int | None = 1, **overrides) -> dict:
    """A validated, matched core Pix certification of 2026-03-20; OVERRIDES replace any column."""
    matched = eleve_id is not None
    row = dict(
        number=number, uai="0861234Z", status="validated", certification_type="Pix", score=300,
        global_level="Indépendant 1", passed_on=pd.Timestamp("2026-03-20"), centre=None, session="1234",
        **{column: 3 for column in LEVEL_COLUMNS}, division="3A", match_method="exact" if matched else "unmatched",
        first_name="Louis", last_name="Durand", birth_date=pd.Timestamp("2011-04-04"), eleve_id=eleve_id,
        ine=None, student_last_name="DURAND" if matched else None, student_usage_name=None,
        student_first_name="Louis" if matched else None,
        student_birth_date=pd.Timestamp("2011-04-04") if matched else None, student_division="3A" if matched else None)
    row |= overrides
    passed = row["passed_on"]
    # the loader's rule: that of the date, else of the file (here 2025-2026)
    return {"school_year": 2025 if pd.isna(passed) else passed.year - (passed.month < 9)} | row


def stored(*rows: dict) -> pd.DataFrame:
    return StoredCertificationFrame.validate(pd.DataFrame(list(rows)).astype(
        {"number": "Int64", "eleve_id": "Int64", "score": "Int64", "school_year": "Int64", **{c: "Int64" for c in LEVEL_COLUMNS}}))


def reasons(selection) -> dict[int, str]:
    return dict(zip(selection.left_out["number"].astype(int), selection.left_out["reason"]))


def exported_numbers(selection) -> list[int]:
    return selection.exported["number"].astype(int).tolist()


def test_one_validated_certification_is_exported_with_every_stored_column():
    selection = select_livret_certifications(stored(stored_row(101)), YEAR)
    assert exported_numbers(selection) == [101]
    assert list(selection.exported.columns) == list(stored(stored_row(1)).columns)
    assert selection.left_out.empty


def test_rejected_certification_is_exported_as_a_final_result():
    selection = select_livret_certifications(stored(stored_row(101, status="rejected", score=0)), YEAR)
    assert exported_numbers(selection) == [101]


def test_latest_non_cancelled_certification_by_date_is_chosen_and_older_ones_listed():
    selection = select_livret_certifications(stored(
        stored_row(101, passed_on=pd.Timestamp("2026-01-10"), status="rejected", score=0),
        stored_row(102, passed_on=pd.Timestamp("2026-03-20")),
        stored_row(103, passed_on=pd.Timestamp("2025-11-05"))), YEAR)
    assert exported_numbers(selection) == [102]
    assert reasons(selection) == {101: "older", 103: "older"}


def test_a_later_cancelled_certification_does_not_hide_the_earlier_result():
    selection = select_livret_certifications(stored(
        stored_row(101, passed_on=pd.Timestamp("2026-01-10")),
        stored_row(102, passed_on=pd.Timestamp("2026-03-20"), status="cancelled", score=None)), YEAR)
    assert exported_numbers(selection) == [101]
    assert reasons(selection) == {102: "cancelled"}


@pytest.mark.parametrize("status", ["error", "started"])
def test_student_whose_latest_certification_is_not_final_gets_nothing(status):
    selection = select_livret_certifications(stored(
        stored_row(101, passed_on=pd.Timestamp("2026-01-10")),
        stored_row(102, passed_on=pd.Timestamp("2026-03-20"), status=status, score=None)), YEAR)
    assert selection.exported.empty
    assert reasons(selection) == {102: status, 101: "older"}


def test_unmatched_certification_is_left_out_not_dropped():
    selection = select_livret_certifications(stored(stored_row(101, eleve_id=None, division="3B")), YEAR)
    assert selection.exported.empty
    assert selection.left_out.to_dict("records") == [
        {"number": 101, "eleve_id": None, "division": "3B", "reason": "unmatched"}]


def test_school_year_runs_from_first_september_to_thirty_first_august():
    selection = select_livret_certifications(stored(
        stored_row(101, eleve_id=1, passed_on=pd.Timestamp("2025-08-31")),
        stored_row(102, eleve_id=2, passed_on=pd.Timestamp("2025-09-01")),
        stored_row(103, eleve_id=3, passed_on=pd.Timestamp("2026-08-31")),
        stored_row(104, eleve_id=4, passed_on=pd.Timestamp("2026-09-01"))), YEAR)
    assert exported_numbers(selection) == [102, 103]
    assert selection.left_out.empty  # other years are simply not this year's


def test_a_certification_of_another_year_never_replaces_this_years():
    selection = select_livret_certifications(stored(
        stored_row(101, passed_on=pd.Timestamp("2026-03-20")),
        stored_row(102, passed_on=pd.Timestamp("2026-10-01"))), YEAR)
    assert exported_numbers(selection) == [101]


def test_undated_certification_counts_in_the_year_but_loses_to_a_dated_one():
    alone = select_livret_certifications(stored(stored_row(101, passed_on=None)), YEAR)
    assert exported_numbers(alone) == [101]
    both = select_livret_certifications(stored(
        stored_row(101, passed_on=None), stored_row(99, passed_on=pd.Timestamp("2025-10-01"))), YEAR)
    assert exported_numbers(both) == [99]
    assert reasons(both) == {101: "older"}


def test_same_day_tie_goes_to_the_higher_certification_number():
    selection = select_livret_certifications(stored(stored_row(102), stored_row(101)), YEAR)
    assert exported_numbers(selection) == [102]


def test_other_certification_types_are_not_livret_results():
    selection = select_livret_certifications(stored(
        stored_row(101, passed_on=pd.Timestamp("2026-01-10")),
        stored_row(102, certification_type="CléA Numérique by Pix")), YEAR)
    assert exported_numbers(selection) == [101]
    assert selection.left_out.empty


def test_division_falls_back_to_the_file_name_and_is_left_out_when_unusable():
    selection = select_livret_certifications(stored(
        stored_row(101, eleve_id=1, student_division=None, division="3C"),
        stored_row(102, eleve_id=2, student_division=None, division=None),
        stored_row(103, eleve_id=3, student_division=None, division="x" * 21)), YEAR)
    assert exported_numbers(selection) == [101]
    assert reasons(selection) == {102: "no_division", 103: "no_division"}


def test_each_student_gets_one_row_and_every_certification_is_accounted_for():
    rows = [stored_row(100 + i, eleve_id=i % 3 + 1, passed_on=pd.Timestamp(2026, 1, 1 + i)) for i in range(7)]
    selection = select_livret_certifications(stored(*rows, stored_row(200, eleve_id=None)), YEAR)
    assert selection.exported["eleve_id"].is_unique and len(selection.exported) == 3
    assert len(selection.exported) + len(selection.left_out) == 8


def test_left_out_is_sorted_by_reason_then_division_then_number_and_counted():
    selection = select_livret_certifications(stored(
        stored_row(105, eleve_id=1, status="cancelled", score=None),
        stored_row(104, eleve_id=None, division="3B"),
        stored_row(103, eleve_id=None, division="3A")), YEAR)
    assert selection.left_out["number"].tolist() == [103, 104, 105]
    assert selection.left_out_counts() == {"unmatched": 2, "cancelled": 1}


def test_every_reason_has_a_french_label():
    assert all(reason.label for reason in LeftOutReason)


def test_an_empty_establishment_selects_nothing():
    empty = stored(stored_row(1)).iloc[0:0]
    selection = select_livret_certifications(empty, YEAR)
    assert selection.exported.empty and selection.left_out.empty


def test_input_frame_is_not_modified():
    frame = stored(stored_row(101), stored_row(102, eleve_id=None))
    before = frame.copy()
    select_livret_certifications(frame, YEAR)
    pd.testing.assert_frame_equal(frame, before)


@pytest.mark.parametrize("year", ["2025", "2025-2027", "2025/2026", "", "abcd-efgh"])
def test_malformed_school_year_is_refused_in_french(year):
    with pytest.raises(ValueError, match="Année scolaire invalide"):
        school_year_bounds(year)


@pytest.mark.parametrize("day, year", [(date(2026, 8, 31), "2025-2026"), (date(2026, 9, 1), "2026-2027"),
                                       (date(2027, 1, 4), "2026-2027")])
def test_a_day_belongs_to_the_school_year_that_began_the_september_before(day, year):
    assert school_year_of(day) == year


def test_undated_certification_counts_in_its_file_school_year_only():
    undated = stored_row(101, eleve_id=1, passed_on=pd.NaT, school_year=2024)  # its file: 2024-2025
    this_year = stored_row(102, eleve_id=2)

    assert exported_numbers(select_livret_certifications(stored(undated, this_year), YEAR)) == [102]
    assert exported_numbers(select_livret_certifications(stored(undated, this_year), "2024-2025")) == [101]
