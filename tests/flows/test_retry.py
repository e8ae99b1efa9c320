"""Tasks are tried again on trouble that can pass, never on a refusal or a row the database refuses."""
from __future__ import annotations

from prefect.states import Completed, Failed

from flows.attestations import AttestationsError
from flows.retry import retry_when_transient
from store.database import DatabaseFailure


def test_a_refusal_is_not_retried():
    assert not retry_when_transient(None, None, Failed(data=AttestationsError("Établissement inconnu : 0330001A.")))


def test_a_refused_row_is_not_retried():
    refused = DatabaseFailure("Valeur refusée par la base de données (table students)", transient=False)
    assert not retry_when_transient(None, None, Failed(data=refused))


def test_a_database_out_of_reach_is_retried():
    assert retry_when_transient(None, None, Failed(data=DatabaseFailure("Base de données injoignable", transient=True)))
    assert retry_when_transient(None, None, Failed(data=ConnectionError("server closed the connection unexpectedly")))


def test_a_success_is_not_retried():
    assert not retry_when_transient(None, None, Completed(data=1))
