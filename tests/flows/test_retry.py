"""Tasks are tried again on trouble that can pass, never on a refusal."""
from __future__ import annotations

from prefect.states import Completed, Failed

from flows.attestations import AttestationsError
from flows.retry import retry_unless

is_transient = retry_unless(AttestationsError)


def test_a_refusal_is_not_retried():
    assert not is_transient(None, None, Failed(data=AttestationsError("Établissement inconnu dans la base : 0330001A.")))


def test_a_database_hiccup_is_retried():
    assert is_transient(None, None, Failed(data=ConnectionError("server closed the connection unexpectedly")))


def test_a_success_is_not_retried():
    assert not is_transient(None, None, Completed(data=1))
