"""The nightly run's artifact as the Prefect UI shows it: French statuses, the JSON report's English ones unchanged."""
from __future__ import annotations

import json
from datetime import datetime, timezone

from schemas.problems import OpenFile
from tests.builders import ENGLISH_STATES
from transforms.report import EstablishmentReport, FileReport, RunReport

WHOLE_FILE = {"row": None, "column": None, "rule": "unreadable", "message": "fichier illisible", "stage": "read"}
ROW = {"row": 4, "column": "2.3", "rule": "range", "message": "valeur hors limites", "stage": "validate"}


def one_school_report() -> RunReport:
    files = [FileReport("20260320_resultats_3A.csv", "0861234Z", "loaded", 30, 30),
             FileReport("20260320_resultats_3B.csv", "0861234Z", "partial", 28, 27, 1, problems=(ROW,)),
             FileReport("20260320_resultats_3C.csv", "0861234Z", "quarantined", problems=(WHOLE_FILE,)),
             FileReport("20260301_resultats_3D.csv", "0861234Z", "unchanged", 25)]
    still_open = (OpenFile(7, "0861234Z", "20260320_resultats_3C.csv", "quarantined",
                           datetime(2026, 3, 20, tzinfo=timezone.utc), 0),
                  OpenFile(8, "0861234Z", "20260320_resultats_3B.csv", "partial",
                           datetime(2026, 3, 20, tzinfo=timezone.utc), 1))
    return RunReport(files, [EstablishmentReport("0861234Z", 80, open_problems=still_open)])


def test_the_artifact_says_each_file_status_in_french():
    markdown = one_school_report().to_markdown()

    files = [line for line in markdown.splitlines() if line.startswith("| 2026")][:4]  # then the problems' table
    assert [line.split(" | ")[2] for line in files] == ["chargé", "partiel", "quarantaine", "inchangé"]
    still_open = [line for line in markdown.splitlines() if line.startswith("| 7 ") or line.startswith("| 8 ")]
    assert [line.split(" | ")[4] for line in still_open] == ["quarantaine", "partiel"]
    assert not ENGLISH_STATES.search(markdown)


def test_the_json_report_keeps_the_statuses_other_tools_read():
    report = json.loads(one_school_report().to_json())

    assert [f["status"] for f in report["files"]] == ["loaded", "partial", "quarantined", "unchanged"]
    assert [p["status"] for p in report["open_problems"]] == ["quarantined", "partial"]
