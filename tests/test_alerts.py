"""`pix-livret alerts` before it reaches a server: which webhooks count as on the school's network, and what it says
without one (tests/test_production_path.py sends the messages for real)."""
from __future__ import annotations

import os

import pytest
from typer.testing import CliRunner

from pix_livret.alerts import is_private
from pix_livret.cli import EXIT_USAGE, app


@pytest.mark.parametrize(("host", "private"), [("127.0.0.1", True), ("10.12.0.4", True), ("192.168.1.20", True),
                                               ("172.16.5.1", True), ("::1", True), ("193.49.48.10", False)])
def test_a_webhook_on_the_school_s_network_is_private(host, private):
    assert is_private(host) is private


def test_alerts_without_a_server_says_which_setting_to_set(monkeypatch):
    monkeypatch.delenv("PREFECT_API_URL", raising=False)

    result = CliRunner().invoke(app, ["alerts", "--webhook-url", "http://10.0.0.5/hooks/x"])

    assert result.exit_code == EXIT_USAGE
    assert "Réglez PREFECT_API_URL" in result.output


def test_alerts_given_serve_s_database_presents_the_password_serve_keeps_beside_it(tmp_path, monkeypatch):
    """`pix-livret serve --db URL` keeps its API password beside that database: `alerts --db URL` finds it, even when
    PIX_LIVRET_DB_URL names another database (tests/test_production_path.py posts for real)."""
    from pipeline.settings import Settings
    from pix_livret import alerts
    from pix_livret.serve import api_auth

    monkeypatch.delenv("PREFECT_SERVER_API_AUTH_STRING", raising=False)
    serve_db = f"sqlite:///{tmp_path / 'serve' / 'pix-livret.sqlite'}"
    made, _ = api_auth(Settings(db_url=serve_db))  # what serve wrote on its first start
    monkeypatch.setenv("PREFECT_API_URL", "http://127.0.0.1:4200/api")
    monkeypatch.setenv("PREFECT_API_AUTH_STRING", "")  # not set (and restored after the test)
    monkeypatch.setenv("PIX_LIVRET_DB_URL", f"sqlite:///{tmp_path / 'other' / 'pix-livret.sqlite'}")
    presented = []
    monkeypatch.setattr(alerts, "install", lambda url: presented.append(os.environ["PREFECT_API_AUTH_STRING"]) or "a")

    result = CliRunner().invoke(app, ["alerts", "--webhook-url", "http://10.0.0.5/hooks/x", "--db", serve_db])

    assert result.exit_code == 0, result.output
    assert presented == [made]
