"""Reads the names of an académie's establishments: a plain `uai;nom` file or the Annuaire de l'éducation export.

Takes the file's name and bytes; returns a SchoolDirectory: the names by UAI, the chefs d'établissement's names by
UAI when a column gives them, and the problems found reading it.
"""
from __future__ import annotations

import csv
import re
from dataclasses import dataclass, field

from schemas.problems import file_problem
from schemas.tables import Establishment, max_length
from transforms.clean_text import has_unwanted, remove_unwanted, removal_notice
from transforms.identifiers import is_uai, uai_key_is_valid
from transforms.read_csv import (UTF8_BOM, decode_content, detect_binary, normalise_label,
                                 split_physical_lines)

NAME_MAX_LENGTH = max_length(Establishment.name)
HEAD_MAX_LENGTH = max_length(Establishment.head)
VALUE_MAX_LENGTH = 200  # a problem keeps the start of a runaway cell, not megabytes of it
LABELS_SHOWN = 5  # how many columns of a foreign file the message names

# Header labels, compared after normalise_header(). The Annuaire de l'éducation
# (data.education.gouv.fr, dataset fr-en-annuaire-education) exports its CSV with its field labels
# as header: "Identifiant_de_l_etablissement", "Nom_etablissement", "Type_etablissement",
# "Statut_public_prive", "Adresse_1", "Code_postal", "Nom_commune", … and, asked for field ids
# instead, the same in lower case (identifiant_de_l_etablissement, nom_etablissement), as
# api.gouv.fr's page on the dataset and the public scripts that load it show. Its predecessor, the
# RAMSESE "adresse et géolocalisation des établissements" export, says numero_uai ("Numéro d'UAI")
# and appellation_officielle ("Appellation officielle"); other DEPP datasets say uai and
# nom_etablissement. People writing the file by hand say "UAI", "RNE", "Nom", "Établissement".
UAI_LABELS = frozenset({"identifiant de l etablissement", "uai", "code uai", "numero uai",
                        "numero d uai", "numero de l uai", "rne", "code rne", "numero rne"})
# In order of preference: the Annuaire also has "Nom_commune", never the school's bare "nom".
NAME_LABELS = ("nom etablissement", "nom de l etablissement", "appellation officielle", "nom",
               "etablissement", "nom uai", "libelle etablissement")
# The chef d'établissement's name: the Annuaire de l'éducation has no such field (it publishes no person's name), and
# neither has SIECLE; an administrator adds the column by hand. Read only under a header: in a headerless file a third
# column could be anything (the commune, the type).
HEAD_LABELS = frozenset({"chef etablissement", "chef d etablissement", "chef de l etablissement",
                         "nom chef etablissement", "nom du chef d etablissement", "nom du chef de l etablissement",
                         "chef", "principal", "principale", "proviseur", "proviseure", "directeur", "directrice"})
SEPARATORS = (";", "\t", ",")  # ";" first: a name may hold commas ("Lycée Jean Moulin, site de Vire")


@dataclass(frozen=True)
class SchoolDirectory:
    """Names of establishments by UAI, as one file gives them, and what was set aside reading it.

    names maps the UAI (upper case) to the name (spaces normalised); heads maps it to the chef d'établissement's
    name, for the UAIs whose row gives one under a header such as chef_etablissement. problems holds dicts with the
    keys of schemas.problems.PROBLEM_COLUMNS: one per row set aside, or one for a whole file that
    could not be used (then names is empty), and the notices of rows read all the same (stage « clean »:
    control or bidi characters removed; a second name for a UAI; a UAI whose key letter does not match its
    digits, rule uai_key; a chef d'établissement's name left out, which they never quote: it is a person's).
    """

    names: dict[str, str]
    problems: tuple[dict, ...] = ()
    heads: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class _Columns:
    """Where UAI and name are: positions, and labels as written (None in a file without a header)."""

    uai: int
    name: int
    uai_label: str | None
    name_label: str | None
    has_header: bool
    head: int | None = None  # the chef d'établissement's column, when the header names one
    head_label: str | None = None


@dataclass(frozen=True)
class _Line:
    number: int  # header = 1
    cells: tuple[str, ...] | None  # None when the line could not be split into cells


def read_schools(name: str, content: bytes) -> SchoolDirectory:
    """Names by UAI; rows with a bad UAI, no name or a second name become problems, a foreign file one problem."""
    unusable = check_content(content)
    if unusable:
        return SchoolDirectory({}, (file_problem(name, *unusable),))
    text, _ = decode_content(content)
    lines = split_lines(text)
    if not lines:
        return SchoolDirectory({}, (file_problem(name, "empty", _EMPTY_MESSAGE),))
    first = lines[0]
    columns = find_columns(first.cells or ())
    if columns is None:
        return SchoolDirectory({}, (file_problem(name, "unknown_columns", _foreign_message(first.cells or ())),))
    rows = lines[1:] if columns.has_header else lines
    if not rows:
        return SchoolDirectory({}, (file_problem(name, "no_rows", _NO_ROWS_MESSAGE),))
    return collect_names(name, rows, columns)


def given_head(head: str | None, one_establishment: bool) -> tuple[str | None, str | None]:
    """The chef d'établissement's name given by hand (ingest --school-head), spaces normalised (None when blank), and
    why it cannot be used (None when it can), for the caller's usage error: an académie's inbox, where each
    establishment has its own (a column of etablissements.csv), or a name the database cannot hold. The reason
    never quotes the name: a person's.
    """
    head = " ".join((head or "").split()) or None
    if head is not None and not one_establishment:
        return head, ("--school-head vaut pour un seul établissement, pas pour un dossier par UAI : donnez à "
                      "etablissements.csv une colonne chef_etablissement")
    if head is not None and len(head) > HEAD_MAX_LENGTH:
        return head, (f"Nom du chef d'établissement trop long ({len(head)} caractères, {HEAD_MAX_LENGTH} au plus) : "
                      "abrégez --school-head")
    return head, None


def check_content(content: bytes) -> tuple[str, str] | None:
    """(rule, message) when the bytes cannot be a list of schools at all: empty, or a binary file."""
    if not content.removeprefix(UTF8_BOM).strip():
        return "empty", _EMPTY_MESSAGE
    kind = detect_binary(content)
    if kind:
        return "binary", (f"Ce fichier n’est pas un fichier CSV : c’est probablement {kind}. "
                          "Enregistrez la liste des établissements au format CSV (séparateur "
                          "point-virgule), une ligne par établissement : UAI;nom.")
    return None


def split_lines(text: str) -> list[_Line]:
    """Non-blank lines with their number, cut into stripped cells on the separator the first line uses."""
    physical = [line.rstrip("\r\n") for line in split_physical_lines(text)]
    separator = detect_separator(physical)
    return [_Line(number, split_cells(line, separator))
            for number, line in enumerate(physical, start=1) if line.strip()]


def detect_separator(lines: list[str]) -> str:
    """";" when the first non-blank line has one outside quotes, else a tab, else a comma, else ";"."""
    first = next((line for line in lines if line.strip()), "")
    unquoted = re.sub(r'"[^"]*"', "", first)
    return next((s for s in SEPARATORS if s in unquoted), SEPARATORS[0])


def split_cells(line: str, separator: str) -> tuple[str, ...] | None:
    """The line's cells, stripped; None when the csv module refuses it (a cell past its size limit)."""
    # One line at a time, unlike the Pix exports: a school's name never spans lines, and a stray
    # quote then costs one row instead of swallowing the rest of the file.
    try:
        cells = next(csv.reader([line], delimiter=separator, skipinitialspace=True), [])
    except csv.Error:
        return None
    return tuple(cell.strip() for cell in cells)


def find_columns(first_cells: tuple[str, ...]) -> _Columns | None:
    """Where UAI and name are: by the header labels, or UAI then name when the first line is already a school."""
    cells = tuple(remove_unwanted(cell.lstrip("\ufeff")).strip() for cell in first_cells)
    if cells and is_uai(cells[0].upper()):
        return _Columns(uai=0, name=1, uai_label=None, name_label=None, has_header=False)
    labels = [normalise_header(cell) for cell in cells]
    uai = next((i for i, label in enumerate(labels) if label in UAI_LABELS), None)
    name = next((labels.index(wanted) for wanted in NAME_LABELS if wanted in labels), None)
    if uai is None or name is None:
        return None
    head = next((i for i, label in enumerate(labels) if label in HEAD_LABELS), None)
    return _Columns(uai=uai, name=name, uai_label=cells[uai], name_label=cells[name], has_header=True, head=head,
                    head_label=None if head is None else cells[head])


def normalise_header(label: str) -> str:
    """A header label reduced for comparison: no accents, lower case, underscores, apostrophes and dashes as spaces."""
    return " ".join(re.sub(r"[_'\-.]", " ", normalise_label(label)).split())


def collect_names(file: str, rows: list[_Line], columns: _Columns) -> SchoolDirectory:
    """Names (and heads) by UAI from the rows under the header; the first name and head given for a UAI are kept."""
    names: dict[str, str] = {}
    heads: dict[str, tuple[str, int]] = {}  # UAI -> (head, its line)
    first_line: dict[str, int] = {}
    problems: list[dict] = []
    for line in rows:
        line, notices = clean_line(file, line, columns)
        problems += notices
        school = read_school(file, line, columns)
        if isinstance(school, dict):
            problems.append(school)
            continue
        uai, school_name = school
        if uai not in names:
            names[uai], first_line[uai] = school_name, line.number
            if not uai_key_is_valid(uai):  # public tools only warn about the key (shared/formats.md): kept
                problems.append(_row_problem(file, line.number, columns.uai_label, "uai_key", uai,
                                             f"UAI à vérifier : {uai} (sa lettre clé ne correspond pas à ses "
                                             "chiffres) : ligne gardée."))
        elif normalise_label(names[uai]) != normalise_label(school_name):
            problems.append(_duplicate_problem(file, line.number, columns, uai,
                                               names[uai], first_line[uai], school_name))
            continue  # a line set aside gives no head either
        head = read_head(file, line, columns, uai)
        if isinstance(head, dict):
            problems.append(head)
        elif head and uai not in heads:
            heads[uai] = head, line.number
        elif head and normalise_label(heads[uai][0]) != normalise_label(head):
            problems.append(_row_problem(file, line.number, columns.head_label, "duplicate_head", uai,
                                         f"L’UAI {uai} a déjà un autre chef d’établissement ligne {heads[uai][1]} : "
                                         "le premier est gardé."))
    return SchoolDirectory(names, tuple(problems), {uai: head for uai, (head, _) in heads.items()})


def clean_line(file: str, line: _Line, columns: _Columns) -> tuple[_Line, list[dict]]:
    """The line with its UAI, name and head cells cleaned of control and bidi characters, and a notice for each
    (the line is read all the same)."""
    if line.cells is None or not any(has_unwanted(cell) for cell in line.cells):
        return line, []
    read = [(columns.uai, columns.uai_label), (columns.name, columns.name_label)]
    read += [(columns.head, columns.head_label)] if columns.head is not None else []
    notices = [removal_notice(file, line.number, label or f"colonne {index + 1}")
               for index, label in read if has_unwanted(_cell(line.cells, index))]
    return _Line(line.number, tuple(remove_unwanted(cell).strip() for cell in line.cells)), notices


def read_school(file: str, line: _Line, columns: _Columns) -> tuple[str, str] | dict:
    """(UAI upper-cased, name with spaces normalised) of one row, or the problem that sets it aside."""
    if line.cells is None:
        return _row_problem(file, line.number, None, "unreadable_line", None,
                            "Ligne illisible (une cellule démesurée) : ligne ignorée.")
    written = _cell(line.cells, columns.uai)
    uai = written.upper()
    school_name = " ".join(_cell(line.cells, columns.name).split())
    if not is_uai(uai):
        message = ("UAI manquant : ligne ignorée." if not written else
                   f"UAI invalide « {_shorten(written)} » (7 chiffres et une lettre, ex. 0750680G) : "
                   "ligne ignorée.")
        return _row_problem(file, line.number, columns.uai_label, "invalid_uai",
                            _shorten(written) or None, message)
    if not school_name:
        return _row_problem(file, line.number, columns.name_label, "empty_name", uai,
                            f"Nom d’établissement manquant pour l’UAI {uai} : ligne ignorée.")
    if len(school_name) > NAME_MAX_LENGTH:
        return _row_problem(file, line.number, columns.name_label, "name_too_long", _shorten(school_name),
                            f"Nom d’établissement trop long pour l’UAI {uai} ({len(school_name)} "
                            f"caractères, {NAME_MAX_LENGTH} au plus) : ligne ignorée.")
    return uai, school_name


def read_head(file: str, line: _Line, columns: _Columns, uai: str) -> str | None | dict:
    """The chef d'établissement's name of a row kept (spaces normalised), None when the file or the row has none, or
    the notice that leaves it out (the row's school keeps its name). Never quotes it: a person's name, logged."""
    if columns.head is None:
        return None
    head = " ".join(_cell(line.cells, columns.head).split())
    if len(head) > HEAD_MAX_LENGTH:
        return _row_problem(file, line.number, columns.head_label, "head_too_long", None,
                            f"Nom du chef d’établissement trop long pour l’UAI {uai} ({len(head)} caractères, "
                            f"{HEAD_MAX_LENGTH} au plus) : non repris, l’établissement garde son nom.")
    return head or None


def _cell(cells: tuple[str, ...], index: int) -> str:
    # a short row (a name never typed, a line cut off) reads as empty cells, reported as such
    return cells[index] if index < len(cells) else ""


def _shorten(value: str) -> str:
    return value if len(value) <= VALUE_MAX_LENGTH else value[:VALUE_MAX_LENGTH] + "…"


def _row_problem(file: str, row: int, column: str | None, rule: str, value: str | None,
                 message: str) -> dict:
    return {"stage": "read", "file": file, "row": row, "column": column, "rule": rule,
            "value": value, "message": message}


def _duplicate_problem(file: str, row: int, columns: _Columns, uai: str, kept: str, kept_row: int,
                       other: str) -> dict:
    return _row_problem(file, row, columns.uai_label, "duplicate_uai", uai,
                        f"L’UAI {uai} figure déjà ligne {kept_row} sous un autre nom "
                        f"(« {_shorten(kept)} » ; ici « {_shorten(other)} ») : le premier nom est gardé.")


_EMPTY_MESSAGE = ("Le fichier des établissements est vide : il doit donner une ligne par "
                  "établissement, UAI;nom (ou être l’export de l’Annuaire de l’éducation).")
_NO_ROWS_MESSAGE = ("Le fichier des établissements ne contient que la ligne d’en-tête, aucun "
                    "établissement.")


def _foreign_message(cells: tuple[str, ...]) -> str:
    shown = ", ".join(f"« {_shorten(cell)[:40]} »" for cell in cells[:LABELS_SHOWN] if cell)
    more = ", …" if len(cells) > LABELS_SHOWN else ""
    found = f" Colonnes trouvées : {shown}{more}." if shown else ""
    return ("Ce fichier n’est pas une liste d’établissements : il faut une colonne UAI et une "
            "colonne nom (UAI;nom, avec ou sans ligne d’en-tête), ou l’export de l’Annuaire de "
            f"l’éducation (colonnes Identifiant_de_l_etablissement et Nom_etablissement).{found}")
