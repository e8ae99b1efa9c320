"""Bytes of one Pix Orga certification export, as downloaded or as a spreadsheet re-saved it.

Returns a RawExport: the header version, every record's cells as text with its line number, and
the problems found while reading (a whole-file problem when it is no certification export).
"""
from __future__ import annotations

import csv
import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from functools import lru_cache
from typing import Literal

import numpy as np
import pandas as pd
from pandera.typing import DataFrame

from schemas.problems import ProblemFrame, concat_problems, file_problem, make_problems, no_problems
from transforms.clean_text import has_unwanted, remove_unwanted, removal_notice

Encoding = Literal["utf-8-sig", "utf-8", "cp1252", "latin-1", "utf-16", "utf-16-le", "utf-16-be"]
ExportFormat = Literal["pix-2018", "pix-nombre-de-pix", "pix-resultat", "pix-niveau-score", "pix-session"]

ROW_NUMBER = "row_number"
RAW_TEXT = "raw_text"
DELIMITERS = (";", ",", "\t")  # in order of preference on a tie: Pix writes ";"
DELIMITER_NAMES = {";": "point-virgule", ",": "virgule", "\t": "tabulation"}
DELIMITER_PLURALS = {";": "points-virgules", ",": "virgules", "\t": "tabulations"}

# Labels compared after normalise_label(). A certification export has all of REQUIRED_LABELS
# and one of SCORE_LABELS; the others tell the header versions apart (formats.md §1).
REQUIRED_LABELS = ("numero de certification", "prenom", "nom", "date de naissance")
SCORE_LABELS = ("nombre de pix", "score en pix", "resultat")
STATUS_LABEL = "statut"
RESULT_LABEL = "resultat"
NUMBER_OF_PIX_LABEL = "nombre de pix"
CENTRE_LABEL = "centre de certification"
PIX_PLUS_PREFIX = "certification "  # session export: "Certification CléA numérique", ...
# How the messages name the columns a certification export must have (never the file's own labels:
# a file that is no export may hold anything, /etc/passwd included, and its text must not be echoed).
REQUIRED_NAMES = {"numero de certification": "Numéro de certification", "prenom": "Prénom", "nom": "Nom",
                  "date de naissance": "Date de naissance"}
SCORE_NAMES = "« Score en Pix », « Nombre de Pix » ou « Résultat »"

# Limits on what is read at all. A class export is a few kB (35 records of ~250 bytes, 35 columns at
# most for the session export); without limits a 50 MB text file took 1.4 GB of memory and a 2 MB
# header of a million columns hundreds of MB. Files beyond them are refused before being decoded.
MAX_FILE_BYTES = 5 * 1024 * 1024  # a thousand times a class export
MAX_LINES = 50_000  # 5 MB of short lines would still be millions of records in memory
MAX_LINE_BYTES = 64 * 1024  # a record is ~250 bytes; room for a long jury comment
MAX_COLUMNS = 500  # the widest export has ~35 columns

# Leading bytes of the files that land in an inbox instead of a CSV.
BINARY_SIGNATURES: tuple[tuple[bytes, str], ...] = (
    (b"PK\x03\x04", "un classeur Excel (.xlsx, .ods) ou une archive zip"),
    (b"\xd0\xcf\x11\xe0", "un classeur Excel ancien format (.xls)"),
    (b"%PDF", "un document PDF"),
)
UTF8_BOM = b"\xef\xbb\xbf"
UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")  # Excel's "Texte Unicode" is UTF-16LE with a BOM, tab-separated
# Control bytes other than tab and line ends: text files have none or a stray one, binaries have many.
CONTROL_BYTES = bytes([*range(0, 9), 11, 12, *range(14, 32), 127])
BINARY_CONTROL_SHARE = 0.01  # share of control bytes over which a file is binary, not damaged text
MIN_BINARY_CONTROLS = 16  # and their count: a name typed with a few control characters does not make a binary
SNIFF_BYTES = 64 * 1024  # how much of the file the encoding and binary guesses look at
NUL = "\x00"
APOSTROPHES = str.maketrans({"’": "'", "‘": "'", "`": "'", "´": "'", "ʼ": "'"})


@dataclass(frozen=True)
class RawExport:
    """One export as read: cells as text, nothing interpreted yet.

    rows has one column per header label (cells stripped), plus row_number (the line where the
    record starts, header = 1) and raw_text. Records that could not become a row are in
    problems and their text in quarantined_raw (row_number -> text), so nothing is lost. Cells (and header
    labels) are without control and bidi characters (transforms.clean_text); notices say where some were.
    """

    name: str
    encoding: Encoding | None
    delimiter: str | None
    format: ExportFormat | None
    header: tuple[str, ...]
    rows: pd.DataFrame
    problems: DataFrame[ProblemFrame]
    quarantined_raw: dict[int, str] = field(default_factory=dict)
    notices: DataFrame[ProblemFrame] = field(default_factory=no_problems)  # cells cleaned; their rows load


@dataclass(frozen=True)
class _Record:
    line: int  # physical line where the record starts
    fields: tuple[str, ...]
    text: str


@lru_cache(maxsize=4096)  # the same few dozen labels head every file
def normalise_label(label: str) -> str:
    """A label or wording reduced for comparison: no accents, lower case, plain apostrophes, single spaces."""
    decomposed = unicodedata.normalize("NFKD", label.translate(APOSTROPHES))
    bare = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return " ".join(bare.lower().split())


def read_export(name: str, content: bytes) -> RawExport:
    """Reads one export; an unreadable file comes back with no rows and one file-level problem."""
    refusal = refuse_oversized(content)
    if refusal:
        return _unreadable(name, None, None, (), *refusal)
    if not content.removeprefix(UTF8_BOM).strip():
        return _unreadable(name, None, None, (), "empty",
                           "Le fichier est vide : téléchargez à nouveau l’export des résultats "
                           "depuis Pix Orga.")
    binary_kind = detect_binary(content)
    if binary_kind:
        return _unreadable(name, None, None, (), "binary", _binary_message(binary_kind))
    text, encoding = decode_content(content)
    lines = split_physical_lines(text)
    delimiter = detect_delimiter(lines)
    records = iter_records(lines, delimiter)
    first = next(records, None)
    if first is None:
        return _unreadable(name, encoding, delimiter, (), "empty",
                           "Le fichier ne contient que des lignes vides : téléchargez à nouveau "
                           "l’export des résultats depuis Pix Orga.")
    written = trim_trailing_empty(tuple(f.lstrip("\ufeff").strip() for f in first.fields))
    fields = tuple(remove_unwanted(label).strip() for label in written)
    label_notices = [removal_notice(name, first.line, label or f"colonne {position}")
                     for position, (label, was) in enumerate(zip(fields, written), start=1) if label != was]
    refusal = refuse_header(fields)
    if refusal:
        return _unreadable(name, encoding, delimiter, (), *refusal)
    header, export_format = fields, detect_format(fields)
    rest = list(records)
    if not rest:
        return _unreadable(name, encoding, delimiter, header, "no_rows",
                           "Le fichier ne contient que la ligne d’en-tête, aucun résultat : "
                           "le téléchargement a peut-être été interrompu, ou la classe n’a "
                           "aucun élève certifié.")
    raw = _read_records(name, encoding, delimiter, export_format, header, rest)
    return replace(raw, notices=concat_problems([make_problems(label_notices), raw.notices])) if label_notices else raw


def refuse_oversized(content: bytes) -> tuple[str, str] | None:
    """(rule, message) when the file is too large, too long or too wide to be a class export.

    Checked on the bytes, before anything is decoded or split, so that refusing costs no memory.
    """
    if len(content) > MAX_FILE_BYTES:
        return "too_large", (f"Le fichier fait {_megabytes(len(content))}, plus que les "
                             f"{_megabytes(MAX_FILE_BYTES)} acceptés : un export des résultats d’une classe "
                             "fait quelques Ko. Ce n’est pas un export des résultats Pix : fichier ignoré.")
    lines = max(content.count(b"\n"), content.count(b"\r"))  # LF, CRLF or old Mac CR ends
    if lines > MAX_LINES:
        return "too_many_lines", (f"Le fichier a {_number(lines)} lignes, plus que les {_number(MAX_LINES)} "
                                  "acceptées : un export des résultats d’une classe en a quelques dizaines. "
                                  "Ce n’est pas un export des résultats Pix : fichier ignoré.")
    return _refuse_long_line(content)


def _refuse_long_line(content: bytes) -> tuple[str, str] | None:
    for number, line in enumerate(content.splitlines(), start=1):
        if len(line) > MAX_LINE_BYTES:
            return "line_too_long", (f"La ligne {number} fait {_kilobytes(len(line))}, plus que les "
                                     f"{_kilobytes(MAX_LINE_BYTES)} acceptés : un export des résultats Pix "
                                     "a des lignes de quelques centaines d’octets. Fichier ignoré.")
    return None


def refuse_header(header: tuple[str, ...]) -> tuple[str, str] | None:
    """(rule, message) when the header cannot head a certification export: too wide, foreign, doubled labels."""
    if len(header) > MAX_COLUMNS:
        return "too_many_columns", (f"L’en-tête a {len(header)} colonnes, plus que les {MAX_COLUMNS} acceptées : "
                                    "ce n’est pas un export des résultats Pix. Fichier ignoré.")
    if detect_format(header) is None:
        return "not_certification_export", _foreign_header_message(header)
    duplicates = find_duplicate_labels(header)
    if duplicates:
        return "duplicate_columns", _duplicate_columns_message(duplicates)
    return None


def find_duplicate_labels(header: tuple[str, ...]) -> dict[str, list[int]]:
    """Label (as first spelled) -> its column numbers (from 1), for labels heading several columns."""
    positions: dict[str, list[int]] = {}
    spelled: dict[str, str] = {}
    for number, label in enumerate(header, start=1):
        key = normalise_label(label)
        if key:  # unlabelled columns are dropped later when empty, or kept as they are
            positions.setdefault(key, []).append(number)
            spelled.setdefault(key, label)
    return {spelled[key]: numbers for key, numbers in positions.items() if len(numbers) > 1}


def _read_records(name: str, encoding: Encoding, delimiter: str, export_format: ExportFormat,
                  header: tuple[str, ...], records: list[_Record]) -> RawExport:
    fitting, misfits = split_by_field_count(records, len(header), delimiter)
    fitting, damaged = split_by_nul(fitting)
    problems = make_problems([_field_count_problem(name, r, header, delimiter) for r in misfits]
                             + [_nul_problem(name, r, header) for r in damaged])
    header, rows = drop_empty_unlabelled(header, build_rows(header, fitting))
    # a cell is a piece of its record's text: one search over the text clears the usual file at once
    rows, notices = remove_unwanted_characters(name, header, rows) if has_unwanted(
        "\n".join(r.text for r in fitting)) else (rows, no_problems())
    quarantined = sorted(misfits + damaged, key=lambda r: r.line)
    return RawExport(name=name, encoding=encoding, delimiter=delimiter, format=export_format,
                     header=header, rows=rows, problems=problems, notices=notices,
                     # a NUL cannot be stored in a PostgreSQL text column; the archived copy keeps the bytes
                     quarantined_raw={r.line: r.text.replace(NUL, "\ufffd") for r in quarantined})


def remove_unwanted_characters(name: str, header: tuple[str, ...],
                               rows: pd.DataFrame) -> tuple[pd.DataFrame, DataFrame[ProblemFrame]]:
    """ROWS with their cells cleaned of control and bidi characters, and a notice per cell that held some.

    raw_text keeps them: it is the file's own text, kept for the rows set aside.
    """
    if not len(rows):
        return rows, no_problems()
    cleaned, notices = rows.copy(), []
    for position, label in enumerate(header):
        column = rows.iloc[:, position].tolist()
        dirty = [has_unwanted(cell) for cell in column]
        if any(dirty):
            cleaned.isetitem(position, [remove_unwanted(cell).strip() if d else cell for cell, d in zip(column, dirty)])
            notices += [removal_notice(name, int(row), label or f"colonne {position + 1}")
                        for row, d in zip(rows[ROW_NUMBER].tolist(), dirty) if d]
    return cleaned, make_problems(sorted(notices, key=lambda n: n["row"]))


def split_by_nul(records: list[_Record]) -> tuple[list[_Record], list[_Record]]:
    """Records without a NUL character, and those with one (a cell damaged by a copy or a disk)."""
    clean, damaged = [], []
    for record in records:
        (damaged if NUL in record.text else clean).append(record)
    return clean, damaged


def detect_binary(content: bytes) -> str | None:
    """What kind of non-text file this looks like, or None for text (UTF-16 included)."""
    for signature, kind in BINARY_SIGNATURES:
        if content.startswith(signature):
            return kind
    if detect_utf16(content):
        return None
    # A stray NUL is damage in one cell (the row is set aside), a stray ESC or backspace a character removed from
    # its cell; many control bytes make a binary. A short text file with a few of them is not one.
    sample = content[:SNIFF_BYTES]
    controls = len(sample) - len(sample.translate(None, CONTROL_BYTES))
    share = BINARY_CONTROL_SHARE * len(sample)
    return "un fichier binaire" if sample.count(0) > share or controls > max(share, MIN_BINARY_CONTROLS) else None


def detect_utf16(content: bytes) -> Encoding | None:
    """The UTF-16 codec of a file saved as "Texte Unicode", with or without BOM; None otherwise."""
    if content.startswith(UTF16_BOMS):
        return "utf-16"  # Python's codec reads the BOM for the byte order
    sample = content[:SNIFF_BYTES]
    even, odd = sample[0::2], sample[1::2]
    # Without BOM, mostly-ASCII UTF-16 has a NUL in every other byte, and almost none in the others.
    if odd and odd.count(0) > 0.9 * len(odd) and even.count(0) < 0.1 * len(even):
        return "utf-16-le"
    if even and even.count(0) > 0.9 * len(even) and odd.count(0) < 0.1 * len(odd):
        return "utf-16-be"
    return None


def decode_content(content: bytes) -> tuple[str, Encoding]:
    """The text and the encoding that read it: UTF-16, UTF-8 (BOM or not), else Windows-1252, else Latin-1."""
    utf16 = detect_utf16(content)
    if utf16:
        return content.decode(utf16, errors="replace"), utf16
    if content.startswith(UTF8_BOM):
        try:
            return content.decode("utf-8-sig"), "utf-8-sig"
        except UnicodeDecodeError:
            content = content[3:]
    try:
        return content.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        return content.decode("cp1252"), "cp1252"
    except UnicodeDecodeError:
        # cp1252 leaves five bytes undefined; Latin-1 reads anything.
        return content.decode("latin-1"), "latin-1"


def split_physical_lines(text: str) -> list[str]:
    """Lines with their ends kept, splitting on CRLF, LF or a lone CR (old Mac spreadsheets)."""
    return re.findall(r"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+$", text)


def detect_delimiter(lines: list[str]) -> str:
    """The separator most used, outside quotes, on the first non-blank line (the header)."""
    header = next((line for line in lines if line.strip()), "")
    unquoted = re.sub(r'"[^"]*"', "", header)
    counts = {d: unquoted.count(d) for d in DELIMITERS}
    best = max(DELIMITERS, key=lambda d: counts[d])
    return best if counts[best] else DELIMITERS[0]


def iter_records(lines: list[str], delimiter: str) -> Iterator[_Record]:
    """Non-blank records with the line they start on; a quoted cell may span several lines."""
    consumed: list[str] = []
    source = iter(lines)

    def feed() -> Iterator[str]:
        for line in source:
            consumed.append(line)
            yield line

    next_line = 1
    while True:
        reader = csv.reader(feed(), delimiter=delimiter, skipinitialspace=True, strict=False)
        try:
            for fields in reader:
                record = _Record(next_line, tuple(f.strip() for f in fields), "".join(consumed).rstrip("\r\n"))
                next_line += len(consumed)
                consumed.clear()
                if any(record.fields):
                    yield record
            return
        except csv.Error:
            # A quote never closed made one cell larger than the csv module accepts: the lines it
            # swallowed become one broken record, read again line by line, and reading goes on after.
            text = "".join(consumed).rstrip("\r\n")
            yield _Record(next_line, (text,), text)
            next_line += len(consumed)
            consumed.clear()


def trim_trailing_empty(fields: tuple[str, ...], keep: int = 0) -> tuple[str, ...]:
    """Fields without the empty ones a spreadsheet adds at the end, keeping at least `keep`."""
    end = len(fields)
    while end > keep and not fields[end - 1]:
        end -= 1
    return fields[:end]


def split_by_field_count(records: list[_Record], width: int,
                         delimiter: str) -> tuple[list[_Record], list[_Record]]:
    """Records with as many fields as the header, and the others (cut short, or a stray separator)."""
    fitting, misfits = [], []
    for record in _reread_broken_quotes(records, width, delimiter):
        fields = trim_trailing_empty(record.fields, keep=width)
        target = fitting if len(fields) == width else misfits
        target.append(_Record(record.line, fields, record.text))
    return fitting, misfits


def _reread_broken_quotes(records: list[_Record], width: int, delimiter: str) -> Iterator[_Record]:
    # A quote opened and never closed swallows the following lines into one record; read such
    # a record again line by line so that only the broken line is lost, not the rest of the file.
    for record in records:
        if "\n" not in record.text and "\r" not in record.text:
            yield record
            continue
        lines = split_physical_lines(record.text)
        if len(lines) == 1 or len(trim_trailing_empty(record.fields, keep=width)) == width:
            yield record
            continue
        for offset, line in enumerate(lines):
            fields = next(csv.reader([line.rstrip("\r\n")], delimiter=delimiter), [])
            if any(f.strip() for f in fields):
                yield _Record(record.line + offset, tuple(f.strip() for f in fields), line.rstrip("\r\n"))


def build_rows(header: tuple[str, ...], records: list[_Record]) -> pd.DataFrame:
    """One row per record: cells as text under the header labels, row_number and raw_text."""
    cells = np.empty((len(records), len(header) + 2), dtype=object)
    if records:
        cells[:, :len(header)] = [r.fields for r in records]
        cells[:, -1] = [r.text for r in records]
    frame = pd.DataFrame(cells, columns=[*header, ROW_NUMBER, RAW_TEXT], dtype=object, copy=False)
    frame[ROW_NUMBER] = np.fromiter((r.line for r in records), dtype="int64", count=len(records))
    return frame


def drop_empty_unlabelled(header: tuple[str, ...], rows: pd.DataFrame) -> tuple[tuple[str, ...], pd.DataFrame]:
    """Header and rows without the unlabelled columns that hold nothing."""
    keep = [i for i, label in enumerate(header) if label or rows.iloc[:, i].astype(bool).any()]
    if len(keep) == len(header):
        return header, rows
    extra = list(range(len(header), rows.shape[1]))
    return tuple(header[i] for i in keep), rows.iloc[:, keep + extra].copy()


def detect_format(header: tuple[str, ...]) -> ExportFormat | None:
    """The header version (formats.md §1), or None when this is no certification export."""
    labels = {normalise_label(label) for label in header}
    if not set(REQUIRED_LABELS) <= labels or not labels & set(SCORE_LABELS):
        return None
    if STATUS_LABEL not in labels:
        return "pix-2018"
    if CENTRE_LABEL in labels or any(label.startswith(PIX_PLUS_PREFIX) for label in labels):
        return "pix-session"
    if RESULT_LABEL in labels:
        return "pix-resultat"
    if NUMBER_OF_PIX_LABEL in labels:
        return "pix-nombre-de-pix"
    return "pix-niveau-score"


def _unreadable(name: str, encoding: Encoding | None, delimiter: str | None, header: tuple[str, ...],
                rule: str, message: str) -> RawExport:
    # format None is how callers tell a file quarantined whole, even when its header was fine
    empty_rows = build_rows(header, [])
    return RawExport(name=name, encoding=encoding, delimiter=delimiter, format=None,
                     header=header, rows=empty_rows,
                     problems=make_problems([file_problem(name, rule, message)]))


def _binary_message(kind: str) -> str:
    if "PDF" in kind:
        return (f"Ce fichier n’est pas un fichier CSV : c’est probablement {kind}. Téléchargez "
                "l’export des résultats (CSV) depuis Pix Orga > Certifications.")
    return (f"Ce fichier n’est pas un fichier CSV : c’est probablement {kind} enregistré sous un "
            "nom en .csv. Ouvrez-le dans le tableur (Excel, LibreOffice) puis « Enregistrer sous » "
            "au format CSV (séparateur point-virgule).")


def _foreign_header_message(header: tuple[str, ...]) -> str:
    # Names only the Pix columns missing and counts the file's: its own text is never quoted.
    labels = {normalise_label(label) for label in header}
    missing = [shown for label, shown in REQUIRED_NAMES.items() if label not in labels]
    lacks = [", ".join(f"« {shown} »" for shown in missing)] if missing else []
    if not labels & set(SCORE_LABELS):
        lacks.append(f"une colonne de score ({SCORE_NAMES})")
    width = sum(1 for label in header if label)
    return ("Ce fichier n’est pas un export des résultats de certification Pix (Pix Orga > "
            f"Certifications > Exporter les résultats) : il lui manque {' et '.join(lacks)} ; "
            f"il a {width} colonne{'s' if width > 1 else ''} nommée{'s' if width > 1 else ''}.")


def _duplicate_columns_message(duplicates: dict[str, list[int]]) -> str:
    listed = ", ".join(f"« {label} » (colonnes {', '.join(map(str, numbers[:-1]))} et {numbers[-1]})"
                       for label, numbers in duplicates.items())
    return (f"L’en-tête a des colonnes en double : {listed}. On ne peut pas savoir laquelle est la bonne : "
            "fichier ignoré. Supprimez la colonne en trop, ou téléchargez à nouveau l’export depuis Pix Orga.")


def _megabytes(size: int) -> str:
    return f"{size / 1024 / 1024:.1f} Mo".replace(".", ",").replace(",0 Mo", " Mo")


def _kilobytes(size: int) -> str:
    return f"{_number(size // 1024)} Ko"


def _number(count: int) -> str:
    return f"{count:,}".replace(",", "\u202f")  # French thousands separator: a narrow no-break space


def _field_count_problem(name: str, record: _Record, header: tuple[str, ...], delimiter: str) -> dict:
    width, found = len(header), len(record.fields)
    other = _other_delimiter(record, width, delimiter)
    if other:
        message = (f"Ligne séparée par des {DELIMITER_PLURALS[other]} alors que l’en-tête l’est par des "
                   f"{DELIMITER_PLURALS[delimiter]} (fichier assemblé à partir de plusieurs exports ?) : "
                   "ligne mise de côté.")
        rule = "mixed_delimiter"
    elif found < width:
        message, rule = f"Ligne incomplète : {found} colonnes au lieu de {width} (fichier coupé ?)", "field_count"
    else:
        separator = DELIMITER_NAMES.get(delimiter, "séparateur")
        message = (f"Ligne trop longue : {found} colonnes au lieu de {width} "
                   f"({separator} dans une cellule sans guillemets ?)")
        rule = "field_count"
    return {"stage": "read", "file": name, "row": record.line, "column": None,
            "rule": rule, "value": None, "message": message}


def _other_delimiter(record: _Record, width: int, delimiter: str) -> str | None:
    """The separator, other than the header's, that splits a short record into the header's columns."""
    if len(record.fields) >= width:
        return None
    for other in DELIMITERS:
        if other != delimiter:
            fields = next(csv.reader([record.text], delimiter=other, skipinitialspace=True), [])
            if len(trim_trailing_empty(tuple(f.strip() for f in fields), keep=width)) >= width:
                return other
    return None


def _nul_problem(name: str, record: _Record, header: tuple[str, ...]) -> dict:
    column = next((label for label, cell in zip(header, record.fields) if NUL in cell), None)
    # the cell may hold a name: it is neither quoted nor kept in value, only in quarantined_raw
    return {"stage": "read", "file": name, "row": record.line, "column": column, "rule": "nul_character",
            "value": None,
            "message": (f"Caractère nul (octet 0) dans la colonne « {column or 'sans nom'} » : la cellule a été abîmée "
                        "(copie ou disque défaillant ?). Ligne mise de côté ; corrigez-la ou téléchargez à "
                        "nouveau l’export depuis Pix Orga.")}
