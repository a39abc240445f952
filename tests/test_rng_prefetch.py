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
