"""Scale benchmark: build time, run time, household-steps/s and peak memory.

    uv run python benchmarks/scale.py [--sizes 10000,100000,200000] [--months 120]

Each size runs in a fresh process (so peak memory is that run's own), first the model
alone (build and step), then the whole `abm run` command from start to files written.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

CHILD = r"""
import json, resource, sys, time
t0 = time.perf_counter()
from abm.config import load_config
from abm.model import CountyModel
t_import = time.perf_counter() - t0
cfg = load_config(None, households=int(sys.argv[1]), months=int(sys.argv[2]))
t1 = time.perf_counter()
m = CountyModel(cfg)
t_build = time.perf_counter() - t1
t2 = time.perf_counter()
for _ in range(cfg.run.months):
    m.step()
t_run = time.perf_counter() - t2
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps(dict(import_s=t_import, build_s=t_build, run_s=t_run, peak_mb=peak)))
"""


def measure(n: int, months: int) -> dict:
    r = subprocess.run([sys.executable, "-c", CHILD, str(n), str(months)], cwd=ROOT,
                       capture_output=True, text=True, check=True)
    res = json.loads(r.stdout.strip().splitlines()[-1])
    with tempfile.TemporaryDirectory() as tmp:
        t = time.perf_counter()
        subprocess.run([sys.executable, "-m", "abm.cli", "run", "configs/baseline.yaml",
                        "--households", str(n), "--months", str(months), "--out",
                        os.path.join(tmp, "o")], cwd=ROOT, check=True, capture_output=True)
        res["whole_process_s"] = time.perf_counter() - t
        usage = resource.getrusage(resource.RUSAGE_CHILDREN)
        res["children_peak_mb"] = usage.ru_maxrss / 1024
    res["household_steps_per_s"] = n * months / res["run_s"]
    return res


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default="10000,100000,200000")
    ap.add_argument("--months", type=int, default=120)
    a = ap.parse_args()
    print(f"{'households':>10} {'import s':>9} {'build s':>8} {'run s':>7} "
          f"{'M hh-steps/s':>13} {'peak MB':>8} {'whole abm run s':>16}")
    for n in (int(x) for x in a.sizes.split(",")):
        r = measure(n, a.months)
        print(f"{n:>10,} {r['import_s']:>9.2f} {r['build_s']:>8.2f} {r['run_s']:>7.2f} "
              f"{r['household_steps_per_s'] / 1e6:>13.2f} {r['peak_mb']:>8.0f} "
              f"{r['whole_process_s']:>16.2f}", flush=True)


if __name__ == "__main__":
    main()
