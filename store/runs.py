"""The history of runs: one pipeline_runs row per flow run, opened at the start and closed at the end.

Takes a connection and non-personal parameters and counts; returns run ids and rows for `pix-livret runs`.
A run whose process was killed never closes its row: the next run to start closes it as interrupted, with what it had
committed (its establishments' files, which name the run that registered them).
"""
from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from typing import Any

from sqlalchemy import Connection, Row, insert, or_, select, update

from schemas.tables import PipelineRun, SourceFile

# No run lasts a day: one still "running" after that was killed on a machine we cannot look into.
STALE_AFTER = timedelta(hours=24)
INTERRUPTED = ("Exécution interrompue avant sa fin (processus arrêté ou machine redémarrée) : {establishments} "
               "établissement(s) enregistré(s) avant l'arrêt ({rows_loaded} ligne(s) chargée(s)) ; ce qu'elle avait "
               "commencé ensuite n'a pas été enregistré, la suivante l'a repris.")


def start_run(connection: Connection, kind: str, parameters: dict[str, Any], flow_run_id: str | None,
              now: datetime, process: str | None = None,
              is_gone: Callable[[str | None], bool] = lambda _process: False, uai: str | None = None) -> int:
    """Opens the run's row, after closing as interrupted the runs whose process IS_GONE (see close_interrupted).

    UAI: the establishment of a run of one, when it is known at the start (else finish_run may record it)."""
    close_interrupted(connection, now, is_gone)
    return connection.execute(insert(PipelineRun).values(
        kind=kind, parameters=parameters, flow_run_id=flow_run_id, started_at=now, status="running", counts={},
        process=process, uai=uai,
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
               now: datetime, uai: str | None = None) -> None:
    """Closes the run's row; UAI, when given, is the establishment the work found it was for (the only one in the
    database, when none was asked)."""
    values = {"status": status, "counts": counts, "message": message, "ended_at": now} | ({"uai": uai} if uai else {})
    connection.execute(update(PipelineRun).where(PipelineRun.id == run_id).values(**values))


def adopt_runs(connection: Connection, parent_id: int, flow_run_ids: list[str]) -> None:
    """The rows recorded by these Prefect flow runs (an académie night's establishments) become PARENT_ID's: the
    night is then one line of the history, its establishments beneath it."""
    if flow_run_ids:
        connection.execute(update(PipelineRun).where(PipelineRun.flow_run_id.in_(flow_run_ids))
                           .values(parent_run_id=parent_id))


def read_runs_of(connection: Connection, flow_run_ids: list[str]) -> dict[str, Row]:
    """The rows (status, counts, message) of the runs recorded by these Prefect flow runs, by flow run id: how a
    fan-out learns what each establishment's run did, whichever machine ran it."""
    rows = connection.execute(select(PipelineRun.flow_run_id, PipelineRun.status, PipelineRun.counts,
                                     PipelineRun.message)
                              .where(PipelineRun.flow_run_id.in_(flow_run_ids)).order_by(PipelineRun.id)).all()
    return {row.flow_run_id: row for row in rows}  # the latest row of a flow run retried


def list_runs(connection: Connection, limit: int = 50, *, uai: str | None = None,
              since: datetime | None = None) -> list[Row]:
    """The latest runs first, as rows with the columns of pipeline_runs: the académie nights as one row each (their
    establishments' runs are children_of them); with UAI, that establishment's runs instead, each on its own (an
    académie run of one process counts when it registered a file of UAI); with SINCE, those started from then on."""
    runs = PipelineRun.__table__
    query = select(runs).order_by(runs.c.id.desc()).limit(limit)
    if uai is None:
        query = query.where(runs.c.parent_run_id.is_(None))
    else:
        of_uai = select(SourceFile.first_run_id).where(SourceFile.uai == uai, SourceFile.first_run_id.is_not(None))
        query = query.where(or_(runs.c.uai == uai, runs.c.id.in_(of_uai)))
    if since is not None:
        query = query.where(runs.c.started_at >= since)
    return list(connection.execute(query).all())


def children_of(connection: Connection, parent_ids: list[int]) -> dict[int, list[Row]]:
    """The establishments' runs of these académie nights, by night, in the order of their UAIs."""
    runs = PipelineRun.__table__
    rows = connection.execute(select(runs).where(runs.c.parent_run_id.in_(parent_ids))
                              .order_by(runs.c.uai, runs.c.id)).all() if parent_ids else []
    children: dict[int, list[Row]] = {}
    for row in rows:
        children.setdefault(row.parent_run_id, []).append(row)
    return children


def _aware(moment: datetime) -> datetime:
    # stored in UTC; SQLite hands it back without its offset
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)
