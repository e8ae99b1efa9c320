"""transforms/read_csv.py: every header version, spreadsheet manglings, whole-file quarantine."""
from __future__ import annotations

import random
import subprocess
import sys
import textwrap

import pandas as pd
import pytest

from schemas.problems import ProblemFrame
from transforms.read_csv import MAX_COLUMNS, MAX_FILE_BYTES, MAX_LINE_BYTES, MAX_LINES, RAW_TEXT, ROW_NUMBER, read_export

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
    # the undefined byte reads as a C1 control character, which no output carries: removed, with a notice
    assert raw.rows[["Nom", PLAIN_COMMENT]].iloc[0].tolist() == ["Müller", "xy"]
    assert raw.notices[["row", "column"]].values.tolist() == [[2, PLAIN_COMMENT]]


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
                                     b"Num\x00ro;Pr\x00nom\n", random.Random(10).randbytes(4096)],
                         ids=["xls", "pdf", "nul-bytes", "random-bytes"])
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
    assert "« Numéro de certification »" in message and "« Date de naissance »" in message
    assert "il a 7 colonnes" in message
    for label in ("ID Campagne", "Nom de l'organisation", "Léa"):
        assert label not in message


def test_a_file_that_is_no_export_is_not_echoed_anywhere():
    passwd = b"root:x:0:0:root:/root:/bin/bash\ndaemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin\n"

    raw = read_export("passwd.csv", passwd)

    problem = raw.problems.iloc[0]
    assert problem["rule"] == "not_certification_export" and pd.isna(problem["row"])
    assert pd.isna(problem["value"]) and raw.header == () and raw.rows.empty
    assert "« Numéro de certification », « Prénom », « Nom », « Date de naissance »" in problem["message"]
    assert "il a 1 colonne nommée" in problem["message"]
    for fragment in ("root", "/bin/bash", "daemon", "nologin"):
        assert fragment not in problem["message"]


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


# --- hostile input: limits, misleading messages, doubled columns ----------------------------------

def assert_refused_whole(raw, rule: str) -> str:
    """The file set aside with one file-level problem of RULE, nothing read; returns its message."""
    assert raw.format is None and raw.rows.empty and raw.quarantined_raw == {}
    assert raw.problems["rule"].tolist() == [rule]
    assert raw.problems["row"].isna().all() and raw.problems["value"].isna().all()
    ProblemFrame.validate(raw.problems)
    return raw.problems["message"].iloc[0]


def test_a_file_over_the_size_limit_is_refused_before_reading():
    content = export_bytes(HEADER_CURRENT, three_students(HEADER_CURRENT) * (MAX_FILE_BYTES // 400))
    assert len(content) > MAX_FILE_BYTES

    message = assert_refused_whole(read_export("énorme.csv", content), "too_large")

    assert message.startswith("Le fichier fait ") and "plus que les 5 Mo acceptés" in message


def test_a_file_of_too_many_short_lines_is_refused():
    message = assert_refused_whole(read_export("x.csv", b"a\n" * (MAX_LINES + 1)), "too_many_lines")

    assert "lignes, plus que les 50\u202f000 acceptées" in message


def test_a_line_over_the_width_limit_is_refused_with_its_line_number():
    content = export_bytes(HEADER_CURRENT, three_students(HEADER_CURRENT)) + b"x" * (MAX_LINE_BYTES + 1) + b"\n"

    message = assert_refused_whole(read_export("x.csv", content), "line_too_long")

    assert message.startswith("La ligne 5 fait 64 Ko, plus que les 64 Ko acceptés")


def test_a_header_of_too_many_columns_is_refused():
    header = HEADER_CURRENT + tuple(f"c{i}" for i in range(MAX_COLUMNS))

    message = assert_refused_whole(read_export("x.csv", export_bytes(header, [])), "too_many_columns")

    assert f"L’en-tête a {len(header)} colonnes, plus que les {MAX_COLUMNS} acceptées" in message


# The child builds the content first, notes its peak memory, reads, and prints both peaks in MB. The peak
# is the kernel's VmHWM: ru_maxrss would carry over the pytest parent's size across fork and exec.
RSS_PROBE = textwrap.dedent("""
    import re, sys
    from transforms.read_csv import read_export

    def peak_mb():
        with open("/proc/self/status") as status:
            return int(re.search(r"VmHWM:\\s+(\\d+) kB", status.read()).group(1)) // 1024

    header = "Numéro de certification;Prénom;Nom;Date de naissance;Statut;Score en Pix\\n"
    row = "100001;Léa;Bézier;14/03/2011;Validée;150\\n"
    if sys.argv[1] == "50mb-text":
        content = (header + row * (50_000_000 // len(row))).encode()
    else:
        content = b"a;" * 1_000_000 + b"\\n"
    before = peak_mb()
    rule = read_export("x.csv", content).problems["rule"].iloc[0]
    print(rule, before, peak_mb())
""")


@pytest.mark.parametrize(("shape", "rule"), [("50mb-text", "too_large"), ("2mb-header", "line_too_long")])
def test_hostile_sizes_are_refused_in_bounded_memory(shape, rule):
    # before the limits: 1,560 MB peak for the 50 MB file, 154 MB for the 2 MB header (86 MB imports only)
    done = subprocess.run([sys.executable, "-c", RSS_PROBE, shape], capture_output=True, text=True, check=True,
                          timeout=120)

    found, before, after = done.stdout.split()
    assert found == rule
    assert int(after) < 300 and int(after) - int(before) < 20


@pytest.mark.parametrize(("encoding", "bom"), [("utf-16-le", b"\xff\xfe"), ("utf-16-be", b"\xfe\xff"),
                                               ("utf-16-le", b""), ("utf-16-be", b"")],
                         ids=["le-bom", "be-bom", "le-no-bom", "be-no-bom"])
def test_excel_unicode_text_in_utf16_is_read(encoding, bom):
    # Excel's "Texte Unicode": UTF-16LE with a BOM, tab-separated, CRLF, no quotes
    text = export_bytes(HEADER_CURRENT, three_students(HEADER_CURRENT), sep="\t", quoted=False,
                        encoding="utf-8", newline="\r\n").decode("utf-8")

    raw = read_export("3A.txt", bom + text.encode(encoding))

    assert raw.format == "pix-niveau-score" and raw.delimiter == "\t"
    assert raw.rows["Prénom"].tolist() == ["Léa", "Noé", "Zoë"]
    assert raw.rows["Nom"].tolist()[2] == "N’Diaye"
    assert raw.problems.empty


def test_a_nul_byte_in_one_cell_sets_aside_that_row_only():
    students = [record(HEADER_CURRENT, number=str(100001 + i)) for i in range(22)]
    students[6] = record(HEADER_CURRENT, number="100007", last="Bé\x00zier")

    raw = read_export("20250601_resultats_3A.csv", export_bytes(HEADER_CURRENT, students))

    assert raw.format == "pix-niveau-score"
    assert len(raw.rows) == 21 and list(raw.quarantined_raw) == [8]
    assert len(raw.rows) + len(raw.quarantined_raw) == 22  # rows read = loaded + set aside
    ProblemFrame.validate(raw.problems)
    problem = raw.problems.iloc[0]
    assert (problem["file"], problem["row"], problem["column"], problem["rule"]) == (
        "20250601_resultats_3A.csv", 8, "Nom", "nul_character")
    assert problem["message"].startswith("Caractère nul (octet 0) dans la colonne « Nom »")
    assert pd.isna(problem["value"]) and "zier" not in problem["message"]
    assert "\x00" not in raw.quarantined_raw[8] and "Bé\ufffdzier" in raw.quarantined_raw[8]


def test_rows_with_another_separator_than_the_header_are_named():
    header, *lines = export_bytes(HEADER_CURRENT, three_students(HEADER_CURRENT) * 2).decode("utf-8-sig").splitlines()
    lines[1], lines[4] = lines[1].replace(";", ","), lines[4].replace(";", ",")

    raw = read_export("x.csv", "\n".join([header, *lines]).encode())

    assert raw.rows[ROW_NUMBER].tolist() == [2, 4, 5, 7]
    assert raw.problems["row"].tolist() == [3, 6]
    assert raw.problems["rule"].tolist() == ["mixed_delimiter"] * 2
    assert raw.problems["message"].iloc[0].startswith(
        "Ligne séparée par des virgules alors que l’en-tête l’est par des points-virgules")
    assert len(raw.rows) + len(raw.quarantined_raw) == 6


@pytest.mark.parametrize("second", ["Nom", "NOM", "Score en pix"], ids=["same", "other-case", "normalised"])
def test_a_doubled_header_column_sets_the_file_aside_and_names_it(second):
    first = "Score en Pix" if second == "Score en pix" else "Nom"
    header = HEADER_CURRENT + (second,)
    students = [values + ["autre"] for values in three_students(HEADER_CURRENT)]

    message = assert_refused_whole(read_export("x.csv", export_bytes(header, students)), "duplicate_columns")

    position = HEADER_CURRENT.index(first) + 1
    assert message.startswith(f"L’en-tête a des colonnes en double : « {first} » (colonnes {position} et 30)")


def test_a_quote_left_open_in_a_long_file_loses_its_line_only():
    students = [record(HEADER_CURRENT, number=str(100001 + i)) for i in range(1500)]  # ~200 kB
    content = export_bytes(HEADER_CURRENT, students, quoted=False)
    broken = content.replace(b"100001;", b'100001;"', 1)  # the quote swallows more than the csv field limit

    raw = read_export("x.csv", broken)

    assert raw.problems["row"].tolist() == [2]
    assert len(raw.rows) == 1499 and raw.rows[ROW_NUMBER].iloc[-1] == 1501
