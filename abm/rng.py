"""Named random streams derived from one run seed (DESIGN §7).

Each phase owns a ``numpy.random.Generator`` derived from the run seed and the
phase's fixed name through ``SeedSequence``; adding a phase, or switching a
policy on, never changes another phase's draws. Names are hashed with blake2b,
never Python's ``hash()`` (which changes with PYTHONHASHSEED).
"""

from __future__ import annotations

import hashlib

import numpy as np


def name_key(name: str) -> int:
    """A stable 64-bit integer for a stream name."""
    return int.from_bytes(hashlib.blake2b(name.encode("utf-8"), digest_size=8).digest(), "big")


def stream(seed: int, name: str) -> np.random.Generator:
    """The generator for stream ``name`` of a run with root ``seed``."""
    ss = np.random.SeedSequence(entropy=int(seed), spawn_key=(name_key(name),))
    return np.random.Generator(np.random.PCG64(ss))


class Streams:
    """Lazily created named generators for one run.

    With ``prefetch=True`` each stream is a :class:`Prefetching` generator: a stream
    that made the same fixed-size draws last month makes next month's on a helper
    thread while the model computes (numpy fills arrays without the GIL), so a second
    core hides their cost. The numbers and their order are the same as without it.
    """

    def __init__(self, seed: int, prefetch: bool = False):
        self.seed = int(seed)
        self.prefetch = prefetch
        self._gens: dict[str, np.random.Generator] = {}

    def __getitem__(self, name: str) -> np.random.Generator:
        gen = self._gens.get(name)
        if gen is None:
            gen = stream(self.seed, name)
            if self.prefetch:
                gen = Prefetching(gen)
            self._gens[name] = gen
        return gen

    def names(self) -> list[str]:
        return sorted(self._gens)

    def new_month(self) -> None:
        """A month begins (the model calls this): last month's draws become each
        stream's plan for this one."""
        for gen in self._gens.values():
            if isinstance(gen, Prefetching):
                gen.new_month()


# Draws a helper thread may make ahead: fixed-size arrays whose numbers depend only on
# the stream (sizes and dtypes compared exactly before a prefetched array is used).
PREFETCHABLE = frozenset({"random", "standard_normal"})
_EXECUTOR = None


def _executor():
    global _EXECUTOR
    if _EXECUTOR is None:
        from concurrent.futures import ThreadPoolExecutor

        _EXECUTOR = ThreadPoolExecutor(max_workers=1, thread_name_prefix="abm-draws")
    return _EXECUTOR


def _call_key(method: str, args: tuple, kwargs: dict) -> tuple | None:
    """A comparable description of a draw, or None when it must not be made ahead."""
    if method not in PREFETCHABLE:
        return None
    def plain(v) -> bool:  # sizes and dtypes only (compared with ==)
        if isinstance(v, tuple):
            return all(isinstance(x, int | np.integer) for x in v)
        return isinstance(v, int | np.integer | type | np.dtype | str)

    if not all(plain(a) for a in args) or not all(plain(v) for v in kwargs.values()):
        return None
    return (method, args, tuple(sorted(kwargs.items())))


class Prefetching:
    """A ``numpy.random.Generator`` whose next month's draws are made ahead on a helper
    thread when the stream repeats last month's sequence of fixed-size draws.

    Exactness: every use first waits for the helper; a prefetched array is handed out
    only if the call asks for exactly the draw it was made for, in the same position of
    the sequence. Any other use (another method, size, or order) puts the generator back
    in the state it had after the last array handed out, drops the rest, and draws
    directly, so the stream gives the same numbers as a plain generator in every case.
    """

    def __init__(self, gen: np.random.Generator):
        self._gen = gen
        self._plan: list[tuple] | None = None  # last month's draws, if all prefetchable
        self._month: list[tuple | None] = []  # this month's draws so far
        self._job = None  # Future: (state before, [(key, array, state after), ...])
        self._items: list[tuple] = []
        self._start_state: dict | None = None
        self._served = 0

    def new_month(self) -> None:
        month = self._month
        self._plan = month if month and all(k is not None for k in month) else None
        self._month = []

    def _settle(self) -> None:
        """Wait for the helper's draws (so the generator is ours again)."""
        if self._job is not None:
            self._start_state, self._items = self._job.result()
            self._job = None
            self._served = 0

    def _rewind(self) -> None:
        """Drop draws made ahead that were not used: back to the state after the last
        one handed out."""
        self._settle()
        if self._start_state is not None and self._served < len(self._items):
            state = (self._items[self._served - 1][2] if self._served
                     else self._start_state)
            self._gen.bit_generator.state = state
        self._items, self._start_state, self._served = [], None, 0

    def _draw(self, method: str, args: tuple, kwargs: dict):
        key = _call_key(method, args, kwargs)
        self._settle()
        if key is not None and self._served < len(self._items) and (
                self._items[self._served][0] == key):
            out = self._items[self._served][1]
            self._served += 1
        else:
            self._rewind()
            out = getattr(self._gen, method)(*args, **kwargs)
        self._month.append(key)
        plan = self._plan
        if (plan is not None and len(self._month) == len(plan) and self._month == plan
                and self._served >= len(self._items)):
            # This month's draws are done and repeat last month's: make next month's.
            self._items, self._start_state, self._served = [], None, 0
            self._job = _executor().submit(_draw_ahead, self._gen, list(plan))
        return out

    def random(self, *args, **kwargs):
        return self._draw("random", args, kwargs)

    def standard_normal(self, *args, **kwargs):
        return self._draw("standard_normal", args, kwargs)

    def __getattr__(self, name: str):
        # Anything else (other distributions, the bit generator): exact, in order.
        if name.startswith("__"):
            raise AttributeError(name)
        self._rewind()
        attr = getattr(self._gen, name)
        if not callable(attr):
            self._month.append(None)
            return attr

        def call(*args, **kwargs):
            self._rewind()
            self._month.append(None)
            return attr(*args, **kwargs)

        return call


def _draw_ahead(gen: np.random.Generator, plan: list[tuple]) -> tuple[dict, list]:
    """Make the planned draws (on the helper thread), noting the state after each."""
    start = gen.bit_generator.state
    items = []
    for key in plan:
        method, args, kwargs = key
        items.append((key, getattr(gen, method)(*args, **dict(kwargs)),
                      gen.bit_generator.state))
    return start, items
