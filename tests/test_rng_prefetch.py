"""Draws made a month ahead on a helper thread are the numbers a plain stream gives."""

from __future__ import annotations

import numpy as np

from abm.config import load_config
from abm.model import CountyModel
from abm.rng import Prefetching, Streams


def _months(streams: Streams, schedule: list[list[tuple]]) -> list[np.ndarray]:
    """Run a schedule of monthly draws: each month a list of (method, args, kwargs)."""
    out = []
    for month in schedule:
        streams.new_month()
        gen = streams["phase"]
        for method, args, kwargs in month:
            out.append(np.asarray(getattr(gen, method)(*args, **kwargs)))
    return out


def test_prefetched_draws_equal_plain_draws_whatever_the_schedule():
    steady = [("random", ((3, 50),), {"dtype": np.float32}),
              ("standard_normal", (50,), {"dtype": np.float32})]
    schedule = (
        [steady] * 4
        # a different size mid-sequence, then another method, then back to steady
        + [[steady[0], ("random", (7,), {})], [("integers", (0, 10, 5), {}), *steady]]
        + [steady] * 3
        # a month that stops early, and one that draws more than planned
        + [[steady[0]], steady + [steady[1]]]
        + [steady] * 2
    )
    plain = _months(Streams(9), schedule)
    ahead_streams = Streams(9, prefetch=True)
    ahead = _months(ahead_streams, schedule)
    assert isinstance(ahead_streams["phase"], Prefetching)
    assert len(plain) == len(ahead)
    for a, b in zip(plain, ahead, strict=True):
        assert a.dtype == b.dtype and np.array_equal(a, b)
    # and the generator ends in the same state, so later draws agree too
    last_plain = Streams(9)
    _months(last_plain, schedule)
    assert np.array_equal(last_plain["phase"].random(4), ahead_streams["phase"].random(4))


def test_a_model_with_draws_made_ahead_gives_the_same_results():
    cfg = load_config(None, households=600, months=14)
    a, b = CountyModel(cfg), CountyModel(cfg, prefetch_draws=True)
    for _ in range(cfg.run.months):
        a.step()
        b.step()
    assert a.timeseries().equals(b.timeseries())
    assert a.events().equals(b.events())


def test_draws_made_in_pieces_are_the_numbers_one_call_gives():
    """The helper makes each planned array in slices of at most ``rng.PIECE`` numbers:
    the same numbers as one call, the generator left in the same state, for arrays
    larger and smaller than a piece, of both float dtypes, 2-D, empty, and a draw that
    is made in one call (integers)."""
    from abm import rng

    plan = [("random", ((3, rng.PIECE + 7),), (("dtype", np.float32),)),
            ("standard_normal", (2 * rng.PIECE + 1,), ()),
            ("random", (0,), ()),
            ("random", (5,), (("dtype", np.float64),)),
            ("standard_normal", (rng.PIECE,), (("dtype", np.float32),)),
            ("integers", (0, 10, 9), ())]
    plain = rng.stream(4, "x")
    want, states = [], []
    for m, a, k in plan:
        want.append(getattr(plain, m)(*a, **dict(k)))
        states.append(plain.bit_generator.state)
    job = rng.DrawAhead(rng.stream(4, "x"), plan)
    steps = 1
    while not job.step():
        steps += 1
    assert steps > len(plan)  # the large arrays took several pieces
    start, items = job.future.result()
    assert start == rng.stream(4, "x").bit_generator.state
    for (key, got, state), w, k, after in zip(items, want, plan, states, strict=True):
        assert key == k and got.dtype == w.dtype and got.shape == w.shape
        assert got.tobytes() == w.tobytes(), key
        assert state == after, key


def test_a_large_model_month_with_draws_in_pieces_gives_the_same_results():
    """Households enough for draws of several pieces each month, the helper taking the
    split passes' ranges between them: the same run as without either."""
    from abm import parallel

    cfg = load_config(None, households=40_000, months=3)
    a = CountyModel(cfg)
    b = CountyModel(cfg, prefetch_draws=True)
    assert b.threads == parallel.spare_threads()
    assert cfg.run.households > max(parallel.MIN_SPLIT, 1)
    for _ in range(cfg.run.months):
        a.step()
        b.step()
    assert a.timeseries().equals(b.timeseries())
    assert a.events().equals(b.events())
