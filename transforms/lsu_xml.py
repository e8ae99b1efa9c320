"""The livret import file: a LivretSelection → the LSU/LSL XML of xml-format.md (bytes), checked against our XSD; the left-out CSV.

Pure: no clock, no environment, no file writes (the flow writes the bytes built here).
"""
from __future__ import annotations

import csv
import io
from copy import deepcopy
from datetime import datetime
from functools import cache

import pandas as pd
from lxml import etree

from schemas.livret import (NAMESPACE, NOT_EVALUATED, SCHEMA_VERSION, XSD_PATH, LeftOutReason, Livret,
                            MAX_DIVISION_LENGTH)
from schemas.referential import COMPETENCE_CODES, DOMAINS, LEVEL_COLUMNS, LIVRET_STATUS, Status, competences_of
from transforms.clean_text import clean_frame, clean_value
from transforms.select_livret import LivretSelection

APPLICATION = "pix-livret"
CSV_HEADERS = ("numéro de certification", "id-be", "division", "motif")
_SPREADSHEET_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")

_TAG = {name: f"{{{NAMESPACE}}}{name}" for name in (
    "livret-pix", "entete", "editeur", "application", "version", "etablissement", "annee-scolaire",
    "date-generation", "donnees", "referentiel", "domaine", "competence", "eleves", "eleve",
    "certifications", "certification")}
_LIVRET_STATUS = {status.value: label for status, label in LIVRET_STATUS.items()}


class LivretXmlInvalid(Exception):
    """The document broke our own XSD: a bug in the exporter, never an expected outcome.

    str() gives line, element path and libxml2's error type for each error, without values (they can be names);
    `details` has libxml2's full messages, values included, for the person debugging.
    """

    def __init__(self, errors: list[etree._LogEntry]):
        self.details = tuple(f"ligne {e.line} : {e.message}" for e in errors)
        listed = "; ".join(f"ligne {e.line} {e.path or ''} {e.type_name}" for e in errors[:20])
        more = f" (et {len(errors) - 20} autres)" if len(errors) > 20 else ""
        super().__init__(f"Le fichier du livret ne respecte pas le schéma XSD : {listed}{more}")


def livret_file_name(livret: Livret, uai: str, school_year: str) -> str:
    """LSU_0861234Z_2025-2026.xml"""
    return f"{livret}_{uai}_{school_year}.xml"


def left_out_file_name(livret: Livret, uai: str, school_year: str) -> str:
    """LSU_0861234Z_2025-2026_non-exportees.csv, written beside the XML."""
    return f"{livret}_{uai}_{school_year}_non-exportees.csv"


def build_livret_xml(selection: LivretSelection, *, livret: Livret, uai: str, school_year: str,
                     generated_at: datetime, editor: str, version: str) -> bytes:
    """The import file of SELECTION.exported as UTF-8 bytes, not validated (see render_livret_xml)."""
    return _serialise(build_livret_tree(selection, livret=livret, uai=uai, school_year=school_year,
                                        generated_at=generated_at, editor=editor, version=version))


def render_livret_xml(selection: LivretSelection, *, livret: Livret, uai: str, school_year: str,
                      generated_at: datetime, editor: str, version: str) -> bytes:
    """build_livret_xml, validated against the XSD before serialising; raises LivretXmlInvalid instead of returning.

    The tree is validated as built: serialising is lxml's and faithful, and re-parsing the bytes would cost
    a second pass over every element.
    """
    root = build_livret_tree(selection, livret=livret, uai=uai, school_year=school_year,
                             generated_at=generated_at, editor=editor, version=version)
    validate_livret_tree(root)
    return _serialise(root)


def build_livret_tree(selection: LivretSelection, *, livret: Livret, uai: str, school_year: str,
                      generated_at: datetime, editor: str, version: str) -> etree._Element:
    """The document of xml-format.md: entete, the 16-competence referentiel, then eleves and certifications
    in the same order (code-division, nom, prenom, then id-be). Only generated_at varies between builds.
    """
    root = etree.Element(_TAG["livret-pix"], {"schemaVersion": SCHEMA_VERSION, "livret": livret},
                         nsmap={None: NAMESPACE})
    _add_entete(root, editor=editor, version=version, uai=uai, school_year=school_year, generated_at=generated_at)
    donnees = etree.SubElement(root, _TAG["donnees"])
    _add_referentiel(donnees)
    rows = _ordered_rows(selection.exported)
    _add_eleves(etree.SubElement(donnees, _TAG["eleves"]), rows)
    _add_certifications(etree.SubElement(donnees, _TAG["certifications"]), rows)
    return root


def validate_livret_xml(document: bytes) -> None:
    """Parses DOCUMENT against schemas/livret-pix-1.0.xsd; raises LivretXmlInvalid listing every error."""
    parser = etree.XMLParser(schema=_schema(), huge_tree=True, resolve_entities=False, no_network=True)
    try:
        etree.fromstring(document, parser)
    except etree.XMLSyntaxError:
        raise LivretXmlInvalid(list(parser.error_log)) from None


def validate_livret_tree(root: etree._Element) -> None:
    """Validates a built document against the XSD; raises LivretXmlInvalid listing every error."""
    schema = _schema()
    if not schema.validate(root):
        raise LivretXmlInvalid(list(schema.error_log))


def left_out_csv(selection: LivretSelection) -> bytes:
    """The left-out list for a spreadsheet: UTF-8 with BOM, ';', French headers; number, id-be, division, reason.

    No names, no birth dates: the administrator finds the student in Pix Orga by the certification number.
    """
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    writer.writerow(CSV_HEADERS)
    for row in selection.left_out.itertuples(index=False):
        writer.writerow((int(row.number), "" if pd.isna(row.eleve_id) else int(row.eleve_id),
                         _spreadsheet_safe(clean_value(row.division)), LeftOutReason(row.reason).label))
    return buffer.getvalue().encode("utf-8-sig")


# --- Building blocks


def _add_entete(root: etree._Element, *, editor: str, version: str, uai: str, school_year: str,
                generated_at: datetime) -> None:
    if generated_at.utcoffset() is None:
        raise ValueError("generated_at needs a time zone: date-generation carries its offset")
    entete = etree.SubElement(root, _TAG["entete"])
    for name, text in (("editeur", editor), ("application", APPLICATION), ("version", version),
                       ("etablissement", uai), ("annee-scolaire", school_year),
                       ("date-generation", generated_at.isoformat(timespec="seconds"))):
        etree.SubElement(entete, _TAG[name]).text = text


def _add_referentiel(donnees: etree._Element) -> None:
    referentiel = etree.SubElement(donnees, _TAG["referentiel"])
    for domain in DOMAINS:
        domaine = etree.SubElement(referentiel, _TAG["domaine"], {"code": domain.code, "libelle": domain.label})
        for competence in competences_of(domain):
            etree.SubElement(domaine, _TAG["competence"], {
                "code": competence.code, "code-lsu": competence.lsu_code, "libelle": competence.label})


def _ordered_rows(exported: pd.DataFrame) -> pd.DataFrame:
    """The exported rows with their XML attribute values as text columns, in file order."""
    exported = clean_frame(exported)  # stored before the readers removed them, they would make lxml refuse the file
    division = exported["student_division"].fillna(exported["division"]).astype("string").str.strip()
    frame = pd.DataFrame({
        "division": division,
        "nom": exported["student_last_name"].astype("string"),
        "prenom": exported["student_first_name"].astype("string"),
        "eleve_id": exported["eleve_id"].astype("Int64"),
        "numero": exported["number"].astype("Int64").astype("string"),
        "ine": exported["ine"].astype("string"),
        "naissance": _iso_dates(exported["student_birth_date"]),
        "passage": _iso_dates(exported["passed_on"]),
        "statut": exported["status"].map(_LIVRET_STATUS),
        "score": exported["score"].astype("Int64").where(exported["status"] == Status.VALIDATED.value, 0)
                 .astype("string"),
        "niveau_global": exported["global_level"].astype("string"),
        "centre": exported["centre"].astype("string"),
        "session": exported["session"].astype("string"),
        **{code: exported[column].astype("Int64").astype("string").fillna(NOT_EVALUATED)
           for code, column in zip(COMPETENCE_CODES, LEVEL_COLUMNS)},
    })
    if (frame["division"].str.len() > MAX_DIVISION_LENGTH).any():
        raise ValueError("a code-division longer than 20 characters reached the XML: select_livret should leave it out")
    return frame.sort_values(["division", "nom", "prenom", "eleve_id"], kind="stable").reset_index(drop=True)


def _iso_dates(values: pd.Series) -> pd.Series:
    return pd.to_datetime(values).dt.strftime("%Y-%m-%d").astype("string")


def _add_eleves(eleves: etree._Element, rows: pd.DataFrame) -> None:
    tag = _TAG["eleve"]
    columns = ("eleve_id", "ine", "nom", "prenom", "naissance", "division")
    for eleve_id, ine, nom, prenom, naissance, division in zip(*(_values(rows[c]) for c in columns)):
        attributes = {"id": f"EL_{eleve_id}", "id-be": str(eleve_id)}
        if ine is not None:
            attributes["ine"] = ine
        attributes.update({"nom": nom, "prenom": prenom, "date-naissance": naissance, "code-division": division})
        etree.SubElement(eleves, tag, attributes)


def _add_certifications(certifications: etree._Element, rows: pd.DataFrame) -> None:
    tag, validated = _TAG["certification"], LIVRET_STATUS[Status.VALIDATED]
    template = _validated_template()
    columns = ("eleve_id", "numero", "statut", "passage", "score", "niveau_global", "centre", "session")
    levels = zip(*(_values(rows[code]) for code in COMPETENCE_CODES))
    for (eleve_id, numero, statut, passage, score, niveau_global, centre, session), row_levels in zip(
            zip(*(_values(rows[c]) for c in columns)), levels):
        attributes = {"eleve-ref": f"EL_{eleve_id}", "numero": numero, "statut": statut}
        for name, value in (("date-passage", passage), ("score", score), ("niveau-global", niveau_global),
                            ("centre", centre), ("session", session)):
            if value is not None:
                attributes[name] = value
        if statut != validated:  # NON_OBTENUE carries no competence (as Pix's API)
            etree.SubElement(certifications, tag, attributes)
            continue
        # a copy of the 16 children made in C, then 16 attribute sets: 3x faster than 16 SubElement calls
        certification = deepcopy(template)
        for name, value in attributes.items():
            certification.set(name, value)
        for competence, niveau in zip(certification, row_levels):
            competence.set("niveau", niveau)
        certifications.append(certification)


@cache
def _validated_template() -> etree._Element:
    """A certification element holding the 16 competence children in referential order, niveau still unset."""
    certification = etree.Element(_TAG["certification"], nsmap={None: NAMESPACE})
    for code in COMPETENCE_CODES:
        etree.SubElement(certification, _TAG["competence"], {"code": code})
    return certification


def _values(column: pd.Series) -> list:
    """Plain Python values, None for missing: per-row pandas access would cost seconds on 100,000 students."""
    return [None if value is pd.NA else value for value in column.tolist()]


def _serialise(root: etree._Element) -> bytes:
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")


@cache
def _schema() -> etree.XMLSchema:
    return etree.XMLSchema(etree.parse(str(XSD_PATH)))


def _spreadsheet_safe(value) -> str:
    """VALUE as a cell a spreadsheet will not run as a formula (a division comes from a file name)."""
    text = "" if value is None or pd.isna(value) else str(value)
    return "'" + text if text.startswith(_SPREADSHEET_FORMULA_STARTS) else text
