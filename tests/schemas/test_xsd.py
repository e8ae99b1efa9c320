"""The XSD of the livret import file: in step with the referential, accepts a valid file, rejects broken ones."""
from __future__ import annotations

from copy import deepcopy
from datetime import datetime, timedelta, timezone

import pytest
from lxml import etree

from schemas.livret import LIVRETS, NAMESPACE, NOT_EVALUATED, SCHEMA_VERSION, XSD_PATH
from schemas.referential import (COMPETENCE_CODES, COMPETENCES, DOMAINS, GLOBAL_LEVEL_LABELS, LIVRET_STATUS,
                                 MAX_LEVEL, MAX_SCORE)
from tests.transforms.test_select_livret import stored, stored_row
from transforms.lsu_xml import LivretXmlInvalid, build_livret_xml, validate_livret_xml
from transforms.select_livret import select_livret_certifications

XS = {"xs": "http://www.w3.org/2001/XMLSchema"}
NS = {"l": NAMESPACE}


def enumeration(type_name: str) -> list[str]:
    xsd = etree.parse(str(XSD_PATH))
    return xsd.xpath(f"/xs:schema/xs:simpleType[@name='{type_name}']//xs:enumeration/@value", namespaces=XS)


def facet(type_name: str, name: str) -> str:
    xsd = etree.parse(str(XSD_PATH))
    return xsd.xpath(f"/xs:schema/xs:simpleType[@name='{type_name}']//xs:{name}/@value", namespaces=XS)[0]


def test_enumerations_agree_with_the_referential():
    assert enumeration("CodeDomaine") == [d.code for d in DOMAINS]
    assert enumeration("CodeCompetence") == list(COMPETENCE_CODES)
    assert enumeration("CodeCompetenceLsu") == [c.lsu_code for c in COMPETENCES]
    assert enumeration("Statut") == list(LIVRET_STATUS.values())
    assert enumeration("NiveauGlobal") == list(GLOBAL_LEVEL_LABELS)
    assert enumeration("Niveau") == [str(level) for level in range(MAX_LEVEL + 1)] + [NOT_EVALUATED]
    assert enumeration("Livret") == list(LIVRETS)
    assert enumeration("SchemaVersion") == [SCHEMA_VERSION]
    assert facet("Score", "maxInclusive") == str(MAX_SCORE)


def test_xsd_targets_the_contracts_namespace_and_version():
    xsd = etree.parse(str(XSD_PATH)).getroot()
    assert xsd.get("targetNamespace") == NAMESPACE and xsd.get("version") == SCHEMA_VERSION


@pytest.fixture
def document() -> etree._Element:
    """A valid file: a validated student with an INE, and a not-obtained one."""
    selection = select_livret_certifications(stored(
        stored_row(101, eleve_id=1, ine="123456789AB", centre="Collège"),
        stored_row(102, eleve_id=2, status="rejected", score=0, global_level=None)), "2025-2026")
    return etree.fromstring(build_livret_xml(
        selection, livret="LSU", uai="0861234Z", school_year="2025-2026", editor="pix-livret", version="0.1.0",
        generated_at=datetime(2026, 6, 15, 10, tzinfo=timezone(timedelta(hours=2)))))


def validate(root: etree._Element) -> None:
    validate_livret_xml(etree.tostring(root))


def first(root: etree._Element, path: str) -> etree._Element:
    return root.find(path, NS)


def test_a_valid_document_validates(document):
    validate(document)


def broken(document: etree._Element, change) -> etree._Element:
    copy = deepcopy(document)
    change(copy)
    return copy


CERTIFICATION = "l:donnees/l:certifications/l:certification"
ELEVE = "l:donnees/l:eleves/l:eleve"

BREAKAGES = {
    "unknown statut": lambda r: first(r, CERTIFICATION).set("statut", "ANNULEE"),
    "missing competence": lambda r: first(r, CERTIFICATION).remove(first(r, CERTIFICATION)[-1]),
    "duplicate competence code": lambda r: first(r, CERTIFICATION)[1].set("code", "1.1"),
    "level above 8": lambda r: first(r, CERTIFICATION)[0].set("niveau", "9"),
    "bad UAI": lambda r: setattr(first(r, "l:entete/l:etablissement"), "text", "861234Z"),
    "bad school year": lambda r: setattr(first(r, "l:entete/l:annee-scolaire"), "text", "2025/2026"),
    "date-generation without offset": lambda r: setattr(first(r, "l:entete/l:date-generation"), "text",
                                                        "2026-06-15T10:00:00"),
    "duplicate eleve id": lambda r: r.findall(ELEVE, NS)[1].set("id", "EL_1"),
    "reference to no eleve": lambda r: first(r, CERTIFICATION).set("eleve-ref", "EL_999"),
    "two certifications for one student": lambda r: r.findall(CERTIFICATION, NS)[1].set("eleve-ref", "EL_1"),
    "bad INE": lambda r: first(r, ELEVE).set("ine", "123"),
    "empty nom": lambda r: first(r, ELEVE).set("nom", ""),
    "nom of 101 characters": lambda r: first(r, ELEVE).set("nom", "x" * 101),
    "unknown global level": lambda r: first(r, CERTIFICATION).set("niveau-global", "Maître"),
    "score above the maximum": lambda r: first(r, CERTIFICATION).set("score", "1025"),
    "unknown livret": lambda r: r.set("livret", "LSX"),
    "entete out of order": lambda r: first(r, "l:entete").insert(0, first(r, "l:entete/l:version")),
    "missing referential domain": lambda r: first(r, "l:donnees/l:referentiel").remove(
        first(r, "l:donnees/l:referentiel/l:domaine")),
    "unknown LSU code": lambda r: first(r, "l:donnees/l:referentiel/l:domaine/l:competence").set("code-lsu", "CN_X"),
    "division of 21 characters": lambda r: first(r, ELEVE).set("code-division", "x" * 21),
}


@pytest.mark.parametrize("breakage", BREAKAGES, ids=list(BREAKAGES))
def test_a_broken_document_is_rejected(document, breakage):
    with pytest.raises(LivretXmlInvalid):
        validate(broken(document, BREAKAGES[breakage]))


def test_rejection_lists_errors_without_values(document):
    secret = broken(document, lambda r: first(r, ELEVE).set("nom", "SECRET" * 20))
    with pytest.raises(LivretXmlInvalid) as raised:
        validate(secret)
    assert "SECRET" not in str(raised.value) and "ligne" in str(raised.value)
    assert any("SECRET" in line for line in raised.value.details)
