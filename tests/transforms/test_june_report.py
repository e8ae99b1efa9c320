"""The académie's June table: a line per UAI with its counts or its reason, the sentence that sums it up."""
from __future__ import annotations

from transforms.june_report import EXPORT_COLUMNS, EstablishmentOutcome, JuneReport, outcome_sentence


def report(*outcomes: EstablishmentOutcome) -> JuneReport:
    return JuneReport("Export LSU", "2025-2026", EXPORT_COLUMNS, outcomes)


def test_a_done_establishment_shows_its_counts_and_a_failed_one_dashes_and_its_reason():
    done = EstablishmentOutcome("0861234Z", {"students": 3, "validated": 2, "not_obtained": 1, "left_out": 4})
    failed = EstablishmentOutcome("0870001A", reason="Aucune certification Pix : rien à exporter.")

    assert report(done, failed).rows() == [["0861234Z", "3", "2", "1", "4", ""],
                                           ["0870001A", "—", "—", "—", "—", "Aucune certification Pix : rien à exporter."]]
    assert report(done).state_message() == "Export LSU 2025-2026 : 1 établissement(s) sur 1 fait(s)"


def test_the_message_names_ten_failed_establishments_and_counts_the_rest():
    failed = [EstablishmentOutcome(f"08600{n:02d}A", reason="x") for n in range(12)]

    message = report(*failed).state_message()

    assert message.startswith("Export LSU 2025-2026 : 0 établissement(s) sur 12 fait(s) ; en échec : 0860000A, ")
    assert "0860009A et 2 autre(s) (motifs dans le tableau)" in message and "0860010A" not in message


def test_a_reason_cannot_break_the_artifact_s_table():
    markdown = report(EstablishmentOutcome("0861234Z", reason="dossier a|b\nillisible")).to_markdown()

    assert "| 0861234Z | — | — | — | — | dossier a\\|b\\nillisible |" in markdown.splitlines()


def test_each_establishment_is_logged_as_a_sentence_with_french_names_not_a_dict():
    done = EstablishmentOutcome("0861234Z", {"students": 3, "validated": 2, "not_obtained": 1, "left_out": 4})
    failed = EstablishmentOutcome("0870001A", reason="Aucune certification Pix : rien à exporter.")

    assert outcome_sentence(done, EXPORT_COLUMNS) == \
        "0861234Z : fait (élèves 3, validées 2, non obtenues 1, écartées 4)."
    assert outcome_sentence(failed, EXPORT_COLUMNS) == \
        "0870001A : échec (Aucune certification Pix : rien à exporter.)"
