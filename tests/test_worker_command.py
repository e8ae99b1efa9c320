"""`pix-livret worker`'s command line: the options it shows and what it hands to `prefect worker start` (its stop is
tests/test_worker_stop.py's)."""
from __future__ import annotations

import pytest
from typer.testing import CliRunner

import pix_livret.worker
from pix_livret.cli import EXIT_USAGE, app


@pytest.fixture
def started(monkeypatch) -> list[list[str]]:
    """The arguments each `prefect worker start` would have been given; none is started."""
    calls: list[list[str]] = []
    monkeypatch.setattr(pix_livret.worker, "run_worker", lambda arguments, say: calls.append(arguments) or 0)
    return calls


def test_the_help_shows_the_pool_and_the_other_worker_options():
    result = CliRunner().invoke(app, ["worker", "--help"], env={"COLUMNS": "200"})

    assert result.exit_code == 0
    for option in ("--pool", "--limit", "--work-queue", "--name", "--type", "--with-healthcheck"):
        assert option in result.output
    assert "prefect worker start --help" in result.output


def test_without_a_pool_it_is_a_usage_error_and_no_worker_starts(started):
    result = CliRunner().invoke(app, ["worker"])

    assert result.exit_code == EXIT_USAGE
    assert started == []


def test_its_options_and_any_other_prefect_option_reach_prefect_s_worker(started):
    result = CliRunner().invoke(app, ["worker", "--pool", "pix-livret", "--limit", "2", "--prefetch-seconds", "30",
                                      "-q", "etablissements", "--type", "process", "--with-healthcheck"])

    assert result.exit_code == 0, result.output
    assert started == [["--prefetch-seconds", "30", "--pool", "pix-livret", "--limit", "2", "--type", "process",
                        "--with-healthcheck", "--work-queue", "etablissements"]]


def test_the_guide_s_and_the_units_command_line_is_passed_as_it_is(started):
    result = CliRunner().invoke(app, ["worker", "--pool", "pix-livret"])

    assert result.exit_code == 0, result.output
    assert started == [["--pool", "pix-livret"]]
