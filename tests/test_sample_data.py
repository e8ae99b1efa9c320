"""pix_livret/demo/sample_data.py: deterministic samples, exact headers per version, roster, planted problems."""
from __future__ import annotations

import csv
import re
import time
from datetime import date
from pathlib import Path

import pytest
from lxml import etree

from pix_livret.demo.sample_data import (DEFAULT_UAI, SampleCertification, SampleManifest, academie_division, fold,
                                    main, make_sample_academie, make_sample_establishment, write_class_csv)
from schemas.referential import COMPETENCE_CODES, Status, global_level_for

CODES = ("1.1", "1.2", "1.3", "2.1", "2.2", "2.3", "2.4", "3.1", "3.2", "3.3", "3.4", "4.1", "4.2", "4.3",
         "5.1", "5.2")
IDENTITY = ("Numéro de certification", "Prénom", "Nom", "Date de naissance", "Lieu de naissance",
            "Identifiant Externe")
COMMENT = "Commentaire jury pour l’organisation"
PASSED = "Date de passage de la certification"
# formats.md §1, spelled out here rather than imported, so a typo in the module shows
EXPECTED_HEADERS = {
    "pix-2018": (*IDENTITY, "Nombre de Pix", *CODES, "Session", "Centre de certification", PASSED),
    "pix-nombre-de-pix": (*IDENTITY, "Statut", "Nombre de Pix", *CODES, COMMENT, "Session", PASSED),
    "pix-resultat": (*IDENTITY, "Type de certification", "Statut", "Résultat", *CODES, COMMENT, "Session", PASSED),
    "pix-niveau-score": (*IDENTITY, "Type de certification", "Statut", "Niveau", "Score en Pix", *CODES, COMMENT,
                         "Session", PASSED),
    "pix-session": (*IDENTITY, "Type de certification", "Statut", "Certification CléA numérique", "Niveau",
                    "Score en Pix", *CODES, COMMENT, "Session", "Centre de certification", PASSED),
}


@pytest.fixture(scope="module")
def sample(tmp_path_factory) -> SampleManifest:
    return make_sample_establishment(tmp_path_factory.mktemp("sample"))


def all_bytes(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def lines_of(manifest: SampleManifest, name: str) -> list[str]:
    """The file's physical lines as a person counts them (line 1 = header)."""
    style = next(f.style for f in manifest.files if f.name == name)
    return re.split(r"\r\n|\n", (manifest.inbox / name).read_bytes().decode(style.encoding))


def certification_files(manifest: SampleManifest):
    return [f for f in manifest.files if f.kind in ("class", "session")]


def test_same_seed_writes_the_same_bytes_and_another_seed_does_not(tmp_path):
    make_sample_establishment(tmp_path / "one")
    make_sample_establishment(tmp_path / "two")
    make_sample_establishment(tmp_path / "other", seed=7)

    assert all_bytes(tmp_path / "one") == all_bytes(tmp_path / "two")
    assert all_bytes(tmp_path / "one") != all_bytes(tmp_path / "other")


def test_default_sample_writes_well_under_a_second(tmp_path):
    started = time.perf_counter()
    make_sample_establishment(tmp_path)
    assert time.perf_counter() - started < 0.5


def test_every_certification_csv_decodes_with_its_encoding_and_has_the_exact_header_of_its_version(sample):
    for f in certification_files(sample):
        content = (sample.inbox / f.name).read_bytes()
        text = content.decode(f.style.encoding)
        assert content.startswith(b"\xef\xbb\xbf") == (f.style.encoding == "utf-8-sig"), f.name
        header = next(csv.reader([text.splitlines()[0]], delimiter=f.style.delimiter))
        while header and header[-1] == "":
            header.pop()
        expected = EXPECTED_HEADERS[f.version]
        if f.style.plain_apostrophe:
            expected = tuple(label.replace("’", "'") for label in expected)
        assert tuple(header) == expected, f.name


def test_all_five_versions_and_every_spreadsheet_mangling_appear(sample):
    files = certification_files(sample)
    styles = [f.style for f in files]

    assert {f.version for f in files} == set(EXPECTED_HEADERS)
    assert {s.encoding for s in styles} >= {"utf-8-sig", "cp1252"}
    assert {s.delimiter for s in styles} == {";", ","}
    assert {s.line_end for s in styles} == {"\n", "\r\n"}
    assert {s.quote_text for s in styles} == {True, False}
    assert {s.date_style for s in styles} == {"dmy", "dmy-short", "iso"}
    assert any(s.trailing_empty_columns for s in styles) and any(s.trailing_blank_lines for s in styles)
    assert any(s.plain_apostrophe for s in styles)


def test_cp1252_file_is_really_windows_1252(sample):
    [f] = [f for f in sample.files if f.style and f.style.encoding == "cp1252"]
    content = (sample.inbox / f.name).read_bytes()

    with pytest.raises(UnicodeDecodeError):
        content.decode("utf-8")
    assert b"\r\n" in content and "’".encode("cp1252") in content  # the jury comments keep Pix's apostrophe


def test_class_files_are_named_as_pix_orga_names_them_with_the_division(sample):
    names = [f.name for f in sample.files if f.kind == "class"]

    assert all(re.fullmatch(r"\d{8}_resultats_\S+\.csv", name) for name in names)
    assert [f.division for f in sample.files if f.kind == "class"] == ["3A", "3B", "3èmeC", "3E"]


def test_roster_is_iso_8859_15_and_parses_with_lxml(sample):
    content = sample.roster_path.read_bytes()
    root = etree.fromstring(content)

    assert content.startswith(b'<?xml version="1.0" encoding="ISO-8859-15"?>')
    content.decode("iso-8859-15")
    with pytest.raises(UnicodeDecodeError):
        content.decode("utf-8")  # accented names are single bytes
    assert root.findtext("PARAMETRES/UAJ") == DEFAULT_UAI
    assert root.findtext("PARAMETRES/ANNEE_SCOLAIRE") == "2025"
    eleves = root.findall("DONNEES/ELEVES/ELEVE")
    assert len(eleves) == len(sample.students)
    assert sum(e.find("ID_NATIONAL") is None for e in eleves) == 1
    assert sum(e.find("DATE_SORTIE") is not None for e in eleves) == 1
    assert any(e.find("NOM_USAGE") is not None for e in eleves)
    assert any("'" in e.findtext("NOM_DE_FAMILLE") for e in eleves)
    assert any("-" in e.findtext("PRENOM") for e in eleves)
    assert all(e.findtext("NOM_DE_FAMILLE") == e.findtext("NOM_DE_FAMILLE").upper() for e in eleves)
    types = {s.findtext("TYPE_STRUCTURE") for s in root.iterfind("DONNEES/STRUCTURES/STRUCTURES_ELEVE/STRUCTURE")}
    assert types == {"D", "G"}


def test_roster_has_the_students_the_pipeline_must_tell_apart(sample):
    students = sample.students
    divisions = {s.division for s in students}
    # the twins are spelled one with accents, one without: compare as the matcher does
    identities = [(s.birth_date, fold(s.first_name), fold(s.last_name)) for s in students]

    assert {"3A", "3B", "3èmeC", "3D", "3E", "4A", "4B"} == divisions
    assert sum(identities.count(i) == 2 for i in identities) == 2  # the ambiguous pair, and no one else
    certified = {c.student.eleve_id for c in sample.certifications if c.student}
    assert not any(s.eleve_id in certified for s in students if s.division.startswith("4"))


def test_planted_and_noticed_rows_are_where_the_manifest_says(sample):
    planted = [(name, row, what) for name, row, what in sample.planted if row is not None]
    noticed = [(name, row, what) for name, row, what in sample.notices if row is not None]
    assert len(planted) == sample.expected["rows_quarantined"]
    assert len(noticed) == sample.expected["unmatched"] + sample.expected["ambiguous"]
    for name, row, what in planted + noticed:
        line = lines_of(sample, name)[row - 1]
        number = re.search(r"certification (\d+)", what).group(1)
        assert line.lstrip('"').startswith(number), (name, row)
        for token in re.findall(r'"([^"]+)"', what):
            assert token in line, (name, row, token)


def test_planted_problems_cover_every_kind(sample):
    planted = " | ".join(w for _, _, w in sample.planted)
    noticed = " | ".join(w for _, _, w in sample.notices)

    for needle in ('"Bof"', '"9"', '"212"', '"31/02/2011"', "already on an earlier row", "Excel workbook",
                   "campaign results export"):
        assert needle in planted, needle
    for needle in ("unmatched", "ambiguous", "absents"):
        assert needle in noticed, needle
    assert [row for _, row, _ in sample.planted].count(None) == sample.expected["files_quarantined_whole"]


def test_bad_rows_are_not_among_the_good_certifications(sample):
    good = {c.number for c in sample.certifications}
    for name, row, what in sample.planted:
        if row is not None:
            number = int(re.search(r"certification (\d+)", what).group(1))
            assert (number in good) == ("earlier row" in what)  # only the duplicate repeats a good row
    for name, row, what in sample.notices:
        if row is not None:
            assert int(re.search(r"certification (\d+)", what).group(1)) in good


def test_files_that_are_no_certification_export(sample):
    whole = [f for f in sample.files if f.quarantined_whole]
    workbook = next(f for f in whole if f.kind == "unreadable")
    campaign = next(f for f in whole if f.kind == "campaign")

    assert workbook.name.endswith("_resultats_3D.csv")
    assert (sample.inbox / workbook.name).read_bytes().startswith(b"PK\x03\x04")
    header = (sample.inbox / campaign.name).read_bytes().decode("utf-8-sig").splitlines()[0]
    assert '"Nom du Participant";"Prénom du Participant";"Classe";"% de progression"' in header


def test_expected_counts_add_up(sample):
    e = sample.expected

    assert e == {"files": 7, "files_quarantined_whole": 2, "rows_read": e["rows_read"],
                 "rows_loaded": len(sample.certifications), "rows_quarantined": 5, "unmatched": 1,
                 "ambiguous": 1, "absents": e["absents"], "validated": e["validated"],
                 "non_obtenue": e["non_obtenue"]}
    assert e["rows_read"] == e["rows_loaded"] + e["rows_quarantined"]
    assert len(list(sample.inbox.iterdir())) == e["files"]
    assert e["validated"] > 10 * e["non_obtenue"] > 0
    assert e["absents"] >= 2 * 4


def test_statuses_of_all_kinds_and_a_retake_after_a_cancelled_attempt(sample):
    statuses = [c.status for c in sample.certifications]
    by_student: dict[int, list[SampleCertification]] = {}
    for c in sample.certifications:
        if c.student:
            by_student.setdefault(c.student.eleve_id, []).append(c)
    retaken = [sorted(certs, key=lambda c: c.passed_on) for certs in by_student.values() if len(certs) == 2]

    assert set(statuses) == set(Status)
    assert statuses.count(Status.VALIDATED) > len(statuses) * 0.8
    assert [[c.status for c in certs] for certs in retaken] == [[Status.CANCELLED, Status.VALIDATED]]


def test_scores_levels_and_dates_are_realistic(sample):
    versions = {n: f.version for f in sample.files for n in f.certification_numbers}
    for c in sample.certifications:
        v2 = versions[c.number] in ("pix-2018", "pix-nombre-de-pix")
        assert date(2026, 1, 1) <= c.passed_on <= date(2026, 5, 31)
        assert c.birth_date.year in (2010, 2011)
        assert set(c.levels) == set(COMPETENCE_CODES)
        if c.status is Status.VALIDATED:
            assert all(level is None or 0 <= level <= 7 for level in c.levels.values())
            if v2:
                assert 0 < c.score <= 1024 and c.global_level is None
            else:
                assert 64 <= c.score <= 895 and c.global_level == global_level_for(c.score)
        elif c.status is Status.REJECTED:
            assert c.score == 0 and c.global_level is None
            assert all(level in ((0, None) if v2 else (None,)) for level in c.levels.values())
        else:
            assert c.score is None and set(c.levels.values()) == {None}


def certification(status=Status.VALIDATED, score=150, level="Novice 2", levels=None) -> SampleCertification:
    return SampleCertification(
        number=7310657, student=None, first_name="Zoë", last_name="N’Diaye", birth_date=date(2011, 3, 4),
        status=status, score=score, global_level=level, levels=levels or dict.fromkeys(CODES, 2), session="4242",
        passed_on=date(2026, 5, 12), centre="Collège Jean Moulin", jury_comment="Bien, très bien")


def written(tmp_path, certs, version, **style) -> str:
    path = tmp_path / "export.csv"
    write_class_csv(path, certs, version, **style)
    return path.read_bytes().decode(style.get("encoding", "utf-8-sig"))


@pytest.mark.parametrize(("version", "rejected"), [("pix-nombre-de-pix", "Rejetée"), ("pix-resultat", "Non obtenue"),
                                                   ("pix-niveau-score", "Non obtenue"), ("pix-session", "Non obtenue")])
def test_rejected_wording_follows_the_version(tmp_path, version, rejected):
    text = written(tmp_path, [certification(Status.REJECTED, 0, None)], version)
    assert f'"{rejected}"' in text


def test_cells_as_pix_writes_them(tmp_path):
    certs = [certification(), certification(Status.REJECTED, 0, None, dict.fromkeys(CODES, 0)),
             certification(Status.CANCELLED, None, None, dict.fromkeys(CODES))]

    current = written(tmp_path, certs, "pix-niveau-score").splitlines()
    old = written(tmp_path, certs, "pix-nombre-de-pix").splitlines()
    result = written(tmp_path, certs, "pix-resultat").splitlines()

    assert current[1] == ('7310657;"Zoë";"N’Diaye";"04/03/2011";"";"";"Pix";"Validée";"Novice 2";150;'
                          + ";".join(["2"] * 16) + ';"Bien, très bien";4242;"12/05/2026"')
    assert ';"Non obtenue";"-";0;' + ";".join(['"-"'] * 16) in current[2]  # new exports: "-" when rejected
    assert ';"Rejetée";0;' + ";".join(["0"] * 16) in old[2]  # old exports: tested competences at 0
    assert ';"Annulée";"-";"-";' in current[3]
    assert '"Novice 2 (150 Pix)"' in result[1] and '"0 Pix"' in result[2] and '"Annulée";"-";' in result[3]
    assert "Niveau" not in old[0] and "Novice" not in "".join(old)


def test_spreadsheet_manglings(tmp_path):
    text = written(tmp_path, [certification()], "pix-niveau-score", encoding="cp1252", delimiter=",",
                   line_end="\r\n", quote_text=False, date_style="dmy-short", trailing_empty_columns=2,
                   trailing_blank_lines=2, plain_apostrophe=True, extra_rows=["7310658,Bof"])
    lines = text.split("\r\n")

    assert lines[0].endswith("Commentaire jury pour l'organisation,Session,Date de passage de la certification,,")
    assert lines[1] == ("7310657,Zoë,N’Diaye,4/3/2011,,,Pix,Validée,Novice 2,150," + ",".join(["2"] * 16)
                        + ',"Bien, très bien",4242,12/5/2026,,')
    assert lines[2] == "7310658,Bof"
    assert lines[3:] == [","*30, ","*30, ""]
    assert "2026-05-12" in written(tmp_path, [certification()], "pix-niveau-score", date_style="iso")


def test_main_writes_a_sample_and_says_what_it_wrote(tmp_path, capsys):
    main([str(tmp_path / "demo")])

    out = capsys.readouterr().out
    assert (tmp_path / "demo" / "ElevesSansAdresses.xml").is_file()
    assert "_resultats_3A.csv" in out and "rows_loaded" in out and '"Bof"' in out


def test_academie_has_a_folder_per_uai_with_its_roster_and_class_files(tmp_path):
    manifest = make_sample_academie(tmp_path / "academie", establishments=2, classes=2, students_per_class=5)

    root = manifest.root
    assert sorted(p.name for p in root.iterdir()) == sorted([*manifest.uais, "etablissements.csv"])
    assert len(set(manifest.uais)) == 2 and all(re.fullmatch(r"[0-9]{7}[A-Z]", uai) for uai in manifest.uais)
    assert (root / "etablissements.csv").read_text(encoding="utf-8").splitlines() == [
        "uai;nom", *(f"{uai};{manifest.school_names[uai]}" for uai in manifest.uais)]
    rows = 0
    for uai in manifest.uais:
        csvs = sorted((root / uai).glob("*.csv"))
        assert sorted(re.fullmatch(r"\d{8}_resultats_(3[A-Z]+)\.csv", p.name)[1] for p in csvs) == ["3A", "3B"]
        roster = etree.fromstring((root / uai / "ElevesSansAdresses.xml").read_bytes())
        assert roster.findtext("PARAMETRES/UAJ") == uai
        listed = {(e.findtext("DATE_NAISS"), fold(e.findtext("PRENOM")), fold(e.findtext("NOM_DE_FAMILLE")))
                  for e in roster.iterfind("DONNEES/ELEVES/ELEVE")}
        assert len(listed) == 10
        for path in csvs:
            text = path.read_bytes().decode("utf-8-sig")
            records = list(csv.DictReader(text.splitlines(keepends=True), delimiter=";"))
            assert tuple(records[0]) == EXPECTED_HEADERS["pix-niveau-score"]
            # every certification is of a roster student: same names and birth date
            assert all((r["Date de naissance"], fold(r["Prénom"]), fold(r["Nom"])) in listed for r in records)
            rows += len(records)
    assert rows == manifest.rows == manifest.rows_loaded == 20 and manifest.files == 4
    assert manifest.unmatched == 0 and 0 < manifest.validated <= 20


def test_academie_without_rosters_writes_no_xml(tmp_path):
    manifest = make_sample_academie(tmp_path, establishments=2, classes=2, students_per_class=5, rosters=False)

    assert not list(tmp_path.rglob("*.xml"))
    assert len(list(tmp_path.rglob("*.csv"))) == 4 + 1
    assert manifest.unmatched == manifest.rows == 20


def test_academie_division_names_go_past_z():
    assert [academie_division(i) for i in (0, 25, 26, 27, 29)] == ["3A", "3Z", "3AA", "3AB", "3AD"]
