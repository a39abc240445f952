"""The month's random draws: numpy's generator against the compiled one (``abm.rng``).

    uv run python benchmarks/draws.py [--households 200000] [--repeat 7]
    uv run python benchmarks/draws.py --month [--households 20000] [--months 240]

The streams are numpy's PCG64; ``abm.rng.Generator`` makes large float32 arrays of
uniforms and standard normals with a compiled copy of the same generator (numpy's
numbers and states, bit for bit: ``tests/test_rng_compiled.py``). The first form times
one month's draws at that many households, the sizes a run makes (28 float32 uniforms
and 4 float32 normals per household), with numpy's ``random`` and ``standard_normal``
and with the compiled ones, each the median of ``--repeat`` tries, and checks that the
numbers are the same.

``--month`` times whole months of one model stepping on one thread (as batch workers
and the browser page do), alternating between the compiled draws and numpy's month by
month in the same process (a month's draws switch with ``abm.rng.COMPILED_MIN``), so
that the machine's minute-to-minute speed falls on both alike; the alternation shifts
by a month each year, so that both get every calendar month. Nothing is asserted.
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np

UNIFORMS = 28  # float32 uniforms per household and month (the run's plans)
NORMALS = 4  # float32 standard normals per household and month


def _median_ms(fn, repeat: int) -> float:
    fn()  # (the first call loads the compiled code)
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times) * 1000


def draws(households: int, repeat: int) -> None:
    from abm import rng

    out = np.empty(households, np.float32)

    def month(gen) -> None:
        for _ in range(UNIFORMS):
            gen.random(dtype=np.float32, out=out)
        for _ in range(NORMALS):
            gen.standard_normal(dtype=np.float32, out=out)

    plain = np.random.Generator(np.random.PCG64(1))
    ours = rng.Generator(np.random.PCG64(1))
    same = all(
        a.tobytes() == b.tobytes() for a, b in (
            (plain.random(households, dtype=np.float32),
             ours.random(households, dtype=np.float32)),
            (plain.standard_normal(households, dtype=np.float32),
             ours.standard_normal(households, dtype=np.float32))))
    compiled_normals = rng._ziggurat()
    numpy_ms = _median_ms(lambda: month(plain), repeat)
    ours_ms = _median_ms(lambda: month(ours), repeat)
    print(f"one month's draws at {households:,} households ({UNIFORMS} float32 uniforms "
          f"and {NORMALS} normals each; median of {repeat}):")
    print(f"  numpy's generator    {numpy_ms:8.2f} ms")
    print(f"  abm.rng.Generator    {ours_ms:8.2f} ms   ({numpy_ms / ours_ms:.2f}x; normals "
          f"{'compiled' if compiled_normals else 'numpy' + chr(39) + 's (tables not read)'})")
    print(f"  the same numbers: {'yes' if same else 'NO'}")


def months(households: int, n_months: int) -> None:
    from abm import rng
    from abm.config import load_config
    from abm.runner import build_model

    cfg = load_config("configs/baseline.yaml", households=households, months=n_months)
    model = build_model(cfg, prefetch_draws=False)  # one thread, as batch workers
    spent = {True: 0.0, False: 0.0}
    count = {True: 0, False: 0}
    before = rng.COMPILED_MIN
    try:
        for i in range(n_months):
            compiled = (i + i // 12) % 2 == 1
            rng.COMPILED_MIN = before if compiled else 1 << 62
            t = time.perf_counter()
            model.step()
            spent[compiled] += time.perf_counter() - t
            count[compiled] += 1
    finally:
        rng.COMPILED_MIN = before
    plain = spent[False] / count[False] * 1000
    ours = spent[True] / count[True] * 1000
    print(f"a month on one thread at {households:,} households ({n_months} months, "
          f"alternated):")
    print(f"  numpy's draws        {plain:8.2f} ms")
    print(f"  compiled draws       {ours:8.2f} ms   ({(ours - plain) / plain:+.0%})")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--households", type=int, default=None)
    ap.add_argument("--repeat", type=int, default=7)
    ap.add_argument("--month", action="store_true",
                    help="whole months of one model, alternating the two generators")
    ap.add_argument("--months", type=int, default=240)
    a = ap.parse_args()
    if a.month:
        months(a.households or 20_000, a.months)
    else:
        draws(a.households or 200_000, a.repeat)


if __name__ == "__main__":
    main()
