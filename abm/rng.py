"""Named random streams derived from one run seed (DESIGN §7).

Each phase owns a ``numpy.random.Generator`` derived from the run seed and the
phase's fixed name through ``SeedSequence``; adding a phase, or switching a
policy on, never changes another phase's draws. Names are hashed with blake2b,
never Python's ``hash()`` (which changes with PYTHONHASHSEED).

The generators are numpy's PCG64 behind :class:`Generator`, which makes large float32
arrays of uniforms and standard normals with a compiled copy of the same generator:
numpy's numbers and states bit for bit, faster. :class:`Prefetching` makes a month's
draws a month ahead on the helper thread.
"""

from __future__ import annotations

import hashlib
import threading

import numpy as np

from abm import parallel


def name_key(name: str) -> int:
    """A stable 64-bit integer for a stream name."""
    return int.from_bytes(hashlib.blake2b(name.encode("utf-8"), digest_size=8).digest(), "big")


def stream(seed: int, name: str) -> np.random.Generator:
    """The generator for stream ``name`` of a run with root ``seed``."""
    ss = np.random.SeedSequence(entropy=int(seed), spawn_key=(name_key(name),))
    return Generator(np.random.PCG64(ss))


# Numbers from which a float32 uniform or normal draw is made by the compiled PCG64
# rather than by numpy's C: below it, reading and writing the generator's state (about
# 3 us) costs more than the compiled loop saves (about 0.8 ns a uniform).
COMPILED_MIN = 8192
_MASK64 = (1 << 64) - 1


def _pcg64_parts(bit_generator) -> tuple:
    """A PCG64's state as the compiled kernels take it: the LCG's state and increment
    as 64-bit halves, and the kept 32-bit half (``has_uint32``, ``uinteger``)."""
    st = bit_generator.state
    state, inc = st["state"]["state"], st["state"]["inc"]
    return (np.uint64(state >> 64), np.uint64(state & _MASK64), np.uint64(inc >> 64),
            np.uint64(inc & _MASK64), bool(st["has_uint32"]), np.uint64(st["uinteger"]))


def _set_pcg64_parts(bit_generator, parts: tuple) -> None:
    s_hi, s_lo, i_hi, i_lo, has, uinteger = parts
    bit_generator.state = {"bit_generator": "PCG64",
                           "state": {"state": (int(s_hi) << 64) | int(s_lo),
                                     "inc": (int(i_hi) << 64) | int(i_lo)},
                           "has_uint32": int(has), "uinteger": int(uinteger)}


def _filled(kernel, parts: tuple, flat: np.ndarray, *tables) -> tuple:
    """``kernel`` (``abm.kernels.pcg64_*``) fills the 1-D float32 array ``flat`` from a
    PCG64 in the state ``parts`` (``_pcg64_parts``); the state after."""
    s_hi, s_lo, has, uinteger = kernel(*parts, flat, *tables)
    # (numba hands back Python ints: kept as numpy's uint64, for the same signature)
    return (np.uint64(s_hi), np.uint64(s_lo), parts[2], parts[3], bool(has),
            np.uint64(uinteger))


def _filled_until(kernel, parts: tuple, flat: np.ndarray, signal: np.ndarray,
                  *tables) -> tuple[tuple, int]:
    """``_filled`` by ``kernel`` (``abm.kernels.pcg64_*_until``) until ``signal[0]`` is
    set (checked every ``SLICE`` numbers): the state after, and how many it made."""
    s_hi, s_lo, has, uinteger, made = kernel(*parts, flat, signal, SLICE, *tables)
    return (np.uint64(s_hi), np.uint64(s_lo), parts[2], parts[3], bool(has),
            np.uint64(uinteger)), int(made)


def _uniform_f32_until(parts: tuple, flat: np.ndarray, signal: np.ndarray
                       ) -> tuple[tuple, int]:
    from abm import kernels

    return _filled_until(kernels.pcg64_uniform_f32_until, parts, flat, signal)


def _normal_f32_until(parts: tuple, flat: np.ndarray, signal: np.ndarray
                      ) -> tuple[tuple, int]:
    from abm import kernels

    return _filled_until(kernels.pcg64_normal_f32_until, parts, flat, signal, *_ZIGGURAT)


def _uniform_f32(parts: tuple, flat: np.ndarray) -> tuple:
    """``_filled`` with numpy's float32 uniforms."""
    from abm import kernels  # (not at import: the config needs no numba)

    return _filled(kernels.pcg64_uniform_f32, parts, flat)


def _normal_f32(parts: tuple, flat: np.ndarray, ziggurat: tuple | None = None) -> tuple:
    """``_filled`` with numpy's float32 standard normals, from the ziggurat's tables
    ``ziggurat`` (``_ziggurat`` must have checked them, unless given)."""
    from abm import kernels

    return _filled(kernels.pcg64_normal_f32, parts, flat, *(ziggurat or _ZIGGURAT))


# numpy's float32 ziggurat (wi, ki, fi, r, 1 / r) once read and checked (``_ziggurat``);
# False when it cannot be: standard normals are then numpy's own, the same numbers.
_ZIGGURAT: tuple | bool | None = None
_ZIGGURAT_LOCK = threading.Lock()
# The tail's start (numpy's float32 constants are these values, rounded).
ZIGGURAT_R = 3.6541528853610088


def _ziggurat() -> bool:
    """Whether the compiled standard normals can be used: numpy's float32 ziggurat
    tables are read from its ``numpy.random._generator`` library (``_elf_tables``) and
    a fixed set of draws (every path of the ziggurat) gives numpy's numbers from them
    (``_normals_agree``). Once a process; the tables are published only once checked
    (the model's thread and the helper may ask at the same time)."""
    global _ZIGGURAT
    if _ZIGGURAT is None:
        with _ZIGGURAT_LOCK:
            if _ZIGGURAT is None:
                checked: tuple | bool = False
                tables = _elf_tables()
                if tables is not None:
                    candidate = (*tables, np.float32(ZIGGURAT_R),
                                 np.float32(1.0 / ZIGGURAT_R))
                    try:
                        if _normals_agree(candidate):
                            checked = candidate
                    except Exception:  # noqa: BLE001 - any surprise: numpy's normals
                        pass
                _ZIGGURAT = checked
    return _ZIGGURAT is not False


def _elf_tables() -> tuple | None:
    """numpy's float32 ziggurat tables ``wi_float``, ``ki_float`` and ``fi_float`` (256
    values each) read from the symbol table of the library numpy draws its normals
    with, or None (not a 64-bit little-endian ELF file, no symbol table, another
    layout: on other systems the normals stay numpy's)."""
    import struct

    try:
        import numpy.random._generator as numpy_generator

        with open(numpy_generator.__file__, "rb") as f:
            data = f.read()
        if data[:6] != b"\x7fELF\x02\x01":
            return None
        shoff, = struct.unpack_from("<Q", data, 0x28)
        shentsize, shnum = struct.unpack_from("<HH", data, 0x3A)
        sections = [struct.unpack_from("<IIQQQQIIQQ", data, shoff + i * shentsize)
                    for i in range(shnum)]
        found = {}
        for sec in sections:
            if sec[1] != 2:  # SHT_SYMTAB
                continue
            strings = sections[sec[6]][4]
            for j in range(sec[5] // sec[9]):
                name_at, _, _, shndx, value, size = struct.unpack_from(
                    "<IBBHQQ", data, sec[4] + j * sec[9])
                start = strings + name_at
                name = data[start:data.index(b"\0", start)]
                if name in (b"wi_float", b"ki_float", b"fi_float") and size == 1024 and (
                        0 < shndx < len(sections)):
                    where = sections[shndx]
                    at = value - where[3] + where[4]
                    found[name] = data[at:at + size]
        if len(found) != 3:
            return None
        return (np.frombuffer(found[b"wi_float"], "<f4").astype(np.float32),
                np.frombuffer(found[b"ki_float"], "<u4").astype(np.uint32),
                np.frombuffer(found[b"fi_float"], "<f4").astype(np.float32))
    except Exception:  # noqa: BLE001 - anything unexpected: numpy's own normals
        return None


def _normals_agree(ziggurat: tuple) -> bool:
    """Whether the compiled normals from the tables ``ziggurat`` give numpy's numbers
    and states: 20,000 draws, then one draw forced onto the slow path of every fourth
    layer and of the tail (the 32-bit number kept in the state chosen so; the next ones
    random)."""
    ki = ziggurat[1]
    cases = [(20_000, None)]
    for idx in range(0, 256, 4):
        rabs = min(int(ki[idx]), (1 << 23) - 1)
        cases.append((2, idx | ((idx // 4 % 2) << 8) | (rabs << 9)))
    for rabs in (int(ki[0]), (1 << 23) - 1, (1 << 22) + int(ki[0]) // 2):
        for sign in (0, 1):
            cases.append((2, (sign << 8) | (min(rabs, (1 << 23) - 1) << 9)))
    for k, (n, kept) in enumerate(cases):
        plain = np.random.Generator(np.random.PCG64(2024 + k))
        if kept is not None:
            state = plain.bit_generator.state
            state["has_uint32"], state["uinteger"] = 1, kept
            plain.bit_generator.state = state
        parts = _pcg64_parts(plain.bit_generator)
        want = plain.standard_normal(n, dtype=np.float32)
        got = np.empty(n, np.float32)
        after = _normal_f32(parts, got, ziggurat)
        if got.tobytes() != want.tobytes():
            return False
        probe = np.random.Generator(np.random.PCG64(0))
        _set_pcg64_parts(probe.bit_generator, after)
        if probe.bit_generator.state != plain.bit_generator.state:
            return False
    return True


def _load_until() -> None:
    """The stopping fills loaded on the model's thread, where a run asks for its kernels
    in one order (``abm.kernel_cache.FIRST_USE``), not first on the helper."""
    global _UNTIL_LOADED
    if not _UNTIL_LOADED:
        empty = np.empty(0, np.float32)
        parts = _pcg64_parts(np.random.PCG64(0))
        _uniform_f32_until(parts, empty, np.zeros(1, np.int64))
        if _ziggurat():
            _normal_f32_until(parts, empty, np.zeros(1, np.int64))
        _UNTIL_LOADED = True


_UNTIL_LOADED = False
# The compiled fills by method (``Generator``, ``DrawAhead``).
_FILLS = {"random": _uniform_f32, "standard_normal": _normal_f32}
# The same, stopping when the model's thread has work for the helper (``DrawAhead``).
_FILLS_UNTIL = {_uniform_f32: _uniform_f32_until, _normal_f32: _normal_f32_until}


class Generator(np.random.Generator):
    """numpy's ``Generator``, whose float32 uniforms and standard normals in arrays of
    ``COMPILED_MIN`` numbers or more on a PCG64 are made by a compiled PCG64
    (``abm.kernels.pcg64_uniform_f32``, about twice as fast as numpy's C here, and
    ``pcg64_normal_f32``, about three times, when numpy's ziggurat tables can be read:
    ``_ziggurat``): the same numbers, and the generator left in the same state, as
    numpy's own ``random`` and ``standard_normal`` (``tests/test_rng_compiled.py``).
    Everything else is numpy's."""

    def random(self, size=None, dtype=np.float64, out=None):
        target = self._compiled_target(size, dtype, out)
        if target is None:
            return super().random(size, dtype, out)
        return self._fill(_uniform_f32, target)

    def standard_normal(self, size=None, dtype=np.float64, out=None):
        target = self._compiled_target(size, dtype, out)
        if target is None or not _ziggurat():
            return super().standard_normal(size, dtype, out)
        return self._fill(_normal_f32, target)

    def _fill(self, fill, target: tuple) -> np.ndarray:
        """``target`` (``_compiled_target``) filled by ``fill`` from this generator's
        state, which is left as numpy would leave it."""
        bg = self.bit_generator
        _set_pcg64_parts(bg, fill(_pcg64_parts(bg), target[1]))
        return target[0]

    def _compiled_target(self, size, dtype, out) -> tuple | None:
        """(the array to return, its flat view) when this draw is made compiled. The
        size is looked at first: most draws of a small run are below ``COMPILED_MIN``,
        and they go to numpy after the fewest checks."""
        if out is None:
            if size is None:
                return None
            if type(size) is int:
                if size < COMPILED_MIN:
                    return None
                shape = (size,)
            else:  # (anything numpy may refuse is left to numpy)
                try:
                    shape = (size,) if isinstance(size, int | np.integer) else tuple(size)
                except TypeError:
                    return None
                if any(not isinstance(d, int | np.integer) or d < 0 for d in shape) or (
                        int(np.prod(shape, dtype=np.int64)) < COMPILED_MIN):
                    return None
        elif not (isinstance(out, np.ndarray) and out.dtype == np.float32
                  and out.flags.c_contiguous and out.flags.writeable
                  and out.size >= COMPILED_MIN and size is None):
            return None
        if dtype is not np.float32:
            try:
                if np.dtype(dtype) != np.float32:
                    return None
            except TypeError:
                return None
        if type(self.bit_generator) is not np.random.PCG64:
            return None
        if out is not None:
            return out, out.reshape(-1)
        arr = np.empty(shape, dtype=np.float32)
        return arr, arr.reshape(-1)

    def __reduce__(self):
        return (type(self), (self.bit_generator,))


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
# Numbers the helper draws at a time with numpy's own generator (about 0.1 to 0.3 ms):
# between pieces it takes any split pass waiting for it (``abm.parallel.Helper``). The
# compiled draws stop instead when a pass is waiting (``SLICE``).
PIECE = 1 << 15
# A compiled draw made ahead looks every this many numbers whether the model's thread
# has work for the helper (``abm.parallel.SIGNAL``), and stops there if so (about 4 to
# 10 us of draws); it goes on where it stopped the next time the helper is free.
SLICE = 1 << 12


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
            self._job = parallel.helper().background(DrawAhead(self._gen, list(plan))).future
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


def _pieces(key: tuple) -> tuple[tuple[int, ...], np.dtype] | None:
    """The shape and dtype of a planned draw that can be made in pieces (a float
    ``random`` or ``standard_normal`` of a given size), else None (made in one call)."""
    method, args, kwargs = key
    kw = dict(kwargs)
    if method not in PREFETCHABLE or len(args) > 2 or not set(kw) <= {"size", "dtype"}:
        return None
    size = args[0] if args else kw.get("size")
    dtype = args[1] if len(args) > 1 else kw.get("dtype", np.float64)
    if size is None:
        return None
    shape = tuple(int(x) for x in size) if isinstance(size, tuple) else (int(size),)
    dt = np.dtype(dtype)
    if dt not in (np.dtype(np.float64), np.dtype(np.float32)):
        return None
    return shape, dt


class DrawAhead:
    """One stream's planned draws for next month, made on the helper thread
    (``abm.parallel.Helper``) a piece at a time: each array is filled in slices, in
    order, which gives the numbers one call gives (numpy fills an array number by
    number from the generator, as it fills each slice) and leaves the generator in the
    same state. A compiled draw's piece runs until the array is full or the model's
    thread has work for the helper (``signal``, checked every ``SLICE`` numbers); one
    of numpy's own is at most ``PIECE`` numbers. ``future`` gets (the state before, [(key,
    array, state after), ...])."""

    def __init__(self, gen: np.random.Generator, plan: list[tuple]):
        from concurrent.futures import Future

        _load_until()

        self.gen = gen
        self.plan = plan
        self.future: Future = Future()
        self._start: dict | None = None
        self._items: list[tuple] = []
        self._out: np.ndarray | None = None  # the array being filled, and its flat view
        self._flat: np.ndarray | None = None
        self._pos = 0
        self._parts: tuple | None = None  # a compiled draw's generator state meanwhile
        self.signal = parallel.SIGNAL  # set: the model's thread has work for the helper

    def step(self) -> bool:
        """Draw one piece; True when all the plan's draws are made."""
        gen = self.gen
        if self._start is None:
            self._start = gen.bit_generator.state
        key = self.plan[len(self._items)]
        method = key[0]
        if self._out is None:
            shaped = _pieces(key)
            if shaped is None:
                return self._made(key, getattr(gen, method)(*key[1], **dict(key[2])))
            self._out = np.empty(shaped[0], dtype=shaped[1])
            self._flat = self._out.reshape(-1)
            self._pos = 0
        flat = self._flat
        fill = _FILLS.get(method) if (flat.dtype == np.float32 and type(
            gen.bit_generator) is np.random.PCG64 and isinstance(gen, Generator)) else None
        if fill is _normal_f32 and not _ziggurat():
            fill = None
        compiled = fill is not None
        if compiled and self._parts is None:  # (the state read once an array)
            self._parts = _pcg64_parts(gen.bit_generator)
        if compiled:  # numpy's numbers from the compiled PCG64 (``Generator``), until
            # the model's thread has work for the helper
            self._parts, made = _FILLS_UNTIL[fill](self._parts, flat[self._pos:],
                                                   self.signal)
            self._pos += made
        else:
            hi = min(self._pos + PIECE, flat.size)
            if hi > self._pos:
                getattr(gen, method)(dtype=flat.dtype, out=flat[self._pos:hi])
            self._pos = hi
        if self._pos < flat.size:
            return False
        if compiled:
            _set_pcg64_parts(gen.bit_generator, self._parts)
            self._parts = None
        out, self._out, self._flat = self._out, None, None
        return self._made(key, out)

    def _made(self, key: tuple, out) -> bool:
        self._items.append((key, out, self.gen.bit_generator.state))
        if len(self._items) < len(self.plan):
            return False
        self.future.set_result((self._start, self._items))
        return True

    def fail(self, error: BaseException) -> None:
        self.future.set_exception(error)
