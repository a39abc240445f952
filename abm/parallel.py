"""Household passes split over a spare core.

The heaviest compiled passes (``abm.kernels``) handle each household on its own: the
household's new values depend on its own inputs (and, for the learning pass, on its
neighbours' values before the pass), never on another household's output. Such a pass
can be cut into contiguous ranges of households done at the same time on two cores and
give the same numbers bit for bit: each household is computed by the same instructions
from the same inputs, whoever computes it. No pass that sums across households is split
(a float sum's rounding depends on its order).

When a core is free, as for one ``abm run`` (the model's ``prefetch_draws``), the model
steps inside :func:`threads` ``(2)``; batch workers and the browser page step on one
core (``threads(1)``, the default): many runs on two cores go faster side by side than
each split. ``tests/test_parallel.py`` checks that a run
gives the same outputs either way.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager

# Fewer households than this and handing ranges to the other thread (tens of
# microseconds a pass) costs about what it saves.
MIN_SPLIT = 20_000
# Ranges a split pass is cut into: the two threads take them in turn.
CHUNKS = 8

_state = threading.local()
_pool = None
_pool_lock = threading.Lock()


def spare_threads() -> int:
    """Threads a single run may use: 2 when the machine has two cores or more."""
    return 2 if (os.cpu_count() or 1) >= 2 else 1


@contextmanager
def threads(n: int) -> Iterator[None]:
    """Split the passes run meanwhile (on this thread) over ``n`` threads (1 or 2)."""
    before = getattr(_state, "n", 1)
    _state.n = max(1, min(int(n), 2))
    try:
        yield
    finally:
        _state.n = before


def current() -> int:
    return getattr(_state, "n", 1)


def _executor():
    global _pool
    if _pool is None:
        with _pool_lock:
            if _pool is None:
                from concurrent.futures import ThreadPoolExecutor

                _pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="abm-part")
    return _pool


def split(part: Callable, n: int, *args) -> None:
    """``part(lo, hi, *args)`` over households ``0 .. n``: at once when this thread
    steps on one core or ``n`` is small, else in ``CHUNKS`` ranges taken in turn by this
    thread and the other one. Whoever takes a range computes it the same way; when the
    other thread is slow to start (its core busy), this one takes the ranges it has not
    started. ``part`` writes its results into arrays in ``args`` (each household's own
    entries) and must release the GIL (``nogil=True``)."""
    if current() < 2 or n < MIN_SPLIT:
        part(0, n, *args)
        return
    bounds = [n * j // CHUNKS for j in range(CHUNKS + 1)]
    ranges = iter(range(CHUNKS))  # (one ``next`` at a time: under the GIL)

    def work() -> None:
        for j in ranges:
            part(bounds[j], bounds[j + 1], *args)

    job = _executor().submit(work)
    try:
        work()
    finally:
        if not job.cancel():  # (cancelled if the other thread never started it)
            job.result()
