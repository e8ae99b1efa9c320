"""Items of work shared out between this process and helper processes, each helper given work once it is ready.

A spawned helper spends one to two seconds importing pandas, pandera and SQLAlchemy before it can take its first
item: its initializer imports the work's module and sets the collector for allocation-heavy work (gc_policy).
Meanwhile this process works through the items itself: the helpers' start costs a run little, and a run this
process finishes alone does not wait for them. A caller that knows the work before it can hand it out starts the
helpers first (`helper_processes`), so that their imports overlap its own preparation, and passes them on; one that
shares out work in several rounds it cannot pass them to (the June's attestations of an académie, establishment
after establishment; the command's load, attestations and bilans) lends them for its duration (`lend_helpers`). One
that makes its items as it goes hands share_out an iterator (the nightly's attestations, planned establishment by
establishment).
"""
from __future__ import annotations

import importlib
import multiprocessing
import os
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor, as_completed, wait
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from multiprocessing.process import BaseProcess
from typing import TypeVar

from pipeline.gc_policy import collect_rarely, rare_collections

Item = TypeVar("Item")
Result = TypeVar("Result")
AHEAD = 2  # items given to each helper at a time: one to work on, one queued, so that it never waits for this one
LOOKAHEAD = 2  # items of an iterator drawn ahead per helper, beyond those given (share_out)


@dataclass(frozen=True)
class Helpers:
    """Helper processes started ahead of their work: the pool, and per helper a future done once it has imported."""

    pool: ProcessPoolExecutor
    ready: tuple[Future, ...]
    processes: tuple[BaseProcess, ...]


# Helpers lent to every share_out within lend_helpers, whatever its work: a Prefect task's or subflow's parameters
# cannot carry a process pool, and a pool per round would pay the helpers' start again each time. Work of another
# module than the one they imported first imports its own on their first item of it: a fraction of a new helper's
# start, which imports Python, pandas and SQLAlchemy all over again.
_lent: ContextVar[Helpers | None] = ContextVar("lent_helpers", default=None)


@contextmanager
def helper_processes(count: int, module: str) -> Iterator[Helpers | None]:
    """COUNT helpers spawned now, each importing MODULE (the work's) while this process goes on; None when COUNT is
    below one; those lent (lend_helpers) when a caller started them earlier still. On the way out the helpers
    spawned here are stopped, without waiting for an import still under way."""
    if (lent := _lent.get()) is not None:
        yield lent  # their lender stops them
        return
    if count < 1:
        yield None
        return
    before = set(multiprocessing.active_children())
    pool = spawn_pool(count, module)
    # a helper's first call returns once its initializer has run: the helper can take work
    ready = tuple(pool.submit(_ready) for _ in range(count))
    spawned = tuple(set(multiprocessing.active_children()) - before)
    try:
        yield Helpers(pool, ready, spawned)
    finally:
        pool.shutdown(wait=False, cancel_futures=True)
        for process in spawned:  # an import cannot be interrupted otherwise, and exiting would wait for it
            process.terminate()


@contextmanager
def lend_helpers(count: int, module: str) -> Iterator[None]:
    """COUNT helpers importing MODULE, used by every share_out within (this thread and what it calls), however deep:
    the command's load, attestations and bilans share them; none when COUNT is below one. Helpers lent already
    stay: an inner lend_helpers adds none."""
    with helper_processes(count, module) as helpers:
        token = _lent.set(helpers)
        try:
            yield
        finally:
            _lent.reset(token)


def share_out(items: Iterable[Item], work: Callable[[Item], Result], processes: int, *,
              helpers: Helpers | None = None) -> Iterator[tuple[int, Result]]:
    """(index, WORK(item)) for each of ITEMS as it is done, on PROCESSES processes, this one included; on HELPERS
    (helper_processes), or on those lent (lend_helpers), rather than newly spawned ones.

    Items are taken in order, by this process between two of its own and by the helpers as they finish theirs.
    ITEMS may be an iterator: an item is drawn from it a few items ahead of when it is taken (LOOKAHEAD), so that
    what makes the next items runs while the ones before are worked on (the nightly's attestations plan an
    establishment while the classes of the one before are rendered); an index is an item's position in it.
    WORK must be picklable (a module-level function, or a partial of one). An exception of WORK ends the sharing,
    once what the helpers were doing has ended.
    """
    source = iter(items)
    pending: deque[tuple[int, Item]] = deque()
    drawn = 0
    exhausted = False

    def draw(ahead: int) -> None:
        nonlocal drawn, exhausted
        while not exhausted and len(pending) < ahead:
            try:
                pending.append((drawn, next(source)))
                drawn += 1
            except StopIteration:
                exhausted = True

    if helpers is None:
        helpers = _lent.get()
    draw(2)
    if processes <= 1 or (exhausted and len(pending) <= 1):
        while pending:
            index, item = pending.popleft()
            yield index, _here(work, item)
            draw(1)
        return
    owned = helpers is None
    if owned:
        pool = spawn_pool(processes - 1, _module_of(work))
        ready: tuple[Future, ...] = tuple(pool.submit(_ready) for _ in range(processes - 1))
    else:
        pool, ready = helpers.pool, helpers.ready
    count = len(ready)
    # an iterator's items a few at a time, enough to keep every helper busy and one for this process; a sequence's
    # all at once, its end known from the start
    lookahead = len(items) if isinstance(items, Sequence) else LOOKAHEAD * count + 1
    given: dict[Future, int] = {}
    finished = False
    try:
        draw(lookahead)
        while pending:
            if any(future.done() for future in ready):
                # near the end, this process keeps its share: given the last items, a helper would still be at work
                # while this one waits (the end is known once the items are all drawn)
                while pending and len(given) < AHEAD * count and (not exhausted or len(pending) * count > len(given)):
                    index, item = pending.popleft()
                    given[pool.submit(work, item)] = index
                    draw(lookahead)
            if pending:
                index, item = pending.popleft()
                draw(lookahead)
                yield index, _here(work, item)
            for future in [f for f in given if f.done()]:
                yield given.pop(future), future.result()
        for future in as_completed(given):
            yield given[future], future.result()
        finished = True
    finally:
        # after an error, what the helpers are doing ends before the caller goes on (it may be a transaction);
        # after the last item, a helper of our own still importing is not waited for: it stops once its import ends
        if owned:
            pool.shutdown(wait=not finished, cancel_futures=True)
        elif not finished:
            for future in given:
                future.cancel()
            wait(given)


def share_out_in_order(items: Sequence[Item], work: Callable[[Item], Result], processes: int, *,
                       helpers: Helpers | None = None) -> list[Result]:
    """share_out's results in the order of ITEMS, once all are done."""
    done = dict(share_out(items, work, processes, helpers=helpers))
    return [done[index] for index in range(len(items))]


def spawn_pool(workers: int, module: str | None = None) -> ProcessPoolExecutor:
    """A pool of WORKERS processes started by spawn (the flows run Prefect's threads, and forking a threaded process
    can deadlock), each importing MODULE, the work's, and collecting garbage rarely before it takes any; each ends
    when this process does, killed included."""
    return ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context("spawn"),
                               initializer=_prepare_helper, initargs=(module, os.getpid()))


def _here(work: Callable[[Item], Result], item: Item) -> Result:
    with rare_collections():  # as in the helpers (spawn_pool), for this process's share of the same work
        return work(item)


def _module_of(work: Callable) -> str:
    return getattr(work, "func", work).__module__  # a partial's function, or the function


def _prepare_helper(module: str | None, parent: int) -> None:
    _end_with(parent)
    if module is not None:
        importlib.import_module(module)
    collect_rarely()


PARENT_CHECK_SECONDS = 1.0


def _end_with(parent: int) -> None:
    """Ends this helper within a second of PARENT, the process that spawned it: a helper whose parent was killed
    (SIGKILL, the OOM killer) waits on its pool's pipe forever otherwise, holding its memory. Its work dies with the
    run that asked for it: what it had not committed is rolled back by the database."""
    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(PARENT_CHECK_SECONDS)
        os._exit(1)

    threading.Thread(target=watch, name="end-with-parent", daemon=True).start()


def _ready() -> bool:
    return True
