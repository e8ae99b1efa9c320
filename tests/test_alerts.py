"""`pix-livret alerts` before it reaches a server: which webhooks count as on the school's network, and what it says
without one (tests/test_production_path.py sends the messages for real)."""
from __future__ import annotations

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
