"""Control and bidi characters: the one rule, and every reader removing them with a notice that names the file, the
row and the column (never the value: it may be a student's name), the row loading all the same."""
from __future__ import annotations

from datetime import date

import pandas as pd
import pytest

from schemas.problems import ProblemFrame, make_problems
from transforms.check_files import InputFile, check_files
from transforms.clean_text import clean_frame, remove_unwanted
from transforms.read_csv import read_export
from transforms.read_roster import read_roster
from transforms.schools import read_schools

RUN_DAY = date(2026, 6, 30)
HEADER = ("Numéro de certification;Prénom;Nom;Date de naissance;Lieu de naissance;Identifiant Externe;"
          "Type de certification;Statut;Niveau;Score en Pix;1.1;1.2;1.3;2.1;2.2;2.3;2.4;3.1;3.2;3.3;3.4;4.1;4.2;"
          "4.3;5.1;5.2;Commentaire jury pour l’organisation;Session;Date de passage de la certification")
# the hostile name of the trial: control characters lxml refuses, and a non-character
HOSTILE = "Mar\x01t\x08i\x0bn\x1b\ufffe"
BIDI = "\u202eLéa\u2066\u200f"


def pix_row(number: int, first: str, last: str) -> str:
    levels = ";".join(["3"] * 16)
    return f"{number};{first};{last};04/04/2011;Poitiers;;Pix;Validée;Novice 2;186;{levels};;1234;20/03/2026"


def assert_names_nobody(notices, *names: str) -> None:
    for notice in notices:
        assert notice["value"] is None
        for name in names:
            assert remove_unwanted(name) not in notice["message"]


@pytest.mark.parametrize("character", [*map(chr, (*range(0x00, 0x09), 0x0B, 0x0C, *range(0x0E, 0x20), 0x7F)),
                                       *map(chr, range(0x80, 0xA0)), "\ud800", "\udfff", "\ufffe", "\uffff",
                                       "\u061c", "\u200e", "\u200f", *map(chr, range(0x202A, 0x202F)),
                                       *map(chr, range(0x2066, 0x206A))])
def test_the_rule_removes_every_control_noncharacter_surrogate_and_bidi_control(character):
    assert remove_unwanted(f"3{character}A") == "3A"


@pytest.mark.parametrize("kept", ["\t", "\n", "\r", "é", "’", "\u00a0", "\u202f", "ﬀ", "😀", "\u200b", "\u0301"])
def test_the_rule_keeps_line_ends_tabs_and_printable_text(kept):
    assert remove_unwanted(f"a{kept}b") == f"a{kept}b"


def test_a_frame_is_cleaned_in_its_text_cells_index_and_labels_only():
    frame = pd.DataFrame({"nom\x1b": pd.Series(["DU\x1bPONT", None, "LÉA"], dtype=object), "score": [1, 2, 3]})
    frame.index = ["3\u202eA", "3B", "3C"]

    cleaned = clean_frame(frame)

    assert cleaned.to_dict("index") == {"3A": {"nom": "DUPONT", "score": 1}, "3B": {"nom": None, "score": 2},
                                        "3C": {"nom": "LÉA", "score": 3}}
    assert frame.iloc[0, 0] == "DU\x1bPONT"  # the argument is left as it was


def test_a_pix_export_loses_the_characters_and_keeps_its_rows_with_a_notice_per_cell():
    content = "\n".join([HEADER, pix_row(7310657, BIDI, HOSTILE), pix_row(7310658, "Tom", "Petit")]).encode("utf-8")

    [checked] = check_files([InputFile("0861234Z", "20260320_resultats_3A.csv", content)], {"0861234Z": None},
                            received_on=RUN_DAY).files
    good = check_files([InputFile("0861234Z", "20260320_resultats_3A.csv", content)], {"0861234Z": None},
                       received_on=RUN_DAY).good

    assert checked.status == "loaded" and checked.rows_good == 2 and not checked.problems
    assert good.set_index("certification_number").loc[7310657, ["first_name", "last_name"]].tolist() == \
        ["Léa", "Martin"]
    assert [(n["row"], n["column"], n["stage"]) for n in checked.notices] == [(2, "Prénom", "clean"),
                                                                              (2, "Nom", "clean")]
    assert all("20260320_resultats_3A.csv" == n["file"] for n in checked.notices)
    assert_names_nobody(checked.notices, HOSTILE, BIDI)
    ProblemFrame.validate(make_problems(list(checked.notices)))


def test_a_short_export_with_a_few_control_characters_is_read_not_called_binary():
    # a spreadsheet's Windows-1252 save: a few hundred bytes, seven control bytes
    content = "\n".join([HEADER, pix_row(7310657, "L\x1b\x01\x02\x03\x04\x05éa", "Mar\x08tin")]).encode("cp1252")

    raw = read_export("20260320_resultats_3A.csv", content)

    assert raw.format is not None and len(raw.rows) == 1
    assert len(raw.notices) == 2


def test_a_header_label_with_control_characters_still_names_its_column_with_a_notice():
    header = HEADER.replace("Nom;", "No\u200em;", 1)
    content = "\n".join([header, pix_row(7310657, "Léa", "Martin")]).encode("utf-8")

    raw = read_export("20260320_resultats_3A.csv", content)

    assert raw.format == "pix-niveau-score" and raw.rows["Nom"].tolist() == ["Martin"]
    assert [(n["row"], n["column"]) for n in raw.notices.to_dict("records")] == [(1, "Nom")]


def test_a_file_name_with_control_characters_gives_its_class_without_them_and_a_notice():
    name = "20260320_resultats_3\x1b\u202eA.csv"
    content = "\n".join([HEADER, pix_row(7310657, "Léa", "Martin")]).encode("utf-8")

    [checked] = check_files([InputFile("0861234Z", name, content)], {"0861234Z": None}, received_on=RUN_DAY).files

    assert checked.division == "3A" and checked.status == "loaded"
    assert [(n["row"], n["column"], n["rule"]) for n in checked.notices] == [(None, None, "control_characters")]
    assert "nom du fichier" in checked.notices[0]["message"]


def test_a_csv_roster_loses_the_characters_and_keeps_its_students_with_a_notice_per_cell():
    content = (f"ELEVE_ID;NOM;PRENOM;DATE_NAISS;DIVISION\n1;{HOSTILE};{BIDI};04/04/2011;3\x1bA\n"
               "2;PETIT;Tom;01/02/2011;3A\n").encode("utf-8")

    roster = read_roster(content, "eleves.csv")

    assert roster.students[["eleve_id", "last_name", "first_name", "division"]].values.tolist() == [
        [1, "Martin", "Léa", "3A"], [2, "PETIT", "Tom", "3A"]]
    notices = roster.problems.to_dict("records")
    assert [(n["file"], n["row"], n["column"], n["stage"]) for n in notices] == [
        ("eleves.csv", 2, "NOM", "clean"), ("eleves.csv", 2, "PRENOM", "clean"), ("eleves.csv", 2, "DIVISION", "clean")]
    assert_names_nobody(notices, HOSTILE, BIDI)


def test_a_siecle_roster_loses_bidi_and_c1_characters_with_a_notice():
    content = ('<?xml version="1.0" encoding="UTF-8"?><BEE_ELEVES><PARAMETRES><UAJ>0750680G</UAJ>'
               "<ANNEE_SCOLAIRE>2025</ANNEE_SCOLAIRE></PARAMETRES><DONNEES><ELEVES><ELEVE ELEVE_ID=\"1\">"
               "<NOM_DE_FAMILLE>\u202eDURAND&#x85;</NOM_DE_FAMILLE><PRENOM>Louis</PRENOM>"
               "<DATE_NAISS>04/04/2011</DATE_NAISS></ELEVE></ELEVES><STRUCTURES><STRUCTURES_ELEVE ELEVE_ID=\"1\">"
               "<STRUCTURE><CODE_STRUCTURE>3\u200fA</CODE_STRUCTURE><TYPE_STRUCTURE>D</TYPE_STRUCTURE></STRUCTURE>"
               "</STRUCTURES_ELEVE></STRUCTURES></DONNEES></BEE_ELEVES>").encode("utf-8")

    roster = read_roster(content, "ElevesSansAdresses.xml")

    assert roster.students[["last_name", "division"]].values.tolist() == [["DURAND", "3A"]]
    assert [(n["column"], n["rule"]) for n in roster.problems.to_dict("records")] == [
        ("NOM_DE_FAMILLE", "control_characters"), ("CODE_STRUCTURE", "control_characters")]


@pytest.mark.parametrize("where, column", [("prenom", "PRENOM"), ("id", "ELEVE_ID"), ("division", "CODE_STRUCTURE")])
def test_one_escaped_character_among_clean_students_is_found_wherever_it_is(where, column):
    """The reader looks for the characters once in the whole file and student by student only when it holds one: a
    single character reference, in a first name, an ELEVE_ID attribute or a division, still gets its notice."""
    def student(n: int) -> str:
        first = "Lou&#x200F;is" if where == "prenom" and n == 40 else "Louis"
        eleve_id = f"{n}&#x202E;" if where == "id" and n == 40 else str(n)
        return (f'<ELEVE ELEVE_ID="{eleve_id}"><NOM_DE_FAMILLE>DURAND</NOM_DE_FAMILLE><PRENOM>{first}</PRENOM>'
                "<DATE_NAISS>04/04/2011</DATE_NAISS></ELEVE>")

    def structure(n: int) -> str:
        division = "3&#x2066;A" if where == "division" and n == 40 else "3A"
        return (f'<STRUCTURES_ELEVE ELEVE_ID="{n}"><STRUCTURE><CODE_STRUCTURE>{division}</CODE_STRUCTURE>'
                "<TYPE_STRUCTURE>D</TYPE_STRUCTURE></STRUCTURE></STRUCTURES_ELEVE>")

    content = ('<?xml version="1.0" encoding="ISO-8859-15"?><BEE_ELEVES><PARAMETRES><UAJ>0750680G</UAJ>'
               "<ANNEE_SCOLAIRE>2025</ANNEE_SCOLAIRE></PARAMETRES><DONNEES><ELEVES>"
               + "".join(student(n) for n in range(1, 81)) + "</ELEVES><STRUCTURES>"
               + "".join(structure(n) for n in range(1, 81)) + "</STRUCTURES></DONNEES></BEE_ELEVES>"
               ).encode("iso-8859-15")

    roster = read_roster(content, "ElevesSansAdresses.xml")

    assert len(roster.students) == 80 and set(roster.students["first_name"]) == {"Louis"}
    assert set(roster.students["division"]) == {"3A"} and 40 in set(roster.students["eleve_id"])
    assert [(n["column"], n["rule"]) for n in roster.problems.to_dict("records")] == [(column, "control_characters")]


def test_one_escape_in_the_list_of_schools_costs_nothing_but_a_notice():
    content = "uai;nom\n0750680G;Lycée\x1b Victor Hugo\n0330001X;Collège \u202eCheverus\n".encode("utf-8")

    directory = read_schools("etablissements.csv", content)

    assert directory.names == {"0750680G": "Lycée Victor Hugo", "0330001X": "Collège Cheverus"}
    assert [(p["row"], p["column"], p["stage"]) for p in directory.problems] == [(2, "nom", "clean"),
                                                                                 (3, "nom", "clean")]
