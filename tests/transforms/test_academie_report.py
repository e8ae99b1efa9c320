"""The fan-out's gathering: establishments' flow runs → the académie's table, state message and status."""
from __future__ import annotations

from tests.builders import ENGLISH_STATES
from transforms.academie_report import AcademieReport, EstablishmentRun
from transforms.inbox import IgnoredEntry

CLEAN = {"files": 2, "files_unchanged": 0, "files_quarantined": 0, "files_partial": 0, "rows_loaded": 10,
         "rows_quarantined": 0, "open_problems": 0, "attestations_written": 8}
SET_ASIDE = CLEAN | {"files_quarantined": 1, "rows_loaded": 4, "rows_quarantined": 3, "open_problems": 1,
                     "attestations_written": 0}


def run(uai: str, state: str = "COMPLETED", status: str | None = "completed", counts: dict | None = None,
        message: str | None = "2 fichier(s), 10 ligne(s) chargée(s)") -> EstablishmentRun:
    return EstablishmentRun(uai, f"Collège {uai}", f"etablissement-{uai}", state, message, status,
                            CLEAN if counts is None else counts)


def test_all_establishments_completed_is_a_clean_night_with_summed_counts():
    report = AcademieReport((run("0860100P"), run("0790101J")))

    assert report.status == "completed"
    assert report.state_message() == "2 établissement(s), 20 ligne(s) chargée(s) ; aucune quarantaine"
    assert report.totals()["attestations_written"] == 16


def test_a_quarantined_establishment_makes_the_night_a_quarantine_naming_its_uai_only():
    report = AcademieReport((run("0860100P"), run("0790101J", "FAILED", "quarantined", SET_ASIDE,
                                                  "Quarantaine : 1 fichier(s) concerné(s)")))

    assert report.status == "quarantined" and not report.failed
    message = report.state_message()
    assert message.startswith("Quarantaine : 1 établissement(s) sur 2") and "(0790101J)" in message
    assert "0860100P" not in message and "14 ligne(s) valide(s) chargée(s)" in message


def test_failed_crashed_and_unfinished_establishments_fail_the_night_and_are_named():
    report = AcademieReport((run("0860100P"), run("0790101J", "FAILED", "failed"),
                             run("0170102K", "CRASHED", None, {}, "Flow run infrastructure exited"),
                             run("0160103A", "SCHEDULED", None, {}, None)))

    assert report.status == "failed"
    assert [e.outcome for e in report.establishments] == ["completed", "failed", "failed", "failed"]
    assert report.state_message().endswith(
        "3 établissement(s) en échec (0790101J, 0170102K, 0160103A) : voir leur exécution establishment-ingest")


def test_failure_outranks_quarantine_in_the_status_and_both_are_said():
    report = AcademieReport((run("0860100P", "FAILED", "quarantined", SET_ASIDE), run("0790101J", "CRASHED", None, {})))

    assert report.status == "failed"
    assert report.state_message().startswith("Quarantaine :") and "en échec (0790101J)" in report.state_message()


def test_the_artifact_has_one_line_per_establishment_and_the_messages_of_those_to_look_at():
    report = AcademieReport((run("0860100P"), run("0790101J", "FAILED", "quarantined", SET_ASIDE, "Quarantaine : x"),
                             run("0170102K", "CRASHED", None, {}, "exited | 1")))

    markdown = report.to_markdown()

    table = [line for line in markdown.splitlines() if line.startswith("| 0")]
    assert table[:3] == [
        "| 0860100P | Collège 0860100P | etablissement-0860100P | 2 | 0 | 10 | 0 | 0 | 8 | réussie |",
        "| 0790101J | Collège 0790101J | etablissement-0790101J | 2 | 1 | 4 | 3 | 1 | 0 | quarantaine |",
        "| 0170102K | Collège 0170102K | etablissement-0170102K | — | — | — | — | — | — | échec (plantée) |"]
    assert "## Établissements à voir" in markdown and "| 0170102K | etablissement-0170102K | exited \\| 1 |" in markdown
    assert not ENGLISH_STATES.search(markdown)


def test_every_state_of_prefect_is_said_in_french_in_the_artifact():
    states = ("COMPLETED", "FAILED", "CRASHED", "CANCELLED", "CANCELLING", "PENDING", "SCHEDULED", "RUNNING",
              "PAUSED", "UNKNOWN")
    report = AcademieReport(tuple(run(f"08601{i:02d}P", state, None, {}) for i, state in enumerate(states)))

    assert not ENGLISH_STATES.search(report.to_markdown())


def test_an_entry_refused_at_the_root_is_a_quarantine_and_listed():
    refused = IgnoredEntry.of("lien", None, "symlink")
    report = AcademieReport((run("0860100P"),), (refused,))

    assert report.status == "quarantined"
    assert "1 élément(s) refusé(s) à la racine" in report.state_message()
    assert "## Éléments de la racine non lus" in report.to_markdown()


def test_a_folder_uai_with_a_wrong_key_and_the_schools_list_problems_are_in_the_artifact_and_the_json():
    problem = {"stage": "read", "file": "etablissements.csv", "row": 3, "column": "uai", "rule": "invalid_uai",
               "value": "12345", "message": "UAI invalide « 12345 » (7 chiffres et une lettre, ex. 0750680G) : "
                                            "ligne ignorée."}
    report = AcademieReport((run("0860100S"), run("0790101A")), schools_problems=(problem,))

    markdown = report.to_markdown()

    assert "UAI à vérifier : 0790101A" in markdown and "0860100S (sa lettre" not in markdown
    assert "| etablissements.csv | 3 | UAI invalide « 12345 »" in markdown
    assert report.asdict()["uais_to_check"] == ["0790101A"]
    assert report.asdict()["schools_problems"][0]["row"] == 3
