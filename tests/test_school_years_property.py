"""Property: for any sequence of yearly rosters and class files loaded into one database, night after night with
every earlier file left in the inbox, each year's bilan says what the same year's files loaded alone say."""
from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pipeline.bilans import read_bilan
from tests.ingest_runs import ingested
from pix_livret.demo.sample_data import (ROSTER_FILE_NAME, SampleCertification, SampleStudent, write_class_csv,
                                    write_siecle_roster)
from schemas.referential import LEVEL_COLUMNS, Status
from store.database import connect
from transforms.bilans import EmptyYearError

UAI = "0861234Z"
FIRST_YEAR = 2022
DIVISIONS = ("3A", "3B", "4A")  # 4A: a class the certification does not concern (its MEF is a 4e's)
STATUSES = (Status.VALIDATED, Status.REJECTED, Status.CANCELLED)
LETTERS = "ABCDEFGHIJ"

# one year: each of up to ten students enrolled (in a class) or not, and their certification that year, if any
year_plan = st.lists(st.tuples(st.none() | st.sampled_from(DIVISIONS), st.none() | st.sampled_from(STATUSES)),
                     min_size=10, max_size=10)


def student(index: int, division: str) -> SampleStudent:
    # names a letter apart: every student matches exactly one roster record
    return SampleStudent(index + 1, None, f"NOM{LETTERS[index]}", None, f"PRENOM{LETTERS[index]}",
                         date(2008, 1, index + 1), division, "1" if index % 2 else "2", None)


def write_year(inbox: Path, offset: int, plan: list[tuple[str | None, Status | None]]) -> None:
    """Year FIRST_YEAR + OFFSET's roster (replacing any earlier one) and class files into INBOX."""
    year = FIRST_YEAR + offset
    enrolled = [student(i, division) for i, (division, _) in enumerate(plan) if division is not None]
    write_siecle_roster(inbox / ROSTER_FILE_NAME, UAI, year, enrolled)
    by_class: dict[str, list[SampleCertification]] = {}
    for i, (division, status) in enumerate(plan):
        if division is None or status is None or division.startswith("4"):
            continue
        validated = status is Status.VALIDATED
        who = student(i, division)
        by_class.setdefault(division, []).append(SampleCertification(
            7_000_000 + offset * 100 + i, who, who.first_name.capitalize(), who.last_name.capitalize(),
            who.birth_date, status, 300 if validated else (0 if status is Status.REJECTED else None),
            "Indépendant 1" if validated else None, {n: 3 if validated else None for n in LEVEL_COLUMNS}, "1",
            date(year + 1, 3, 10), None))
    for division, rows in by_class.items():
        write_class_csv(inbox / f"{year + 1}0310_resultats_{division}.csv", rows, "pix-niveau-score")


def figures(db_url: str, school_year: str) -> tuple | None:
    """What a reader of that year's bilan sees: the classes table, the classes apart, the follow-up list."""
    with connect(db_url, write=False) as connection:
        try:
            bilan = read_bilan(connection, UAI, school_year)
        except EmptyYearError:
            return None
    def records(frame):  # NaN (no denominator) is None: NaN never equals itself
        return frame.astype(object).where(frame.notna(), None).to_dict("records")

    return records(bilan.classes), records(bilan.other_classes), records(bilan.follow_up)


@settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(plans=st.lists(year_plan, min_size=2, max_size=3))
def test_each_years_figures_are_those_of_its_own_files(plans, tmp_path_factory):
    root = tmp_path_factory.mktemp("years")
    together, inbox = f"sqlite:///{root / 'together.sqlite'}", root / "inbox"
    inbox.mkdir()
    for offset, plan in enumerate(plans):
        write_year(inbox, offset, plan)
        report = ingested(inbox, together, root / "archive", uai=UAI, workers=1)
        assert not report.failed
    for offset, plan in enumerate(plans):
        alone_inbox = root / f"alone{offset}"
        shutil.rmtree(alone_inbox, ignore_errors=True)
        alone_inbox.mkdir()
        write_year(alone_inbox, offset, plan)
        alone = f"sqlite:///{root / f'alone{offset}.sqlite'}"
        ingested(alone_inbox, alone, root / "archive", uai=UAI, workers=1)
        school_year = f"{FIRST_YEAR + offset}-{FIRST_YEAR + offset + 1}"
        assert figures(together, school_year) == figures(alone, school_year), school_year


@pytest.mark.parametrize("repeats", [True, False])
def test_a_student_in_two_years_counts_in_each_years_class(tmp_path, repeats):
    """The example the property is about, spelled out: a 3e student of year 1 is in 3B (repeating) or in 4A in
    year 2's roster; year 1's bilan keeps them in 3A."""
    plans = [[("3A", Status.REJECTED)] + [("3A", Status.VALIDATED)] * 9,
             [("3B" if repeats else "4A", Status.VALIDATED if repeats else None)] + [(None, None)] * 9]
    db = f"sqlite:///{tmp_path / 'db.sqlite'}"
    (tmp_path / "inbox").mkdir()
    for offset, plan in enumerate(plans):
        write_year(tmp_path / "inbox", offset, plan)
        ingested(tmp_path / "inbox", db, tmp_path / "archive", uai=UAI, workers=1)
    classes, _, follow_up = figures(db, f"{FIRST_YEAR}-{FIRST_YEAR + 1}")
    assert [(c["division"], c["roster"], c["candidates"]) for c in classes] == [("3A", 10, 10),
                                                                               ("Établissement", 10, 10)]
    assert [(f["division"], f["situation"]) for f in follow_up] == [("3A", "Non obtenue")]
