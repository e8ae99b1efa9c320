"""The inbox: one establishment or one sub-folder per UAI, its roster found, spreadsheet debris ignored."""
from __future__ import annotations

import pytest

from transforms.inbox import InboxError, find_establishments


def touch(folder, *names):
    folder.mkdir(parents=True, exist_ok=True)
    for name in names:
        (folder / name).write_text("x")


def test_one_establishment_finds_its_roster_and_ignores_lock_files(tmp_path):
    touch(tmp_path, "ElevesSansAdresses.xml", "20260320_resultats_3A.csv", "~$20260320_resultats_3A.csv",
          ".~lock.20260320_resultats_3A.csv#", ".DS_Store")

    [school] = find_establishments(tmp_path, uai="0861234Z", name="  Collège Jean Moulin ")

    assert school.roster.name == "ElevesSansAdresses.xml"
    assert [p.name for p in school.files] == ["20260320_resultats_3A.csv"]
    assert (school.uai, school.name) == ("0861234Z", "Collège Jean Moulin")


def test_an_academie_inbox_gives_one_establishment_per_uai_folder(tmp_path):
    touch(tmp_path / "0861234Z", "ElevesSansAdresses.xml", "a.csv")
    touch(tmp_path / "0330001R", "b.csv", "c.csv")
    touch(tmp_path / "archives", "old.csv")  # not a UAI: not an establishment

    schools = find_establishments(tmp_path)

    assert [(s.uai, len(s.files), s.roster is not None) for s in schools] == [("0330001R", 2, False),
                                                                               ("0861234Z", 1, True)]


def test_a_school_name_is_refused_for_an_academie_inbox(tmp_path):
    touch(tmp_path / "0861234Z", "a.csv")
    with pytest.raises(InboxError, match="un seul établissement"):
        find_establishments(tmp_path, name="Collège Jean Moulin")


@pytest.mark.parametrize("options, message", [
    ({"uai": "861234Z"}, "UAI invalide"),
    ({"roster": "nowhere.xml"}, "Fichier élèves introuvable"),
])
def test_bad_options_are_usage_errors_in_french(tmp_path, options, message):
    if "roster" in options:
        options = {"roster": tmp_path / options["roster"]}
    with pytest.raises(InboxError, match=message):
        find_establishments(tmp_path, **options)


def test_a_missing_inbox_is_a_usage_error(tmp_path):
    with pytest.raises(InboxError, match="introuvable"):
        find_establishments(tmp_path / "nowhere")
