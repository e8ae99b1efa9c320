"""The inbox: one establishment or one sub-folder per UAI, its roster found, spreadsheet debris ignored."""
from __future__ import annotations

import os

import pytest

from transforms.inbox import (InboxError, RefusedFile, find_establishments, find_schools_file, list_inbox,
                              read_inbox_file)


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
    assert {(e.name, e.rule) for e in school.ignored} == {
        ("ElevesSansAdresses.xml", "roster"), ("~$20260320_resultats_3A.csv", "lock_file"),
        (".~lock.20260320_resultats_3A.csv#", "lock_file"), (".DS_Store", "hidden")}


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


def test_every_entry_that_is_not_read_is_listed_with_a_french_reason(tmp_path):
    touch(tmp_path, "a.csv", "...csv", "..\\..\\x.csv", "etablissements.csv", "un.xml", "deux.xml")
    (tmp_path / "x.csv").mkdir()
    os.mkfifo(tmp_path / "tube.csv")

    [school] = find_establishments(tmp_path, uai="0861234Z")

    assert [p.name for p in school.files] == ["a.csv"] and school.roster is None
    assert {e.name: e.rule for e in school.ignored} == {
        "...csv": "hidden", "..\\..\\x.csv": "hidden", "etablissements.csv": "schools_list",
        "x.csv": "folder", "tube.csv": "special_file", "un.xml": "ambiguous_roster", "deux.xml": "ambiguous_roster"}
    assert all(e.reason and e.uai == "0861234Z" and not e.set_aside for e in school.ignored)
    assert "plusieurs fichiers XML" in next(e.reason for e in school.ignored if e.name == "un.xml")


def test_no_symlink_is_followed_in_or_out_of_the_inbox(tmp_path):
    outside = tmp_path / "outside"
    touch(outside, "secret.csv", "ElevesSansAdresses.xml")
    inbox = tmp_path / "inbox"
    touch(inbox / "0861234Z", "b.csv")
    (inbox / "0861234Z" / "a.csv").symlink_to("/etc/passwd")
    (inbox / "0861234Z" / "inside.csv").symlink_to(inbox / "0861234Z" / "b.csv")
    (inbox / "0861234Z" / "ElevesSansAdresses.xml").symlink_to(outside / "ElevesSansAdresses.xml")
    (inbox / "0123456A").symlink_to(outside, target_is_directory=True)
    (inbox / "etablissements.csv").symlink_to(outside / "secret.csv")

    listed = list_inbox(inbox)

    [school] = listed.establishments  # the linked UAI folder is no establishment
    assert (school.uai, [p.name for p in school.files], school.roster) == ("0861234Z", ["b.csv"], None)
    links = sorted((e.uai or "", e.name) for e in [*school.ignored, *listed.ignored] if e.rule == "symlink")
    assert links == [("", "0123456A"), ("", "etablissements.csv"), ("0861234Z", "ElevesSansAdresses.xml"),
                     ("0861234Z", "a.csv"), ("0861234Z", "inside.csv")]
    assert all(e.set_aside and "lien symbolique" in e.reason for e in listed.ignored)
    assert find_schools_file(inbox) is None


def test_an_academie_root_says_why_each_other_entry_is_not_an_establishment(tmp_path):
    touch(tmp_path / "0861234Z", "a.csv")
    touch(tmp_path / "archives", "old.csv")
    touch(tmp_path, "etablissements.csv", "perdu.csv", ".DS_Store")

    listed = list_inbox(tmp_path)

    assert {e.name: e.rule for e in listed.ignored} == {
        "archives": "not_a_uai_folder", "etablissements.csv": "schools_list", "perdu.csv": "academie_root_file",
        ".DS_Store": "hidden"}
    assert all(e.uai is None for e in listed.ignored)


def test_reading_refuses_a_link_swapped_in_after_listing_without_opening_its_target(tmp_path):
    (tmp_path / "a.csv").symlink_to("/etc/passwd")
    os.mkfifo(tmp_path / "tube.csv")  # opening it for reading would wait for a writer forever

    with pytest.raises(RefusedFile) as link:
        read_inbox_file(tmp_path / "a.csv")
    with pytest.raises(RefusedFile) as pipe:
        read_inbox_file(tmp_path / "tube.csv")

    assert (link.value.rule, pipe.value.rule) == ("symlink", "special_file")
