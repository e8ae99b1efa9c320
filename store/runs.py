"""The history of runs: one pipeline_runs row per flow run, opened at the start and closed at the end.

Takes a connection and non-personal parameters and counts; returns run ids and rows for `pix-livret runs`.
A run whose process was killed never closes its row: the next run to start closes it as interrupted, with what it had
committed (its establishments' files, which name the run that registered them).
"""
from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from typing import Any

from sqlalchemy import Connection, Row, insert, select, update

from schemas.tables import PipelineRun, SourceFile

# No run lasts a day: one still "running" after that was killed on a machine we cannot look into.
STALE_AFTER = timedelta(hours=24)
INTERRUPTED = ("Exécution interrompue avant sa fin (processus arrêté ou machine redémarrée) : {establishments} "
               "établissement(s) enregistré(s) avant l'arrêt ({rows_loaded} ligne(s) chargée(s)) ; ce qu'elle avait "
               "commencé ensuite n'a pas été enregistré, la suivante l'a repris.")


def start_run(connection: Connection, kind: str, parameters: dict[str, Any], flow_run_id: str | None,
              now: datetime, process: str | None = None,
              is_gone: Callable[[str | None], bool] = lambda _process: False) -> int:
    """Opens the run's row, after closing as interrupted the runs whose process IS_GONE (see close_interrupted)."""
    close_interrupted(connection, now, is_gone)
    return connection.execute(insert(PipelineRun).values(
        kind=kind, parameters=parameters, flow_run_id=flow_run_id, started_at=now, status="running", counts={},
        process=process,
    ).returning(PipelineRun.id)).scalar_one()


def close_interrupted(connection: Connection, now: datetime, is_gone: Callable[[str | None], bool]) -> list[int]:
    """Runs still "running" whose process IS_GONE, or started more than STALE_AFTER ago: closed as interrupted."""
    running = connection.execute(select(PipelineRun.id, PipelineRun.started_at, PipelineRun.process)
                                 .where(PipelineRun.status == "running")).all()
    interrupted = [run.id for run in running if is_gone(run.process) or now - _aware(run.started_at) > STALE_AFTER]
    for run_id in interrupted:
        counts = count_committed(connection, run_id)
        connection.execute(update(PipelineRun).where(PipelineRun.id == run_id)
                           .values(status="interrupted", counts=counts, message=INTERRUPTED.format(**counts)))
    return interrupted


def count_committed(connection: Connection, run_id: int) -> dict[str, int]:
    """What run RUN_ID committed, read back from the files it registered: establishments, files, rows."""
    files = read_run_files(connection, run_id)
    return {"establishments": len({f.uai for f in files}), "files": len(files),
            "rows_loaded": sum(f.rows_loaded for f in files), "rows_quarantined": sum(f.rows_quarantined for f in files)}


def read_run_files(connection: Connection, run_id: int) -> list[Row]:
    """The files run RUN_ID registered (and so committed: each establishment's are written in its transaction)."""
    return list(connection.execute(
        select(SourceFile.uai, SourceFile.name, SourceFile.status, SourceFile.rows_read, SourceFile.rows_loaded,
               SourceFile.rows_quarantined).where(SourceFile.first_run_id == run_id).order_by(SourceFile.id)).all())


def finish_run(connection: Connection, run_id: int, status: str, counts: dict[str, Any], message: str,
               now: datetime) -> None:
    connection.execute(update(PipelineRun).where(PipelineRun.id == run_id).values(
        status=status, counts=counts, message=message, ended_at=now))


def read_runs_of(connection: Connection, flow_run_ids: list[str]) -> dict[str, Row]:
    """The rows (status, counts, message) of the runs recorded by these Prefect flow runs, by flow run id: how a
    fan-out learns what each establishment's run did, whichever machine ran it."""
    rows = connection.execute(select(PipelineRun.flow_run_id, PipelineRun.status, PipelineRun.counts,
                                     PipelineRun.message)
                              .where(PipelineRun.flow_run_id.in_(flow_run_ids)).order_by(PipelineRun.id)).all()
    return {row.flow_run_id: row for row in rows}  # the latest row of a flow run retried


def list_runs(connection: Connection, limit: int = 50) -> list[Row]:
    """The latest runs first, as rows with the columns of pipeline_runs."""
    runs = PipelineRun.__table__
    return list(connection.execute(select(runs).order_by(runs.c.id.desc()).limit(limit)).all())


def _aware(moment: datetime) -> datetime:
    # stored in UTC; SQLite hands it back without its offset
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)
