"""A hostile inbox through the whole command: every case at once, on SQLite and PostgreSQL.

Exit 3 (some input set aside), no traceback, every row read either loaded or quarantined, and no personal value —
nor the content of a file that is not an export — in the terminal, the JSON report or Prefect's own database.
"""
from __future__ import annotations

import json
import os
import sqlite3
import time

import pytest
from typer.testing import CliRunner

from pix_livret.cli import EXIT_FAILURE, EXIT_OK, EXIT_QUARANTINE, EXIT_USAGE, app
from pix_livret.demo.sample_data import make_sample_academie, make_sample_establishment
from tests.builders import kept_run_logs

pytestmark = pytest.mark.usefixtures("prefect_harness")

LONG_NAME = "Secretlong" + "x" * 140
SECRETS = (LONG_NAME, "Confidentiel", "Secretpasswd", "Secretxxe", "Secretnul", "Secretvirgule")


def header_and_row(folder):
    export = sorted(folder.glob("*.csv"))[0]
    lines = export.read_text("utf-8-sig").splitlines()
    return export, lines[0], lines[1]


def with_cell(row: str, index: int, value: str) -> str:
    cells = row.split(";")
    cells[index] = value
    return ";".join(cells)


def hostile_inbox(root, tmp_path):
    academie = make_sample_academie(root, establishments=3, classes=2, students_per_class=4, seed=5)
    first, second, third = (root / uai for uai in sorted(academie.uais))
    export, header, row = header_and_row(first)
    number = int(row.split(";")[0])
    rows = [with_cell(row, 1, f'"{LONG_NAME}"'),  # longer than the database's 100
            with_cell(with_cell(row, 0, str(number + 1)), 2, '"=HYPERLINK(""http://x"";""Confidentiel"")"'),
            with_cell(with_cell(row, 0, str(number + 2)), 7, '"[/b]"'),  # a status that reads like markup
            with_cell(with_cell(row, 0, str(number + 3)), 2, '"Secret\x00nul"'),
            with_cell(with_cell(row, 0, str(number + 4)), 1, '"Secretvirgule"').replace(";", ",")]  # another separator
    (first / "20260301_resultats_3Z.csv").write_text("\ufeff" + "\n".join([header, *rows]) + "\n", "utf-8")
    labels = header.split(";")
    (first / "doublon.csv").write_text(";".join(labels + [labels[1]]) + "\n" + row + ";x\n", "utf-8")
    (first / "unicode.csv").write_bytes(export.read_text("utf-8-sig").replace(";", "\t").encode("utf-16"))
    (first / "tronque.csv").write_bytes(export.read_bytes()[:len(header) + 40])
    (first / "vide.csv").write_bytes(b"")
    (first / "entete.csv").write_text(header + "\n", "utf-8")
    (first / "bruit.csv").write_bytes(os.urandom(3_000_000).hex().encode())  # 6 MB: over the size limit
    secret = tmp_path / "passwd"
    secret.write_text("root:Secretpasswd:0:0:/root\n")
    (first / "passwd.csv").symlink_to(secret)
    (first / "\x1b[31mrouge\n.csv").write_bytes(export.read_bytes())
    xxe = tmp_path / "xxe.txt"
    xxe.write_text("Secretxxe")
    roster = second / "ElevesSansAdresses.xml"
    roster.write_text(f'<?xml version="1.0"?><!DOCTYPE BEE_ELEVES [<!ENTITY e SYSTEM "file://{xxe}">]>'
                      '<BEE_ELEVES><DONNEES><ELEVES><ELEVE ELEVE_ID="1"><NOM_DE_FAMILLE>&e;</NOM_DE_FAMILLE>'
                      '</ELEVE></ELEVES></DONNEES></BEE_ELEVES>', "utf-8")
    laughs = "".join(f'<!ENTITY l{i} "{f"&l{i - 1};" * 10}">' for i in range(1, 10))
    (third / "ElevesSansAdresses.xml").write_text(
        f'<?xml version="1.0"?><!DOCTYPE BEE_ELEVES [<!ENTITY l0 "ha">{laughs}]><BEE_ELEVES>&l9;</BEE_ELEVES>', "utf-8")
    return academie


FLUSH_SECONDS = 60  # the server writes its events every few seconds (its event persister's interval); a loaded CI more


def prefect_database_text(flow_name: str) -> str:
    """Every row of every table of the harness's Prefect database, as text, once the server wrote the last log
    line and the final-state event of the latest run of FLOW_NAME (logs and events go through its own queues)."""
    from prefect.logging.handlers import APILogHandler
    from prefect.settings import PREFECT_API_DATABASE_CONNECTION_URL

    APILogHandler().flush()
    path = PREFECT_API_DATABASE_CONNECTION_URL.value().split("///", 1)[1]
    deadline = time.monotonic() + FLUSH_SECONDS
    while not run_flushed(path, flow_name):
        assert time.monotonic() < deadline, f"the server did not write the run's logs and events in {FLUSH_SECONDS} s"
        time.sleep(0.2)
    with sqlite3.connect(path) as connection:
        tables = [t for (t,) in connection.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
        return "\n".join(str(row) for table in tables for row in connection.execute(f'SELECT * FROM "{table}"'))


def run_flushed(path: str, flow_name: str) -> bool:
    """The latest run of FLOW_NAME is final, and its « Finished in state » log line and final-state event are
    written."""
    with sqlite3.connect(path) as connection:
        run = connection.execute("SELECT flow_run.id, flow_run.state_name FROM flow_run JOIN flow ON flow.id = "
                                 "flow_run.flow_id WHERE flow.name = ? ORDER BY flow_run.created DESC LIMIT 1",
                                 (flow_name,)).fetchone()
        if run is None or run[1] not in ("Completed", "Failed", "Crashed"):
            return False
        run_id, state = run
        [(logged,)] = connection.execute("SELECT count(*) FROM log WHERE flow_run_id = ? AND message LIKE "
                                         "'Finished in state%'", (run_id,)).fetchall()
        [(events,)] = connection.execute("SELECT count(*) FROM events WHERE resource_id = ? AND event = ?",
                                         (f"prefect.flow-run.{run_id}", f"prefect.flow-run.{state}")).fetchall()
    return logged > 0 and events > 0


def test_a_hostile_inbox_is_set_aside_row_by_row_and_leaks_nothing(db_url, tmp_path, monkeypatch):
    academie = hostile_inbox(tmp_path / "inbox", tmp_path)
    for name, value in {"PIX_LIVRET_DB_URL": db_url, "PIX_LIVRET_ARCHIVE_DIR": str(tmp_path / "archive"),
                        "PIX_LIVRET_OUT_DIR": str(tmp_path / "out")}.items():
        monkeypatch.setenv(name, value)
    report_path = tmp_path / "report.json"

    result = CliRunner().invoke(app, ["ingest", str(academie.root), "--no-attestations", "--verbose",
                                      "--report", str(report_path)])

    output = result.output
    assert result.exit_code == EXIT_QUARANTINE, output
    assert "Traceback" not in output and "\x1b" not in output
    report = json.loads(report_path.read_text("utf-8"))
    totals = report["totals"]
    assert totals["rows_read"] == totals["rows_loaded"] + totals["rows_quarantined"]
    assert totals["rows_loaded"] >= academie.rows  # the good files (and the UTF-16 copy) loaded
    statuses = {f["name"]: f["status"] for f in report["files"]}
    assert statuses["20260301_resultats_3Z.csv"] == "partial"
    for name in ("doublon.csv", "tronque.csv", "vide.csv", "entete.csv", "bruit.csv"):
        assert statuses[name] == "quarantined", name
    assert any(i["name"] == "passwd.csv" and i["rule"] == "symlink" for i in report["ignored"])
    prefect_text = prefect_database_text("nightly-ingest")
    assert "nightly-ingest" in prefect_text and academie.uais[0] in prefect_text  # the scan sees the run and its logs
    everything = output + report_path.read_text("utf-8") + prefect_text
    leaked = [secret[:20] for secret in SECRETS if secret in everything]
    assert leaked == []


# --- Checked at the door, and expected errors said without a traceback


@pytest.fixture
def folders(db_url, tmp_path, monkeypatch):
    """The run's database and folders, as the command reads them."""
    for name, value in {"PIX_LIVRET_DB_URL": db_url, "PIX_LIVRET_ARCHIVE_DIR": str(tmp_path / "archive"),
                        "PIX_LIVRET_OUT_DIR": str(tmp_path / "out")}.items():
        monkeypatch.setenv(name, value)
    return tmp_path


@pytest.fixture
def run_log_records():
    """Every record of Prefect's flow and task run loggers during the test, as their handlers receive it."""
    with kept_run_logs() as records:
        yield records


def ingest(inbox, tmp_path, *options):
    report_path = tmp_path / "report.json"
    result = CliRunner().invoke(app, ["ingest", str(inbox), "--no-attestations", "--no-bilans", "--report",
                                      str(report_path), *options])
    report = json.loads(report_path.read_text("utf-8")) if report_path.exists() else None
    return result, report


def test_a_wrong_uai_key_an_empty_roster_and_foreign_digits_are_said_in_the_summary_and_the_report(folders):
    school = make_sample_establishment(folders / "school", classes=1, students_per_class=16)
    export = next(f for f in sorted(school.inbox.glob("*_resultats_*.csv")))
    lines = export.read_text("utf-8-sig").splitlines()
    number = lines[1].split(";")[0]
    lines[1] = lines[1].replace(number, "١٢٣٤٥٦٧", 1)  # Arabic-Indic digits
    export.write_text("\ufeff" + "\n".join(lines) + "\n", "utf-8")
    (school.inbox / "ElevesSansAdresses.xml").write_bytes(b"")  # a 0-byte roster, found in the inbox

    result, report = ingest(school.inbox, folders, "--uai", "0861234A")  # the key of 0861234 is Z

    output = result.output
    assert result.exit_code == EXIT_QUARANTINE, output
    assert "UAI à vérifier : 0861234A" in output and report["uais_to_check"] == ["0861234A"]
    assert report["establishments"][0]["uai_to_check"] is True
    assert "0861234A : liste d'élèves ElevesSansAdresses.xml : Fichier vide" in output
    assert f"{export.name}, ligne 2, colonne Numéro de certification : Numéro de certification illisible" in output
    [bad] = [p for f in report["files"] if f["name"] == export.name for p in f["problems"] if p["row"] == 2]
    assert bad["column"] == "Numéro de certification" and "chiffres de 0 à 9" in bad["message"]
    assert "Traceback" not in output


def test_a_roster_uaj_with_a_wrong_key_is_kept_and_said(folders):
    school = make_sample_establishment(folders / "school", classes=1, students_per_class=16)
    roster = school.roster_path.read_bytes().replace(b"<UAJ>0861234Z</UAJ>", b"<UAJ>0861234A</UAJ>")
    assert b"0861234A" in roster
    school.roster_path.write_bytes(roster)

    result, report = ingest(school.inbox, folders, "--roster", str(school.roster_path))

    assert result.exit_code == EXIT_QUARANTINE, result.output
    assert "UAI à vérifier : 0861234A" in result.output and report["uais_to_check"] == ["0861234A"]
    assert report["totals"]["rows_loaded"] > 0


def test_a_linked_roster_is_said_in_the_summary_without_verbose(folders):
    school = make_sample_establishment(folders / "school", classes=1, students_per_class=16)
    moved = folders / "ailleurs.xml"
    school.roster_path.rename(moved)
    (school.inbox / "ElevesSansAdresses.xml").symlink_to(moved)

    result, _ = ingest(school.inbox, folders, "--uai", school.uai)

    assert result.exit_code == EXIT_QUARANTINE, result.output
    assert "ElevesSansAdresses.xml — lien symbolique" in result.output


def test_a_bad_line_of_the_schools_list_sets_aside_that_line_alone_and_a_wrong_key_folder_is_said(folders):
    academie = make_sample_academie(folders / "academie", establishments=2, classes=1, students_per_class=3,
                                    rosters=False)
    first, second = sorted(academie.uais)
    wrong = second[:7] + ("A" if second[7] != "A" else "B")
    (academie.root / second).rename(academie.root / wrong)
    schools = academie.root / "etablissements.csv"
    lines = schools.read_text("utf-8-sig").splitlines()
    lines.insert(2, "12345;Collège mal saisi")  # line 3: not a UAI
    lines.append(f"{wrong};Collège à la lettre douteuse")
    schools.write_text("\n".join(lines) + "\n", "utf-8")

    result, report = ingest(academie.root, folders)

    output = result.output
    assert result.exit_code == EXIT_OK, output  # a list of names sets aside no result: the run stays green
    assert "etablissements.csv, ligne 3 : UAI invalide « 12345 »" in output
    assert f"UAI à vérifier : {wrong}" in output and report["uais_to_check"] == [wrong]
    by_rule = {p["rule"]: p for p in report["schools_problems"]}
    assert by_rule["invalid_uai"]["row"] == 3 and by_rule["uai_key"]["row"] == len(lines)
    names = {e["uai"]: e["name"] for e in report["establishments"]}
    assert names[first] == academie.school_names[first]  # the other lines still name their establishment
    assert names[wrong] == "Collège à la lettre douteuse"


def test_a_roster_given_with_an_academie_inbox_is_a_usage_error_saying_where_rosters_go(tmp_path):
    academie = make_sample_academie(tmp_path / "academie", establishments=1, classes=1, students_per_class=3)
    [uai] = academie.uais

    result = CliRunner().invoke(app, ["ingest", str(academie.root), "--roster",
                                      str(academie.root / uai / "ElevesSansAdresses.xml")])

    assert result.exit_code == EXIT_USAGE, result.output
    assert "--roster vaut pour un seul établissement" in result.output
    assert f"{uai}/ElevesSansAdresses.xml" in result.output.replace("\n", "")


def test_an_export_of_a_year_without_data_logs_its_french_message_alone(folders, run_log_records):
    school = make_sample_establishment(folders / "school", classes=1, students_per_class=16)
    ingest(school.inbox, folders, "--roster", str(school.roster_path))

    result = CliRunner().invoke(app, ["export", "lsu", "--year", "2019-2020"])

    reason = "Aucune certification Pix de l'établissement 0861234Z pour l'année scolaire 2019-2020 : rien à exporter."
    assert result.exit_code == EXIT_FAILURE and reason in result.output, result.output
    errors = [r for r in run_log_records if r.levelname == "ERROR" and r.exc_info]
    assert errors == [], [r.getMessage()[:200] for r in errors]
    assert reason in [r.getMessage() for r in run_log_records]


def test_a_roster_whose_uaj_is_not_a_uai_logs_its_french_message_alone(folders, run_log_records):
    school = make_sample_establishment(folders / "school", classes=1, students_per_class=16)
    roster = school.roster_path.read_bytes().replace(b"<UAJ>0861234Z</UAJ>", b"<UAJ>PASUNUAI</UAJ>")
    school.roster_path.write_bytes(roster)

    result, _ = ingest(school.inbox, folders, "--roster", str(school.roster_path))

    assert result.exit_code == EXIT_USAGE, result.output
    assert "UAI inconnu" in result.output
    errors = [r for r in run_log_records if r.exc_info]
    assert errors == [], [r.getMessage()[:200] for r in errors]
