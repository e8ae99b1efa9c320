"""Bytes of one Pix Orga certification export, as downloaded or as a spreadsheet re-saved it.

Returns a RawExport: the header version, every record's cells as text with its line number, and
the problems found while reading (a whole-file problem when it is no certification export).
"""
from __future__ import annotations

import csv
import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Literal

import numpy as np
import pandas as pd
from pandera.typing import DataFrame

from schemas.problems import ProblemFrame, file_problem, make_problems

Encoding = Literal["utf-8-sig", "utf-8", "cp1252", "latin-1"]
ExportFormat = Literal["pix-2018", "pix-nombre-de-pix", "pix-resultat", "pix-niveau-score", "pix-session"]

ROW_NUMBER = "row_number"
RAW_TEXT = "raw_text"
DELIMITERS = (";", ",", "\t")  # in order of preference on a tie: Pix writes ";"
DELIMITER_NAMES = {";": "point-virgule", ",": "virgule", "\t": "tabulation"}

# Labels compared after normalise_label(). A certification export has all of REQUIRED_LABELS
# and one of SCORE_LABELS; the others tell the header versions apart (formats.md §1).
REQUIRED_LABELS = ("numero de certification", "prenom", "nom", "date de naissance")
SCORE_LABELS = ("nombre de pix", "score en pix", "resultat")
STATUS_LABEL = "statut"
RESULT_LABEL = "resultat"
NUMBER_OF_PIX_LABEL = "nombre de pix"
CENTRE_LABEL = "centre de certification"
PIX_PLUS_PREFIX = "certification "  # session export: "Certification CléA numérique", ...
LABELS_SHOWN = 5  # how many columns of a foreign file the message names

# Leading bytes of the files that land in an inbox instead of a CSV.
BINARY_SIGNATURES: tuple[tuple[bytes, str], ...] = (
    (b"PK\x03\x04", "un classeur Excel (.xlsx, .ods) ou une archive zip"),
    (b"\xd0\xcf\x11\xe0", "un classeur Excel ancien format (.xls)"),
    (b"%PDF", "un document PDF"),
)
UTF8_BOM = b"\xef\xbb\xbf"
APOSTROPHES = str.maketrans({"’": "'", "‘": "'", "`": "'", "´": "'", "ʼ": "'"})


@dataclass(frozen=True)
class RawExport:
    """One export as read: cells as text, nothing interpreted yet.

    rows has one column per header label (cells stripped), plus row_number (the line where the
    record starts, header = 1) and raw_text. Records that could not become a row are in
    problems and their text in quarantined_raw (row_number -> text), so nothing is lost.
    """

    name: str
    encoding: Encoding | None
    delimiter: str | None
    format: ExportFormat | None
    header: tuple[str, ...]
    rows: pd.DataFrame
    problems: DataFrame[ProblemFrame]
    quarantined_raw: dict[int, str] = field(default_factory=dict)


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
    records = list(iter_records(lines, delimiter))
    if not records:
        return _unreadable(name, encoding, delimiter, (), "empty",
                           "Le fichier ne contient que des lignes vides : téléchargez à nouveau "
                           "l’export des résultats depuis Pix Orga.")
    header = trim_trailing_empty(tuple(f.lstrip("\ufeff").strip() for f in records[0].fields))
    export_format = detect_format(header)
    if export_format is None:
        return _unreadable(name, encoding, delimiter, header, "not_certification_export",
                           _foreign_header_message(header))
    if len(records) == 1:
        return _unreadable(name, encoding, delimiter, header, "no_rows",
                           "Le fichier ne contient que la ligne d’en-tête, aucun résultat : "
                           "le téléchargement a peut-être été interrompu, ou la classe n’a "
                           "aucun élève certifié.")
    return _read_records(name, encoding, delimiter, export_format, header, records[1:])


def _read_records(name: str, encoding: Encoding, delimiter: str, export_format: ExportFormat,
                  header: tuple[str, ...], records: list[_Record]) -> RawExport:
    fitting, misfits = split_by_field_count(records, len(header), delimiter)
    problems = make_problems([_field_count_problem(name, r, len(header), delimiter) for r in misfits])
    header, rows = drop_empty_unlabelled(header, build_rows(header, fitting))
    return RawExport(name=name, encoding=encoding, delimiter=delimiter, format=export_format,
                     header=header, rows=rows, problems=problems,
                     quarantined_raw={r.line: r.text for r in misfits})


def detect_binary(content: bytes) -> str | None:
    """What kind of non-text file this looks like, or None for text."""
    for signature, kind in BINARY_SIGNATURES:
        if content.startswith(signature):
            return kind
    # A NUL byte never occurs in a text CSV in the encodings Pix and spreadsheets write.
    return "un fichier binaire" if b"\x00" in content else None


def decode_content(content: bytes) -> tuple[str, Encoding]:
    """The text and the encoding that read it: UTF-8 (BOM or not), else Windows-1252, else Latin-1."""
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

    def feed() -> Iterator[str]:
        for line in lines:
            consumed.append(line)
            yield line

    reader = csv.reader(feed(), delimiter=delimiter, skipinitialspace=True, strict=False)
    next_line = 1
    for fields in reader:
        record = _Record(next_line, tuple(f.strip() for f in fields), "".join(consumed).rstrip("\r\n"))
        consumed.clear()
        next_line = reader.line_num + 1
        if any(record.fields):
            yield record


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
    shown = ", ".join(f"« {label} »" for label in header[:LABELS_SHOWN] if label)
    more = ", …" if len(header) > LABELS_SHOWN else ""
    return ("Ce fichier n’est pas un export des résultats de certification Pix (Pix Orga > "
            f"Certifications > Exporter les résultats). Colonnes trouvées : {shown}{more}.")


def _field_count_problem(name: str, record: _Record, width: int, delimiter: str) -> dict:
    found = len(record.fields)
    if found < width:
        message = f"Ligne incomplète : {found} colonnes au lieu de {width} (fichier coupé ?)"
    else:
        separator = DELIMITER_NAMES.get(delimiter, "séparateur")
        message = (f"Ligne trop longue : {found} colonnes au lieu de {width} "
                   f"({separator} dans une cellule sans guillemets ?)")
    return {"stage": "read", "file": name, "row": record.line, "column": None,
            "rule": "field_count", "value": None, "message": message}
