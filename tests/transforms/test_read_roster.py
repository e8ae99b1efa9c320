"""Reading the student list: SIECLE BEE_ELEVES XML built here in ISO-8859-15, and the plain CSV."""
from __future__ import annotations

from xml.sax.saxutils import escape

import pandas as pd
import pandera.pandas as pa
import pytest

from schemas.problems import PROBLEM_COLUMNS, ProblemFrame
from schemas.roster import RosterFrame
from tests.builders import entity_bomb
from transforms.identifiers import is_uai, uai_key_is_valid
from transforms.read_roster import read_csv_roster, read_roster, read_siecle_roster, validate_rosters
from transforms.report import problems_as_records

UAI = "0750680G"  # 750680 % 23 = 6 -> G


def siecle_student(eleve_id, last, first, birth, *, ine=None, usage=None, first_2=None, first_3=None,
                   sex="2", left_on=None) -> dict:
    return {"eleve_id": eleve_id, "NOM_DE_FAMILLE": last, "NOM_USAGE": usage, "PRENOM": first,
            "PRENOM2": first_2, "PRENOM3": first_3, "DATE_NAISS": birth, "ID_NATIONAL": ine,
            "CODE_SEXE": sex, "DATE_SORTIE": left_on}


def siecle_xml(students: list[dict], structures: dict[str, list[tuple[str, str]]], *,
               uai: str = UAI, year: str = "2025", encoding: str = "ISO-8859-15") -> bytes:
    """A BEE_ELEVES document as SIECLE writes it, encoded as its declaration says."""
    eleves = []
    for student in students:
        attribute = f' ELEVE_ID="{student["eleve_id"]}"' if student["eleve_id"] is not None else ""
        fields = "".join(f"<{tag}>{escape(value)}</{tag}>" for tag, value in student.items()
                         if tag != "eleve_id" and value is not None)
        eleves.append(f'<ELEVE{attribute} ELENOET="{len(eleves) + 100}"><ELENOET>{len(eleves) + 100}</ELENOET>'
                      f"{fields}<DATE_ENTREE>01/09/2022</DATE_ENTREE>"
                      "<CODE_COMMUNE_INSEE_NAISS>75056</CODE_COMMUNE_INSEE_NAISS></ELEVE>")
    links = "".join(
        f'<STRUCTURES_ELEVE ELEVE_ID="{eleve_id}">'
        + "".join(f"<STRUCTURE><CODE_STRUCTURE>{code}</CODE_STRUCTURE><TYPE_STRUCTURE>{kind}</TYPE_STRUCTURE>"
                  "</STRUCTURE>" for code, kind in items)
        + "</STRUCTURES_ELEVE>"
        for eleve_id, items in structures.items())
    document = (f'<?xml version="1.0" encoding="{encoding}"?>\n'
                '<BEE_ELEVES VERSION="3.1">\n'
                f"<PARAMETRES><UAJ>{uai}</UAJ><ANNEE_SCOLAIRE>{year}</ANNEE_SCOLAIRE>"
                "<DATE_EXPORT>02/09/2025</DATE_EXPORT><HORODATAGE>02/09/2025 08:12:45</HORODATAGE></PARAMETRES>\n"
                f"<DONNEES><ELEVES>{''.join(eleves)}</ELEVES><STRUCTURES>{links}</STRUCTURES></DONNEES>\n"
                "</BEE_ELEVES>\n")
    return document.encode(encoding)


SCHOOL = [
    siecle_student("1001", "MARTIN", "Éloïse", "14/03/2011", ine="123456789AB", first_2="Marie", first_3="Zoé"),
    siecle_student("1002", "LEFÈVRE", "Noël", "02/11/2010", ine="234567890BC", usage="DURAND", sex="1"),
    siecle_student("1003", "D'ARTAGNAN", "Charles", "05/06/2011", sex="1"),
    siecle_student("1004", "BŒUF", "Anaïs", "30/01/2011", ine="345678901CD", left_on="15/01/2026"),
]
SCHOOL_STRUCTURES = {
    "1001": [("3A", "D"), ("LATIN3", "G")],
    "1002": [("ALL-LV2", "G"), ("3B", "D")],
    "1003": [("3A", "D")],
    "1004": [("3B", "D")],
}


@pytest.fixture
def school() -> pd.DataFrame:
    roster = read_siecle_roster(siecle_xml(SCHOOL, SCHOOL_STRUCTURES))
    assert roster.problems.empty
    return roster.students.set_index("eleve_id")


def test_siecle_parameters_give_the_uai_and_the_school_year():
    roster = read_siecle_roster(siecle_xml(SCHOOL, SCHOOL_STRUCTURES))

    assert (roster.uai, roster.school_year) == (UAI, 2025)


def test_accents_of_an_iso_8859_15_file_are_read_as_declared(school):
    assert school.loc[1001, "first_name"] == "Éloïse"
    assert school.loc[1002, "first_name"] == "Noël"
    assert school.loc[1004, "last_name"] == "BŒUF"  # Œ exists in ISO-8859-15, not in Latin-1
    assert school.loc[1003, "last_name"] == "D'ARTAGNAN"


def test_division_comes_from_the_d_structure_and_groups_are_ignored(school):
    assert school["division"].to_dict() == {1001: "3A", 1002: "3B", 1003: "3A", 1004: "3B"}


def test_usage_name_is_kept_only_when_present(school):
    assert school.loc[1002, "usage_name"] == "DURAND"
    assert pd.isna(school.loc[1001, "usage_name"])


def test_usage_name_equal_to_the_family_name_is_dropped():
    students = [siecle_student("1", "MARTIN", "Léa", "01/01/2011", usage="Martin")]

    roster = read_siecle_roster(siecle_xml(students, {}))

    assert pd.isna(roster.students.loc[0, "usage_name"])


def test_other_first_names_are_joined_in_order(school):
    assert school.loc[1001, "other_first_names"] == "Marie Zoé"
    assert pd.isna(school.loc[1002, "other_first_names"])


def test_student_who_left_is_kept_with_the_date(school):
    assert school.loc[1004, "left_on"] == pd.Timestamp("2026-01-15")
    assert pd.isna(school.loc[1001, "left_on"])


def test_birth_date_and_sex_are_read(school):
    assert school.loc[1001, "birth_date"] == pd.Timestamp("2011-03-14")
    assert school["sex"].to_dict() == {1001: "2", 1002: "1", 1003: "1", 1004: "2"}


def test_student_without_ine_is_kept_with_none(school):
    assert pd.isna(school.loc[1003, "ine"])
    assert school.loc[1001, "ine"] == "123456789AB"


def test_ine_is_upper_cased_and_stripped():
    students = [siecle_student("1", "MARTIN", "Léa", "01/01/2011", ine="  123456789ab ")]

    roster = read_siecle_roster(siecle_xml(students, {}))

    assert roster.students.loc[0, "ine"] == "123456789AB"


def test_malformed_ine_becomes_a_problem_and_the_student_stays():
    students = [siecle_student("1", "MARTIN", "Léa", "01/01/2011", ine="12345")]

    roster = read_siecle_roster(siecle_xml(students, {}), "eleves.xml")

    assert pd.isna(roster.students.loc[0, "ine"])
    problem = roster.problems.iloc[0]
    assert (problem["stage"], problem["file"], problem["rule"], problem["column"]) == (
        "read", "eleves.xml", "invalid_ine", "ID_NATIONAL")
    assert pd.isna(problem["row"]) and pd.isna(problem["value"])


def test_unidentifiable_students_become_problems_without_names():
    students = [
        siecle_student(None, "SANSID", "Paul", "01/01/2011"),
        siecle_student("2", "SANSPRENOM", None, "01/01/2011"),
        siecle_student("3", "DATEFAUSSE", "Lina", "31/02/2011"),
        siecle_student("4", "VALIDE", "Jade", "01/01/2011"),
    ]

    roster = read_siecle_roster(siecle_xml(students, {}))

    assert roster.students["eleve_id"].tolist() == [4]
    assert roster.problems["rule"].tolist() == ["missing_eleve_id", "missing_name", "invalid_birth_date"]
    assert "Élève n° 1" in roster.problems.loc[0, "message"]
    assert "ELEVE_ID 3" in roster.problems.loc[2, "message"]
    messages = " ".join(roster.problems["message"])
    for personal in ("SANSID", "Paul", "SANSPRENOM", "DATEFAUSSE", "Lina", "31/02/2011"):
        assert personal not in messages


def test_second_student_with_the_same_eleve_id_is_a_problem():
    students = [siecle_student("7", "UN", "Léa", "01/01/2011"), siecle_student("7", "DEUX", "Léo", "02/02/2011")]

    roster = read_siecle_roster(siecle_xml(students, {}))

    assert roster.students["last_name"].tolist() == ["UN"]
    assert roster.problems["rule"].tolist() == ["duplicate_eleve_id"]


def test_students_are_valid_roster_frames(school):
    RosterFrame.validate(school.reset_index())


def test_wrong_uai_key_is_a_warning_and_the_uai_is_kept():
    roster = read_siecle_roster(siecle_xml(SCHOOL, SCHOOL_STRUCTURES, uai="0750680A"))

    assert roster.uai == "0750680A"
    assert roster.problems["rule"].tolist() == ["uai_key"]
    assert len(roster.students) == len(SCHOOL)


def test_malformed_uai_is_dropped_with_a_problem():
    roster = read_siecle_roster(siecle_xml(SCHOOL, SCHOOL_STRUCTURES, uai="75068"))

    assert roster.uai is None
    assert roster.problems["rule"].tolist() == ["uai_format"]


@pytest.mark.parametrize(("uai", "valid"), [("0750680G", True), ("0750680A", False), ("750680G", False),
                                            ("0750680g", False)])
def test_uai_key_letter_is_checked(uai, valid):
    assert uai_key_is_valid(uai) is valid


def test_is_uai_checks_the_shape_only():
    assert is_uai("0750680A") and not is_uai("0750680") and not is_uai(None)


def test_broken_xml_is_one_file_problem_and_no_students():
    content = siecle_xml(SCHOOL, SCHOOL_STRUCTURES)[:300]

    roster = read_siecle_roster(content, "coupé.xml")

    assert roster.students.empty
    assert roster.problems[["file", "rule"]].values.tolist() == [["coupé.xml", "unreadable_xml"]]
    assert pd.isna(roster.problems.loc[0, "row"])


def test_siecle_file_resaved_as_utf8_with_bom_keeps_its_accents():
    content = b"\xef\xbb\xbf" + siecle_xml(SCHOOL, SCHOOL_STRUCTURES).decode("iso-8859-15").encode("utf-8")

    roster = read_roster(content, "ElevesSansAdresses.xml")

    assert roster.students["first_name"].tolist()[:2] == ["Éloïse", "Noël"]


def test_problems_have_the_one_problem_shape():
    roster = read_siecle_roster(siecle_xml([siecle_student("1", "A", "B", "")], {}))

    assert tuple(roster.problems.columns) == PROBLEM_COLUMNS
    ProblemFrame.validate(roster.problems)


# --- CSV ---------------------------------------------------------------------------------------

CSV_ROSTER = (
    "ELEVE_ID;INE;NOM;PRENOM;DATE_NAISS;DIVISION;SEXE\n"
    "1001;123456789AB;MARTIN;Éloïse;14/03/2011;3A;2\n"
    "1002;;D’ARTAGNAN;Noël;2010-11-02;3B;1\n"
    "\n"
    "1003;;DUPONT;Léa;32/01/2011;3A;2\n"
    "abc;;DURAND;Tom;01/01/2011;3A;1\n"
    "1005;ABC;PETIT;Jade;1/2/2011;3B;X\n"
)


def test_csv_roster_reads_students_with_french_and_iso_dates():
    roster = read_csv_roster(CSV_ROSTER.encode("utf-8-sig"), "eleves.csv")

    students = roster.students.set_index("eleve_id")
    assert students.index.tolist() == [1001, 1002, 1005]
    assert students.loc[1002, "birth_date"] == pd.Timestamp("2010-11-02")
    assert students.loc[1005, "birth_date"] == pd.Timestamp("2011-02-01")
    assert students.loc[1001, "first_name"] == "Éloïse"
    assert (roster.uai, roster.school_year) == (None, None)


def test_bad_csv_rows_are_problems_at_their_line():
    roster = read_csv_roster(CSV_ROSTER.encode("utf-8"), "eleves.csv")

    problems = roster.problems[["row", "column", "rule"]].values.tolist()
    assert problems == [[5, "DATE_NAISS", "invalid_birth_date"], [6, "ELEVE_ID", "missing_eleve_id"],
                        [7, "INE", "invalid_ine"], [7, "SEXE", "invalid_sex"]]
    assert roster.problems["message"].str.startswith("Ligne ").all()


def test_csv_roster_in_windows_1252_with_commas_is_read():
    content = CSV_ROSTER.replace(";", ",").replace("’", "'").replace("\n", "\r\n").encode("cp1252")

    roster = read_csv_roster(content, "eleves.csv")

    assert roster.students["first_name"].tolist() == ["Éloïse", "Noël", "Jade"]
    assert roster.students["last_name"].tolist()[1] == "D'ARTAGNAN"


def test_csv_without_a_required_column_is_one_file_problem():
    roster = read_csv_roster(b"ELEVE_ID;NOM;PRENOM\n1;A;B\n", "eleves.csv")

    assert roster.students.empty
    assert roster.problems["rule"].tolist() == ["missing_columns"]
    assert "DATE_NAISS" in roster.problems.loc[0, "message"]


def test_empty_csv_is_one_file_problem():
    roster = read_csv_roster(b"\r\n", "vide.csv")

    assert roster.students.empty
    assert roster.problems["rule"].tolist() == ["empty_file"]


def test_read_roster_chooses_the_reader_by_content_not_by_name():
    xml = read_roster(b"  \n" + siecle_xml(SCHOOL, SCHOOL_STRUCTURES), "eleves.csv")
    csv = read_roster(CSV_ROSTER.encode("utf-8-sig"), "ElevesSansAdresses.xml")

    assert xml.uai == UAI and len(xml.students) == len(SCHOOL)
    assert csv.uai is None and len(csv.students) == 3


def test_siecle_file_that_lost_its_encoding_declaration_is_read_as_iso_8859_15():
    content = siecle_xml(SCHOOL, SCHOOL_STRUCTURES).replace(b' encoding="ISO-8859-15"', b"")

    roster = read_siecle_roster(content)

    assert roster.problems.empty
    assert roster.students["last_name"].tolist()[3] == "BŒUF"


def test_a_birth_date_beyond_the_datetime_range_rejects_the_student_not_the_file():
    content = ("ELEVE_ID;INE;NOM;PRENOM;DATE_NAISS;DIVISION;SEXE\n"
               "1;;ALPHA;Jean;01/01/9999;3A;1\n2;;BETA;Anne;01/01/2011;3A;2\n").encode()

    roster = read_roster(content, "eleves.csv")

    assert roster.students["eleve_id"].tolist() == [2]
    assert list(roster.problems["rule"]) == ["invalid_birth_date"]


# --- hostile XML ------------------------------------------------------------------------------

@pytest.mark.parametrize(("levels", "declaration"), [(9, True), (9, False), (2, False)],
                         ids=["billion-laughs", "billion-laughs-doctype-first", "small-entities"])
def test_a_roster_declaring_entities_is_unreadable_xml(levels, declaration):
    roster = read_roster(entity_bomb(levels, declaration=declaration), "ElevesSansAdresses.xml")

    assert roster.students.empty and roster.uai is None
    assert roster.problems[["file", "rule"]].values.tolist() == [["ElevesSansAdresses.xml", "unreadable_xml"]]
    assert roster.problems.loc[0, "message"].startswith("Fichier XML illisible")


def test_an_xml_file_that_is_no_roster_is_not_quoted():
    roster = read_roster(b'<?xml version="1.0"?><Secretracine><a>Secretcontenu</a></Secretracine>', "autre.xml")

    [problem] = problems_as_records(roster.problems)
    assert problem["rule"] == "not_siecle_roster" and "Secret" not in str(problem)


def test_rosters_validated_together_are_those_validated_one_by_one():
    contents = [siecle_xml(SCHOOL, SCHOOL_STRUCTURES), siecle_xml(SCHOOL[:2], {}, uai="0750680A"),  # same ELEVE_IDs
                b"<BEE_ELEVES/>"]  # no student at all
    alone = [read_roster(content, "ElevesSansAdresses.xml") for content in contents]

    together = validate_rosters([read_roster(content, "ElevesSansAdresses.xml", validate=False)
                                 for content in contents])

    assert all(roster.validated for roster in together)
    for one, other in zip(alone, together):
        pd.testing.assert_frame_equal(one.students, other.students)  # ELEVE_ID is unique within each roster only


def test_a_roster_that_breaks_the_schema_fails_validated_together_as_alone():
    good = read_roster(siecle_xml(SCHOOL, SCHOOL_STRUCTURES), "a.xml", validate=False)
    broken = read_roster(siecle_xml(SCHOOL, SCHOOL_STRUCTURES), "b.xml", validate=False)
    broken.students.loc[1, "eleve_id"] = broken.students.loc[0, "eleve_id"]  # what check_students never lets by

    with pytest.raises(pa.errors.SchemaError, match="eleve_id"):
        validate_rosters([good, broken])
