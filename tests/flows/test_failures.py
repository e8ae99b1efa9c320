"""An expected error reads as its French message once in a run's log, a defect keeps every line Prefect writes."""
from __future__ import annotations

import logging

from flows.failures import ExpectedErrorsWorded
from pipeline.export import ExportError


def record(message: str, error: BaseException | None = None) -> logging.LogRecord:
    exc_info = (type(error), error, None) if error else None
    return logging.LogRecord("prefect.task_runs", logging.ERROR, __file__, 1, message, (), exc_info)


def test_an_expected_error_is_its_french_message_and_its_english_echo_goes():
    refusal = ExportError("Année scolaire invalide : « 2025 » (attendu AAAA-AAAA).")
    raised = record("Task run failed with exception: %r", refusal)
    echo = record(f"Finished in state Failed('Task run encountered an exception ExportError: {refusal}')")

    assert ExpectedErrorsWorded().filter(raised) and raised.getMessage() == str(refusal)
    assert raised.exc_info is None  # no traceback
    assert not ExpectedErrorsWorded().filter(echo)


def test_a_defect_keeps_its_traceback_and_its_last_line():
    defect = KeyError("colonne")
    raised = record("Task run failed with exception: %r", defect)
    last = record("Finished in state Failed('Task run encountered an exception KeyError: colonne')")

    assert ExpectedErrorsWorded().filter(raised) and raised.exc_info is not None
    assert ExpectedErrorsWorded().filter(last)
