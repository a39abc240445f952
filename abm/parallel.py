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
each split. The second thread is the process's one :class:`Helper`, which also makes
the draws of the month ahead (``abm.rng``) between the split passes, stopping as soon
as a pass starts, so that a split pass never waits behind a stream's draws for that
core.

A split pass's ranges are claimed by the two threads in compiled code (an atomic add:
``abm.kernels._*_ranges``), never handed out by Python, and the idle helper waits for
work spinning without the GIL (``abm.kernels.idle_spin``, a few milliseconds, then
asleep): the stepping thread's kernel wakes it as it starts, having let go of the GIL,
so the helper joins a pass within microseconds instead of after a sleeping thread's
wake-up, and the two threads rarely want the GIL at once. The spinning costs CPU time
on the second core (about a second of a 200,000-household run), which one ``abm run``
has to itself. ``tests/test_parallel.py`` checks that a run gives the same outputs
either way.
"""

from __future__ import annotations

import os
import threading
from collections import deque
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import numpy as np

# Fewer households than this and handing ranges to the other thread (tens of
# microseconds a pass) costs about what it saves.
MIN_SPLIT = 20_000
# Ranges a split pass is cut into: the two threads claim them one by one (an atomic add
# in the pass's compiled code), and the one that finishes first waits for one range at
# most. 32 rather than 16: months alternated in one process at 200,000 households, 16
# / 32 / 64 ranges: 30.64 / 30.15 / 30.61 and 31.06 / 30.48 / 31.25 ms; 24 / 32 / 48:
# 31.27 / 30.58 / 30.81 and 31.01 / 30.51 / 30.79 ms (docs/performance-history.md,
# "Nineteenth pass").
CHUNKS = 32

# The word the helper thread watches while idle (``abm.kernels.idle_spin``) and after a
# split pass's ranges (``abm.kernels._end``): set by a split pass's kernel on the
# stepping thread as it starts (without the GIL), and by ``Helper.submit`` and
# ``background``; the helper clears it when it looks for work. ``_QUIET``: the same
# for a pass nobody else watches (a pass on one thread).
SIGNAL = np.zeros(8, dtype=np.int64)
# ``SIGNAL[1]``: how long the helper, done with a split pass's ranges, waits without the
# GIL for the owner's next pass or other work (``abm.kernels._end``), in pauses of about
# 40 ns: about 90 us. Going back to Python at once, it takes the GIL while the owner
# runs Python, which then waits for it: a month at 200,000 households 31.9 -> 30.8 ms
# and 31.6 -> 30.5 ms (months alternated in one process; 700 and 4,000 gave less).
HELPER_LINGER = 2000
# ``SIGNAL[2]``: how long the owner of a split pass waits spinning for the helper's last
# range before it sleeps on the task (about 0.18 ms, more than a range takes);
# ``SIGNAL[3]``: how long the helper, done, waits for the owner to have seen it.
OWNER_SPINS = 1 << 12
HELPER_SPINS = 1 << 12
SPINS_WHEN_FREE = (HELPER_LINGER, OWNER_SPINS, HELPER_SPINS)
SIGNAL[1:4] = SPINS_WHEN_FREE
_QUIET = np.zeros(8, dtype=np.int64)
# How long the idle helper spins before it sleeps until woken: about 40 ns a pause, so
# about 2.8 ms (the longest the stepping thread usually goes between hand-overs). It
# and the spins in ``SIGNAL`` drop to 0 while the cores are busy with other work
# (``adapt_to_load``).
SPIN_WHEN_FREE = 1 << 16
IDLE_SPINS = SPIN_WHEN_FREE
# The stepping thread taken off its core more often than this in a month (by other
# work: alone on two cores with the helper, 0 to 2 times a month at 200,000 households
# here, the host's own work included; beside a busy loop on one core, 17 to 77) means
# the cores are busy: the helper then sleeps when idle instead of spinning, which would
# only take more of a core from the stepping thread (a whole 200,000-household run
# beside a busy loop on one core: 10.5 s spinning, 9.2 s sleeping).
BUSY_SWITCHES = 8
_busy = [False]  # the last month's verdict
_switches_seen: list[tuple[int, int]] = []  # (thread, its count) last month

_state = threading.local()
_helper = None
_helper_lock = threading.Lock()


class Task:
    """A split pass's ranges handed to the helper thread (``Helper.submit``): like a
    ``concurrent.futures.Future``, :meth:`cancel` succeeds only if the helper has not
    started it, and :meth:`result` waits for it and raises what it raised.

    Made and dropped about sixty times a month, so it carries no event of its own: its
    state is a word the helper sets (queued, started under the helper's lock, done), and
    only a thread that has to wait for it (rare: the helper's last range is taking long)
    sleeps on the helper's condition, which the helper then notifies."""

    __slots__ = ("fn", "error", "helper", "state", "waiting")
    QUEUED, STARTED, DONE = 0, 1, 2

    def __init__(self, fn: Callable[[], None], helper: Helper):
        self.fn = fn
        self.error: BaseException | None = None
        self.helper = helper
        self.state = Task.QUEUED
        self.waiting = False  # someone sleeps in ``result`` (set under the helper's lock)

    def run(self) -> None:
        try:
            self.fn()
        except BaseException as e:  # handed to the thread that waits for it
            self.error = e
        finally:
            # Done first, then whether anyone waits: a waiter sets ``waiting`` under the
            # lock before it looks at the state, so either it sees done or it is woken.
            self.state = Task.DONE
            if self.waiting:
                with self.helper._cv:
                    self.helper._cv.notify_all()

    def cancel(self) -> bool:
        return self.helper.withdraw(self)

    def result(self) -> None:
        if self.state != Task.DONE:
            cv = self.helper._cv
            with cv:
                self.waiting = True
                while self.state != Task.DONE:
                    cv.wait()
        if self.error is not None:
            raise self.error


class Helper:
    """The process's one helper thread, for a run stepping on two cores. It takes the
    split passes' ranges first (``submit``: the model's thread waits for them) and, when
    there are none, background jobs piece by piece (``background``: the draws made a
    month ahead, ``abm.rng``, whose pieces end when ``SIGNAL`` is set), so that a split
    pass never waits behind a month's draws on the second core; with nothing to do it
    spins without the GIL for ``IDLE_SPINS`` pauses, then sleeps until woken. A
    background job is an object whose ``step()`` does one piece and returns True when
    the job is done, and whose ``fail(error)`` records an error."""

    def __init__(self) -> None:
        self._cv = threading.Condition(threading.Lock())
        self._urgent: deque[Task] = deque()
        self._background: deque = deque()
        self._sleeping = False  # the helper waits on ``_cv`` (set and read under it)
        from abm.kernels import idle_spin  # (numba: only in a process that splits)

        idle_spin(_QUIET, 0)  # loaded here, so a run loads its kernels in one order
        self._idle_spin = idle_spin
        self._thread = threading.Thread(target=self._loop, name="abm-helper", daemon=True)
        self._thread.start()

    def submit(self, fn: Callable[[], None], wake: bool = True) -> Task:
        """``fn`` next (before any background job); ``wake=False`` for a split pass,
        whose kernel wakes the spinning helper itself once it has let go of the GIL."""
        task = Task(fn, self)
        with self._cv:
            self._urgent.append(task)
            if wake:
                SIGNAL[0] = 1
            if self._sleeping:  # (spinning or busy, it finds the task itself; all: a
                self._cv.notify_all()  # thread in ``Task.result`` waits on it too)
        return task

    def background(self, job):
        with self._cv:
            self._background.append(job)
            SIGNAL[0] = 1
            if self._sleeping:
                self._cv.notify_all()
        return job

    def withdraw(self, task: Task) -> bool:
        """Take back a split pass's ranges the helper has not started (the helper marks
        a task started under the lock as it takes it from the queue)."""
        if task.state != Task.QUEUED:  # (the usual case: taken, no lock needed)
            return False
        with self._cv:
            if task.state != Task.QUEUED:
                return False
            self._urgent.remove(task)
            task.state = Task.DONE  # (never to run)
        return True

    def _loop(self) -> None:
        idle_spin = self._idle_spin
        while True:
            with self._cv:
                SIGNAL[0] = 0
                idle = not (self._urgent or self._background)
            if idle and not idle_spin(SIGNAL, IDLE_SPINS):
                with self._cv:  # nothing for a while: sleep until woken
                    self._sleeping = True
                    while not (self._urgent or self._background):
                        self._cv.wait()
                    self._sleeping = False
            with self._cv:
                if not (self._urgent or self._background):
                    continue
                task = self._urgent.popleft() if self._urgent else None
                if task is not None:
                    task.state = Task.STARTED
                job = None if task is not None else self._background[0]
            if task is not None:
                task.run()
                continue
            try:
                finished = job.step()
            except BaseException as e:  # recorded for whoever waits for the job
                job.fail(e)
                finished = True
            if finished:
                with self._cv:
                    self._background.popleft()


def helper() -> Helper:
    """The process's helper thread (started on first use)."""
    global _helper
    if _helper is None:
        with _helper_lock:
            if _helper is None:
                _helper = Helper()
    return _helper


def _forget_helper() -> None:
    """In a forked child: the parent's helper thread is not there; start a new one when
    one is wanted."""
    global _helper, _helper_lock
    _helper = None
    _helper_lock = threading.Lock()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forget_helper)


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


def worth_splitting(n: int) -> bool:
    """Whether a pass over ``n`` households is shared with the other thread: only when
    this thread steps on two and there are at least ``MIN_SPLIT`` of them."""
    return current() >= 2 and n >= MIN_SPLIT and not _busy[0]


def _ranges(n: int, count: int) -> np.ndarray:
    """A split pass's ranges as its kernels claim them (``abm.kernels.RANGES_HEAD``):
    next, done, count, all-done, then ``count + 1`` bounds cutting ``0 .. n`` (a copy of
    the array made for ``n`` and ``count`` before: a run splits the same sizes month
    after month)."""
    global _made_ranges
    made = _made_ranges.get((n, count))
    if made is None:
        made = np.zeros(4 + count + 1, dtype=np.int64)
        made[2] = count
        made[4:] = np.arange(count + 1, dtype=np.int64) * int(n) // count
        # (a run asks for a few sizes; more than a few hundred and the oldest go)
        _made_ranges = {**dict(list(_made_ranges.items())[-255:]), (n, count): made}
    return made.copy()


_made_ranges: dict[tuple[int, int], np.ndarray] = {}


def _involuntary_switches() -> int | None:
    """How often the calling thread has been taken off its core (Linux), else None."""
    try:
        with open("/proc/thread-self/status", "rb") as f:
            for line in f:
                if line.startswith(b"nonvoluntary_ctxt_switches:"):
                    return int(line.split()[1])
    except (OSError, ValueError):
        return None
    return None


def assume_free_cores() -> None:
    """Forget the last month's verdict (``adapt_to_load``): a new run starts splitting
    and spinning, and judges its own months."""
    global IDLE_SPINS
    _switches_seen.clear()
    _busy[0] = False
    IDLE_SPINS = SPIN_WHEN_FREE
    SIGNAL[1:4] = SPINS_WHEN_FREE


def adapt_to_load() -> None:
    """The stepping thread, once a month of a run on two threads: passes are split, and
    the helper spins while idle and lingers after a split pass, only while the cores
    have nothing else to do (``BUSY_SWITCHES``); otherwise the helper makes the draws
    ahead and sleeps. Only timing changes, never a number (a split pass gives the same
    numbers as on one thread). Beside a busy loop on one core, a whole run at 200,000
    households took 0.07 s longer than before the spinning (three pairs), against 1.26
    s longer spinning regardless."""
    global IDLE_SPINS
    count = _involuntary_switches()
    if count is None:
        return
    now = (threading.get_ident(), count)
    before = _switches_seen[-1] if _switches_seen else None
    busy = before is not None and before[0] == now[0] and (
        now[1] - before[1] > BUSY_SWITCHES)
    _switches_seen[:] = [now]
    _busy[0] = busy
    IDLE_SPINS = 0 if busy else SPIN_WHEN_FREE
    SIGNAL[1:4] = (0, 0, 0) if busy else SPINS_WHEN_FREE


def split(ranged: Callable, n: int, *args) -> None:
    """``ranged``, a pass's compiled range kernel (``abm.kernels._*_ranges``: it claims
    ranges of households ``0 .. n`` one by one and computes each), over all households:
    at once on this thread when it steps on one core or ``n`` is small, else on both
    threads, each claiming the ranges the other has not (``CHUNKS`` of them). This
    thread's kernel wakes the helper (spinning while idle, without the GIL) as it starts,
    and waits for the helper's last range before it returns; whoever takes a range
    computes it the same way, and when the helper is busy elsewhere this thread takes
    every range. ``ranged`` writes its results into arrays in ``args`` (each household's
    own entries)."""
    if not worth_splitting(n):
        ranged(_QUIET, _ranges(n, 1), True, *args)
        return
    ranges = _ranges(n, CHUNKS)
    job = helper().submit(lambda: ranged(SIGNAL, ranges, False, *args), wake=False)
    try:
        ranged(SIGNAL, ranges, True, *args)
    finally:
        if not job.cancel() and ranges[1] < ranges[2]:
            job.result()  # (the helper's last range is taking long: wait for it, asleep)


def later(fn: Callable[[], object], n: int | None = None) -> Callable[[], object]:
    """``fn()`` computed on the other thread meanwhile, when this thread steps on two;
    returns a getter for its value (``fn`` runs once, however often the getter is
    called). ``fn`` must only read what this thread leaves as it is until the getter is
    first called, and should spend its time in compiled code without the GIL (a kernel
    with ``nogil=True``). On one thread, for fewer than ``MIN_SPLIT`` households ``n``
    (when given: the hand-over costs about what it saves), or when the helper has not
    started it by then, the getter computes ``fn()`` itself: the same value either
    way."""
    box: list = []
    if current() < 2 or (n is not None and not worth_splitting(n)):
        def get_here() -> object:
            if not box:
                box.append(fn())
            return box[0]

        return get_here
    task = helper().submit(lambda: box.append(fn()))

    def get() -> object:
        if not box:
            if task.cancel():  # the other thread never started it
                box.append(fn())
            else:
                task.result()
        return box[0]

    return get
