"""The household passes split over two threads (``abm.parallel.split``): what each saves.

    uv run python benchmarks/split.py [--households 200000] [--repeat 40]
    uv run python benchmarks/split.py --month [--months 120]

By default a model of ``--households`` households (the baseline, stepping on two threads
as ``abm run`` does) steps one month while every split pass it makes is recorded with
its arguments; then each pass is timed ``--repeat`` times both ways, alternating: on
this thread alone (one range) and split (the helper thread, spinning while idle, taking
ranges beside this one). It prints each pass's medians and what splitting saves. The
passes write their outputs in place, so repeating one recomputes from what it wrote:
the times are those of the same work, not the run's numbers.

With ``--month`` it steps two months, then ``--months`` months alternating (balanced
over the calendar) between every pass split and every pass on this thread alone, and
prints the mean month of each. Timings are wall-clock; nothing here is asserted by the tests.
"""

from __future__ import annotations

import argparse
import collections
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def _model(households: int, months: int):
    from abm.config import load_config
    from abm.runner import build_model

    os.chdir(ROOT)
    cfg = load_config("configs/baseline.yaml", households=households, months=months)
    return build_model(cfg, prefetch_draws=True)  # as `abm run`: two threads


def passes(households: int, repeat: int) -> None:
    from abm import parallel

    model = _model(households, 3)
    model.step()
    calls: dict[str, tuple] = {}
    real = parallel.split

    def record(ranged, n, *args):
        calls.setdefault(ranged.__name__, (ranged, n, args))
        return real(ranged, n, *args)

    parallel.split = record
    try:
        model.step()
    finally:
        parallel.split = real
    times = collections.defaultdict(lambda: ([], []))
    with parallel.threads(2):
        for r in range(repeat):
            for name, (ranged, n, args) in calls.items():
                for split in ((False, True) if r % 2 else (True, False)):  # (in turn first)
                    t = time.perf_counter()
                    if split:
                        real(ranged, n, *args)
                    else:
                        ranged(parallel._QUIET, parallel._ranges(n, 1), True, *args)
                    times[name][split].append(time.perf_counter() - t)
                    time.sleep(0.0002)  # (about the gap between two passes in a month)
    print(f"{households:,} households, {len(calls)} split passes, medians of {repeat}; "
          f"load average {os.getloadavg()[0]:.2f}")
    print(f"{'pass':34s} {'households':>10} {'one us':>8} {'split us':>8} {'saved':>7}")
    total = [0.0, 0.0]
    for name, (one, two) in sorted(times.items(), key=lambda kv: -statistics.median(kv[1][0])):
        a, b = statistics.median(one) * 1e6, statistics.median(two) * 1e6
        total[0] += a
        total[1] += b
        print(f"{name:34s} {calls[name][1]:>10,} {a:>8.0f} {b:>8.0f} {a - b:>7.0f}")
    print(f"{'all (each once)':34s} {'':>10} {total[0]:>8.0f} {total[1]:>8.0f} "
          f"{total[0] - total[1]:>7.0f}")


def month(households: int, months: int) -> None:
    from abm import parallel

    model = _model(households, months + 2)
    for _ in range(2):  # (untimed: the first recorded months load the measures' kernels)
        model.step()
    real = parallel.split
    alone = [False]

    def split(ranged, n, *args):
        if alone[0]:
            ranged(parallel._QUIET, parallel._ranges(n, 1), True, *args)
        else:
            real(ranged, n, *args)

    parallel.split = split
    wall = collections.Counter()
    count = collections.Counter()
    try:
        for i in range(months):
            alone[0] = bool((i + i // 12) % 2)
            t = time.perf_counter()
            model.step()
            wall[alone[0]] += time.perf_counter() - t
            count[alone[0]] += 1
    finally:
        parallel.split = real
    print(f"{households:,} households, {months} months alternated; load average "
          f"{os.getloadavg()[0]:.2f}")
    for a, label in ((False, "every pass split"), (True, "every pass on one thread")):
        print(f"{label:26s} {wall[a] / count[a] * 1000:7.2f} ms a month")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--households", type=int, default=200_000)
    ap.add_argument("--repeat", type=int, default=40)
    ap.add_argument("--month", action="store_true", help="alternate whole months instead")
    ap.add_argument("--months", type=int, default=120)
    a = ap.parse_args()
    if a.month:
        month(a.households, a.months)
    else:
        passes(a.households, a.repeat)


if __name__ == "__main__":
    main()
