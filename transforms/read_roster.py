"""Reads the establishment's student list: SIECLE ElevesSansAdresses.xml (BEE_ELEVES) or a plain CSV.

Takes the file's bytes and name; returns a Roster: UAI, school year, a RosterFrame and read problems.
"""
from __future__ import annotations

import csv
import datetime as dt
import io
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace
from functools import cache

import pandas as pd
import pandera.pandas as pa
from lxml import etree
from pandera.typing import DataFrame

from schemas.problems import ProblemFrame, file_problem, make_problems
from schemas.roster import TEXT_LENGTHS, RosterFrame
from transforms.clean_text import has_unwanted, remove_unwanted, removal_notice
from transforms.identifiers import (clean_identifier, is_ine, is_uai, parse_eleve_id,
                                    uai_key_is_valid)

SIECLE_FILE_NAME = "ElevesSansAdresses.xml"
CLEANED_FIELDS = "_cleaned"  # in a raw student: the fields whose text held control or bidi characters
ROSTER_COLUMNS = tuple(RosterFrame.to_schema().columns)
UTF8_BOM = b"\xef\xbb\xbf"
SEXES = frozenset({"1", "2"})
DIVISION_TYPE = "D"  # TYPE_STRUCTURE of a class; G structures are groups (options, half classes)

# SIECLE element names per roster field; the older exports said NOM where newer ones say NOM_DE_FAMILLE.
XML_FIELDS = {
    "ine": ("ID_NATIONAL",), "last_name": ("NOM_DE_FAMILLE", "NOM"), "usage_name": ("NOM_USAGE",),
    "first_name": ("PRENOM",), "first_name_2": ("PRENOM2",), "first_name_3": ("PRENOM3",),
    "birth_date": ("DATE_NAISS",), "sex": ("CODE_SEXE",), "left_on": ("DATE_SORTIE",), "mef": ("CODE_MEF",),
}
# Accepted CSV headers per roster field (upper-cased); the first one is the documented name.
CSV_HEADERS = {
    "eleve_id": ("ELEVE_ID", "ID_ELEVE"), "ine": ("INE", "ID_NATIONAL"),
    "last_name": ("NOM", "NOM_DE_FAMILLE"), "usage_name": ("NOM_USAGE",), "first_name": ("PRENOM",),
    "first_name_2": ("PRENOM2",), "first_name_3": ("PRENOM3",),
    "birth_date": ("DATE_NAISS", "DATE_NAISSANCE"), "division": ("DIVISION", "CODE_STRUCTURE", "CLASSE"),
    "sex": ("SEXE", "CODE_SEXE"), "left_on": ("DATE_SORTIE",), "mef": ("CODE_MEF", "MEF"),
}
CSV_REQUIRED = ("eleve_id", "last_name", "first_name", "birth_date")

MEF = re.compile(r"[0-9]{10}[0-9A-Z]")  # CODE_MEF: the BCN's 11-character code of a level and course
FRENCH_DATE = re.compile(r"(\d{1,2})/(\d{1,2})/(\d{4})")
ISO_DATE = re.compile(r"(\d{4})-(\d{2})-(\d{2})(?:[T ][0-9:.]*)?")


@dataclass(frozen=True, eq=False)
class Roster:
    """The student list of one establishment, as one file gives it."""

    uai: str | None
    school_year: int | None  # first year of the school year: 2025 for 2025-2026
    students: DataFrame[RosterFrame]  # not yet validated by RosterFrame when VALIDATED is False (validate_rosters)
    problems: DataFrame[ProblemFrame]
    validated: bool = True


@dataclass(frozen=True)
class Where:
    """Where a student sits in its file, to word and place its problems."""

    file: str
    row: int | None  # line in a CSV; None in XML, where the label says which student
    label: str
    columns: dict[str, str]  # roster field -> column or element name as in the file


def read_roster(content: bytes, name: str, *, validate: bool = True) -> Roster:
    """The roster of a SIECLE XML or a plain CSV, told apart by the content, not the file name.

    VALIDATE False leaves RosterFrame's validation to validate_rosters, which validates many rosters at once.
    """
    roster = read_siecle_roster(content, name) if looks_like_xml(content) else read_csv_roster(content, name)
    return validate_rosters([roster])[0] if validate else roster


def validate_rosters(rosters: Sequence[Roster]) -> list[Roster]:
    """ROSTERS with their students validated by RosterFrame, in one call for all of them: pandera's cost is mostly
    per call (~8 ms for a roster of 900 students, ~20 ms for seven together).

    The batch schema is RosterFrame's, its ELEVE_ID uniqueness read within each roster. Should the batch fail
    (the checks of check_students let no such row through), each roster is validated alone, raising as it would.
    """
    pending = [i for i, roster in enumerate(rosters) if not roster.validated]
    frames: list[pd.DataFrame] = [roster.students for roster in rosters]
    if len(pending) == 1:
        frames[pending[0]] = RosterFrame.validate(frames[pending[0]])
    elif pending:
        batch = pd.concat([frames[i].assign(**{ROSTER_KEY: i}) for i in pending], ignore_index=True)
        try:
            checked = _batch_schema().validate(batch)
        except pa.errors.SchemaError:
            checked = pd.concat([RosterFrame.validate(frames[i]).assign(**{ROSTER_KEY: i}) for i in pending])
        parts = dict(iter(checked.groupby(ROSTER_KEY, sort=False)))
        for i in pending:  # a roster without a student has no part: validated alone
            frames[i] = parts[i].drop(columns=ROSTER_KEY).reset_index(drop=True) if i in parts \
                else RosterFrame.validate(frames[i])
    return [replace(roster, students=frame, validated=True) for roster, frame in zip(rosters, frames)]


ROSTER_KEY = "roster_in_batch"


@cache
def _batch_schema() -> pa.DataFrameSchema:
    schema = RosterFrame.to_schema().update_column("eleve_id", unique=False)
    schema = schema.add_columns({ROSTER_KEY: pa.Column(int)})
    schema.unique = [ROSTER_KEY, "eleve_id"]
    return schema


def looks_like_xml(content: bytes) -> bool:
    """Whether the file opens as markup: a declaration, a DOCTYPE, a comment or an element.

    No CSV roster starts with "<"; an XML file read as CSV would be misreported as missing columns.
    """
    head = content[:1024].lstrip().removeprefix(UTF8_BOM).lstrip()
    return head.startswith(b"<")


# --- SIECLE XML -------------------------------------------------------------------------------

def read_siecle_roster(content: bytes, name: str = SIECLE_FILE_NAME) -> Roster:
    """Students of BEE_ELEVES with their division (D structure); unusable students become problems.

    Students who left (DATE_SORTIE) are kept: they may have certified before leaving.
    """
    try:
        root = parse_xml(content)
    except etree.XMLSyntaxError as error:
        # libxml2's own message may quote bytes of a name: only the line is reported
        # (an entity bomb ends here too: libxml2 stops at its amplification limit)
        return unreadable_roster(name, "unreadable_xml",
                                 f"Fichier XML illisible (erreur ligne {error.lineno}) : liste d'élèves ignorée")
    if declares_entities(root):
        return unreadable_roster(name, "unreadable_xml",
                                 "Fichier XML illisible : il déclare des entités (DOCTYPE), ce que SIECLE ne fait "
                                 "jamais : liste d'élèves ignorée")
    if root.tag != "BEE_ELEVES":
        # its root element is the file's own text: not quoted (a file that is no roster is never echoed)
        return unreadable_roster(name, "not_siecle_roster",
                                 "Le fichier n'est pas un export SIECLE (l'élément racine n'est pas BEE_ELEVES) : "
                                 "liste d'élèves ignorée")
    uai, uai_problems = read_uai(root.findtext("PARAMETRES/UAJ"), name)
    school_year, year_problems = read_school_year(root.findtext("PARAMETRES/ANNEE_SCOLAIRE"), name)
    divisions = read_divisions(root)
    dirty = holds_unwanted(root)
    raw_students = [raw_student_of(element, divisions, dirty) for element in root.iterfind("DONNEES/ELEVES/ELEVE")]
    wheres = [where_in_xml(name, position, raw) for position, raw in enumerate(raw_students, start=1)]
    students, student_problems = check_students(raw_students, wheres)
    problems = make_problems(uai_problems + year_problems + student_problems)
    return Roster(uai, school_year, students, problems, validated=False)


def parse_xml(content: bytes) -> etree._Element:
    """The document's root, honouring the declared encoding; tolerant of a UTF-8 BOM and leading blanks."""
    content = content.lstrip()
    # A BOM means the file was re-saved as UTF-8, whatever its declaration still says.
    encoding = "utf-8" if content.startswith(UTF8_BOM) else None
    content = content.removeprefix(UTF8_BOM).lstrip()
    try:
        return etree.fromstring(content, make_parser(encoding))
    except etree.XMLSyntaxError:
        if encoding is not None or is_utf8(content):
            raise
        # SIECLE writes ISO-8859-15; a copy that lost its declaration still is.
        return etree.fromstring(content, make_parser("iso-8859-15"))


def declares_entities(root: etree._Element) -> bool:
    """Whether the document declares entities: unresolved, they would leave SIECLE fields silently empty."""
    dtd = root.getroottree().docinfo.internalDTD
    return dtd is not None and any(True for _ in dtd.iterentities())


def make_parser(encoding: str | None) -> etree.XMLParser:
    return etree.XMLParser(encoding=encoding, resolve_entities=False, no_network=True, remove_comments=True)


def is_utf8(content: bytes) -> bool:
    try:
        content.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def read_uai(text: str | None, file: str) -> tuple[str | None, list[dict]]:
    """The UAI upper-cased; a malformed one becomes None, a wrong key letter only a warning."""
    uai = clean_identifier(text)
    if uai is None:
        return None, [file_problem(file, "missing_uai", "UAI de l'établissement (UAJ) absent du fichier SIECLE")]
    if not is_uai(uai):
        problem = file_problem(file, "uai_format",
                               "UAI de l'établissement mal formé (7 chiffres et une lettre attendus) : UAI ignoré")
        return None, [problem | {"column": "UAJ", "value": uai}]
    if not uai_key_is_valid(uai):
        problem = file_problem(file, "uai_key",
                               "La lettre clé de l'UAI ne correspond pas à ses chiffres : UAI gardé, à vérifier")
        return uai, [problem | {"column": "UAJ", "value": uai}]
    return uai, []


def read_school_year(text: str | None, file: str) -> tuple[int | None, list[dict]]:
    """ANNEE_SCOLAIRE as the first year (2025 for 2025-2026); a malformed one is a problem and None."""
    cleaned = (text or "").strip()
    if not cleaned:
        return None, []
    if re.fullmatch(r"\d{4}", cleaned):
        return int(cleaned), []
    problem = file_problem(file, "invalid_school_year", "Année scolaire (ANNEE_SCOLAIRE) illisible : ignorée")
    return None, [problem | {"column": "ANNEE_SCOLAIRE", "value": cleaned}]


def read_divisions(root: etree._Element) -> dict[int, str]:
    """ELEVE_ID -> CODE_STRUCTURE of the student's division, as written; groups (G) are left out."""
    divisions: dict[int, str] = {}
    for structures in root.iterfind("DONNEES/STRUCTURES/STRUCTURES_ELEVE"):
        eleve_id = parse_eleve_id(structures.get("ELEVE_ID"))
        if eleve_id is None:
            continue
        for structure in structures.iterfind("STRUCTURE"):
            texts = child_texts(structure)
            code = texts.get("CODE_STRUCTURE")
            if clean_text(code) is not None and clean_text(texts.get("TYPE_STRUCTURE")) == DIVISION_TYPE:
                divisions.setdefault(eleve_id, code)  # as written: the student's notice says what was cleaned
    return divisions


XML_COLUMNS = {field: tags[0] for field, tags in XML_FIELDS.items()} | {
    "eleve_id": "ELEVE_ID", "division": "CODE_STRUCTURE", "other_first_names": "PRENOM2"}


def child_texts(element: etree._Element) -> dict[str, str | None]:
    """Tag -> text of ELEMENT's children, the first of a tag winning: one pass instead of a findtext per field."""
    texts: dict[str, str | None] = {}
    for child in element:
        if isinstance(child.tag, str):  # comments and processing instructions have no string tag
            texts.setdefault(child.tag, child.text)
    return texts


def holds_unwanted(root: etree._Element) -> bool:
    """Whether any text of the document, or a student's ELEVE_ID attribute (the one attribute read), holds an
    UNWANTED character (a character reference included: the parser has resolved it); looked for once, in ~1 ms
    (the student-by-student search costs ~9 ms a roster of 900), which only the rare file that holds one pays."""
    return has_unwanted(etree.tostring(root, method="text", encoding="unicode")) \
        or has_unwanted(" ".join(STUDENT_IDS(root)))


STUDENT_IDS = etree.XPath("DONNEES/ELEVES/ELEVE/@ELEVE_ID")


def raw_student_of(element: etree._Element, divisions: dict[int, str], dirty_file: bool = True,
                   ) -> dict[str, str | None]:
    """The texts of one ELEVE, by roster field, before any check; DIRTY_FILE False when the file holds no UNWANTED
    character (holds_unwanted): its texts then only have their blanks collapsed."""
    texts = child_texts(element)
    tidy = clean_text if dirty_file else collapse_blanks
    raw_id = element.get("ELEVE_ID") or texts.get("ELEVE_ID")
    raw = {"eleve_id": tidy(raw_id)}
    read = {"eleve_id": raw_id}  # field -> the text it was read from, as the file has it
    for field, tags in XML_FIELDS.items():
        raw[field] = None
        for tag in tags:  # the first spelling with a text wins
            if text := tidy(texts.get(tag)):
                raw[field], read[field] = text, texts[tag]
                break
    eleve_id = parse_eleve_id(raw["eleve_id"])
    read["division"] = divisions.get(eleve_id) if eleve_id is not None else None
    raw["division"] = tidy(read["division"])
    raw[CLEANED_FIELDS] = tuple(field for field, text in read.items() if text and has_unwanted(text)) \
        if dirty_file else ()
    return raw


def where_in_xml(file: str, position: int, raw: dict[str, str | None]) -> Where:
    label = f"Élève n° {position} du fichier (ELEVE_ID {raw['eleve_id'] or 'absent'})"
    return Where(file, None, label, XML_COLUMNS)


# --- plain CSV --------------------------------------------------------------------------------

def read_csv_roster(content: bytes, name: str) -> Roster:
    """Students of a CSV ELEVE_ID;INE;NOM;PRENOM;DATE_NAISS;DIVISION;SEXE; bad rows become problems.

    Accepts UTF-8 with or without BOM or Windows-1252, `;` or `,`, dates DD/MM/YYYY or ISO.
    """
    text = decode_text(content)
    if not text.strip():
        return unreadable_roster(name, "empty_file", "Fichier vide : liste d'élèves ignorée")
    lines = list(read_csv_lines(text))
    if not lines:
        return unreadable_roster(name, "empty_file", "Fichier sans aucune ligne remplie : liste d'élèves ignorée")
    _, header = lines[0]
    columns = map_csv_header(header)
    missing = [CSV_HEADERS[field][0] for field in CSV_REQUIRED if field not in columns]
    if missing:
        return unreadable_roster(name, "missing_columns",
                                 f"Colonnes absentes de la liste d'élèves : {', '.join(missing)} : liste ignorée")
    raw_students = [raw_student_of_row(cells, columns) for _, cells in lines[1:]]
    header_names = {field: header[index].strip() for field, index in columns.items()}
    if "first_name_2" in header_names:  # the joined other first names are reported under their first column
        header_names["other_first_names"] = header_names["first_name_2"]
    wheres = [Where(name, line, f"Ligne {line}", header_names) for line, _ in lines[1:]]
    students, problems = check_students(raw_students, wheres)
    return Roster(None, None, students, make_problems(problems), validated=False)


def decode_text(content: bytes) -> str:
    """UTF-8 (the BOM dropped) when it decodes, else Windows-1252, the spreadsheet default."""
    try:
        return content.decode("utf-8-sig")
    except UnicodeDecodeError:
        return content.decode("cp1252", errors="replace")


def read_csv_lines(text: str) -> Iterator[tuple[int, list[str]]]:
    """(line number, cells) of each non-blank line; the header is line 1 of the file."""
    first_line = next(line for line in text.splitlines() if line.strip())
    delimiter = ";" if first_line.count(";") >= first_line.count(",") else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    for cells in reader:
        if any(cell.strip() for cell in cells):
            yield reader.line_num, cells


def map_csv_header(header: list[str]) -> dict[str, int]:
    """Roster field -> index of its column, for the headers this reader knows."""
    found = {cell.strip().upper(): index for index, cell in reversed(list(enumerate(header)))}
    columns = {}
    for field, names in CSV_HEADERS.items():
        index = next((found[name] for name in names if name in found), None)
        if index is not None:
            columns[field] = index
    return columns


def raw_student_of_row(cells: list[str], columns: dict[str, int]) -> dict[str, str | None]:
    texts = {field: cells[index] if index < len(cells) else None for field, index in columns.items()}
    raw = {field: clean_text(text) for field, text in texts.items()}
    return {**{field: raw.get(field) for field in ("eleve_id", *XML_FIELDS, "division")},
            CLEANED_FIELDS: tuple(field for field, text in texts.items() if text and has_unwanted(text))}


# --- checks shared by both formats ------------------------------------------------------------

def check_students(raw_students: list[dict], wheres: list[Where]) -> tuple[pd.DataFrame, list[dict]]:
    """The valid students in RosterFrame's columns (to validate); rejected ones and doubtful values as problems."""
    records, problems, seen = [], [], set()
    for raw, where in zip(raw_students, wheres, strict=True):
        record, student_problems = check_student(raw, where)
        student_problems += [cleaned_notice(where, field) for field in raw.get(CLEANED_FIELDS, ())]
        if record is not None and record["eleve_id"] in seen:
            student_problems.append(problem_at(where, "eleve_id", "duplicate_eleve_id",
                                               "ELEVE_ID déjà présent plus haut dans le fichier : élève ignoré",
                                               value=raw["eleve_id"]))
            record = None
        if record is not None:
            seen.add(record["eleve_id"])
            records.append(record)
        problems.extend(student_problems)
    return build_students(records), problems


def check_student(raw: dict[str, str | None], where: Where) -> tuple[dict | None, list[dict]]:
    """One roster record, or None when the student cannot be identified; problems either way."""
    eleve_id = parse_eleve_id(raw["eleve_id"])
    birth_date = parse_date(raw["birth_date"])
    rejections = []
    if eleve_id is None:
        rejections.append(problem_at(where, "eleve_id", "missing_eleve_id",
                                     "Identifiant ELEVE_ID absent ou invalide : élève ignoré", value=raw["eleve_id"]))
    if raw["last_name"] is None or raw["first_name"] is None:
        column = "last_name" if raw["last_name"] is None else "first_name"
        rejections.append(problem_at(where, column, "missing_name", "Nom ou prénom absent : élève ignoré"))
    if birth_date is None:
        rejections.append(problem_at(where, "birth_date", "invalid_birth_date",
                                     "Date de naissance absente ou invalide : élève ignoré"))
    rejections += [problem_at(where, field, "too_long", f"{TOO_LONG[field]} ({TEXT_LENGTHS[field]} caractères au plus) "
                              ": élève ignoré") for field in ("last_name", "first_name") if too_long(raw, field)]
    ine, ine_problems = check_ine(raw["ine"], where)
    sex, sex_problems = check_sex(raw["sex"], where)
    left_on, left_problems = check_left_on(raw["left_on"], where)
    mef, mef_problems = check_mef(raw["mef"], where)
    optional = {"usage_name": usage_name_of(raw["usage_name"], raw["last_name"]),
                "other_first_names": join_texts(raw["first_name_2"], raw["first_name_3"]), "division": raw["division"]}
    # a runaway optional value is dropped, the student kept: the names and birth date still identify them
    dropped = [field for field in optional if too_long(optional, field)]
    warnings = ine_problems + sex_problems + left_problems + mef_problems + [
        problem_at(where, field, "too_long", f"{TOO_LONG[field]} ({TEXT_LENGTHS[field]} caractères au plus) : "
                   "élève gardé sans cette valeur") for field in dropped]
    if rejections:
        return None, rejections + warnings
    record = {
        "eleve_id": eleve_id, "ine": ine, "last_name": raw["last_name"], "first_name": raw["first_name"],
        "birth_date": birth_date, "sex": sex, "left_on": left_on, "mef": mef,
        **{field: None if field in dropped else value for field, value in optional.items()},
    }
    return record, warnings


TOO_LONG = {"last_name": "Nom trop long", "first_name": "Prénom trop long", "usage_name": "Nom d'usage trop long",
            "other_first_names": "Autres prénoms trop longs", "division": "Classe (division) trop longue"}


def too_long(values: dict[str, str | None], field: str) -> bool:
    """True when FIELD's text is longer than the students table holds (PostgreSQL would refuse the row)."""
    return values[field] is not None and len(values[field]) > TEXT_LENGTHS[field]


def check_ine(text: str | None, where: Where) -> tuple[str | None, list[dict]]:
    """The INE upper-cased; a malformed one is dropped with a problem (the student stays)."""
    ine = clean_identifier(text)
    if ine is None or is_ine(ine):
        return ine, []
    return None, [problem_at(where, "ine", "invalid_ine",
                             "INE mal formé (11 chiffres ou lettres majuscules attendus) : élève gardé sans INE")]


def check_sex(text: str | None, where: Where) -> tuple[str | None, list[dict]]:
    if text is None or text in SEXES:
        return text, []
    return None, [problem_at(where, "sex", "invalid_sex", "Code sexe inconnu (1 ou 2 attendu) : élève gardé sans sexe")]


def check_left_on(text: str | None, where: Where) -> tuple[dt.date | None, list[dict]]:
    left_on = parse_date(text)
    if text is None or left_on is not None:
        return left_on, []
    return None, [problem_at(where, "left_on", "invalid_left_on",
                             "Date de sortie illisible : élève gardé sans date de sortie", value=text)]


def check_mef(text: str | None, where: Where) -> tuple[str | None, list[dict]]:
    mef = clean_identifier(text)
    if mef is None or MEF.fullmatch(mef):
        return mef, []
    return None, [problem_at(where, "mef", "invalid_mef",
                             "Code MEF illisible (11 caractères attendus) : élève gardé sans MEF", value=text)]


def cleaned_notice(where: Where, field: str) -> dict:
    """The notice of control or bidi characters removed from FIELD: where they were, never the value (a name)."""
    notice = removal_notice(where.file, where.row, where.columns.get(field, field))
    message = notice["message"]
    return notice | {"message": f"{where.label} : {message[0].lower()}{message[1:]}"}


def problem_at(where: Where, field: str, rule: str, message: str, value: str | None = None) -> dict:
    """A read problem about one student; value only for non-personal cells."""
    return {"stage": "read", "file": where.file, "row": where.row, "column": where.columns.get(field, field),
            "rule": rule, "value": value, "message": f"{where.label} : {message}"}


def usage_name_of(usage_name: str | None, last_name: str | None) -> str | None:
    """NOM_USAGE only when it says something NOM_DE_FAMILLE does not."""
    if usage_name is None or last_name is None or usage_name.casefold() == last_name.casefold():
        return None
    return usage_name


def build_students(records: list[dict]) -> pd.DataFrame:
    """The checked records as RosterFrame's columns and types; RosterFrame validates it (validate_rosters)."""
    frame = pd.DataFrame.from_records(records, columns=list(ROSTER_COLUMNS))
    frame["eleve_id"] = frame["eleve_id"].astype("Int64")
    for column in ("birth_date", "left_on"):
        frame[column] = pd.to_datetime(frame[column].astype(object)).astype("datetime64[ns]")
    for column in ("ine", "last_name", "usage_name", "first_name", "other_first_names", "division", "sex", "mef"):
        frame[column] = frame[column].astype(object)
    return frame


def unreadable_roster(file: str, rule: str, message: str) -> Roster:
    """An empty roster whose one problem says why the whole file was set aside."""
    return Roster(None, None, build_students([]), make_problems([file_problem(file, rule, message)]), validated=False)


# --- values ------------------------------------------------------------------------------------

def clean_text(text: str | None) -> str | None:
    """Text without control and bidi characters, its blanks collapsed; None when there is none."""
    return None if text is None else collapse_blanks(remove_unwanted(text))


def collapse_blanks(text: str | None) -> str | None:
    """Text with its blanks collapsed (a text known to hold no control nor bidi character); None when there is
    none."""
    return None if text is None else " ".join(text.split()) or None


def join_texts(*texts: str | None) -> str | None:
    return " ".join(text for text in texts if text) or None


def parse_date(text: str | None) -> dt.date | None:
    """A date written DD/MM/YYYY (or D/M/YYYY) or ISO YYYY-MM-DD; None when absent or impossible."""
    if text is None:
        return None
    if match := FRENCH_DATE.fullmatch(text):
        day, month, year = (int(part) for part in match.groups())
    elif match := ISO_DATE.fullmatch(text):
        year, month, day = (int(part) for part in match.groups())
    else:
        return None
    if not 1900 <= year <= 2261:  # the frame's datetime64[ns] ends in 2262: a later year is a typo
        return None
    try:
        return dt.date(year, month, day)  # a Timestamp each costs more than the whole column converted at once
    except ValueError:
        return None
