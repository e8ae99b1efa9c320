"""The history of runs: one pipeline_runs row per flow run, opened at the start and closed at the end.

Takes a connection and non-personal parameters and counts; returns run ids and rows for `pix-livret runs`.
"""
from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Row, insert, select, update

from schemas.tables import PipelineRun


def start_run(connection: Connection, kind: str, parameters: dict[str, Any], flow_run_id: str | None,
              now: datetime) -> int:
    return connection.execute(insert(PipelineRun).values(
        kind=kind, parameters=parameters, flow_run_id=flow_run_id, started_at=now, status="running", counts={},
    ).returning(PipelineRun.id)).scalar_one()


def finish_run(connection: Connection, run_id: int, status: str, counts: dict[str, Any], message: str,
               now: datetime) -> None:
    connection.execute(update(PipelineRun).where(PipelineRun.id == run_id).values(
        status=status, counts=counts, message=message, ended_at=now))


def list_runs(connection: Connection, limit: int = 50) -> list[Row]:
    """The latest runs first, as rows with the columns of pipeline_runs."""
    runs = PipelineRun.__table__
    return list(connection.execute(select(runs).order_by(runs.c.id.desc()).limit(limit)).all())
