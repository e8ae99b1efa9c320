"""A hostile inbox through the whole command (issue 10): every case at once, on SQLite and PostgreSQL.

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

from pix_livret.cli import EXIT_QUARANTINE, app
from pix_livret.sample_data import make_sample_academie

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


def prefect_database_text() -> str:
    """Every row of every table of the harness's Prefect database, as text, once its log and event writers flushed."""
    from prefect.logging.handlers import APILogHandler
    from prefect.settings import PREFECT_API_DATABASE_CONNECTION_URL

    APILogHandler().flush()
    time.sleep(2)  # events go through the server's own queue
    path = PREFECT_API_DATABASE_CONNECTION_URL.value().split("///", 1)[1]
    with sqlite3.connect(path) as connection:
        tables = [t for (t,) in connection.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
        return "\n".join(str(row) for table in tables for row in connection.execute(f'SELECT * FROM "{table}"'))


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
    prefect_text = prefect_database_text()
    assert "nightly-ingest" in prefect_text and academie.uais[0] in prefect_text  # the scan sees the run and its logs
    everything = output + report_path.read_text("utf-8") + prefect_text
    leaked = [secret[:20] for secret in SECRETS if secret in everything]
    assert leaked == []
