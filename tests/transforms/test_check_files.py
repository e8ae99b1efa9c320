"""Files of several establishments checked together give what each file checked alone gives."""
from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from pix_livret.demo.sample_data import make_sample_establishment, write_class_csv
from transforms.check_files import InputFile, check_files
from transforms.read_roster import read_roster

NAME = "20260320_resultats_3A.csv"
RUN_DAY = date(2026, 6, 30)  # after the sample's sessions


@pytest.fixture(scope="module")
def sample(tmp_path_factory):
    return make_sample_establishment(tmp_path_factory.mktemp("sample"))


@pytest.fixture(scope="module")
def roster(sample):
    return read_roster(sample.roster_path.read_bytes(), sample.roster_path.name).students


def inputs(folder: Path, uai: str) -> list[InputFile]:
    return [InputFile(uai, p.name, p.read_bytes()) for p in sorted(folder.iterdir()) if p.suffix != ".xml"]


def outcome(checked):
    return [(f.name, f.status, f.rows_read, f.rows_good,
             [(p["row"], p["column"], p["rule"], p["message"]) for p in f.problems],
             [(n["row"], n["rule"]) for n in f.notices]) for f in checked.files]


def test_a_batch_reports_every_file_exactly_as_that_file_checked_alone(sample, roster):
    files = inputs(sample.inbox, sample.uai)

    together = check_files(files, {sample.uai: roster}, received_on=RUN_DAY)

    alone = [entry for f in files for entry in outcome(check_files([f], {sample.uai: roster}, received_on=RUN_DAY))]
    assert outcome(together) == alone
    assert {f.status for f in together.files} == {"loaded", "partial", "quarantined"}


def test_same_file_name_in_two_establishments_stays_two_files(sample, roster, tmp_path):
    good = [c for c in sample.certifications if c.student is not None][:3]
    write_class_csv(tmp_path / "clean.csv", good, "pix-niveau-score")
    write_class_csv(tmp_path / "spoilt.csv", good, "pix-niveau-score", extra_rows=[
        f"{good[0].number};X;Y;01/01/2011;;;Pix;Validée;Novice 1;12;" + ";".join(["9"] * 16) + ";;1;01/03/2026"])
    files = [InputFile("0861234Z", NAME, (tmp_path / "clean.csv").read_bytes()),
             InputFile("0170001A", NAME, (tmp_path / "spoilt.csv").read_bytes())]

    checked = check_files(files, {"0861234Z": roster, "0170001A": roster}, received_on=RUN_DAY)

    clean, spoilt = checked.files
    assert (clean.status, clean.rows_good, clean.problems) == ("loaded", 3, ())
    assert spoilt.status == "partial" and spoilt.rows_good == 3
    assert {p["file"] for p in spoilt.problems} == {NAME}
    assert {p["row"] for p in spoilt.problems} == {5}  # the repeated number and its levels, in that file only
    assert len(checked.rows_of("0861234Z")[0]) == len(checked.rows_of("0170001A")[0]) == 3


def test_a_file_where_every_row_is_bad_is_quarantined_not_partial(sample, roster, tmp_path):
    good = [c for c in sample.certifications if c.student is not None][:1]
    spoilt = [good[0].__class__(**{**good[0].__dict__, "score": 9999})]
    write_class_csv(tmp_path / "bad.csv", spoilt, "pix-niveau-score")

    [checked] = check_files([InputFile(sample.uai, NAME, (tmp_path / "bad.csv").read_bytes())],
                            {sample.uai: roster}, received_on=RUN_DAY).files

    assert (checked.status, checked.rows_good, checked.rows_quarantined) == ("quarantined", 0, 1)


def test_without_a_roster_rows_load_unmatched_with_no_notice_per_row(sample):
    files = inputs(sample.inbox, sample.uai)

    checked = check_files(files, {sample.uai: None}, received_on=RUN_DAY)

    assert len(checked.good) > 0 and set(checked.matches["match_method"]) == {"unmatched"}
    assert all(f.notices == () for f in checked.files)


def test_an_unreadable_cell_quarantines_its_row_with_its_own_message_even_in_a_nullable_column(sample, roster,
                                                                                               tmp_path):
    good = [c for c in sample.certifications if c.student is not None][:2]
    write_class_csv(tmp_path / "class.csv", good, "pix-niveau-score")
    header, first, second = (tmp_path / "class.csv").read_bytes().decode("utf-8-sig").splitlines()
    spoilt = first.rsplit(";", 1)[0] + ';"99/99/2026"'  # the date of passage, a column that may be empty
    content = "\n".join([header, spoilt, second]).encode()

    [checked] = check_files([InputFile(sample.uai, NAME, content)], {sample.uai: roster}, received_on=RUN_DAY).files

    assert (checked.status, checked.rows_good) == ("partial", 1)
    [problem] = checked.problems
    assert (problem["row"], problem["stage"], problem["file"]) == (2, "normalise", NAME)
    assert problem["message"].startswith("Date de passage illisible")
