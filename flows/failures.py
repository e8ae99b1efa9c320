"""A failed run says why in the Prefect UI: a markdown artifact under the key of the run's usual report.

The reason is the run history's (pipeline.history.failure_reason): the message of an error written for
administrators, the type of any other. The UI's artifact page then shows, for each flow, either its last report or
why its last run failed. And in the run's logs an expected error (transforms.worded.WordedError) is its French
message alone, without Prefect's traceback, wherever the flow runs (command, serve, worker).
"""
from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from contextlib import contextmanager

from prefect import get_run_logger
from prefect.artifacts import create_markdown_artifact

from pipeline.history import failure_reason
from transforms.worded import WordedError

# Prefect's loggers of flow and task runs: the engine logs a run's exception there with its traceback (« Encountered
# exception during execution », « Task run failed with exception »), and on a worker once more when the run ends
# Failed, returned state included (« Engine execution exited with unexpected exception », flow_engine.run_flow)
RUN_LOGGERS = ("prefect.flow_runs", "prefect.task_runs")


# the engine's last line of a failed run, « Finished in state Failed('… encountered an exception ExportError: …') »:
# for an expected error, its French message once more, wrapped in English
FINISHED_BY = re.compile(r"^Finished in state Failed\('[^']*encountered an exception:? (\w+):")


class ExpectedErrorsWorded(logging.Filter):
    """A log record carrying a WordedError becomes its French message alone, at the same level: an administrator
    reads a traceback as a bug. Any other exception keeps its traceback. The engine's « Finished in state Failed »
    line that follows it, which repeats the message in English, goes."""

    def filter(self, record: logging.LogRecord) -> bool:
        error = record.exc_info[1] if record.exc_info else None
        if isinstance(error, WordedError):
            record.msg, record.args, record.exc_info, record.exc_text = str(error), (), None, None
            return True
        finished = FINISHED_BY.match(record.getMessage())
        return not (finished and finished.group(1) in _worded_error_names())


def _worded_error_names() -> set[str]:
    found, waiting = set(), [WordedError]
    while waiting:
        kind = waiting.pop()
        found.add(kind.__name__)
        waiting.extend(kind.__subclasses__())
    return found


def quiet_expected_errors() -> None:
    """ExpectedErrorsWorded on Prefect's run loggers of this process, once. Called when this module is imported:
    every flow module imports it, and a worker's flow-run process imports the flow before running it."""
    for name in RUN_LOGGERS:
        logger = logging.getLogger(name)
        if not any(isinstance(f, ExpectedErrorsWorded) for f in logger.filters):
            logger.addFilter(ExpectedErrorsWorded())


quiet_expected_errors()


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
