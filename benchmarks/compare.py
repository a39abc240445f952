"""Whole ``abm run`` wall-clock of two versions of the code, alternately.

    uv run python benchmarks/compare.py OTHER_TREE [--pairs 5] [--households 200000]
                                        [--months 120] [--config configs/baseline.yaml]
                                        [--months-only]

``OTHER_TREE`` is another checkout of this repository (``git worktree add /tmp/old
REV``); its ``abm`` package is run with this environment's Python. On a shared machine
the same command's time moves by a third from one minute to the next, more than most
changes are worth, so one run of each says little: this runs them in pairs, taking
turns at going first, and prints each pair, the medians, and the median of the paired
differences with the range of the differences. Each process's CPU seconds (user and
system, its children included: the PNG helper) are printed too; they move less than
wall-clock. The first run of a tree compiles its kernels if its numba cache is cold:
run once before comparing (``--warm``, the default, does it). ``--months-only`` times
the months alone instead (the model built as ``abm run`` builds it, then ``step()`` the
months; the "run s" of ``benchmarks/scale.py``, the number its ratio is made of): without
the imports, the build and the figure, whose own swings hide a change of 1 or 2% in the
months. Nothing is asserted.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def one_run(tree: Path, config: str, households: int, months: int, out: str
            ) -> tuple[float, float]:
    """Wall seconds and CPU seconds (with children) of one ``abm run`` in ``tree``."""
    before = os.times()
    t = time.perf_counter()
    p = subprocess.run([sys.executable, "-m", "abm.cli", "run", config, "--households",
                        str(households), "--months", str(months), "--out", out,
                        "--overwrite"], cwd=tree, stdout=subprocess.DEVNULL,
                       stderr=subprocess.PIPE, text=True)
    wall = time.perf_counter() - t
    after = os.times()
    if p.returncode != 0:
        raise SystemExit(f"abm run failed in {tree}: {p.stderr.strip()[-2000:]}")
    cpu = (after.children_user - before.children_user
           + after.children_system - before.children_system)
    return wall, cpu


# The months alone, in the tree the child runs in (its working directory): "run s".
MONTHS_ONLY = r"""
import json, sys, time
from abm.config import load_config
from abm.runner import build_model
cfg = load_config(sys.argv[1], households=int(sys.argv[2]), months=int(sys.argv[3]))
model = build_model(cfg, prefetch_draws=True)  # as `abm run` does
t = time.perf_counter()
for _ in range(cfg.run.months):
    model.step()
print(json.dumps({"months_s": time.perf_counter() - t}))
"""


def months_run(tree: Path, config: str, households: int, months: int) -> tuple[float, float]:
    """Wall seconds of the months alone in ``tree`` (and the child's CPU seconds)."""
    import json

    before = os.times()
    p = subprocess.run([sys.executable, "-c", MONTHS_ONLY, config, str(households),
                        str(months)], cwd=tree, capture_output=True, text=True)
    after = os.times()
    if p.returncode != 0:
        raise SystemExit(f"the months failed in {tree}: {p.stderr.strip()[-2000:]}")
    cpu = (after.children_user - before.children_user
           + after.children_system - before.children_system)
    return json.loads(p.stdout.strip().splitlines()[-1])["months_s"], cpu


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("other", help="another checkout of this repository")
    ap.add_argument("--pairs", type=int, default=5)
    ap.add_argument("--households", type=int, default=200_000)
    ap.add_argument("--months", type=int, default=120)
    ap.add_argument("--config", default="configs/baseline.yaml")
    ap.add_argument("--no-warm", dest="warm", action="store_false",
                    help="skip the first, untimed run of each tree")
    ap.add_argument("--months-only", action="store_true",
                    help="time the months alone (scale.py's run s), not the whole command")
    a = ap.parse_args()
    other = Path(a.other).resolve()
    if not (other / "abm" / "cli.py").is_file():
        ap.error(f"{a.other}: not a checkout of this repository (no abm/cli.py)")
    if a.pairs < 1:
        ap.error("--pairs: at least 1")
    trees = {"this": ROOT, "other": other}
    print(f"this: {ROOT}\nother: {other}\n{os.cpu_count()} cores, load average "
          f"{os.getloadavg()[0]:.2f}; {a.config}, {a.households:,} households x "
          f"{a.months} months{' (the months alone)' if a.months_only else ''}", flush=True)
    res: dict[str, list[tuple[float, float]]] = {"this": [], "other": []}
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "run")
        if a.warm:
            for tree in trees.values():
                one_run(tree, a.config, min(a.households, 2000), 2, out)
        for i in range(a.pairs):
            order = ("other", "this") if i % 2 == 0 else ("this", "other")
            pair = {}
            for name in order:
                pair[name] = (months_run(trees[name], a.config, a.households, a.months)
                              if a.months_only else
                              one_run(trees[name], a.config, a.households, a.months, out))
                res[name].append(pair[name])
            print(f"pair {i + 1}: this {pair['this'][0]:6.2f} s ({pair['this'][1]:5.1f} "
                  f"CPU s), other {pair['other'][0]:6.2f} s ({pair['other'][1]:5.1f} CPU "
                  f"s), {order[0]} first", flush=True)
    diffs = [t[0] - o[0] for t, o in zip(res["this"], res["other"], strict=True)]
    for name in ("this", "other"):
        walls = [w for w, _ in res[name]]
        cpus = [c for _, c in res[name]]
        print(f"{name:>5}: wall median {statistics.median(walls):.2f} s (min "
              f"{min(walls):.2f}), CPU median {statistics.median(cpus):.1f} s")
    print(f"this - other, paired: median {statistics.median(diffs):+.2f} s (from "
          f"{min(diffs):+.2f} to {max(diffs):+.2f}); load average after "
          f"{os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
