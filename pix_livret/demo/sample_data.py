"""Sample establishments: Pix Orga class CSVs in every header version, a SIECLE roster, planted problems.

Takes a folder and a seed; writes an inbox and ElevesSansAdresses.xml, and returns a manifest of what to expect.
"""
from __future__ import annotations

import argparse
import io
import random
import re
import unicodedata
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from pathlib import Path
from typing import Literal
from xml.sax.saxutils import escape

from schemas.referential import COMPETENCE_CODES, CORE_CERTIFICATION_TYPE, Status, global_level_for

ExportVersion = Literal["pix-2018", "pix-nombre-de-pix", "pix-resultat", "pix-niveau-score", "pix-session"]
DateStyle = Literal["dmy", "dmy-short", "iso"]
VERSIONS: tuple[ExportVersion, ...] = ("pix-2018", "pix-nombre-de-pix", "pix-resultat", "pix-niveau-score",
                                       "pix-session")
# Exports of the v2 certification: scores up to 1024 and no global level.
V2_VERSIONS: tuple[ExportVersion, ...] = ("pix-2018", "pix-nombre-de-pix")

DEFAULT_UAI = "0861234Z"  # key letter checked: "ABCDEFGHJKLMNPRSTUVWXYZ"[861234 % 23] == "Z"
SCHOOL_NAME = "Collège Jean Moulin"
ROSTER_FILE_NAME = "ElevesSansAdresses.xml"

# ---- Pix Orga header labels (formats.md §1) ----

IDENTITY_LABELS = ("Numéro de certification", "Prénom", "Nom", "Date de naissance", "Lieu de naissance",
                   "Identifiant Externe")
COMMENT_LABEL = "Commentaire jury pour l’organisation"
# Pix spells its complementary certification columns "Certification <label>", lower-case n as Pix writes it.
CLEA_LABEL = "Certification CléA numérique"
CENTRE_LABEL = "Centre de certification"
PASSED_LABEL = "Date de passage de la certification"
HEADERS: dict[str, tuple[str, ...]] = {
    "pix-2018": (*IDENTITY_LABELS, "Nombre de Pix", *COMPETENCE_CODES, "Session", CENTRE_LABEL, PASSED_LABEL),
    "pix-nombre-de-pix": (*IDENTITY_LABELS, "Statut", "Nombre de Pix", *COMPETENCE_CODES, COMMENT_LABEL,
                          "Session", PASSED_LABEL),
    "pix-resultat": (*IDENTITY_LABELS, "Type de certification", "Statut", "Résultat", *COMPETENCE_CODES,
                     COMMENT_LABEL, "Session", PASSED_LABEL),
    "pix-niveau-score": (*IDENTITY_LABELS, "Type de certification", "Statut", "Niveau", "Score en Pix",
                         *COMPETENCE_CODES, COMMENT_LABEL, "Session", PASSED_LABEL),
    "pix-session": (*IDENTITY_LABELS, "Type de certification", "Statut", CLEA_LABEL, "Niveau", "Score en Pix",
                    *COMPETENCE_CODES, COMMENT_LABEL, "Session", CENTRE_LABEL, PASSED_LABEL),
}
STATUS_WORDINGS = {Status.VALIDATED: "Validée", Status.CANCELLED: "Annulée", Status.ERROR: "En erreur",
                   Status.STARTED: "Démarrée"}
CAMPAIGN_HEADER = ("Nom de l'organisation", "ID Campagne", "Code", "Nom de la campagne", "Nom du Profil Cible",
                   "Nom du Participant", "Prénom du Participant", "Classe", "% de progression", "Date de début",
                   "Partage (O/N)", "Date du partage", "% maitrise de l'ensemble des acquis du profil")

REJECTED_COMMENT = ("Le candidat a répondu faux à plus de 50 % des questions posées, la certification est donc "
                    "invalidée et le score ramené à 0 pix.")
CANCELLED_COMMENT = "Incident technique pendant la session : certification annulée, l’élève repassera l’épreuve."
# Jury comments can span lines; Pix keeps the line break inside the quoted cell.
ERROR_COMMENT = "Coupure du réseau pendant l’épreuve.\nSession à reprogrammer avec le centre."

# ---- names (French, common, invented combinations) ----

GIRLS = ("Léa", "Chloé", "Manon", "Emma", "Inès", "Camille", "Zoé", "Jade", "Louise", "Lina", "Anaïs", "Maëlys",
         "Clémence", "Océane", "Héloïse", "Juliette", "Margaux", "Noémie", "Sarah", "Maëlle", "Elsa", "Lou", "Rose",
         "Alice", "Léna", "Agathe", "Romane", "Éloïse", "Pauline", "Lucie")
BOYS = ("Lucas", "Hugo", "Théo", "Nathan", "Enzo", "Louis", "Gabriel", "Raphaël", "Jules", "Maël", "Noé", "Mathis",
        "Timéo", "Adam", "Clément", "Baptiste", "Antoine", "Valentin", "Maxime", "Tom", "Arthur", "Léo", "Évan",
        "Gaël", "Quentin", "Aurélien", "Jérémy", "Loïc", "Benoît", "Sacha")
HYPHENATED_GIRLS = ("Marie-Lou", "Anne-Sophie", "Lou-Anne", "Marie-Ève", "Anne-Laure")
HYPHENATED_BOYS = ("Jean-Baptiste", "Pierre-Louis", "Jean-Noël", "Paul-Émile", "Louis-Marie")
LAST_NAMES = (
    "Martin", "Bernard", "Dubois", "Thomas", "Robert", "Richard", "Petit", "Durand", "Leroy", "Moreau", "Simon",
    "Laurent", "Lefèvre", "Michel", "Garcia", "David", "Bertrand", "Roux", "Vincent", "Fournier", "Morel",
    "Girard", "André", "Mercier", "Dupont", "Lambert", "Bonnet", "François", "Martinez", "Legrand", "Garnier",
    "Faure", "Rousseau", "Blanc", "Guérin", "Muller", "Henry", "Roussel", "Perrin", "Morin", "Mathieu", "Clément",
    "Gauthier", "Dumont", "Lopez", "Fontaine", "Chevalier", "Robin", "Masson", "Gérard", "Nguyen", "Boyer",
    "Lemaire", "Duval", "Joly", "Roche", "Noël", "Meyer", "Meunier", "Pérez", "Marchand", "Dufour", "Blanchard",
    "Barbier", "Brun", "Dumas", "Brunet", "Schmitt", "Leroux", "Colin", "Renard", "Arnaud", "Caron", "Aubert",
    "Giraud", "Leclerc", "Vidal", "Bourgeois", "Renaud", "Lemoine", "Picard", "Gaillard", "Lacroix", "Fabre",
    "Dupuis", "Da Silva", "Hubert", "Rivière", "Le Gall", "Moulin", "Berger", "Lecomte", "Ménard", "Fleury",
    "Deschamps", "Carpentier", "Benoît", "Maillard", "Aubry", "Prévost", "Poirier", "Charpentier", "Huet",
    "Bréchet", "Le Goff", "Tessier", "Pelletier", "Chauvin", "Thibault", "Besnard", "Jourdan", "Texier",
)
APOSTROPHE_NAMES = ("N’Diaye", "D’Almeida", "N’Guessan", "L’Hôte")
# (CODE_COMMUNE_INSEE_NAISS, commune as Pix shows the birthplace)
COMMUNES = (("86194", "Poitiers"), ("86066", "Châtellerault"), ("79191", "Niort"), ("37261", "Tours"),
            ("16015", "Angoulême"), ("17300", "La Rochelle"), ("87085", "Limoges"), ("44109", "Nantes"),
            ("33063", "Bordeaux"), ("86041", "Buxerolles"))
COMMUNE_NAMES = dict(COMMUNES)
INE_LETTERS = "ABCDEFGHJKLMNPRSTUVWXYZ"
MEF_CODES = {"3": "10310019110", "4": "10210001110"}  # 3e and 4e générales
MINIMUM_CLASS_SIZE = 16  # class 3A carries seven featured students and eight roles on top of them


@dataclass(frozen=True)
class SampleStudent:
    """A student as the SIECLE roster lists them: names upper-case, often without accents."""

    eleve_id: int
    ine: str | None
    last_name: str
    usage_name: str | None
    first_name: str
    birth_date: date
    division: str
    sex: Literal["1", "2"]
    left_on: date | None
    other_first_names: str | None = None  # PRENOM2
    birth_commune: str | None = None  # CODE_COMMUNE_INSEE_NAISS


@dataclass(frozen=True)
class SampleCertification:
    """One certification as Pix shows it; student is None for someone the roster does not list."""

    number: int
    student: SampleStudent | None
    first_name: str
    last_name: str
    birth_date: date
    status: Status
    score: int | None
    global_level: str | None
    levels: dict[str, int | None]
    session: str
    passed_on: date
    centre: str | None
    certification_type: str = CORE_CERTIFICATION_TYPE
    birthplace: str | None = None
    external_id: str | None = None
    jury_comment: str | None = None


@dataclass(frozen=True)
class CsvStyle:
    """How a class CSV was saved: as Pix writes it by default, or after a spreadsheet round trip."""

    encoding: str = "utf-8-sig"
    delimiter: str = ";"
    line_end: str = "\n"
    quote_text: bool = True
    date_style: DateStyle = "dmy"
    trailing_empty_columns: int = 0
    trailing_blank_lines: int = 0
    plain_apostrophe: bool = False


AS_PIX_WRITES_IT = CsvStyle()
EXCEL_RESAVED = CsvStyle(encoding="cp1252", line_end="\r\n", quote_text=False, date_style="dmy-short",
                         trailing_empty_columns=3, plain_apostrophe=True)
LIBREOFFICE_RESAVED = CsvStyle(encoding="utf-8", delimiter=",", date_style="iso", trailing_blank_lines=2)


@dataclass(frozen=True)
class SampleFile:
    """One file of the inbox and what the pipeline should make of it."""

    name: str
    kind: Literal["class", "session", "unreadable", "campaign"]
    version: ExportVersion | None  # None for a file that is no certification export
    division: str | None  # the division the file name carries
    style: CsvStyle | None
    rows_read: int
    rows_loaded: int
    rows_quarantined: int
    certification_numbers: tuple[int, ...]  # the good rows, in file order

    @property
    def quarantined_whole(self) -> bool:
        return self.kind in ("unreadable", "campaign")


@dataclass(frozen=True)
class SampleManifest:
    root: Path
    inbox: Path
    roster_path: Path
    uai: str
    school_year: int
    students: tuple[SampleStudent, ...]
    certifications: tuple[SampleCertification, ...]  # every good row written, once
    files: tuple[SampleFile, ...]
    expected: dict[str, int]
    # (file, row as a person counts it with header = 1, or None for the whole file, what is wrong):
    # planted holds what must be quarantined, exactly; notices what loads but must be reported.
    planted: list[tuple[str, int | None, str]]
    notices: list[tuple[str, int | None, str]]


# ---- class CSV writing ----

def format_date(day: date, style: DateStyle) -> str:
    if style == "iso":
        return day.isoformat()
    if style == "dmy-short":
        return f"{day.day}/{day.month}/{day.year}"
    return f"{day.day:02d}/{day.month:02d}/{day.year}"


def impossible_date(style: DateStyle) -> str:
    """31 February 2011 as a spreadsheet in STYLE would have kept it (as text)."""
    return {"iso": "2011-02-31", "dmy-short": "31/2/2011"}.get(style, "31/02/2011")


def header_labels(version: ExportVersion, plain_apostrophe: bool = False) -> tuple[str, ...]:
    """The header of VERSION, with the comment's apostrophe plain as a spreadsheet leaves it, if asked."""
    labels = HEADERS[version]
    return tuple(label.replace("’", "'") for label in labels) if plain_apostrophe else labels


def status_wording(status: Status, version: ExportVersion) -> str:
    if status is Status.REJECTED:
        # Pix renamed "Rejetée" to "Non obtenue" in 2026-03, with the "Résultat" export
        return "Rejetée" if version in V2_VERSIONS else "Non obtenue"
    return STATUS_WORDINGS[status]


def _cells(cert: SampleCertification, version: ExportVersion, date_style: DateStyle) -> dict[str, tuple[str, bool]]:
    """Label -> (text, is_number) for every label any version has; Pix quotes text but not numbers."""
    shows_levels = version in V2_VERSIONS or cert.status is Status.VALIDATED
    score = (str(cert.score), True) if cert.score is not None else ("-", False)
    if cert.score is None:
        result = "-"
    elif cert.global_level:
        result = f"{cert.global_level} ({cert.score} Pix)"
    else:
        result = f"{cert.score} Pix"
    cells = {
        "Numéro de certification": (str(cert.number), True),
        "Prénom": (cert.first_name, False),
        "Nom": (cert.last_name, False),
        "Date de naissance": (format_date(cert.birth_date, date_style), False),
        "Lieu de naissance": (cert.birthplace or "", False),
        "Identifiant Externe": (cert.external_id or "", False),
        "Type de certification": (cert.certification_type, False),
        "Statut": (status_wording(cert.status, version), False),
        CLEA_LABEL: ("Non passée", False),
        "Niveau": (cert.global_level or "-", False),
        "Nombre de Pix": score,
        "Score en Pix": score,
        "Résultat": (result, False),
        COMMENT_LABEL: (cert.jury_comment or "", False),
        "Session": (cert.session, cert.session.isdigit()),
        CENTRE_LABEL: (cert.centre or "", False),
        PASSED_LABEL: (format_date(cert.passed_on, date_style), False),
    }
    for code in COMPETENCE_CODES:
        level = cert.levels.get(code) if shows_levels else None
        cells[code] = (str(level), True) if level is not None else ("-", False)
    return cells


def _field(text: str, number: bool, delimiter: str, quote_text: bool) -> str:
    # Without "quote all text", spreadsheets still quote a cell holding the separator, a quote or a line break.
    if (quote_text and not number) or any(ch in text for ch in (delimiter, '"', "\n", "\r")):
        return '"' + text.replace('"', '""') + '"'
    return text


def format_record(cert: SampleCertification, version: ExportVersion, *, delimiter: str = ";",
                  quote_text: bool = True, date_style: DateStyle = "dmy", trailing_empty_columns: int = 0,
                  overrides: dict[str, str] | None = None) -> str:
    """One data record of VERSION, without its line end; OVERRIDES (label -> text) plant bad cells."""
    cells = _cells(cert, version, date_style)
    for label, text in (overrides or {}).items():
        cells[label] = (text, False)
    fields = [_field(*cells[label], delimiter, quote_text) for label in HEADERS[version]]
    return delimiter.join(fields) + delimiter * trailing_empty_columns


def render_class_csv(certifications: Sequence[SampleCertification], version: ExportVersion, style: CsvStyle,
                     extra_rows: Sequence[str] = ()) -> tuple[str, list[int]]:
    """The text of a class CSV and the line each record (then each extra row) starts on, header = 1."""
    header = [_field(label, False, style.delimiter, style.quote_text)
              for label in header_labels(version, style.plain_apostrophe)]
    records = [format_record(cert, version, delimiter=style.delimiter, quote_text=style.quote_text,
                             date_style=style.date_style, trailing_empty_columns=style.trailing_empty_columns)
               for cert in certifications] + list(extra_rows)
    starts, line = [], 2
    for record in records:
        starts.append(line)
        line += record.count("\n") + 1  # a line break inside a quoted cell is a line a person counts
    # Excel writes an emptied row as separators only
    blank = style.delimiter * (len(header) - 1 + style.trailing_empty_columns) if style.trailing_empty_columns else ""
    lines = [style.delimiter.join(header) + style.delimiter * style.trailing_empty_columns, *records,
             *[blank] * style.trailing_blank_lines]
    return style.line_end.join(lines) + style.line_end, starts


def write_class_csv(path: Path, certifications: list[SampleCertification], version: ExportVersion, *,
                    encoding: str = "utf-8-sig", delimiter: str = ";", line_end: str = "\n",
                    quote_text: bool = True, date_style: DateStyle = "dmy", trailing_empty_columns: int = 0,
                    trailing_blank_lines: int = 0, plain_apostrophe: bool = False,
                    extra_rows: Sequence[str] = ()) -> None:
    """Writes CERTIFICATIONS as Pix Orga exports them in VERSION, then as a spreadsheet re-saved them.

    The defaults are Pix's own file (UTF-8 with BOM, ';', LF, text quoted, DD/MM/YYYY); EXTRA_ROWS are
    raw lines appended after the data rows, as they are.
    """
    style = CsvStyle(encoding, delimiter, line_end, quote_text, date_style, trailing_empty_columns,
                     trailing_blank_lines, plain_apostrophe)
    text, _ = render_class_csv(certifications, version, style, extra_rows)
    path.write_bytes(text.encode(encoding))


# ---- SIECLE roster writing ----

def write_siecle_roster(path: Path, uai: str, school_year: int, students: list[SampleStudent]) -> None:
    """Writes a BEE_ELEVES ElevesSansAdresses.xml as SIECLE exports it: ISO-8859-15, declared so."""
    exported = date(school_year + 1, 5, 18)  # after the sessions, before the June livret export
    lines = ['<?xml version="1.0" encoding="ISO-8859-15"?>', '<BEE_ELEVES VERSION="3.4">', "<PARAMETRES>",
             f"<UAJ>{escape(uai)}</UAJ>", f"<ANNEE_SCOLAIRE>{school_year}</ANNEE_SCOLAIRE>",
             f"<DATE_EXPORT>{format_date(exported, 'dmy')}</DATE_EXPORT>",
             f"<HORODATAGE>{format_date(exported, 'dmy')} 07:42:15</HORODATAGE>", "</PARAMETRES>", "<DONNEES>",
             "<ELEVES>"]
    ordered = sorted(students, key=lambda s: s.eleve_id)
    for student in ordered:
        lines += _eleve_lines(student, school_year)
    lines += ["</ELEVES>", "<STRUCTURES>"]
    for student in ordered:
        lines += _structure_lines(student)
    lines += ["</STRUCTURES>", "</DONNEES>", "</BEE_ELEVES>"]
    # strict: a character ISO-8859-15 lacks (the typographic apostrophe) must never reach SIECLE's file
    path.write_bytes(("\n".join(lines) + "\n").encode("iso-8859-15"))


def _elenoet(student: SampleStudent) -> int:
    # SIECLE's establishment number runs alongside the ELEVE_ID
    return 1000 + student.eleve_id % 9000


def _eleve_lines(student: SampleStudent, school_year: int) -> list[str]:
    grade = student.division[0]
    entered = date(school_year - (3 if grade == "3" else 2), 9, 1)  # in 6e
    usual_birth_year = school_year - (14 if grade == "3" else 13)
    elements = [("ID_NATIONAL", student.ine), ("NOM_DE_FAMILLE", student.last_name),
                ("NOM_USAGE", student.usage_name), ("PRENOM", student.first_name),
                ("PRENOM2", student.other_first_names), ("DATE_NAISS", format_date(student.birth_date, "dmy")),
                ("DOUBLEMENT", "O" if student.birth_date.year < usual_birth_year else "N"),
                ("CODE_PAYS", "100"), ("CODE_SEXE", student.sex), ("DATE_ENTREE", format_date(entered, "dmy")),
                ("DATE_SORTIE", format_date(student.left_on, "dmy") if student.left_on else None),
                ("CODE_REGIME", "2"), ("CODE_MEF", MEF_CODES.get(grade, MEF_CODES["3"])),
                ("CODE_COMMUNE_INSEE_NAISS", student.birth_commune)]
    body = [f"<{tag}>{escape(value)}</{tag}>" for tag, value in elements if value]
    return [f'<ELEVE ELEVE_ID="{student.eleve_id}" ELENOET="{_elenoet(student)}">', *body, "</ELEVE>"]


def _structure_lines(student: SampleStudent) -> list[str]:
    structures = [(student.division, "D")]
    # options are G structures; the reader must not take them for the class
    if student.eleve_id % 5 == 0:
        structures.append((f"{student.division[0]}LATIN", "G"))
    body = []
    for code, kind in structures:
        body += ["<STRUCTURE>", f"<CODE_STRUCTURE>{escape(code)}</CODE_STRUCTURE>",
                 f"<TYPE_STRUCTURE>{kind}</TYPE_STRUCTURE>", "</STRUCTURE>"]
    return [f'<STRUCTURES_ELEVE ELEVE_ID="{student.eleve_id}" ELENOET="{_elenoet(student)}">', *body,
            "</STRUCTURES_ELEVE>"]


# ---- other files that land in an inbox ----

def xlsx_bytes() -> bytes:
    """A small zip shaped like an Excel workbook, with a fixed timestamp so the bytes never change."""
    parts = {
        "[Content_Types].xml": '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats'
                               '.org/package/2006/content-types"><Default Extension="xml" '
                               'ContentType="application/xml"/></Types>',
        "xl/workbook.xml": '<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="http://schemas.openxmlformats'
                           '.org/spreadsheetml/2006/main"><sheets><sheet name="Résultats" sheetId="1"/></sheets>'
                           "</workbook>",
    }
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, text in parts.items():
            archive.writestr(zipfile.ZipInfo(name, date_time=(2026, 5, 12, 9, 30, 0)), text)
    return buffer.getvalue()


def campaign_csv_text(students: Sequence[SampleStudent], school_year: int) -> str:
    """A Pix Orga campaign results export (the back-to-school profile campaign), as Pix writes it."""
    started = date(school_year, 9, 16)
    lines = [";".join(f'"{label}"' for label in CAMPAIGN_HEADER)]
    for i, student in enumerate(students):
        progress = 100 if i % 3 else 64
        cells = [SCHOOL_NAME, "48213", "QWXRPT472", "Parcours de rentrée 3e", "Profil rentrée collège",
                 _display(student.last_name), _display(student.first_name), student.division, f"{progress}",
                 format_date(started, "dmy"), "Oui" if progress == 100 else "Non",
                 format_date(started + timedelta(days=2), "dmy") if progress == 100 else "",
                 f"{(i * 7) % 60 + 30}"]
        lines.append(";".join(f'"{cell}"' for cell in cells))
    return "\n".join(lines) + "\n"


def _display(siecle: str) -> str:
    return "-".join(" ".join(word.capitalize() for word in part.split()) for part in siecle.split("-"))


# ---- the sample establishment ----

def fold(text: str) -> str:
    """A name reduced to A-Z and 0-9, the way names are compared across SIECLE and Pix."""
    bare = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^A-Z0-9]", "", bare.upper())


def siecle_spelling(name: str, keep_accents: bool) -> str:
    """SIECLE upper-cases names, often drops their accents, and has no typographic apostrophe."""
    upper = name.replace("’", "'").upper()
    if keep_accents:
        return upper
    return "".join(ch for ch in unicodedata.normalize("NFKD", upper) if not unicodedata.combining(ch))


@dataclass(frozen=True)
class _Person:
    """Someone with names as they write them; SIECLE and Pix each spell them their own way."""

    first: str
    last: str
    usage: str | None
    second: str | None
    birth: date
    sex: Literal["1", "2"]
    commune: str
    keep_accents: bool


@dataclass(frozen=True)
class _ClassPlan:
    version: ExportVersion
    style: CsvStyle
    session_on: tuple[int, int]  # (month, day) of the class session, in the second calendar year
    mangling: str


# Class i takes CLASS_PLANS[i % 4]; the session export (the fifth version) is the catch-up session's.
CLASS_PLANS = (
    _ClassPlan("pix-niveau-score", AS_PIX_WRITES_IT, (4, 23), "as Pix Orga writes it"),
    _ClassPlan("pix-resultat", EXCEL_RESAVED, (3, 24), "re-saved by Excel: cp1252, CRLF, no quotes, D/M/YYYY, "
               "empty trailing columns, plain apostrophe"),
    _ClassPlan("pix-nombre-de-pix", LIBREOFFICE_RESAVED, (2, 10), "re-saved by LibreOffice: UTF-8 without BOM, "
               "',' separator, ISO dates, trailing blank lines"),
    _ClassPlan("pix-2018", AS_PIX_WRITES_IT, (1, 20), "oldest export, without Statut"),
)
CATCH_UP_PLAN = _ClassPlan("pix-session", AS_PIX_WRITES_IT, (5, 26), "Pix Certif session export")


class _Sampler:
    """The random choices of one sample, all drawn from one seeded generator in a fixed order."""

    def __init__(self, seed: int, school_year: int) -> None:
        self.rng = random.Random(seed)
        self.school_year = school_year
        self.identities: set[tuple[date, str]] = set()
        self.ines: set[str] = set()
        self.next_eleve_id = self.rng.randrange(1_100_000, 1_900_000)
        self.next_number = self.rng.randrange(7_100_000, 7_600_000)
        self.sessions: set[str] = set()

    def person(self, grade: str, *, first: str | None = None, last: str | None = None, usage: str | None = None,
               sex: Literal["1", "2"] | None = None, second: str | None = None) -> _Person:
        rng = self.rng
        while True:
            person_sex = sex or rng.choice(("1", "2"))
            names, hyphenated = (GIRLS, HYPHENATED_GIRLS) if person_sex == "2" else (BOYS, HYPHENATED_BOYS)
            first_name = first or (rng.choice(hyphenated) if rng.random() < 0.1 else rng.choice(names))
            usual_year = self.school_year - (14 if grade == "3" else 13)
            year = usual_year - 1 if rng.random() < 0.12 else usual_year
            birth = date(year, 1, 1) + timedelta(days=rng.randrange(365))
            # names and birth date identify a student; only the planted pair may share them
            if (birth, fold(first_name)) not in self.identities:
                break
        self.identities.add((birth, fold(first_name)))
        other = second if second is not None else (rng.choice(names) if rng.random() < 0.25 else None)
        return _Person(first_name, last or rng.choice(LAST_NAMES), usage, other if other != first_name else None,
                       birth, person_sex, rng.choice(COMMUNES)[0], rng.random() < 0.35)

    def student(self, person: _Person, division: str, *, ine: bool = True, left_on: date | None = None) -> SampleStudent:
        self.next_eleve_id += self.rng.randint(1, 40)
        return SampleStudent(
            eleve_id=self.next_eleve_id, ine=self.ine() if ine else None,
            last_name=siecle_spelling(person.last, person.keep_accents),
            usage_name=siecle_spelling(person.usage, person.keep_accents) if person.usage else None,
            first_name=siecle_spelling(person.first, person.keep_accents), birth_date=person.birth,
            division=division, sex=person.sex, left_on=left_on,
            other_first_names=siecle_spelling(person.second, person.keep_accents) if person.second else None,
            birth_commune=person.commune)

    def ine(self) -> str:
        while True:
            ine = f"{self.rng.randrange(10 ** 10):010d}{self.rng.choice(INE_LETTERS)}"
            if ine not in self.ines:
                self.ines.add(ine)
                return ine

    def session(self) -> str:
        while True:
            session = str(self.rng.randrange(100_000, 999_999))
            if session not in self.sessions:
                self.sessions.add(session)
                return session

    def number(self) -> int:
        self.next_number += self.rng.randint(1, 9)
        return self.next_number

    def result(self, status: Status, version: ExportVersion) -> tuple[int | None, str | None, dict[str, int | None]]:
        """Score, global level and competence levels of a certification, consistent with each other."""
        rng, v2 = self.rng, version in V2_VERSIONS
        if status is Status.REJECTED:
            # the old exports show the tested competences of a rejected certification at 0
            tested = rng.sample(COMPETENCE_CODES, rng.randint(10, 16)) if v2 else []
            return 0, None, {code: 0 if code in tested else None for code in COMPETENCE_CODES}
        if status is not Status.VALIDATED:
            return None, None, dict.fromkeys(COMPETENCE_CODES)
        if v2:
            mean = rng.uniform(1.0, 4.5)
            levels = {code: None if rng.random() < 0.1 else max(0, min(6, round(rng.gauss(mean, 1.0))))
                      for code in COMPETENCE_CODES}
            score = sum(8 * level + rng.randrange(8) for level in levels.values() if level is not None)
            return max(score, 8), None, levels
        score = int(rng.triangular(64, 895, 300))
        levels = {code: None if rng.random() < 0.06 else max(0, min(7, round(rng.gauss(score / 110, 1.1))))
                  for code in COMPETENCE_CODES}
        return score, global_level_for(score), levels

    def certification(self, person: _Person, student: SampleStudent | None, status: Status,
                      version: ExportVersion, session: str, passed_on: date, *, pix_first: str | None = None,
                      external_id: str | None = None) -> SampleCertification:
        score, level, levels = self.result(status, version)
        comment = {Status.REJECTED: REJECTED_COMMENT, Status.CANCELLED: CANCELLED_COMMENT,
                   Status.ERROR: ERROR_COMMENT}.get(status)
        return SampleCertification(
            number=self.number(), student=student, first_name=pix_first or person.first,
            last_name=person.usage or person.last, birth_date=person.birth, status=status, score=score,
            global_level=level, levels=levels, session=session, passed_on=passed_on,
            centre=SCHOOL_NAME if CENTRE_LABEL in HEADERS[version] else None,
            birthplace=COMMUNE_NAMES[person.commune], external_id=external_id,
            jury_comment=comment if COMMENT_LABEL in HEADERS[version] else None)


@dataclass
class _FileDraft:
    """A certification file being planned: good rows, planted rows, and the notices some good rows raise."""

    name: str
    kind: Literal["class", "session"]
    division: str | None
    plan: _ClassPlan
    good: list[SampleCertification] = field(default_factory=list)
    to_spoil: list[tuple[str, SampleCertification]] = field(default_factory=list)  # (role, certification)
    bad: list[tuple[str, str]] = field(default_factory=list)  # (raw record, what is wrong)
    notices: dict[int, str] = field(default_factory=dict)  # certification number -> what is special


def make_sample_establishment(root: Path, *, seed: int = 2026, uai: str = DEFAULT_UAI, school_year: int = 2025,
                              classes: int = 4, students_per_class: int = 25) -> SampleManifest:
    """Writes root/inbox (class CSVs, a catch-up session export, an .xlsx renamed .csv, a campaign export)
    and root/ElevesSansAdresses.xml; returns what was written and what an ingest should report.
    """
    if classes < 1 or students_per_class < MINIMUM_CLASS_SIZE:
        raise ValueError(f"a sample needs at least 1 class of {MINIMUM_CLASS_SIZE} students")
    sampler = _Sampler(seed, school_year)
    year = school_year + 1
    divisions = [_division_name(i) for i in range(classes)]
    people = {division: [sampler.person("3") for _ in range(students_per_class)] for division in divisions}
    featured = _feature_students(sampler, people, divisions)
    roster_people: dict[str, list[_Person]] = {
        **people, "3D": [sampler.person("3") for _ in range(students_per_class)],
        **{division: [sampler.person("4") for _ in range(students_per_class)] for division in ("4A", "4B")}}
    students = _enrol(sampler, roster_people, featured, year)
    student_of = {id(person): student for division in roster_people
                  for person, student in zip(roster_people[division], students[division])}

    drafts, catch_up = _draft_class_files(sampler, divisions, people, featured, student_of, year)
    _plant_problems(sampler, drafts)
    drafts.append(catch_up)

    inbox = root / "inbox"
    inbox.mkdir(parents=True, exist_ok=True)
    files, planted, notices = [], [], []
    for draft in drafts:
        sample_file, file_planted, file_notices = _write_draft(inbox, draft)
        files.append(sample_file)
        planted += file_planted
        notices += file_notices
    files += _write_foreign_files(inbox, students["3A"], year, school_year)
    planted += [(f.name, None, _FOREIGN_PROBLEMS[f.kind]) for f in files if f.quarantined_whole]

    roster_students = tuple(s for division in roster_people for s in students[division])
    roster_path = root / ROSTER_FILE_NAME
    write_siecle_roster(roster_path, uai, school_year, list(roster_students))
    certifications = tuple(cert for draft in drafts for cert in draft.good)
    expected = _expected(files, drafts, roster_students, featured["ambiguous"])
    notices.append((ROSTER_FILE_NAME, None, f"{expected['absents']} students of the certified divisions have no "
                                            "loaded certification (absents; the student who left is not one)"))
    return SampleManifest(root, inbox, roster_path, uai, school_year, roster_students, certifications,
                          tuple(files), expected, planted, notices)


def _division_name(index: int) -> str:
    # 3D is the class whose file comes as a workbook; one class is spelled the long way, accent included
    letter = "ABCEFGHIJKLMNOPQRSTUVWXYZ"[index]
    return f"3ème{letter}" if index == 2 else f"3{letter}"


def _feature_students(sampler: _Sampler, people: dict[str, list[_Person]],
                      divisions: list[str]) -> dict[str, list[_Person]]:
    """Replaces the first students of 3A (and one of the next class) by the cases the matching must handle."""
    first_class = people[divisions[0]]
    family, married = sampler.rng.sample(LAST_NAMES, 2)
    usage = sampler.person("3", sex="2", last=family, usage=married)
    apostrophe = sampler.person("3", last=sampler.rng.choice(APOSTROPHE_NAMES))
    hyphen = sampler.person("3", first="Jean-Baptiste", sex="1")
    # Pix holds both first names where SIECLE has them in PRENOM and PRENOM2
    two_first_names = sampler.person("3", first="Marie", second="Louise", sex="2")
    no_ine = sampler.person("3")
    ambiguous = sampler.person("3", first="Léa", last="Martin", sex="2")
    left = sampler.person("3")
    first_class[:7] = [usage, apostrophe, hyphen, two_first_names, no_ine, ambiguous, left]
    # the same names and birth date, another student: an unlucky coincidence the matcher must not resolve
    twin = replace(ambiguous, commune=sampler.rng.choice(COMMUNES)[0], keep_accents=not ambiguous.keep_accents)
    people[divisions[1] if len(divisions) > 1 else divisions[0]][-1] = twin
    return {"matched": [usage, apostrophe, hyphen, two_first_names, no_ine], "ambiguous": [ambiguous, twin],
            "left": [left], "two_first_names": [two_first_names], "no_ine": [no_ine]}


def _enrol(sampler: _Sampler, roster_people: dict[str, list[_Person]], featured: dict[str, list[_Person]],
           year: int) -> dict[str, list[SampleStudent]]:
    left_on = date(year, 2, 13)
    no_ine, left = {id(p) for p in featured["no_ine"]}, {id(p) for p in featured["left"]}
    return {division: [sampler.student(person, division, ine=id(person) not in no_ine,
                                       left_on=left_on if id(person) in left else None) for person in persons]
            for division, persons in roster_people.items()}


def _draft_class_files(sampler: _Sampler, divisions: list[str], people: dict[str, list[_Person]],
                       featured: dict[str, list[_Person]], student_of: dict[int, SampleStudent],
                       year: int) -> tuple[list[_FileDraft], _FileDraft]:
    """One draft per class and the catch-up session's; roles decide who certifies where, with what status."""
    rng = sampler.rng
    catch_up_on = date(year, *CATCH_UP_PLAN.session_on)
    catch_up = _FileDraft("", "session", None, CATCH_UP_PLAN)
    catch_up_session = sampler.session()
    fixed = {id(p) for group in ("matched", "ambiguous", "left") for p in featured[group]}
    uncertified = {id(p) for p in featured["left"]} | {id(featured["ambiguous"][1])}
    two_first_names = {id(p) for p in featured["two_first_names"]}
    drafts = []
    for index, division in enumerate(divisions):
        plan = CLASS_PLANS[index % len(CLASS_PLANS)]
        session_on = date(year, *plan.session_on) + timedelta(days=index // len(CLASS_PLANS))
        session = sampler.session()
        draft = _FileDraft("", "class", division, plan)
        persons = [p for p in people[division] if id(p) not in fixed]
        roles = _roles(rng, persons, index, plan.version)
        for person in people[division]:
            role = roles.get(id(person), "validated")
            if id(person) in uncertified or role == "absent":
                continue
            student = student_of[id(person)]
            pix_first = f"{person.first} {person.second}" if id(person) in two_first_names else None
            external = student.ine if plan.version == "pix-nombre-de-pix" and student.ine else None
            if role == "catch-up":
                catch_up.good.append(sampler.certification(person, student, Status.VALIDATED, "pix-session",
                                                           catch_up_session, catch_up_on))
                continue
            status = Status(role) if role in {s.value for s in Status} else Status.VALIDATED
            cert = sampler.certification(person, student, status, plan.version, session, session_on,
                                         pix_first=pix_first, external_id=external)
            if role.startswith("bad-"):
                draft.to_spoil.append((role, cert))
                continue
            draft.good.append(cert)
            if id(person) == id(featured["ambiguous"][0]):
                draft.notices[cert.number] = "fits two roster students (same names and birth date): loads, ambiguous"
            if status is Status.CANCELLED:
                # retaken at the catch-up session, and validated there
                catch_up.good.append(sampler.certification(person, student, Status.VALIDATED, "pix-session",
                                                           catch_up_session, catch_up_on))
        if index == min(1, len(divisions) - 1):
            newcomer = sampler.person("3")  # arrived after the roster export: Pix knows them, SIECLE's file does not
            cert = sampler.certification(newcomer, None, Status.VALIDATED, plan.version, session, session_on)
            draft.good.append(cert)
            draft.notices[cert.number] = "is of a student the roster does not list: loads, unmatched"
        draft.good.sort(key=_pix_order)
        last_session = max(c.passed_on for c in draft.good)
        download = last_session + timedelta(days=rng.randint(2, 9))
        draft.name = f"{download:%Y%m%d}_resultats_{division}.csv"
        drafts.append(draft)
    catch_up.good.sort(key=_pix_order)
    catch_up.name = f"{catch_up_on + timedelta(days=3):%Y%m%d}_resultats_session_{catch_up_session}.csv"
    return drafts, catch_up


def _pix_order(cert: SampleCertification) -> tuple[str, str, int]:
    return fold(cert.last_name), fold(cert.first_name), cert.number


def _roles(rng: random.Random, persons: list[_Person], index: int, version: ExportVersion) -> dict[int, str]:
    """id(person) -> role for the ordinary students of class INDEX; the others are validated."""
    roles = ["absent", "absent"]
    if index < 3:
        roles.append("catch-up")
    roles += {0: ["bad-status", "bad-birth-date"], 1: ["bad-level"], 2: ["bad-score"]}.get(index, [])
    if version != "pix-2018":  # without a Statut column only a score tells validated from rejected
        roles += {0: [Status.CANCELLED.value], 1: [Status.ERROR.value], 2: [Status.STARTED.value]}.get(index, [])
    roles += [Status.REJECTED.value] * rng.randint(1, 2)
    chosen = rng.sample(persons, len(roles))
    return {id(person): role for person, role in zip(chosen, roles)}


def _plant_problems(sampler: _Sampler, drafts: list[_FileDraft]) -> None:
    """Turns the drafted bad certifications into bad records, and repeats a row (a copy-paste)."""
    for draft in drafts:
        style, version = draft.plan.style, draft.plan.version
        for role, cert in draft.to_spoil:
            if role == "bad-status":
                overrides, wrong = {"Statut": "Bof"}, 'status "Bof" is no Pix status'
            elif role == "bad-birth-date":
                text = impossible_date(style.date_style)
                overrides, wrong = {"Date de naissance": text}, f'birth date "{text}" does not exist'
            elif role == "bad-level":
                cert = replace(cert, levels=cert.levels | {"2.3": 9})
                overrides, wrong = {}, 'competence 2.3 at level "9" (0 to 8)'
            else:
                _, _, levels = sampler.result(Status.REJECTED, version)
                cert = replace(cert, status=Status.REJECTED, score=212, global_level=None, levels=levels)
                wording = status_wording(Status.REJECTED, version)
                overrides, wrong = {}, f'"{wording}" certification with a score of "212" pix'
            draft.bad.append((_record(cert, version, style, overrides), f"certification {cert.number}: {wrong}"))
    duplicated = drafts[min(3, len(drafts) - 1)]
    copy = sampler.rng.choice(duplicated.good)
    duplicated.bad.append((_record(copy, duplicated.plan.version, duplicated.plan.style, {}),
                           f'certification {copy.number}: number "{copy.number}" already on an earlier row'))


def _record(cert: SampleCertification, version: ExportVersion, style: CsvStyle, overrides: dict[str, str]) -> str:
    return format_record(cert, version, delimiter=style.delimiter, quote_text=style.quote_text,
                         date_style=style.date_style, trailing_empty_columns=style.trailing_empty_columns,
                         overrides=overrides)


def _write_draft(inbox: Path, draft: _FileDraft) -> tuple[SampleFile, list[tuple[str, int | None, str]],
                                                         list[tuple[str, int | None, str]]]:
    style, version = draft.plan.style, draft.plan.version
    extra = [record for record, _ in draft.bad]
    text, starts = render_class_csv(draft.good, version, style, extra)
    (inbox / draft.name).write_bytes(text.encode(style.encoding))
    line_of = dict(zip((c.number for c in draft.good), starts))
    notices = [(draft.name, line_of[number], f"certification {number} {what}")
               for number, what in draft.notices.items()]
    planted = [(draft.name, start, wrong) for (_, wrong), start in zip(draft.bad, starts[len(draft.good):])]
    sample_file = SampleFile(draft.name, draft.kind, version, draft.division, style,
                             rows_read=len(draft.good) + len(draft.bad), rows_loaded=len(draft.good),
                             rows_quarantined=len(draft.bad),
                             certification_numbers=tuple(c.number for c in draft.good))
    return sample_file, planted, sorted(notices, key=lambda n: n[1])


_FOREIGN_PROBLEMS = {
    "unreadable": "an Excel workbook (.xlsx bytes, zip) renamed .csv: not readable, quarantined whole",
    "campaign": "a Pix Orga campaign results export, not certification results: quarantined whole",
}


def _write_foreign_files(inbox: Path, students: list[SampleStudent], year: int, school_year: int) -> list[SampleFile]:
    workbook = f"{year}0512_resultats_3D.csv"
    (inbox / workbook).write_bytes(xlsx_bytes())
    campaign = f"Resultats-Parcours de rentree 3e-48213-{school_year}-09-18-1012.csv"
    (inbox / campaign).write_bytes(campaign_csv_text(students[7:12], school_year).encode("utf-8-sig"))
    return [SampleFile(workbook, "unreadable", None, "3D", None, 0, 0, 0, ()),
            SampleFile(campaign, "campaign", None, None, AS_PIX_WRITES_IT, 0, 0, 0, ())]


def _expected(files: list[SampleFile], drafts: list[_FileDraft], students: Sequence[SampleStudent],
              ambiguous: list[_Person]) -> dict[str, int]:
    """The counts an ingest of the sample must report, derived from the rows written."""
    ambiguous_keys = {(p.birth, fold(p.first), fold(p.usage or p.last)) for p in ambiguous}
    matched: dict[int, list[SampleCertification]] = {}
    certified_divisions, unmatched, ambiguous_rows = set(), 0, 0
    for draft in drafts:
        for cert in draft.good:
            if cert.student is None:
                unmatched += 1
                certified_divisions.add(draft.division)
            elif (cert.birth_date, fold(cert.first_name), fold(cert.last_name)) in ambiguous_keys:
                ambiguous_rows += 1
                certified_divisions.add(draft.division)
            else:
                matched.setdefault(cert.student.eleve_id, []).append(cert)
                certified_divisions.add(cert.student.division)
    # a row set aside whose names and birth date still name its student makes them « résultat écarté », not absent
    set_aside = {cert.student.eleve_id for draft in drafts for role, cert in draft.to_spoil
                 if role != "bad-birth-date" and cert.student is not None
                 and (cert.birth_date, fold(cert.first_name), fold(cert.last_name)) not in ambiguous_keys}
    absents = [s for s in students if s.division in certified_divisions and s.left_on is None
               and s.eleve_id not in matched and s.eleve_id not in set_aside]
    # LSU takes the latest non-cancelled certification of each student
    latest = [max((c for c in certs if c.status is not Status.CANCELLED), key=lambda c: (c.passed_on, c.number))
              for certs in matched.values() if any(c.status is not Status.CANCELLED for c in certs)]
    return {
        "files": len(files),
        "files_quarantined_whole": sum(f.quarantined_whole for f in files),
        "rows_read": sum(f.rows_read for f in files),
        "rows_loaded": sum(f.rows_loaded for f in files),
        "rows_quarantined": sum(f.rows_quarantined for f in files),
        "unmatched": unmatched,
        "ambiguous": ambiguous_rows,
        "absents": len(absents),
        "validated": sum(c.status is Status.VALIDATED for c in latest),
        "non_obtenue": sum(c.status is Status.REJECTED for c in latest),
    }


# ---- an académie inbox: one sub-folder per establishment, current export, every row good ----

SCHOOLS_FILE_NAME = "etablissements.csv"
ACADEMIE_NUMBERS_OFFSET = 1_000_000
ACADEMIE_VERSION: ExportVersion = "pix-niveau-score"
DEPARTMENTS = ("086", "079", "017", "016")  # the académie de Poitiers
PATRONS = ("Jean Moulin", "Victor Hugo", "Jules Ferry", "Marie Curie", "Jean Jaurès", "Louise Michel",
           "Albert Camus", "Simone Veil", "Pierre de Ronsard", "George Sand", "Jean Zay", "Condorcet",
           "Jacques Prévert", "Paul Éluard", "Camille Claudel", "Aliénor d'Aquitaine", "René Descartes",
           "Olympe de Gouges", "François Rabelais", "Joachim du Bellay", "Lucie Aubrac", "Théodore Monod",
           "Jean Rostand", "Alfred de Vigny", "Romain Rolland", "Germaine Tillion", "Arthur Rimbaud",
           "Henri Matisse", "Françoise Dolto", "Jean Monnet")
# (status, cumulative probability): most students validate, a few fail, a handful did not finish
ACADEMIE_STATUSES = ((Status.VALIDATED, 0.92), (Status.REJECTED, 0.97), (Status.CANCELLED, 0.98),
                     (Status.ERROR, 0.99), (Status.STARTED, 1.0))


@dataclass(frozen=True)
class AcademieManifest:
    """What make_sample_academie wrote: every row is good, so an ingest loads all of them."""

    root: Path
    uais: tuple[str, ...]
    school_names: dict[str, str]  # UAI -> name, as in root/etablissements.csv
    rosters: bool
    files: int  # class CSVs
    rows: int
    rows_loaded: int
    validated: int  # validated certifications: the attestation pages, once matched
    unmatched: int  # certifications no roster lists (all of them without rosters)


def academie_uai(index: int) -> str:
    """A distinct UAI with a valid key letter for each INDEX (0860100P, 0790101…)."""
    digits = f"{DEPARTMENTS[index % len(DEPARTMENTS)]}{100 + index:04d}"
    return digits + INE_LETTERS[int(digits) % 23]  # the UAI key uses the same 23 letters as the INE


def academie_division(index: int) -> str:
    """3A … 3Z, then 3AA, 3AB … as a spreadsheet names its columns."""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(ord("A") + rest) + letters
    return "3" + letters


def college_name(index: int) -> str:
    patron = PATRONS[index % len(PATRONS)]
    town = COMMUNES[(index + index // len(PATRONS)) % len(COMMUNES)][1]  # distinct pairs for 300 schools
    return f"Collège {patron}, {town}"


def make_sample_academie(root: Path, *, establishments: int = 110, classes: int = 30, students_per_class: int = 30,
                         rosters: bool = True, seed: int = 2026, school_year: int = 2025) -> AcademieManifest:
    """Writes an académie inbox: root/{UAI}/ with ElevesSansAdresses.xml (if ROSTERS) and one class CSV per
    division in the current export as Pix writes it, plus root/etablissements.csv (uai;nom).

    Every row is good and, with rosters, matches exactly one student of its establishment's roster (each student
    certifies once). No planted cases (make_sample_establishment has those): 99,000 rows take about 8 s.
    """
    if establishments < 1 or classes < 1 or students_per_class < 1:
        raise ValueError("an académie needs at least one establishment, one class and one student")
    sampler = _Sampler(seed, school_year)
    # Pix numbers its certifications once for all establishments: the académie's numbers start above the sample
    # establishment's range, so that both samples can share a database (a shared number is set aside as another
    # establishment's)
    sampler.next_number += ACADEMIE_NUMBERS_OFFSET
    rng, year = sampler.rng, school_year + 1
    uais = tuple(academie_uai(i) for i in range(establishments))
    names = {uai: college_name(i) for i, uai in enumerate(uais)}
    root.mkdir(parents=True, exist_ok=True)
    rows = validated = 0
    for uai in uais:
        folder = root / uai
        folder.mkdir(exist_ok=True)
        sampler.identities.clear()  # names and birth date identify a student within one establishment
        students = []
        for index in range(classes):
            division = academie_division(index)
            session, passed_on = sampler.session(), date(year, 1, 12) + timedelta(days=rng.randrange(118))
            certifications = []
            for _ in range(students_per_class):
                person = sampler.person("3")
                student = sampler.student(person, division)
                status = next(s for s, below in ACADEMIE_STATUSES if rng.random() < below)
                certifications.append(sampler.certification(person, student, status, ACADEMIE_VERSION, session,
                                                            passed_on))
                students.append(student)
            certifications.sort(key=_pix_order)
            downloaded = passed_on + timedelta(days=rng.randint(2, 9))
            write_class_csv(folder / f"{downloaded:%Y%m%d}_resultats_{division}.csv", certifications,
                            ACADEMIE_VERSION)
            rows += len(certifications)
            validated += sum(c.status is Status.VALIDATED for c in certifications)
        if rosters:
            write_siecle_roster(folder / ROSTER_FILE_NAME, uai, school_year, students)
    lines = ["uai;nom", *(f"{uai};{name}" for uai, name in names.items())]
    (root / SCHOOLS_FILE_NAME).write_text("\n".join(lines) + "\n", encoding="utf-8")
    return AcademieManifest(root, uais, names, rosters, files=establishments * classes, rows=rows, rows_loaded=rows,
                            validated=validated, unmatched=0 if rosters else rows)


def main(argv: Sequence[str] | None = None) -> None:
    """python -m pix_livret.demo.sample_data OUT_DIR: writes a sample establishment and says what it wrote."""
    parser = argparse.ArgumentParser(prog="python -m pix_livret.demo.sample_data",
                                     description="Écrit un établissement d'exemple (CSV Pix Orga, fichier SIECLE).")
    parser.add_argument("out_dir", type=Path)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--uai", default=DEFAULT_UAI)
    parser.add_argument("--year", type=int, default=2025, help="first year of the school year (2025 for 2025-2026)")
    parser.add_argument("--classes", type=int, default=4)
    parser.add_argument("--students", type=int, default=25, help="students per class")
    args = parser.parse_args(argv)
    manifest = make_sample_establishment(args.out_dir, seed=args.seed, uai=args.uai, school_year=args.year,
                                         classes=args.classes, students_per_class=args.students)
    print(f"Roster: {manifest.roster_path} ({len(manifest.students)} students, UAI {manifest.uai})")
    print(f"Inbox: {manifest.inbox}")
    for f in manifest.files:
        what = f.version or f.kind
        print(f"  {f.name}: {what}, {f.rows_read} rows ({f.rows_loaded} good, {f.rows_quarantined} bad)")
    for title, entries in (("Planted (to be quarantined)", manifest.planted),
                           ("Notices (loaded, but reported)", manifest.notices)):
        print(f"{title}:")
        for name, row, what in entries:
            print(f"  {name}{f', row {row}' if row is not None else ''}: {what}")
    print("Expected: " + ", ".join(f"{key} {value}" for key, value in manifest.expected.items()))


if __name__ == "__main__":
    main()
