"""Items of work shared out between this process and helper processes, each helper given work once it is ready.

A spawned helper spends one to two seconds importing pandas, pandera and SQLAlchemy before it can take its first
item. Meanwhile this process works through the items itself: the helpers' start costs a run little, and a run
this process finishes alone does not wait for them.
"""
from __future__ import annotations

import importlib
import multiprocessing
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor, as_completed
from contextlib import contextmanager
from typing import TypeVar

Item = TypeVar("Item")
Result = TypeVar("Result")
AHEAD = 2  # items given to each helper at a time: one to work on, one queued, so that it never waits for this one
# helpers spawned ahead of their share_out (helpers_started), by process count and the module of the work
_started: dict[tuple[int, str], tuple[ProcessPoolExecutor, list[Future]]] = {}


@contextmanager
def helpers_started(processes: int, module: str) -> Iterator[None]:
    """The helpers of a share_out on PROCESSES processes whose work is in MODULE, spawned now and importing MODULE
    while this process goes on with its own start (Prefect's import, a temporary server): the share_out inside
    finds them ready. Helpers no share_out took are stopped on the way out, without waiting for their imports.
    """
    helpers = processes - 1
    if helpers < 1 or (processes, module) in _started:
        yield
        return
    before = set(multiprocessing.active_children())
    pool = spawn_pool(helpers)
    _started[processes, module] = (pool, [pool.submit(_imported, module) for _ in range(helpers)])
    spawned = set(multiprocessing.active_children()) - before
    try:
        yield
    finally:
        if _started.pop((processes, module), None) is not None:
            pool.shutdown(wait=False, cancel_futures=True)
            for process in spawned:  # an import cannot be interrupted otherwise, and exiting would wait for it
                process.terminate()


def share_out(items: Sequence[Item], work: Callable[[Item], Result], processes: int) -> Iterator[tuple[int, Result]]:
    """(index, WORK(item)) for each of ITEMS as it is done, on PROCESSES processes, this one included.

    Items are taken in order, by this process between two of its own and by the helpers as they finish theirs.
    WORK must be picklable (a module-level function, or a partial of one). An exception of WORK ends the sharing.
    """
    pending = deque(range(len(items)))
    if processes <= 1 or len(items) <= 1:
        for index in pending:
            yield index, work(items[index])
        return
    helpers = processes - 1
    pool, ready = _started.pop((processes, _module_of(work)), (None, None))
    if pool is None:
        pool = spawn_pool(helpers)
        # a helper's first call returns once it has imported what WORK needs (unpickling WORK imports its module)
        ready = [pool.submit(_ready, work) for _ in range(helpers)]
    finished = False
    try:
        given: dict[Future, int] = {}
        while pending:
            if any(future.done() for future in ready):
                # near the end, this process keeps its share: given the last items, a helper would still be at work
                # while this one waits
                while pending and len(given) < AHEAD * helpers and len(pending) * helpers > len(given):
                    index = pending.popleft()
                    given[pool.submit(work, items[index])] = index
            if pending:
                index = pending.popleft()
                yield index, work(items[index])
            for future in [f for f in given if f.done()]:
                yield given.pop(future), future.result()
        for future in as_completed(given):
            yield given[future], future.result()
        finished = True
    finally:
        # after an error, what the helpers are doing ends before the caller goes on (it may be a transaction);
        # after the last item, a helper still importing is not waited for: it stops once its import ends
        pool.shutdown(wait=not finished, cancel_futures=True)


def spawn_pool(workers: int) -> ProcessPoolExecutor:
    """A pool of WORKERS processes started by spawn: the flows run Prefect's threads, and forking a threaded process
    can deadlock."""
    return ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context("spawn"))


def _module_of(work: Callable) -> str:
    return getattr(work, "func", work).__module__  # a partial's function, or the function


def _ready(_work: Callable) -> bool:
    return True


def _imported(module: str) -> bool:
    importlib.import_module(module)
    return True
