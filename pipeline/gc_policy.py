"""Rarer garbage collections during allocation-heavy work: a process-wide setting, entered and left safely by threads.

Reading a batch of files and drawing or laying out a document allocate hundreds of thousands of short-lived
objects. With CPython's default thresholds (a young-generation collection every 700 allocations, an older one
every 10 of those) the collector keeps walking large parts of the heap (pandas, WeasyPrint, matplotlib): measured
at 15 % of a bilan's time (1.33 → 1.11 s for 200 students), 6–10 % of a class of attestations and 5 % of an
académie's data path. Reference counting frees almost all of it anyway; the few cycles wait a little longer.
"""
from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from contextlib import contextmanager

YOUNG_THRESHOLD = 50_000  # CPython's default: 700
_lock = threading.Lock()
_inside = 0
_saved: tuple[int, ...] = ()


def collect_rarely() -> None:
    """The young generation collected every YOUNG_THRESHOLD allocations from now on: for a helper process whose whole
    life is such work (pipeline.work_sharing)."""
    threshold = gc.get_threshold()
    gc.set_threshold(max(YOUNG_THRESHOLD, threshold[0]), *threshold[1:])


@contextmanager
def rare_collections() -> Iterator[None]:
    """The young generation collected every YOUNG_THRESHOLD allocations inside; the thresholds restored when the
    last thread inside leaves (threads render at once: the first in sets, the last out restores)."""
    global _inside, _saved
    with _lock:
        if _inside == 0:
            _saved = gc.get_threshold()
            gc.set_threshold(max(YOUNG_THRESHOLD, _saved[0]), *_saved[1:])
        _inside += 1
    try:
        yield
    finally:
        with _lock:
            _inside -= 1
            if _inside == 0:
                gc.set_threshold(*_saved)
