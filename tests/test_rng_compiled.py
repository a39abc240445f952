"""The compiled PCG64 (``abm.rng.Generator``, ``abm.kernels.pcg64_uniform_f32``) gives
numpy's float32 uniforms bit for bit and leaves the generator in numpy's state."""

from __future__ import annotations

import copy
import pickle

import numpy as np
import pytest

from abm import rng
from abm.rng import COMPILED_MIN, Generator

SIZES = (1, 2, 3, COMPILED_MIN - 1, COMPILED_MIN, COMPILED_MIN + 1, 20_001, 100_000)


def _draw(gen, kind: int, n: int):
    if kind == 0:
        return gen.random(n, dtype=np.float32)
    if kind == 1:
        return gen.random((2, n), dtype=np.float32)
    if kind == 2:
        return gen.standard_normal(n, dtype=np.float32)
    if kind == 3:
        return gen.random(n)
    if kind == 4:
        out = np.empty(n, np.float32)
        got = gen.random(dtype=np.float32, out=out)
        assert got is out
        return got
    if kind == 5:
        return gen.random(size=n, dtype="float32")
    return gen.integers(0, 10, n)


@pytest.mark.parametrize("seed", [1, 2, 3, 2024, 99991])
def test_same_numbers_and_state_as_numpy_in_any_sequence(seed):
    """Draws of every kind and size in a random order (odd sizes leave a 32-bit half
    kept for the next draw): each array and the state after it as numpy's."""
    order = np.random.default_rng(seed)
    plain = np.random.Generator(np.random.PCG64(seed))
    ours = Generator(np.random.PCG64(seed))
    for _ in range(40):
        kind, n = int(order.integers(7)), int(order.choice(SIZES))
        want, got = _draw(plain, kind, n), _draw(ours, kind, n)
        assert got.dtype == want.dtype and got.shape == want.shape
        assert got.tobytes() == want.tobytes(), (kind, n)
        assert ours.bit_generator.state == plain.bit_generator.state, (kind, n)


def test_large_float32_draws_are_the_compiled_ones():
    """The equality above is tested where it matters: large float32 draws take the
    compiled path, everything else numpy's."""
    g = rng.stream(1, "x")
    assert isinstance(g, Generator)
    assert g._compiled_target(COMPILED_MIN, np.float32, None) is not None
    assert g._compiled_target((5, COMPILED_MIN), "f4", None) is not None
    assert g._compiled_target(COMPILED_MIN - 1, np.float32, None) is None
    assert g._compiled_target(COMPILED_MIN, np.float64, None) is None
    assert g._compiled_target(None, np.float32, None) is None
    strided = np.empty(2 * COMPILED_MIN, np.float32)[::2]
    assert g._compiled_target(None, np.float32, strided) is None
    assert Generator(np.random.MT19937(1))._compiled_target(
        COMPILED_MIN, np.float32, None) is None


def test_an_out_numpy_refuses_is_refused_the_same_way():
    """A strided ``out``, or a size that does not match it: numpy's own error."""
    for gen in (np.random.Generator(np.random.PCG64(5)), Generator(np.random.PCG64(5))):
        with pytest.raises(ValueError):
            gen.random(dtype=np.float32, out=np.zeros(2 * COMPILED_MIN, np.float32)[::2])
        with pytest.raises(ValueError):
            gen.random(3, dtype=np.float32, out=np.empty(COMPILED_MIN, np.float32))


def test_pickled_and_copied_generators_keep_their_kind_and_state():
    g = rng.stream(3, "y")
    g.random(COMPILED_MIN + 1, dtype=np.float32)  # (a kept half in the state)
    for twin in (pickle.loads(pickle.dumps(g)), copy.deepcopy(g)):
        assert type(twin) is Generator
        assert twin.bit_generator.state == g.bit_generator.state
    twin = copy.deepcopy(g)
    assert twin.random(COMPILED_MIN, dtype=np.float32).tobytes() == g.random(
        COMPILED_MIN, dtype=np.float32).tobytes()


def test_draws_made_ahead_in_pieces_are_numpy_s_numbers():
    """The helper's pieces (``DrawAhead``) carry the compiled generator's state from
    piece to piece: the arrays and states of plain numpy."""
    plan = [("random", ((3, rng.PIECE + 7),), (("dtype", np.float32),)),
            ("random", (2 * rng.PIECE + 1,), (("dtype", np.float32),)),
            ("standard_normal", (rng.PIECE + 3,), (("dtype", np.float32),)),
            ("random", (rng.PIECE - 1,), (("dtype", np.float32),))]
    ss = np.random.SeedSequence(entropy=4, spawn_key=(rng.name_key("x"),))
    plain = np.random.Generator(np.random.PCG64(ss))
    want, states = [], []
    for m, a, k in plan:
        want.append(getattr(plain, m)(*a, **dict(k)))
        states.append(plain.bit_generator.state)
    job = rng.DrawAhead(rng.stream(4, "x"), plan)
    while not job.step():
        pass
    _, items = job.future.result()
    for (key, got, state), w, after in zip(items, want, states, strict=True):
        assert got.tobytes() == w.tobytes(), key
        assert state == after, key


def test_draws_made_ahead_stop_for_the_model_s_work_and_go_on_with_numpy_s_numbers():
    """While the model's thread has work for the helper (``DrawAhead.signal`` set), a
    compiled draw made ahead stops after each ``SLICE`` of numbers; going on where it
    stopped gives plain numpy's arrays and states."""
    n = 3 * rng.SLICE + 5
    plan = [("random", ((2, n),), (("dtype", np.float32),)),
            ("standard_normal", (n,), (("dtype", np.float32),)),
            ("random", (rng.SLICE - 1,), (("dtype", np.float32),))]
    plain = np.random.Generator(np.random.PCG64(12))
    want, states = [], []
    for m, a, k in plan:
        want.append(getattr(plain, m)(*a, **dict(k)))
        states.append(plain.bit_generator.state)
    job = rng.DrawAhead(Generator(np.random.PCG64(12)), plan)
    job.signal = np.ones(1, dtype=np.int64)
    steps = 1
    while not job.step():
        steps += 1
    assert steps == 7 + 4 + 1  # a step a slice
    _, items = job.future.result()
    for (key, got, state), w, after in zip(items, want, states, strict=True):
        assert got.tobytes() == w.tobytes(), key
        assert state == after, key

    job = rng.DrawAhead(Generator(np.random.PCG64(12)), plan)
    job.signal = np.zeros(1, dtype=np.int64)  # nothing waiting: an array a step
    steps = 1
    while not job.step():
        steps += 1
    assert steps == len(plan)


def test_numpy_s_ziggurat_is_read_here_so_the_compiled_normals_are_tested():
    """On this system (64-bit Linux, the locked numpy) the tables are read and checked,
    so the normals compared above are the compiled ones."""
    rng._ZIGGURAT = None
    assert rng._ziggurat()
    wi, ki, fi, r, inv_r = rng._ZIGGURAT
    assert wi.dtype == np.float32 and ki.dtype == np.uint32 and fi.dtype == np.float32
    assert wi.shape == ki.shape == fi.shape == (256,)
    assert fi[0] == 1.0 and np.all(np.diff(fi) < 0)  # the layers' heights fall
    assert r.dtype == np.float32 and inv_r.dtype == np.float32


def test_every_layer_s_slow_path_and_the_tail_give_numpy_s_normals():
    """A draw forced onto the slow path of each of the 256 layers (the 32-bit number
    kept in the state chosen: its value at, between and at the top of the layer's
    rejection range, both signs; the numbers after it random): numpy's normal and
    state after, the wedges' and the tail's rejections included."""
    assert rng._ziggurat()
    ki = rng._ZIGGURAT[1]
    order = np.random.default_rng(11)
    for idx in range(256):
        lo = int(ki[idx])
        for rabs in sorted({min(lo, (1 << 23) - 1), (lo + (1 << 23)) // 2, (1 << 23) - 1}):
            for sign in (0, 1):
                seed = int(order.integers(1 << 31))
                plain = np.random.Generator(np.random.PCG64(seed))
                ours = Generator(np.random.PCG64(seed))
                for g in (plain, ours):
                    state = g.bit_generator.state
                    state["has_uint32"], state["uinteger"] = 1, idx | (sign << 8) | (
                        rabs << 9)
                    g.bit_generator.state = state
                want = plain.standard_normal(COMPILED_MIN, dtype=np.float32)
                got = ours.standard_normal(COMPILED_MIN, dtype=np.float32)
                assert got.tobytes() == want.tobytes(), (idx, rabs, sign)
                assert ours.bit_generator.state == plain.bit_generator.state


def test_millions_of_normals_are_numpy_s():
    for seed in (1, 77, 4096):
        plain = np.random.Generator(np.random.PCG64(seed))
        ours = Generator(np.random.PCG64(seed))
        for n in (1_000_001, 2 * COMPILED_MIN + 1):
            assert ours.standard_normal(n, dtype=np.float32).tobytes() == (
                plain.standard_normal(n, dtype=np.float32).tobytes())
            assert ours.bit_generator.state == plain.bit_generator.state


def test_without_the_tables_the_normals_are_numpy_s_own(monkeypatch, tmp_path):
    """A numpy library that is not an ELF file (another system): no tables, so the
    normals, made ahead or not, are numpy's own, the same numbers."""
    import numpy.random._generator as numpy_generator

    not_elf = tmp_path / "lib.dylib"
    not_elf.write_bytes(b"\xcf\xfa\xed\xfe" + bytes(64))
    monkeypatch.setattr(numpy_generator, "__file__", str(not_elf))
    monkeypatch.setattr(rng, "_ZIGGURAT", None)
    assert rng._elf_tables() is None
    assert not rng._ziggurat()
    plain = np.random.Generator(np.random.PCG64(8))
    ours = Generator(np.random.PCG64(8))
    assert ours.standard_normal(COMPILED_MIN, dtype=np.float32).tobytes() == (
        plain.standard_normal(COMPILED_MIN, dtype=np.float32).tobytes())
    plan = [("standard_normal", (rng.PIECE + 3,), (("dtype", np.float32),))]
    job = rng.DrawAhead(Generator(np.random.PCG64(8)), plan)
    while not job.step():
        pass
    again = np.random.Generator(np.random.PCG64(8))
    assert job.future.result()[1][0][1].tobytes() == again.standard_normal(
        rng.PIECE + 3, dtype=np.float32).tobytes()
    monkeypatch.setattr(rng, "_ZIGGURAT", None)  # (read again by the next test)


def test_tables_that_do_not_give_numpy_s_normals_are_not_used(monkeypatch):
    """The check at first use: a table read wrongly (one value off) is refused."""
    good = rng._elf_tables()
    assert good is not None
    wi = good[0].copy()
    wi[7] = np.nextafter(wi[7], np.float32(1))
    monkeypatch.setattr(rng, "_elf_tables", lambda: (wi, good[1], good[2]))
    monkeypatch.setattr(rng, "_ZIGGURAT", None)
    assert not rng._ziggurat()
    monkeypatch.setattr(rng, "_ZIGGURAT", None)


def test_tables_being_checked_are_not_used_by_another_thread(monkeypatch):
    """The model's thread and the helper may ask at once: a thread asking while the
    check runs waits for its verdict (here: refused) rather than using the tables."""
    import threading

    started, release = threading.Event(), threading.Event()

    def slow_refusal(ziggurat):
        started.set()
        release.wait(5)
        return False

    monkeypatch.setattr(rng, "_normals_agree", slow_refusal)
    monkeypatch.setattr(rng, "_ZIGGURAT", None)
    first: list[bool] = []
    t = threading.Thread(target=lambda: first.append(rng._ziggurat()))
    t.start()
    assert started.wait(5)
    second: list[bool] = []
    t2 = threading.Thread(target=lambda: second.append(rng._ziggurat()))
    t2.start()
    t2.join(0.2)
    assert t2.is_alive()  # waiting for the check, not using what is being checked
    release.set()
    t.join(5)
    t2.join(5)
    assert first == [False] and second == [False]
    monkeypatch.setattr(rng, "_ZIGGURAT", None)


@pytest.mark.parametrize("size", [True, 3.0, "a", (2, COMPILED_MIN), [3, COMPILED_MIN],
                                  np.int64(COMPILED_MIN), -1, (COMPILED_MIN, -1)])
def test_any_size_gives_numpy_s_answer_or_numpy_s_error(size):
    plain = np.random.Generator(np.random.PCG64(3))
    ours = Generator(np.random.PCG64(3))
    for method in ("random", "standard_normal"):
        try:
            want, error = getattr(plain, method)(size, dtype=np.float32), None
        except (TypeError, ValueError) as e:
            want, error = None, type(e)
        if error is not None:
            with pytest.raises(error):
                getattr(ours, method)(size, dtype=np.float32)
        else:
            assert getattr(ours, method)(size, dtype=np.float32).tobytes() == want.tobytes()
        assert ours.bit_generator.state == plain.bit_generator.state
