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
