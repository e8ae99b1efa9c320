"""A database holding control and bidi characters (stored before the readers removed them) breaks no output:
the livret XML is valid, the PDFs, pages, charts, workbooks and CSV are written, and none of them carries one."""
from __future__ import annotations

import base64
import io
import json
import re
import zipfile
from datetime import date
from pathlib import Path

import pytest
from openpyxl import load_workbook
from pypdf import PdfReader
from sqlalchemy import select, update
from typer.testing import CliRunner

from pix_livret.cli import EXIT_OK, app
from schemas.referential import LEVEL_COLUMNS
from schemas.tables import Establishment, FileProblem, QuarantinedRow
from store.class_files import read_year_files
from store.enrolments import read_enrolment
from store.query import read_certifications
from tests.db_builders import add_certification, add_establishment, add_source_file, add_student, read_rows
from transforms.bilan_charts import draw_bilan_charts
from transforms.bilans import make_bilan
from transforms.clean_text import UNWANTED
from transforms.lsu_xml import validate_livret_xml

pytestmark = pytest.mark.usefixtures("prefect_harness")
YEAR = "2025-2026"
UAI, OTHER_UAI = "0861234Z", "0330001R"
# every control PostgreSQL can store (NUL it refuses), DEL, C1, the two BMP non-characters and the bidi controls
C0 = "".join(chr(c) for c in (*range(0x01, 0x09), 0x0B, 0x0C, *range(0x0E, 0x20)))
C1 = "".join(chr(c) for c in range(0x7F, 0xA0))
OTHERS = "\ufffe\uffff\u061c\u200e\u200f" + "".join(map(chr, range(0x202A, 0x202F))) \
    + "".join(map(chr, range(0x2066, 0x206A)))
ALL = C0 + C1 + OTHERS
assert all(UNWANTED.fullmatch(ch) for ch in ALL)


@pytest.fixture
def tainted(engine, db_url, tmp_path, monkeypatch):
    """Two establishments whose names, students, classes, file names and results carry every such character."""
    monkeypatch.setenv("PIX_LIVRET_OUT_DIR", str(tmp_path / "out"))
    for uai, base in ((UAI, 0), (OTHER_UAI, 100)):
        add_establishment(engine, uai)
        with engine.begin() as connection:
            connection.execute(update(Establishment).where(Establishment.uai == uai)
                               .values(name=f"Collège{OTHERS}Jean{C0}Moulin"[:120]))
        division = "3\x1b\u202eA"
        lea = add_student(engine, base + 1, uai=uai, last_name=f"Mar{C0}tin", first_name=f"Lé{C1}a",
                          division=division)
        tom = add_student(engine, base + 2, uai=uai, last_name=f"Pe{OTHERS}tit", first_name="T\x08om\x1b",
                          division=division)
        absent = add_student(engine, base + 3, uai=uai, last_name="\u202eDUBOIS\x0b", first_name="Zo\x85é",
                             division=division)
        assert absent
        file_id = add_source_file(engine, f"20260320_resultats_3\x1b{OTHERS}A.csv", uai=uai,
                                  division=division)
        add_certification(engine, 1000 + base + 1, uai=uai, student_id=lea, division=division,
                          centre=f"Centre{C1}", session="12\u200e34", source_file_id=file_id)
        add_certification(engine, 1000 + base + 2, uai=uai, student_id=tom, status="rejected", score=0,
                          global_level=None, levels=dict.fromkeys(LEVEL_COLUMNS), division=division,
                          source_file_id=file_id)
        add_certification(engine, 1000 + base + 3, uai=uai, student_id=None, division=division,
                          first_name=f"Ya{C0}nis", last_name=f"In{C1}connu", source_file_id=file_id)
    return db_url


def texts_of_pdf(pdf: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)


def assert_clean(text: str, where: str) -> None:
    found = sorted({f"U+{ord(ch):04X}" for ch in UNWANTED.findall(text)})
    assert not found, f"{where} carries {found}"


def workbook_texts(path: Path) -> str:
    cells = [str(cell.value) for sheet in load_workbook(path) for row in sheet.iter_rows() for cell in row
             if cell.value is not None]
    with zipfile.ZipFile(path) as archive:  # the XML parts too: _x001B_ escapes would not show in the cells
        parts = [archive.read(name).decode("utf-8") for name in archive.namelist() if name.endswith(".xml")]
    assert not any("_x00" in part and "_x000D_" not in part for part in parts)
    return "\n".join(cells + parts)


def test_every_output_is_made_and_valid_and_carries_no_control_character(tainted, tmp_path):
    out = tmp_path / "made"

    results = [CliRunner().invoke(app, ["export", "lsu", "--year", YEAR, "--uai", uai, "--out", str(out / "lsu"),
                                        "--db", tainted]) for uai in (UAI, OTHER_UAI)]
    results += [CliRunner().invoke(app, ["attestations", "--year", YEAR, "--uai", uai, "--out",
                                         str(out / "pdf" / uai), "--db", tainted]) for uai in (UAI, OTHER_UAI)]
    # no --uai: every establishment's bilan, and the académie summary
    results.append(CliRunner().invoke(app, ["report", "--year", YEAR, "--out", str(out / "bilans"), "--db", tainted]))

    for result in results:
        assert result.exit_code == EXIT_OK, result.output
    xml_files = sorted((out / "lsu").glob("*.xml"))
    assert len(xml_files) == 2
    for path in xml_files:
        validate_livret_xml(path.read_bytes())
        text = path.read_text("utf-8")
        assert_clean(text, path.name)
        assert 'nom="Martin"' in text and 'prenom="Léa"' in text and 'code-division="3A"' in text
    csv_files = sorted((out / "lsu").glob("*.csv"))
    assert csv_files
    for path in csv_files:
        assert_clean(path.read_text("utf-8-sig"), path.name)
    pdfs = sorted((out / "pdf").rglob("*.pdf"))
    assert pdfs
    for path in pdfs:
        text = texts_of_pdf(path.read_bytes())
        assert_clean(text, path.name)
    class_pdf = next(path for path in pdfs if path.name.startswith("Attestations_Pix_"))
    assert "Martin" in texts_of_pdf(class_pdf.read_bytes())
    made = sorted(p for p in (out / "bilans").rglob("*") if p.suffix in {".html", ".pdf", ".xlsx"})
    assert {p.suffix for p in made} == {".html", ".pdf", ".xlsx"}
    assert any("academie" in str(p) for p in made)
    for path in made:
        if path.suffix == ".html":
            text = path.read_text("utf-8")
            charts = [base64.b64decode(data).decode("utf-8")
                      for data in re.findall(r"data:image/svg\+xml;base64,([A-Za-z0-9+/=]+)", text)]
            assert charts or "academie" in str(path)
            text = "\n".join([text, *charts])
        elif path.suffix == ".pdf":
            text = texts_of_pdf(path.read_bytes())
        else:
            text = workbook_texts(path)
        assert_clean(text, str(path.relative_to(out)))
        if "academie" not in str(path) and path.suffix != ".pdf":  # the PDF gives the follow-up list's count only
            assert "DUBOIS" in text  # the follow-up list (absent student) is there, its name cleaned


def test_the_charts_of_a_class_named_with_an_escape_are_drawn_clean(tainted, engine):
    with engine.connect() as connection:
        bilan = make_bilan(read_certifications(connection, UAI, YEAR), read_enrolment(connection, UAI, 2025), YEAR,
                           UAI, "Collège", *read_year_files(connection, UAI, YEAR))

    charts = draw_bilan_charts(bilan)

    assert charts
    for chart in charts:
        assert_clean(f"{chart.title} {chart.alt} {chart.svg.decode('utf-8')}", chart.key)



PIX_HEADER = ("Numéro de certification;Prénom;Nom;Date de naissance;Lieu de naissance;Identifiant Externe;"
              "Type de certification;Statut;Niveau;Score en Pix;1.1;1.2;1.3;2.1;2.2;2.3;2.4;3.1;3.2;3.3;3.4;4.1;"
              "4.2;4.3;5.1;5.2;Commentaire jury pour l’organisation;Session;Date de passage de la certification")


def test_a_roster_and_an_export_with_control_characters_load_and_export_a_valid_livret(db_url, tmp_path,
                                                                                       monkeypatch):
    # the trial's case: such a name in a CSV roster made `export lsu` exit 1 with lxml's traceback
    for variable, folder in (("PIX_LIVRET_ARCHIVE_DIR", "archive"), ("PIX_LIVRET_OUT_DIR", "out")):
        monkeypatch.setenv(variable, str(tmp_path / folder))
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    roster = tmp_path / "eleves.csv"
    roster.write_text("ELEVE_ID;NOM;PRENOM;DATE_NAISS;DIVISION\n"
                      "1;MAR\x01T\x08I\x0bN\x1b\ufffe;L\u202eéa;04/04/2011;3\x1bA\n"
                      "2;PETIT;Tom;01/02/2011;3A\n", encoding="utf-8")
    levels = ";".join(["3"] * 16)
    (inbox / "20260320_resultats_3\x1bA.csv").write_text("\n".join([
        PIX_HEADER,
        f"7310657;Lé\x1ba;Mar\x07tin;04/04/2011;Poitiers;;Pix;Validée;Novice 2;186;{levels};;1234;20/03/2026",
        f"7310658;Tom\u2066;Petit;01/02/2011;Poitiers;;Pix;Validée;Novice 2;200;{levels};;1234;20/03/2026"]),
        encoding="utf-8")

    ingest = CliRunner().invoke(app, ["ingest", str(inbox), "--roster", str(roster), "--uai", UAI,
                                      "--no-attestations", "--db", db_url, "--report", str(tmp_path / "r.json")])
    export = CliRunner().invoke(app, ["export", "lsu", "--year", YEAR, "--uai", UAI, "--out", str(tmp_path / "x"),
                                      "--db", db_url])

    assert ingest.exit_code == EXIT_OK, ingest.output
    [loaded] = json.loads((tmp_path / "r.json").read_text(encoding="utf-8"))["files"]
    assert loaded["status"] == "loaded" and loaded["rows_loaded"] == 2
    assert [(n["row"], n["column"]) for n in loaded["notices"]] == [(None, None), (2, "Prénom"), (2, "Nom"),
                                                                     (3, "Prénom")]
    # the notices are kept with the file's problems, and set no row aside
    assert not read_rows(db_url, select(QuarantinedRow.id))
    stored = read_rows(db_url, select(FileProblem.stage, FileProblem.row_number, FileProblem.column_name))
    assert sorted(tuple(row) for row in stored if row.row_number is not None) == [
        ("clean", 2, "Nom"), ("clean", 2, "Prénom"), ("clean", 3, "Prénom")]
    assert export.exit_code == EXIT_OK, export.output
    document = (tmp_path / "x" / f"LSU_{UAI}_{YEAR}.xml").read_bytes()
    validate_livret_xml(document)
    text = document.decode("utf-8")
    assert_clean(text, "livret")
    assert 'nom="MARTIN" prenom="Léa" date-naissance="2011-04-04" code-division="3A"' in text
    assert text.count("<certification ") == 2
