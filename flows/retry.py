"""When a task is tried again: on trouble that can pass (a database hiccup), never on a refusal.

An unknown UAI or a malformed year stays what it is: retrying it only makes the administrator wait.
"""
from __future__ import annotations

from collections.abc import Callable


def retry_unless(*refusals: type[Exception]) -> Callable[..., bool]:
    """A Prefect retry_condition_fn: retry on any exception but REFUSALS."""

    def is_transient(task, task_run, state) -> bool:
        try:
            state.result()
        except refusals:
            return False
        except Exception:
            return True
        return False

    return is_transient
