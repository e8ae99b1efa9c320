"""Reading the names of the establishments: plain `uai;nom` files and the Annuaire de l'éducation export."""
from __future__ import annotations

import pytest

from schemas.problems import PROBLEM_COLUMNS, ProblemFrame, make_problems
from transforms.schools import HEAD_MAX_LENGTH, NAME_MAX_LENGTH, SchoolDirectory, given_head, read_schools

ANNUAIRE_HEADER = ("Identifiant_de_l_etablissement;Nom_etablissement;Type_etablissement;"
                   "Statut_public_prive;Adresse_1;Code_postal;Code_commune;Nom_commune")


def annuaire_row(uai: str, name: str, commune: str = "Paris") -> str:
    return f"{uai};{name};Lycée;Public;123 rue Saint-Jacques;75005;75105;{commune}"


def rules(directory: SchoolDirectory) -> list[tuple[int | None, str]]:
    return [(p["row"], p["rule"]) for p in directory.problems]


def test_plain_file_with_header_maps_uai_to_name():
    content = "uai;nom\n0750680G;Lycée Louis-le-Grand\n0330001X;Collège Cheverus\n".encode()

    directory = read_schools("etablissements.csv", content)

    assert directory.names == {"0750680G": "Lycée Louis-le-Grand", "0330001X": "Collège Cheverus"}
    assert directory.problems == ()


def test_headerless_plain_file_reads_its_first_line_as_a_school():
    content = b"0750680G;Lycee Louis-le-Grand\n0330001X;College Cheverus\n"

    assert read_schools("etablissements.csv", content).names == {
        "0750680G": "Lycee Louis-le-Grand", "0330001X": "College Cheverus"}


def test_lower_case_uai_is_upper_cased_and_name_spaces_are_normalised():
    content = "0750680g ;  Lycée \u00a0 Louis-le-Grand  \n".encode()

    assert read_schools("etablissements.csv", content).names == {"0750680G": "Lycée Louis-le-Grand"}


@pytest.mark.parametrize("header, row", [
    (ANNUAIRE_HEADER, annuaire_row("0750680G", "Lycée Louis-le-Grand")),
    (ANNUAIRE_HEADER.lower(), annuaire_row("0750680G", "Lycée Louis-le-Grand")),
    ("Identifiant de l'établissement;Nom de l'établissement;Type d'établissement;Nom de la commune",
     "0750680G;Lycée Louis-le-Grand;Lycée;Paris"),
    ("IDENTIFIANT DE L’ÉTABLISSEMENT;NOM DE L’ÉTABLISSEMENT", "0750680G;Lycée Louis-le-Grand"),
    ("Type_etablissement;Nom_commune;Nom_etablissement;Identifiant_de_l_etablissement",
     "Lycée;Paris;Lycée Louis-le-Grand;0750680G"),
    ("numero_uai;appellation_officielle;denomination_principale;patronyme_uai",
     "0750680G;Lycée Louis-le-Grand;LYCEE GENERAL;LOUIS LE GRAND"),
    ("Code UAI;Nom;Commune", "0750680G;Lycée Louis-le-Grand;Paris"),
])
def test_annuaire_export_is_recognised_by_its_headers_whatever_the_accents(header, row):
    content = f"{header}\n{row}\n".encode()

    directory = read_schools("fr-en-annuaire-education.csv", content)

    assert directory.names == {"0750680G": "Lycée Louis-le-Grand"}
    assert directory.problems == ()


def test_annuaire_name_is_the_school_not_the_commune():
    content = "\n".join([ANNUAIRE_HEADER, annuaire_row("0330001X", "Collège Cheverus", "Bordeaux")]).encode()

    assert read_schools("annuaire.csv", content).names == {"0330001X": "Collège Cheverus"}


def test_quoted_annuaire_cells_with_separators_inside_are_one_cell():
    content = ('"Identifiant_de_l_etablissement";"Nom_etablissement";"Adresse_1"\n'
               '"0750680G";"Lycée Louis-le-Grand; site Saint-Jacques";"123, rue Saint-Jacques"\n').encode()

    assert read_schools("annuaire.csv", content).names == {
        "0750680G": "Lycée Louis-le-Grand; site Saint-Jacques"}


@pytest.mark.parametrize("encoding", ["cp1252", "utf-8-sig", "utf-8"])
def test_accented_names_read_the_same_in_windows_1252_and_utf_8(encoding):
    content = "UAI;Nom\r\n0330001X;Collège Œuvre-Élève\r\n".encode(encoding)

    assert read_schools("etablissements.csv", content).names == {"0330001X": "Collège Œuvre-Élève"}


@pytest.mark.parametrize("separator", [",", "\t"])
def test_comma_or_tab_separated_files_are_accepted(separator):
    content = f"uai{separator}nom\n0750680G{separator}Lycée Louis-le-Grand\n".encode()

    assert read_schools("etablissements.csv", content).names == {"0750680G": "Lycée Louis-le-Grand"}


def test_semicolon_wins_over_commas_in_the_names():
    content = "0750680G;Lycée Louis-le-Grand, Paris, 5e\n".encode()

    assert read_schools("etablissements.csv", content).names == {"0750680G": "Lycée Louis-le-Grand, Paris, 5e"}


def test_bad_uai_row_is_reported_with_its_line_and_column_and_skipped():
    content = "UAI;Nom\n0750680G;Lycée Louis-le-Grand\n075068G;Collège Cheverus\n;Collège sans UAI\n".encode()

    directory = read_schools("etablissements.csv", content)

    assert directory.names == {"0750680G": "Lycée Louis-le-Grand"}
    assert rules(directory) == [(3, "invalid_uai"), (4, "invalid_uai")]
    bad = directory.problems[0]
    assert (bad["column"], bad["value"]) == ("UAI", "075068G")
    assert "UAI invalide" in bad["message"] and "075068G" in bad["message"]


def test_row_without_a_name_is_reported_and_skipped():
    content = b"uai;nom\n0750680G;\n0330001X\n0330002Y;College\n"

    directory = read_schools("etablissements.csv", content)

    assert directory.names == {"0330002Y": "College"}
    assert rules(directory) == [(2, "empty_name"), (3, "empty_name")]
    assert directory.problems[0]["column"] == "nom"


def test_duplicate_uai_with_two_names_keeps_the_first():
    content = "uai;nom\n0750680G;Lycée Louis-le-Grand\n0330001X;Collège Cheverus\n0750680g;Lycée Henri-IV\n".encode()

    directory = read_schools("etablissements.csv", content)

    assert directory.names == {"0750680G": "Lycée Louis-le-Grand", "0330001X": "Collège Cheverus"}
    assert rules(directory) == [(4, "duplicate_uai")]
    assert "ligne 2" in directory.problems[0]["message"]


def test_same_uai_twice_with_the_same_name_written_differently_is_no_problem():
    content = "uai;nom\n0750680G;Lycée Louis-le-Grand\n0750680G;LYCEE  LOUIS-LE-GRAND\n".encode()

    directory = read_schools("etablissements.csv", content)

    assert directory.names == {"0750680G": "Lycée Louis-le-Grand"}
    assert directory.problems == ()


def test_name_longer_than_the_database_column_is_reported_and_skipped():
    long_name = "Lycée " + "x" * NAME_MAX_LENGTH
    content = f"0750680G;{long_name}\n0330001X;Collège Cheverus\n".encode()

    directory = read_schools("etablissements.csv", content)

    assert directory.names == {"0330001X": "Collège Cheverus"}
    assert rules(directory) == [(1, "name_too_long")]


def test_foreign_file_is_one_whole_file_problem_naming_its_columns():
    content = "Numéro de certification;Prénom;Nom;Date de naissance\n12345;Éloïse;MARTIN;14/03/2011\n".encode()

    directory = read_schools("etablissements.csv", content)

    assert directory.names == {}
    assert rules(directory) == [(None, "unknown_columns")]
    assert "Numéro de certification" in directory.problems[0]["message"]


@pytest.mark.parametrize("content", [b"", b"\xef\xbb\xbf", b"\r\n \n\t\n"])
def test_empty_file_is_one_whole_file_problem(content):
    directory = read_schools("etablissements.csv", content)

    assert directory.names == {}
    assert rules(directory) == [(None, "empty")]


def test_header_without_schools_is_one_whole_file_problem():
    assert rules(read_schools("etablissements.csv", b"uai;nom\n")) == [(None, "no_rows")]


@pytest.mark.parametrize("content", [
    b"PK\x03\x04\x14\x00\x06\x00" + bytes(range(256)),  # an .xlsx saved as .csv
    b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n",
    bytes(range(256)) * 4,
    b"\x81\x8d\x8f\x90\x9d;\xff\xfe\n0750680G;\x81\n",  # bytes cp1252 leaves undefined
])
def test_binary_junk_is_one_whole_file_problem(content):
    directory = read_schools("etablissements.csv", content)

    assert directory.names == {}
    assert len(directory.problems) == 1 and directory.problems[0]["row"] is None


def test_huge_line_is_set_aside_and_the_rest_is_read():
    content = b"uai;nom\n0750680G;" + b"x" * 300_000 + b"\n0330001X;College Cheverus\n"

    directory = read_schools("etablissements.csv", content)

    assert directory.names == {"0330001X": "College Cheverus"}
    assert rules(directory) == [(2, "unreadable_line")]


def test_huge_junk_without_line_ends_never_crashes():
    directory = read_schools("etablissements.csv", b"x" * 1_000_000)

    assert directory.names == {}
    assert len(directory.problems) == 1


def test_problems_fit_the_problem_frame():
    content = "uai;nom\n075068G;A\n0750680G;\n0330001X;B\n0330001X;C\n".encode()

    problems = read_schools("etablissements.csv", content).problems

    assert all(set(p) == set(PROBLEM_COLUMNS) and p["stage"] == "read" for p in problems)
    ProblemFrame.validate(make_problems(list(problems)))


def test_a_uai_whose_key_letter_does_not_match_is_kept_and_noted_to_check():
    content = "uai;nom\n0750680G;Lycée Louis-le-Grand\n0750680A;Lycée à la lettre douteuse\n".encode()

    directory = read_schools("etablissements.csv", content)

    assert directory.names["0750680A"] == "Lycée à la lettre douteuse"
    [notice] = directory.problems
    assert (notice["row"], notice["rule"], notice["value"]) == (3, "uai_key", "0750680A")
    assert notice["message"].startswith("UAI à vérifier : 0750680A")


def test_a_line_with_too_few_fields_or_a_malformed_uai_sets_aside_that_line_alone():
    content = "uai;nom\n0750680G;Lycée Louis-le-Grand\n0330001X\n12345;Collège\n0860100S;Collège Jean Moulin\n".encode()

    directory = read_schools("etablissements.csv", content)

    assert directory.names == {"0750680G": "Lycée Louis-le-Grand", "0860100S": "Collège Jean Moulin"}
    assert rules(directory) == [(3, "empty_name"), (4, "invalid_uai")]


@pytest.mark.parametrize("header", ["uai;nom;chef_etablissement", "UAI;Nom;Chef d'établissement",
                                    "Identifiant_de_l_etablissement;Nom_etablissement;Nom_commune;Principal",
                                    "uai;nom;Nom du chef d’établissement"])
def test_a_head_column_gives_each_school_its_chef_d_etablissement(header):
    cells = "Madame Anne Durand" if header.count(";") == 2 else "Poitiers;Madame Anne Durand"
    content = f"{header}\n0860100S;Collège Jean Moulin;{cells}\n0330001X;Collège Cheverus\n".encode()

    directory = read_schools("etablissements.csv", content)

    assert directory.names == {"0860100S": "Collège Jean Moulin", "0330001X": "Collège Cheverus"}
    assert directory.heads == {"0860100S": "Madame Anne Durand"}  # a row without one has none
    assert directory.problems == ()


def test_the_annuaire_and_headerless_files_give_no_head():
    annuaire = "\n".join([ANNUAIRE_HEADER, annuaire_row("0330001X", "Collège Cheverus", "Bordeaux")]).encode()
    headerless = "0860100S;Collège Jean Moulin;Poitiers\n".encode()  # a third column could be anything

    assert read_schools("annuaire.csv", annuaire).heads == {}
    assert read_schools("etablissements.csv", headerless).heads == {}


def test_a_head_too_long_is_left_out_without_quoting_it_and_the_school_keeps_its_name():
    content = f"uai;nom;chef_etablissement\n0860100S;Collège Jean Moulin;Anne {'x' * HEAD_MAX_LENGTH}\n".encode()

    directory = read_schools("etablissements.csv", content)

    assert directory.names == {"0860100S": "Collège Jean Moulin"} and directory.heads == {}
    [notice] = directory.problems
    assert (notice["row"], notice["column"], notice["rule"], notice["value"]) == (
        2, "chef_etablissement", "head_too_long", None)
    assert "Anne" not in notice["message"] and "0860100S" in notice["message"]


def test_a_second_head_for_a_uai_keeps_the_first_without_quoting_either():
    content = ("uai;nom;chef_etablissement\n0860100S;Collège Jean Moulin;Anne Durand\n"
               "0860100S;Collège Jean Moulin;Paul Martin\n0860100S;COLLEGE JEAN MOULIN;anne  durand\n").encode()

    directory = read_schools("etablissements.csv", content)

    assert directory.heads == {"0860100S": "Anne Durand"}
    [notice] = directory.problems
    assert (notice["row"], notice["rule"]) == (3, "duplicate_head")
    assert "ligne 2" in notice["message"]
    assert not any(name in notice["message"] for name in ("Anne", "Durand", "Paul", "Martin"))


def test_a_line_set_aside_for_another_name_gives_no_head():
    content = ("uai;nom;chef_etablissement\n0860100S;Collège Jean Moulin;\n"
               "0860100S;Lycée Victor Hugo;Paul Martin\n").encode()

    directory = read_schools("etablissements.csv", content)

    assert directory.heads == {} and rules(directory) == [(3, "duplicate_uai")]


def test_control_characters_are_removed_from_the_head_with_a_notice():
    content = "uai;nom;chef_etablissement\n0860100S;Collège Jean Moulin;Anne\u202e Durand\x07\n".encode()

    directory = read_schools("etablissements.csv", content)

    assert directory.heads == {"0860100S": "Anne Durand"}
    assert [(p["row"], p["column"], p["stage"]) for p in directory.problems] == [(2, "chef_etablissement", "clean")]


def test_a_head_given_by_hand_is_one_establishment_s_with_its_spaces_normalised():
    assert given_head("  Anne-Marie   Lefebvre ", one_establishment=True) == ("Anne-Marie Lefebvre", None)
    assert given_head("   ", one_establishment=False) == (None, None)
    assert given_head(None, one_establishment=True) == (None, None)
    _, academie = given_head("Anne Durand", one_establishment=False)
    _, too_long = given_head("x" * (HEAD_MAX_LENGTH + 1), one_establishment=True)
    assert "un seul établissement" in academie and "trop long" in too_long
    assert "Durand" not in academie and "xxx" not in too_long
