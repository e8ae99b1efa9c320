"""Class CSVs as Pix Orga writes them, in each of its five header versions, and as a spreadsheet re-saves them.

Takes certifications, a header version and a style; returns or writes the file's text."""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Literal

from pix_livret.demo.records import SampleCertification
from schemas.referential import COMPETENCE_CODES, Status

ExportVersion = Literal["pix-2018", "pix-nombre-de-pix", "pix-resultat", "pix-niveau-score", "pix-session"]
DateStyle = Literal["dmy", "dmy-short", "iso"]
VERSIONS: tuple[ExportVersion, ...] = ("pix-2018", "pix-nombre-de-pix", "pix-resultat", "pix-niveau-score",
                                       "pix-session")
# Exports of the v2 certification: scores up to 1024 and no global level.
V2_VERSIONS: tuple[ExportVersion, ...] = ("pix-2018", "pix-nombre-de-pix")


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


REJECTED_COMMENT = ("Le candidat a répondu faux à plus de 50 % des questions posées, la certification est donc "
                    "invalidée et le score ramené à 0 pix.")
CANCELLED_COMMENT = "Incident technique pendant la session : certification annulée, l’élève repassera l’épreuve."
# Jury comments can span lines; Pix keeps the line break inside the quoted cell.
ERROR_COMMENT = "Coupure du réseau pendant l’épreuve.\nSession à reprogrammer avec le centre."


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
