"""A failed run says why in the Prefect UI: a markdown artifact under the key of the run's usual report.

The reason is the run history's (flows.history.failure_reason): the message of an error written for
administrators, the type of any other. The UI's artifact page then shows, for each flow, either its last report or
why its last run failed.
"""
from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from prefect import get_run_logger
from prefect.artifacts import create_markdown_artifact

from flows.history import failure_reason


@contextmanager
def failure_published(key: str, worded_errors: tuple[type[BaseException], ...] = ()) -> Iterator[None]:
    """On an exception from the enclosed work: the artifact KEY « Échec » with the reason, then the exception."""
    try:
        yield
    except Exception as error:
        reason = failure_reason(error, worded_errors)
        try:
            create_markdown_artifact(key=key, markdown=f"# Échec de l'exécution\n\n{reason}\n",
                                     description="Motif de l'échec (sans données nominatives)")
        except Exception as unpublished:  # the API itself may be what failed: the run still fails with its reason
            get_run_logger().error("Motif de l'échec non publié (%s) : %s", type(unpublished).__name__, reason)
        raise
