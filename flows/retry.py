"""When a task is tried again (and, in the night's attestations, an establishment): on trouble that can pass (the
database out of reach or busy), never otherwise.

A refusal (an unknown UAI, a malformed year) or a row the database refuses stays what it is: retrying it only
makes the administrator wait, and each try writes the same failure again into Prefect's logs.
"""
from __future__ import annotations

from prefect import Task
from prefect.client.schemas.objects import TaskRun
from prefect.states import State

from store.database import DatabaseFailure

TRIES_AGAIN = 2  # bounded: a server down for good is said within a minute, not after an hour
DELAY_SECONDS = 10


def retry_when_transient(task: Task, task_run: TaskRun, state: State) -> bool:
    """A Prefect retry_condition_fn: True for a transient DatabaseFailure or a broken connection only."""
    try:
        state.result()
    except DatabaseFailure as failure:
        return failure.transient
    except (ConnectionError, TimeoutError):
        return True
    except Exception:  # noqa: BLE001 - anything else is a refusal or a defect: trying again changes nothing
        return False
    return False
