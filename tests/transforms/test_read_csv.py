"""transforms/read_csv.py: every header version, spreadsheet manglings, whole-file quarantine."""
from __future__ import annotations

import pandas as pd
import pytest

from schemas.problems import ProblemFrame
from transforms.read_csv import RAW_TEXT, ROW_NUMBER, read_export

COMPETENCES = ("1.1", "1.2", "1.3", "2.1", "2.2", "2.3", "2.4", "3.1", "3.2", "3.3", "3.4",
               "4.1", "4.2", "4.3", "5.1", "5.2")
IDENTITY = ("Numéro de certification", "Prénom", "Nom", "Date de naissance", "Lieu de naissance",
            "Identifiant Externe")
COMMENT = "Commentaire jury pour l’organisation"
PLAIN_COMMENT = "Commentaire jury pour l'organisation"  # after a spreadsheet round trip
TRAILING = (COMMENT, "Session", "Date de passage de la certification")
HEADER_2018 = IDENTITY + ("Nombre de Pix", *COMPETENCES, "Session", "Centre de certification",
                          "Date de passage de la certification")
HEADER_NOMBRE = IDENTITY + ("Statut", "Nombre de Pix", *COMPETENCES, *TRAILING)
HEADER_RESULTAT = IDENTITY + ("Type de certification", "Statut", "Résultat", *COMPETENCES, *TRAILING)
HEADER_CURRENT = IDENTITY + ("Type de certification", "Statut", "Niveau", "Score en Pix", *COMPETENCES,
                             *TRAILING)
HEADER_SESSION = IDENTITY + ("Type de certification", "Statut", "Certification CléA numérique", "Niveau",
                             "Score en Pix", *COMPETENCES, COMMENT, "Session", "Centre de certification",
                             "Date de passage de la certification")
HEADER_PIX_PLUS_SESSION = tuple(label for label in HEADER_SESSION if label not in COMPETENCES)
CAMPAIGN_HEADER = ("Nom de l'organisation", "ID Campagne", "Code", "Nom de la campagne",
                   "Nom du Participant", "Prénom du Participant", "% de progression")

DEFAULTS = {
    "Numéro de certification": "100001", "Prénom": "Léa", "Nom": "Bézier",
    "Date de naissance": "14/03/2011", "Lieu de naissance": "Nîmes", "Identifiant Externe": "",
    "Type de certification": "Pix", "Statut": "Validée", "Niveau": "Novice 2", "Score en Pix": "150",
    "Nombre de Pix": "150", "Résultat": "Novice 2 (150 Pix)", "Certification CléA numérique": "Non passée",
    **{code: "2" for code in COMPETENCES},
    COMMENT: "", PLAIN_COMMENT: "", "Session": "4242", "Centre de certification": "Collège Jean Moulin",
    "Date de passage de la certification": "12/05/2025",
}
NUMBERS = ("Numéro de certification", "Nombre de Pix", "Score en Pix", *COMPETENCES)


def record(header: tuple[str, ...], **cells: str) -> list[str]:
    """A data record under HEADER: defaults, with CELLS (keyed by label, or by the
    identifier-friendly names first/last/number/...) replacing some of them."""
    aliases = {"number": "Numéro de certification", "first": "Prénom", "last": "Nom",
               "birth": "Date de naissance", "status": "Statut", "score": "Score en Pix",
               "pix": "Nombre de Pix", "result": "Résultat", "level": "Niveau", "comment": COMMENT,
               "passed": "Date de passage de la certification"}
    values = {**DEFAULTS, **{aliases.get(key, key): value for key, value in cells.items()}}
    return [values[label] for label in header]


def export_bytes(header: tuple[str, ...], records: list[list[str]], *, sep: str = ";",
                 quoted: bool = True, encoding: str = "utf-8-sig", newline: str = "\n") -> bytes:
    """An export as Pix writes it (BOM, ';', quoted text, LF) unless told otherwise."""
    def cell(label: str, value: str) -> str:
        return value if not quoted or label in NUMBERS else f'"{value}"'

    lines = [sep.join(f'"{label}"' if quoted else label for label in header)]
    lines += [sep.join(cell(label, value) for label, value in zip(header, values)) for values in records]
    return (newline.join(lines) + newline).encode(encoding)


def three_students(header: tuple[str, ...]) -> list[list[str]]:
    return [record(header, number="100001", first="Léa", last="Bézier"),
            record(header, number="100002", first="Noé", last="Müller"),
            record(header, number="100003", first="Zoë", last="N’Diaye")]


def test_export_as_pix_writes_it_is_read_cell_by_cell():
    raw = read_export("20250601_resultats_3A.csv", export_bytes(HEADER_CURRENT, three_students(HEADER_CURRENT)))

    assert (raw.encoding, raw.delimiter, raw.format) == ("utf-8-sig", ";", "pix-niveau-score")
    assert raw.header == HEADER_CURRENT
    assert list(raw.rows.columns) == [*HEADER_CURRENT, ROW_NUMBER, RAW_TEXT]
    assert raw.rows["Prénom"].tolist() == ["Léa", "Noé", "Zoë"]
    assert raw.rows["Nom"].tolist()[2] == "N’Diaye"
    assert raw.rows[ROW_NUMBER].tolist() == [2, 3, 4]
    assert raw.rows[RAW_TEXT].iloc[0].startswith('100001;"Léa";"Bézier"')
    assert raw.problems.empty and raw.quarantined_raw == {}


@pytest.mark.parametrize(("header", "expected"), [
    (HEADER_2018, "pix-2018"),
    (HEADER_NOMBRE, "pix-nombre-de-pix"),
    (HEADER_RESULTAT, "pix-resultat"),
    (HEADER_CURRENT, "pix-niveau-score"),
    (HEADER_SESSION, "pix-session"),
    (HEADER_PIX_PLUS_SESSION, "pix-session"),
], ids=["oldest-without-statut", "nombre-de-pix", "resultat", "current", "session", "pix-plus-only-session"])
def test_every_header_version_is_recognised_by_its_columns(header, expected):
    raw = read_export("export.csv", export_bytes(header, three_students(header)))

    assert raw.format == expected
    assert len(raw.rows) == 3
    assert raw.problems.empty


def test_cp1252_file_without_bom_reads_accents():
    content = export_bytes(HEADER_NOMBRE, three_students(HEADER_NOMBRE), encoding="cp1252")

    raw = read_export("export.csv", content)

    assert raw.encoding == "cp1252"
    assert raw.header == HEADER_NOMBRE
    assert raw.rows["Prénom"].tolist() == ["Léa", "Noé", "Zoë"]


def test_utf8_file_without_bom_is_read_as_utf8():
    raw = read_export("export.csv", export_bytes(HEADER_CURRENT, three_students(HEADER_CURRENT), encoding="utf-8"))

    assert raw.encoding == "utf-8"
    assert raw.header[0] == "Numéro de certification"


def test_bytes_undefined_in_cp1252_fall_back_to_latin1():
    header = tuple(PLAIN_COMMENT if label == COMMENT else label for label in HEADER_CURRENT)
    students = [record(header, **{PLAIN_COMMENT: "x\x81y"}, last="Müller")]

    raw = read_export("export.csv", export_bytes(header, students, encoding="latin-1"))

    assert raw.encoding == "latin-1"
    assert raw.rows[["Nom", PLAIN_COMMENT]].iloc[0].tolist() == ["Müller", "x\x81y"]


@pytest.mark.parametrize("newline", ["\r\n", "\r"], ids=["crlf", "lone-cr"])
def test_windows_and_old_mac_line_ends_are_read(newline):
    raw = read_export("export.csv", export_bytes(HEADER_CURRENT, three_students(HEADER_CURRENT), newline=newline))

    assert raw.rows[ROW_NUMBER].tolist() == [2, 3, 4]
    assert raw.rows["Date de passage de la certification"].tolist() == ["12/05/2025"] * 3
    assert not raw.rows[RAW_TEXT].str.contains("\r").any()


def test_comma_separated_file_is_read():
    students = three_students(HEADER_CURRENT)
    students[0] = record(HEADER_CURRENT, comment="Bien, très bien")

    raw = read_export("export.csv", export_bytes(HEADER_CURRENT, students, sep=","))

    assert raw.delimiter == ","
    assert raw.format == "pix-niveau-score"
    assert raw.rows[COMMENT].tolist()[0] == "Bien, très bien"


def test_unquoted_cells_are_read_and_stripped():
    students = [record(HEADER_CURRENT, first=" Léa ", last="Bézier  ")]

    raw = read_export("export.csv", export_bytes(HEADER_CURRENT, students, quoted=False))

    assert raw.rows[["Prénom", "Nom"]].iloc[0].tolist() == ["Léa", "Bézier"]


def test_trailing_empty_lines_and_columns_are_dropped():
    header = ";".join(HEADER_CURRENT) + ";;;\r\n"
    rows = "".join(";".join(values) + ";;;\r\n" for values in three_students(HEADER_CURRENT))
    content = (header + rows + ";;;;;;\r\n\r\n;;\r\n").encode("cp1252")

    raw = read_export("export.csv", content)

    assert raw.header == HEADER_CURRENT
    assert list(raw.rows.columns) == [*HEADER_CURRENT, ROW_NUMBER, RAW_TEXT]
    assert len(raw.rows) == 3
    assert raw.problems.empty


def test_header_labels_with_other_case_accents_spaces_and_plain_apostrophe_are_recognised():
    spellings = {"Numéro de certification": "NUMERO DE CERTIFICATION", "Prénom": "prenom",
                 "Statut": " statut ", "Score en Pix": "Score  en pix", COMMENT: PLAIN_COMMENT}
    header = tuple(spellings.get(label, label) for label in HEADER_CURRENT)
    content = export_bytes(header, three_students(HEADER_CURRENT)).replace(b'" statut "', b'"  statut  "')

    raw = read_export("export.csv", content)

    assert raw.format == "pix-niveau-score"
    # labels are kept as in the file, only stripped
    assert raw.header[:2] == ("NUMERO DE CERTIFICATION", "prenom")
    assert "statut" in raw.header and "Score  en pix" in raw.header and PLAIN_COMMENT in raw.header


def test_empty_unlabelled_column_in_the_middle_is_dropped():
    header = HEADER_CURRENT[:6] + ("",) + HEADER_CURRENT[6:]
    students = [values[:6] + [""] + values[6:] for values in three_students(HEADER_CURRENT)]

    raw = read_export("export.csv", export_bytes(header, students))

    assert raw.header == HEADER_CURRENT
    assert raw.rows["Type de certification"].tolist() == ["Pix"] * 3


@pytest.mark.parametrize("content", [b"", b"\xef\xbb\xbf", b"\r\n\r\n  \n", b";;;\r\n;;;\r\n"],
                         ids=["zero-bytes", "bom-only", "blank-lines", "empty-cells-only"])
def test_empty_file_is_quarantined_whole(content):
    raw = read_export("20250601_resultats_3A.csv", content)

    assert raw.format is None and raw.rows.empty
    assert raw.problems["rule"].tolist() == ["empty"]
    assert raw.problems["row"].isna().all()
    ProblemFrame.validate(raw.problems)
    assert "vide" in raw.problems["message"].iloc[0]


def test_xlsx_workbook_renamed_csv_is_quarantined_as_binary():
    content = b"PK\x03\x04\x14\x00\x06\x00\x08\x00\x00\x00!\x00[Content_Types].xml" + bytes(range(256))

    raw = read_export("20250601_resultats_3A.csv", content)

    assert raw.format is None and raw.rows.empty
    assert raw.problems["rule"].tolist() == ["binary"]
    message = raw.problems["message"].iloc[0]
    assert "Excel" in message and "CSV" in message and "Enregistrer sous" in message


@pytest.mark.parametrize("content", [b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(64), b"%PDF-1.7\n%\xe2\xe3",
                                     b"Num\x00ro;Pr\x00nom\n"], ids=["xls", "pdf", "nul-bytes"])
def test_other_binary_files_are_quarantined_as_binary(content):
    raw = read_export("export.csv", content)

    assert raw.problems["rule"].tolist() == ["binary"]


def test_content_decides_not_the_file_name():
    raw = read_export("resultats.xlsx", export_bytes(HEADER_CURRENT, three_students(HEADER_CURRENT)))

    assert raw.format == "pix-niveau-score" and len(raw.rows) == 3


def test_campaign_export_is_not_a_certification_export():
    content = export_bytes(CAMPAIGN_HEADER, [["Collège", "12", "ABC", "Rentrée", "Dupont", "Léa", "100"]])

    raw = read_export("20250601_resultats_3A.csv", content)

    assert raw.format is None and raw.rows.empty
    assert raw.problems["rule"].tolist() == ["not_certification_export"]
    message = raw.problems["message"].iloc[0]
    assert "n’est pas un export des résultats de certification Pix" in message
    assert "« ID Campagne »" in message and "« Nom de l'organisation »" in message
    assert "Léa" not in message


def test_header_without_data_rows_is_quarantined_as_no_rows():
    raw = read_export("export.csv", export_bytes(HEADER_CURRENT, []) + b"\n\n")

    assert raw.rows.empty and raw.format is None
    assert raw.header == HEADER_CURRENT
    assert raw.problems["rule"].tolist() == ["no_rows"]
    assert raw.problems["row"].isna().all()


def test_cut_short_file_reports_its_last_line_and_keeps_its_text():
    content = export_bytes(HEADER_CURRENT, three_students(HEADER_CURRENT))
    cut = content[: content.rindex(b"Pix") + 3]  # the download stopped inside the third record

    raw = read_export("export.csv", cut)

    assert raw.rows[ROW_NUMBER].tolist() == [2, 3]
    ProblemFrame.validate(raw.problems)
    problem = raw.problems.iloc[0]
    assert (problem["stage"], problem["rule"], problem["row"]) == ("read", "field_count", 4)
    assert problem["message"].startswith("Ligne incomplète : 7 colonnes au lieu de 29")
    assert pd.isna(problem["value"])  # the line holds names: its text is in quarantined_raw only
    assert raw.quarantined_raw[4].startswith('100003;"Zoë";"N’Diaye"')


def test_unquoted_separator_in_a_comment_reports_too_many_fields():
    students = three_students(HEADER_CURRENT)
    students[1] = record(HEADER_CURRENT, comment="Absent; rattrapage prévu")

    raw = read_export("export.csv", export_bytes(HEADER_CURRENT, students, quoted=False))

    assert raw.rows[ROW_NUMBER].tolist() == [2, 4]
    assert raw.problems["row"].tolist() == [3]
    assert raw.problems["message"].iloc[0].startswith("Ligne trop longue : 30 colonnes au lieu de 29")
    assert "Absent; rattrapage" in raw.quarantined_raw[3]


def test_row_numbers_are_lines_as_a_person_counts_them():
    header, first, second, third = export_bytes(HEADER_CURRENT, [
        record(HEADER_CURRENT, number="1"),
        record(HEADER_CURRENT, number="2", comment="Sur deux\nlignes"),
        record(HEADER_CURRENT, number="3"),
    ]).decode("utf-8-sig").split("\n", 3)
    # line 1 header, 2 blank, 3 first, 4-5 blank, 6-7 second (its comment spans two lines), 8 third
    content = "\n".join([header, "", first, "", "  ", second, third])

    raw = read_export("export.csv", content.encode("utf-8"))

    assert raw.rows["Numéro de certification"].tolist() == ["1", "2", "3"]
    assert raw.rows[ROW_NUMBER].tolist() == [3, 6, 8]
    assert raw.rows[COMMENT].tolist()[1] == "Sur deux\nlignes"


def test_unclosed_quote_loses_only_its_own_line():
    students = three_students(HEADER_CURRENT)
    students[0] = record(HEADER_CURRENT, comment='"Voir dossier')
    content = export_bytes(HEADER_CURRENT, students, quoted=False)

    raw = read_export("export.csv", content)

    assert raw.rows[ROW_NUMBER].tolist() == [3, 4]
    assert raw.problems["row"].tolist() == [2]
    assert list(raw.quarantined_raw) == [2]


def test_every_non_blank_record_is_in_rows_or_quarantined():
    students = three_students(HEADER_CURRENT) + [["100004", "Ugo"], record(HEADER_CURRENT, number="100005")]
    content = export_bytes(HEADER_CURRENT, students) + b"\n100006;\"Eva\"\n"

    raw = read_export("export.csv", content)

    kept = set(raw.rows[ROW_NUMBER]) | set(raw.quarantined_raw)
    assert kept == {2, 3, 4, 5, 6, 8}
    assert set(raw.problems["row"]) == {5, 8}
