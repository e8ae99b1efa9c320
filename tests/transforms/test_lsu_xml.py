"""The livret import XML built from a selection: content, escaping, determinism; the left-out CSV."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pandas as pd
import pytest
from lxml import etree

from schemas.livret import NAMESPACE
from schemas.referential import COMPETENCE_CODES, LEVEL_COLUMNS
from tests.transforms.test_select_livret import stored, stored_row
from transforms.lsu_xml import (CSV_HEADERS, build_livret_xml, left_out_csv, livret_file_name, render_livret_xml,
                                validate_livret_xml)
from transforms.select_livret import select_livret_certifications

NS = {"l": NAMESPACE}
WHEN = datetime(2026, 6, 15, 10, 0, tzinfo=timezone(timedelta(hours=2)))


def selection_of(*rows):
    return select_livret_certifications(stored(*rows), "2025-2026")


def build(selection, generated_at: datetime = WHEN) -> bytes:
    return render_livret_xml(selection, livret="LSU", uai="0861234Z", school_year="2025-2026",
                             generated_at=generated_at, editor="Collège Test", version="0.1.0")


def parsed(document: bytes) -> etree._Element:
    return etree.fromstring(document)


def test_document_validates_and_has_the_contracts_header():
    root = parsed(build(selection_of(stored_row(101))))
    assert root.tag == f"{{{NAMESPACE}}}livret-pix" and root.get("schemaVersion") == "1.0" and root.get("livret") == "LSU"
    assert root.findtext("l:entete/l:etablissement", namespaces=NS) == "0861234Z"
    assert root.findtext("l:entete/l:date-generation", namespaces=NS) == "2026-06-15T10:00:00+02:00"
    assert len(root.findall("l:donnees/l:referentiel/l:domaine/l:competence", NS)) == 16


def test_names_with_markup_apostrophes_and_accents_round_trip_exactly():
    names = {"student_last_name": "D'Artagnan & Fils", "student_first_name": "<b>Élodie</b> \"Zoé\" Ñoño’"}
    document = build(selection_of(stored_row(101, **names, centre="Arts & Métiers <Paris>")))
    validate_livret_xml(document)
    eleve = parsed(document).find("l:donnees/l:eleves/l:eleve", NS)
    assert (eleve.get("nom"), eleve.get("prenom")) == (names["student_last_name"], names["student_first_name"])
    assert parsed(document).find("l:donnees/l:certifications/l:certification", NS).get("centre") == "Arts & Métiers <Paris>"


def test_eleve_carries_the_roster_identity():
    document = build(selection_of(stored_row(101, eleve_id=180004, ine="123456789AB", first_name="Pix spelling")))
    eleve = parsed(document).find("l:donnees/l:eleves/l:eleve", NS)
    assert dict(eleve.attrib) == {"id": "EL_180004", "id-be": "180004", "ine": "123456789AB", "nom": "DURAND",
                                  "prenom": "Louis", "date-naissance": "2011-04-04", "code-division": "3A"}


def test_validated_certification_has_all_16_competences_in_order_with_ne_for_not_evaluated():
    levels = {column: None if column == "level_1_2" else 4 for column in LEVEL_COLUMNS} | {"level_5_2": 0}
    document = build(selection_of(stored_row(101, **levels)))
    competences = parsed(document).findall("l:donnees/l:certifications/l:certification/l:competence", NS)
    assert [c.get("code") for c in competences] == list(COMPETENCE_CODES)
    assert [c.get("niveau") for c in competences][:2] == ["4", "NE"] and competences[-1].get("niveau") == "0"


def test_not_obtained_certification_has_no_competence_and_scores_zero():
    document = build(selection_of(stored_row(101, status="rejected", score=0, global_level=None)))
    certification = parsed(document).find("l:donnees/l:certifications/l:certification", NS)
    assert certification.get("statut") == "NON_OBTENUE" and certification.get("score") == "0"
    assert len(certification) == 0


def test_optional_attributes_are_absent_when_the_source_had_none():
    document = build(selection_of(stored_row(101, global_level=None, passed_on=None, centre=None, session=None)))
    certification = parsed(document).find("l:donnees/l:certifications/l:certification", NS)
    assert set(certification.attrib) == {"eleve-ref", "numero", "statut", "score"}


def test_students_are_sorted_by_division_then_name_and_certifications_follow():
    document = build(selection_of(
        stored_row(101, eleve_id=1, student_division="3B", student_last_name="ABEL"),
        stored_row(102, eleve_id=2, student_division="3A", student_last_name="ZOLA"),
        stored_row(103, eleve_id=3, student_division="3A", student_last_name="MARTIN", student_first_name="Zoé"),
        stored_row(104, eleve_id=4, student_division="3A", student_last_name="MARTIN", student_first_name="Anne")))
    root = parsed(document)
    assert [e.get("id-be") for e in root.iterfind("l:donnees/l:eleves/l:eleve", NS)] == ["4", "3", "2", "1"]
    assert [c.get("eleve-ref") for c in root.iterfind("l:donnees/l:certifications/l:certification", NS)] == \
        ["EL_4", "EL_3", "EL_2", "EL_1"]


def test_two_builds_differ_only_in_date_generation():
    selection = selection_of(stored_row(101), stored_row(102, eleve_id=2, status="rejected", score=0))
    first, second = build(selection), build(selection, WHEN + timedelta(hours=3))
    assert first != second
    assert first.replace(b"2026-06-15T10:00:00+02:00", b"") == second.replace(b"2026-06-15T13:00:00+02:00", b"")
    assert build(selection) == first


def test_unvalidated_build_is_the_same_bytes_as_the_validated_one():
    selection = selection_of(stored_row(101))
    plain = build_livret_xml(selection, livret="LSU", uai="0861234Z", school_year="2025-2026", generated_at=WHEN,
                             editor="Collège Test", version="0.1.0")
    assert plain == build(selection)


def test_date_generation_needs_an_offset():
    with pytest.raises(ValueError):
        build(selection_of(stored_row(101)), datetime(2026, 6, 15, 10, 0))


def test_file_name_follows_the_contract():
    assert livret_file_name("LSL", "0861234Z", "2025-2026") == "LSL_0861234Z_2025-2026.xml"


def test_left_out_csv_is_for_a_spreadsheet_and_names_nobody():
    selection = selection_of(
        stored_row(101, eleve_id=None, division="=HYPERLINK(1)", last_name="Secret", first_name="Name"),
        stored_row(102, eleve_id=7, status="cancelled", score=None))
    content = left_out_csv(selection)
    assert content.startswith("\ufeff".encode("utf-8"))
    lines = content.decode("utf-8-sig").splitlines()
    assert lines[0] == ";".join(CSV_HEADERS)
    assert lines[1:] == ["101;;'=HYPERLINK(1);élève non rattaché à la base élèves (SIECLE)",
                         "102;7;3A;certification annulée"]
    assert b"Secret" not in content and b"DURAND" not in content and b"2011" not in content


def test_a_formula_hidden_behind_control_characters_is_still_written_as_text_in_the_left_out_csv():
    # cleaned first, escaped after: "\x1b=…" must not become "=…" once the ESC is removed
    selection = selection_of(stored_row(101, eleve_id=None, division="\x1b\u202e=HYPERLINK(1)"))

    lines = left_out_csv(selection).decode("utf-8-sig").splitlines()

    assert lines[1] == "101;;'=HYPERLINK(1);élève non rattaché à la base élèves (SIECLE)"


def test_nullable_integer_levels_are_written_as_plain_digits():
    frame = stored(stored_row(101))
    assert isinstance(frame["level_1_1"].dtype, pd.Int64Dtype)
    assert b'niveau="3"' in build(select_livret_certifications(frame, "2025-2026"))
