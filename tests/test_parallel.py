"""The household passes split over two threads (``abm.parallel``) give the same run."""

from __future__ import annotations

import numba
import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import tests.test_properties as tp
from abm import parallel
from abm.config import load_config
from abm.households import COLUMNS
from abm.kernels import RANGES_HEAD, _atomic_add, _begin, _claim, _done_one, _end, _pause
from abm.model import CountyModel


@pytest.fixture(autouse=True)
def _free_cores():
    """Each test starts as a run does: the cores taken as free (another test's model may
    have found them busy, ``parallel.adapt_to_load``)."""
    parallel.assume_free_cores()
    yield
    parallel.assume_free_cores()


@numba.njit(nogil=True)
def _logged_ranges(signal, ranges, owner, out, log, spins):
    """A split pass's range kernel as ``abm.kernels`` writes them, which also logs each
    range it computes (its start, end and whether the owner computed it) and spends
    ``spins`` pauses on each."""
    _begin(signal, owner)
    j = _claim(ranges)
    while j >= 0:
        lo, hi = ranges[RANGES_HEAD + j], ranges[RANGES_HEAD + j + 1]
        for i in range(lo, hi):
            out[i] += 1
        for _ in range(spins):
            _pause()
        k = _atomic_add(log, 0, 1)
        log[1 + 3 * k], log[2 + 3 * k], log[3 + 3 * k] = lo, hi, 1 if owner else 0
        _done_one(ranges)
        j = _claim(ranges)
    _end(signal, ranges, owner)


@numba.njit(nogil=True)
def _failing_ranges(signal, ranges, owner):
    _begin(signal, owner)
    j = _claim(ranges)
    while j >= 0:
        if ranges[RANGES_HEAD + j] > 0:
            raise ValueError("upper half")
        _done_one(ranges)
        j = _claim(ranges)
    _end(signal, ranges, owner)


def _split_logged(n: int, spins: int = 0) -> tuple[np.ndarray, list[tuple[int, int, int]]]:
    out = np.zeros(n, dtype=np.int64)
    log = np.zeros(1 + 3 * (parallel.CHUNKS + 1), dtype=np.int64)
    parallel.split(_logged_ranges, n, out, log, spins)
    rows = log[1:1 + 3 * log[0]].reshape(-1, 3)
    return out, [tuple(int(v) for v in r) for r in rows]


def test_split_covers_every_household_once():
    k = parallel.CHUNKS
    with parallel.threads(2):
        # each range about 0.2 ms, so the helper (woken by the owner's kernel) takes some
        out, seen = _split_logged(25_001, spins=5000)
    assert sorted((lo, hi) for lo, hi, _ in seen) == [
        (25_001 * j // k, 25_001 * (j + 1) // k) for j in range(k)]
    assert (out == 1).all()
    assert {owner for _, _, owner in seen} == {0, 1}  # both threads computed ranges
    for n in (30_000, 25_001, 20_000):  # other sizes in turn (the bounds made anew)
        with parallel.threads(2):
            out, seen = _split_logged(n)
        assert sorted((lo, hi) for lo, hi, _ in seen) == [
            (n * j // k, n * (j + 1) // k) for j in range(k)] and (out == 1).all(), n

    with parallel.threads(1):  # one core: one range, on this thread
        out, seen = _split_logged(25_001)
    assert seen == [(0, 25_001, 1)] and (out == 1).all()
    with parallel.threads(2):  # too few households to be worth a hand-over
        out, seen = _split_logged(100)
    assert seen == [(0, 100, 1)] and (out == 1).all()
    assert parallel.current() == 1  # back to one outside the block


def test_split_passes_on_a_part_error():
    with parallel.threads(2), pytest.raises(ValueError, match="upper half"):
        parallel.split(_failing_ranges, 50_000)
    with parallel.threads(2):  # the helper is free again afterwards
        out, seen = _split_logged(50_000)
    assert (out == 1).all()


def test_busy_cores_stop_the_spinning_and_the_splitting(monkeypatch):
    """When the stepping thread was taken off its core more than ``BUSY_SWITCHES`` times
    in a month, the helper stops spinning and lingering and passes stop being split;
    after a quiet month, all come back."""
    import sys

    if sys.platform.startswith("linux"):  # the count the model reads each month
        assert isinstance(parallel._involuntary_switches(), int)
    b = parallel.BUSY_SWITCHES
    counts = iter([10, 10 + b, 10 + 2 * b + 1, 10 + 2 * b + 1])
    monkeypatch.setattr(parallel, "_involuntary_switches", lambda: next(counts))
    monkeypatch.setattr(parallel, "_switches_seen", [])
    monkeypatch.setattr(parallel, "_busy", [False])
    monkeypatch.setattr(parallel, "IDLE_SPINS", parallel.SPIN_WHEN_FREE)
    saved = parallel.SIGNAL[1:4].copy()
    try:
        with parallel.threads(2):
            parallel.adapt_to_load()  # the first month seen
            parallel.adapt_to_load()  # BUSY_SWITCHES more: not yet busy
            assert parallel.IDLE_SPINS == parallel.SPIN_WHEN_FREE
            assert tuple(parallel.SIGNAL[1:4]) == parallel.SPINS_WHEN_FREE
            assert parallel.worth_splitting(parallel.MIN_SPLIT)
            parallel.adapt_to_load()  # one more than that: busy
            assert parallel.IDLE_SPINS == 0 and not parallel.SIGNAL[1:4].any()
            assert not parallel.worth_splitting(parallel.MIN_SPLIT)
            out, seen = _split_logged(parallel.MIN_SPLIT)  # on this thread, in one range
            assert seen == [(0, parallel.MIN_SPLIT, 1)] and (out == 1).all()
            parallel.adapt_to_load()  # none: quiet again
            assert parallel.IDLE_SPINS == parallel.SPIN_WHEN_FREE
            assert tuple(parallel.SIGNAL[1:4]) == parallel.SPINS_WHEN_FREE
            assert parallel.worth_splitting(parallel.MIN_SPLIT)
    finally:
        parallel.SIGNAL[1:4] = saved


def test_later_runs_on_the_other_thread_and_gives_the_value():
    import threading

    ran_on: list[threading.Thread] = []

    def fn() -> int:
        ran_on.append(threading.current_thread())
        return 42

    with parallel.threads(1):  # one thread: the getter computes it, when asked
        get = parallel.later(fn)
        assert ran_on == []
        assert get() == 42 and ran_on == [threading.current_thread()]
    ran_on.clear()
    with parallel.threads(2):
        get = parallel.later(fn)
        for _ in range(500):  # (the main thread has other work meanwhile)
            if ran_on:
                break
            threading.Event().wait(0.01)
        assert get() == 42
    assert len(ran_on) == 1 and ran_on[0] is not threading.current_thread()
    ran_on.clear()
    with parallel.threads(2):  # too few households to be worth a hand-over: here
        assert parallel.later(fn, parallel.MIN_SPLIT - 1)() == 42
    assert ran_on == [threading.current_thread()]


def test_later_computes_it_here_when_the_other_thread_never_started_it():
    import threading

    started, release = threading.Event(), threading.Event()
    with parallel.threads(2):
        parallel.helper().submit(lambda: (started.set(), release.wait(5)))
        started.wait(5)  # the other thread is busy with the task before
        ran_on: list[threading.Thread] = []
        get = parallel.later(lambda: ran_on.append(threading.current_thread()) or 7)
        try:
            assert get() == 7
        finally:
            release.set()
    assert ran_on == [threading.current_thread()]  # taken back, computed here, once


def test_a_later_value_is_computed_once_however_often_it_is_asked_for():
    """The model asks for the falls' causes twice (the measures, then the events):
    ``fn`` runs once on either thread, and on one."""
    import threading

    for n, started_first in ((1, False), (2, True), (2, False)):
        calls: list[int] = []
        with parallel.threads(n):
            busy, release = threading.Event(), threading.Event()
            if not started_first:  # the other thread busy: the getter computes it here
                parallel.helper().submit(lambda b=busy, r=release: (b.set(), r.wait(5)))
                busy.wait(5)
            get = parallel.later(lambda c=calls: c.append(1) or len(c))
            if started_first:
                for _ in range(500):
                    if calls:
                        break
                    threading.Event().wait(0.01)
            try:
                assert [get(), get(), get()] == [1, 1, 1]
            finally:
                release.set()
        assert calls == [1], (n, started_first)


def test_a_task_waited_for_wakes_its_waiter_and_one_taken_back_never_runs():
    """``Task.result`` sleeps until the helper has run the task (and raises what it
    raised); a task still queued behind another is taken back by ``cancel`` and never
    runs; one the helper has started cannot be taken back."""
    import threading

    release, started = threading.Event(), threading.Event()

    def slow() -> None:
        started.set()
        release.wait(5)
        raise ValueError("late")

    ran: list[int] = []
    helper = parallel.helper()
    first = helper.submit(slow)
    assert started.wait(5)
    queued = helper.submit(lambda: ran.append(1))
    assert queued.cancel() and not first.cancel()  # queued: taken back; started: not
    threading.Timer(0.05, release.set).start()
    with pytest.raises(ValueError, match="late"):
        first.result()  # asleep until the helper is done with it
    assert first.state == parallel.Task.DONE
    helper.submit(lambda: ran.append(2)).result()
    assert ran == [2]  # the task taken back never ran


def test_later_passes_on_an_error():
    def fn() -> None:
        raise ValueError("in the measure")

    with parallel.threads(2), pytest.raises(ValueError, match="in the measure"):
        parallel.later(fn)()


@pytest.mark.parametrize("config", ["configs/baseline.yaml", "configs/counties/p_county.yaml"])
def test_a_run_split_over_two_threads_is_the_same_run(monkeypatch, config):
    """Every split pass cut into ranges the two threads take (from 100 households), the
    spin-up included: the same months, events and households, bit for bit, as on one
    thread."""
    cfg = load_config(config, households=3000, months=24, seed=5)
    one = CountyModel(cfg)
    assert one.threads == 1

    parts, submitted = [], []
    real_split, real_helper = parallel.split, parallel.helper()

    def counting_split(part, n, *args):
        parts.append(part.__name__)
        return real_split(part, n, *args)

    class CountingHelper:
        def submit(self, fn, wake=True):
            submitted.append(fn)
            return real_helper.submit(fn, wake)

        def background(self, job):
            return real_helper.background(job)

    monkeypatch.setattr(parallel, "MIN_SPLIT", 100)
    # (every month split, however busy the machine running the tests is)
    monkeypatch.setattr(parallel, "adapt_to_load", lambda: None)
    monkeypatch.setattr(parallel, "spare_threads", lambda: 2)
    monkeypatch.setattr(parallel, "split", counting_split)
    monkeypatch.setattr(parallel, "helper", lambda: CountingHelper())
    two = CountyModel(cfg, prefetch_draws=True)
    assert two.threads == 2
    for _ in range(24):
        one.step()
        two.step()
    # every split pass was handed to the other thread too, every month of the spin-up
    # and of the run
    assert {"_peer_means_ranges", "_learning_update_ranges", "_health_people_ranges",
            "_earnings_pass_ranges", "_business_income_ranges"} <= set(parts)
    assert len(submitted) >= 4 * (18 + 24)
    pd.testing.assert_frame_equal(one.timeseries(), two.timeseries(), check_exact=True)
    pd.testing.assert_frame_equal(one.events(), two.events(), check_exact=True)
    for col in COLUMNS:
        a, b = getattr(one.households, col), getattr(two.households, col)
        assert np.array_equal(a.view(np.uint8), b.view(np.uint8)), col


@settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(p=tp.params, seed=st.integers(0, 2**32), n=st.integers(1, 300))
def test_split_runs_match_one_thread_for_any_county(p, seed, n):
    """Any county the property test draws (its parameters, seed and size), every pass
    split down to a single household: the same households, bit for bit, after the
    spin-up and 12 months."""
    cfg = load_config(None, [f"{k}={v}" for k, v in p.items()], seed=seed, households=n,
                      months=12)
    saved = parallel.MIN_SPLIT, parallel.adapt_to_load
    parallel.MIN_SPLIT = 1
    parallel.adapt_to_load = lambda: None  # (every month split, however busy the machine)
    try:
        one = CountyModel(cfg)
        two = CountyModel(cfg, prefetch_draws=True)
        two.threads = 2  # (whatever this machine's cores)
        for _ in range(12):
            one.step()
            two.step()
    finally:
        parallel.MIN_SPLIT, parallel.adapt_to_load = saved
    for col in COLUMNS:
        a, b = getattr(one.households, col), getattr(two.households, col)
        assert np.array_equal(a.view(np.uint8), b.view(np.uint8)), col
    pd.testing.assert_frame_equal(one.timeseries(), two.timeseries(), check_exact=True)


@pytest.mark.filterwarnings("ignore:This process .* is multi-threaded:DeprecationWarning")
def test_a_forked_child_gets_a_helper_thread_of_its_own():
    """A process forked after the helper thread started (the thread does not follow it)
    starts its own: background work and split passes still complete in the child."""
    import os

    parent = parallel.helper()
    pid = os.fork()
    if pid == 0:  # the child: exit 0 only if both kinds of work complete
        code = 1
        try:
            child = parallel.helper()

            class Job:
                def __init__(self):
                    self.steps = 0
                    self.done = __import__("threading").Event()

                def step(self):
                    self.steps += 1
                    if self.steps == 3:
                        self.done.set()
                        return True
                    return False

                def fail(self, error):
                    self.done.set()

            job = child.background(Job())
            with parallel.threads(2):
                out, _ = _split_logged(40_000)
            if child is not parent and job.done.wait(10) and (out == 1).all():
                code = 0
        finally:
            os._exit(code)
    _, status = os.waitpid(pid, 0)
    assert os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0


@pytest.mark.parametrize("share", [0.0, 0.001, 0.3, 1.0])
def test_a_split_pass_that_lists_households_lists_them_in_order(share):
    """``kernels.self_applications`` and ``discouraged_clients`` split over two threads:
    each range lists its finds from its own first position and the lists are gathered in
    household order, whether ranges find none, a few, many or every household of
    theirs."""
    from abm import kernels

    n = 3 * parallel.MIN_SPLIT + 17
    rng = np.random.default_rng(int(share * 1000))
    at_risk = rng.random(n) < share
    at_risk[: n // 3] &= share == 1.0  # the first ranges find none, unless all qualify
    monitored = np.zeros(n, np.bool_)
    flag_due = np.full(n, -1, np.int32)
    draw = rng.random(n, dtype=np.float32)
    trust = np.ones(n)
    motivation = rng.random(n)
    args = (at_risk, monitored, flag_due, -1, draw, trust, motivation, 1.0, 1.0, 1.0)
    want = np.flatnonzero(at_risk & (draw.astype(np.float64) < 1.0 + motivation))
    with parallel.threads(2):
        assert parallel.worth_splitting(n)
        got = kernels.self_applications(*args)
        got_low = kernels.discouraged_clients(at_risk, monitored, monitored, motivation,
                                              2.0)
    with parallel.threads(1):
        one = kernels.self_applications(*args)
    assert np.array_equal(got, want) and np.array_equal(one, want)
    assert np.array_equal(got_low, np.flatnonzero(at_risk))  # (the list of a branchless pass)
