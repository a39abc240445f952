"""Scale benchmark: import, build, run and write times, household-steps/s, peak memory,
and a plain-Mesa reference measured side by side.

    uv run python benchmarks/scale.py [--sizes 10000,100000,200000,1000000] [--months 120]
                                      [--ref-steps MONTHS] [--repeat 1] [--json FILE]

For each size, three fresh processes (so each peak memory is that process's own):

1. the steps of ``abm run`` timed one by one, each as ``abm run`` does it: import
   (``abm.cli`` and the run path), build (the county, the population and the 18-month
   spin-up), run (``--months`` months, with the draws made a month ahead on a helper
   thread), write (the events and the summary made, and the output files: parquet,
   config, summary, and the PNG, which the helper process started before the build
   draws, asked for as soon as the timeseries is written; write ends when it is done);
2. the whole ``abm run configs/baseline.yaml`` command, from process start to all files
   written (the number the targets are about), with its peak resident memory;
3. the plain Mesa idiom at the same size: one ``mesa.Agent`` per household, stepped with
   ``model.agents.shuffle_do("step")``, each agent applying a trivial three-attribute
   rule; its agent-steps per second over ``--ref-steps`` steps, by default as many as
   the model's months (side by side over the same horizon), and the ratio of the
   model's household-steps per second to it. Its rate over its first 12 steps is
   printed too (``Mesa@12``; until 2026-12-05 the reference ran 12 steps only): the
   idiom's first steps are not its average ones, and not the same way at every size
   (2026-12-05, one run each: 0.71 against 0.66 M/s over 120 steps at 200,000 agents,
   0.74 against 0.84 at 100,000, 0.50 against 0.52 at 1,000,000), so the two are
   compared over the same months. ``--ref-steps 12`` gives a quicker look (a million
   plain agents take about four minutes for 120 steps).

Household-steps per second = households x months / run seconds (the spin-up is part of
build). The machine's load average is printed: other work on the cores slows every
number. Timings are wall-clock; nothing here is asserted by the tests. With ``--repeat
K`` each size is measured K times in turn (the three processes each time) and a row of
medians follows; compare two versions of the code with ``benchmarks/compare.py``.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# The steps of `abm run` (abm/cli.py: run) timed one by one.
PHASES = r"""
import json, resource, sys, time
t0 = time.perf_counter()
import abm.cli
from abm import i18n
from abm.config import load_config
from abm.plots import PlotHelper
cfg = load_config("configs/baseline.yaml", households=sys.argv[1], months=sys.argv[2])
helper = PlotHelper.start(i18n.current_lang())  # as `abm run`: before the imports
abm.cli._import_for_run()  # as `abm run` imports Mesa, the model and the writers
from abm.runner import RunResult, build_model, start_outputs, summarise, write_outputs
t_import = time.perf_counter() - t0
t1 = time.perf_counter()
model = build_model(cfg, prefetch_draws=True)  # as `abm run` does
t_build = time.perf_counter() - t1
t2 = time.perf_counter()
for _ in range(cfg.run.months):
    model.step()
t_run = time.perf_counter() - t2
t3 = time.perf_counter()
ts = model.timeseries()
started = start_outputs(cfg, ts, sys.argv[3], plot_helper=helper)  # as `abm run`: the PNG
ev = model.events()  # is drawn while the events and the summary are made
write_outputs(RunResult(cfg, ts, ev, summarise(cfg, ts, ev)), sys.argv[3], plot_helper=helper,
              started=started)
t_write = time.perf_counter() - t3
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps(dict(import_s=t_import, build_s=t_build, run_s=t_run, write_s=t_write,
                      peak_mb=peak)))
"""

# The plain Mesa idiom with a trivial rule: the reference the issue compares against.
MESA_REFERENCE = r"""
import json, resource, sys, time
import mesa

class Household(mesa.Agent):
    def __init__(self, model):
        super().__init__(model)
        self.income = 1000.0
        self.savings = 0.0
        self.motivation = 0.5

    def step(self):
        # Three attributes, one draw: a trivial monthly rule.
        self.income = self.income * (0.9 + 0.2 * self.model.random.random())
        self.savings = self.savings + 0.1 * self.income
        self.motivation = self.motivation + 0.01 * (0.5 - self.motivation)

class Plain(mesa.Model):
    def __init__(self, n, seed=1):
        super().__init__(rng=seed)
        Household.create_agents(self, n)

    def step(self):
        self.agents.shuffle_do("step")

n, steps = int(sys.argv[1]), int(sys.argv[2])
t0 = time.perf_counter()
m = Plain(n)
t_build = time.perf_counter() - t0
first = min(steps, 12)
t1 = time.perf_counter()
for k in range(steps):
    m.step()
    if k + 1 == first:
        t_first = time.perf_counter() - t1
t_run = time.perf_counter() - t1
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps(dict(build_s=t_build, run_s=t_run, steps_per_s=n * steps / t_run,
                      first_steps_per_s=n * first / t_first, peak_mb=peak)))
"""


def _child_json(code: str, *args: str) -> dict:
    r = subprocess.run([sys.executable, "-c", code, *args], cwd=ROOT, capture_output=True,
                       text=True)
    if r.returncode != 0:
        raise RuntimeError(f"benchmark child failed:\n{r.stderr[-2000:]}")
    return json.loads(r.stdout.strip().splitlines()[-1])


def whole_run(n: int, months: int, out: str) -> tuple[float, float]:
    """Wall seconds and peak resident MB of one ``abm run`` process, start to files."""
    t = time.perf_counter()
    p = subprocess.Popen([sys.executable, "-m", "abm.cli", "run", "configs/baseline.yaml",
                          "--households", str(n), "--months", str(months), "--out", out],
                         cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(p.pid, 0)
    wall = time.perf_counter() - t
    p.returncode = os.waitstatus_to_exitcode(status)
    if p.returncode != 0:
        raise RuntimeError(f"abm run failed: {p.stderr.read().decode()[-2000:]}")
    p.stderr.close()
    return wall, usage.ru_maxrss / 1024


def measure(n: int, months: int, ref_steps: int) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        res = _child_json(PHASES, str(n), str(months), os.path.join(tmp, "phases"))
        res["whole_s"], res["whole_peak_mb"] = whole_run(n, months, os.path.join(tmp, "run"))
    res["hh_steps_per_s"] = n * months / res["run_s"]
    ref = _child_json(MESA_REFERENCE, str(n), str(ref_steps))
    res["mesa_steps_per_s"] = ref["steps_per_s"]
    res["mesa_first12_steps_per_s"] = ref["first_steps_per_s"]
    res["mesa_steps"] = ref_steps
    res["mesa_peak_mb"] = ref["peak_mb"]
    res["ratio"] = res["hh_steps_per_s"] / ref["steps_per_s"]
    return res


HEADER = (f"{'households':>10} {'import s':>8} {'build s':>7} {'run s':>7} {'write s':>7} "
          f"{'M hh-steps/s':>12} {'peak MB':>7} {'whole s':>7} {'whole MB':>8} "
          f"{'Mesa M/s':>8} {'Mesa@12':>7} {'ratio':>6}")


def row(n: int, r: dict) -> str:
    return (f"{n:>10,} {r['import_s']:>8.2f} {r['build_s']:>7.2f} {r['run_s']:>7.2f} "
            f"{r['write_s']:>7.2f} {r['hh_steps_per_s'] / 1e6:>12.2f} {r['peak_mb']:>7.0f} "
            f"{r['whole_s']:>7.2f} {r['whole_peak_mb']:>8.0f} "
            f"{r['mesa_steps_per_s'] / 1e6:>8.2f} {r['mesa_first12_steps_per_s'] / 1e6:>7.2f} "
            f"{r['ratio']:>5.1f}x")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default="10000,100000,200000,1000000")
    ap.add_argument("--months", type=int, default=120)
    ap.add_argument("--ref-steps", type=int, default=None,
                    help="steps of the plain-Mesa reference (default: --months, the "
                         "model's horizon; its rate is per step)")
    ap.add_argument("--repeat", type=int, default=1,
                    help="measure each size this many times (on a shared machine the "
                         "numbers move by a third from one minute to the next; the "
                         "medians row is printed after the repeats)")
    ap.add_argument("--json", help="also write the numbers to this file")
    a = ap.parse_args()
    if a.repeat < 1:
        ap.error("--repeat: at least 1")
    ref_steps = a.months if a.ref_steps is None else a.ref_steps
    if ref_steps < 1 or a.months < 1:
        ap.error("--months and --ref-steps: at least 1")
    print(f"{os.cpu_count()} cores, load average {os.getloadavg()[0]:.2f}; "
          f"{a.months} months, plain Mesa {ref_steps} steps; "
          f"Python {sys.version.split()[0]}", flush=True)
    print(HEADER, flush=True)
    results = {}
    for n in (int(x) for x in a.sizes.split(",")):
        runs = []
        for _ in range(a.repeat):
            runs.append(measure(n, a.months, ref_steps))
            print(row(n, runs[-1]), flush=True)
        if a.repeat > 1:
            med = {k: statistics.median(r[k] for r in runs) for k in runs[0]}
            print(row(n, med) + "  (medians)", flush=True)
            results[n] = {"median": med, "runs": runs}
        else:
            results[n] = runs[0]
    print(f"load average after: {os.getloadavg()[0]:.2f}")
    if a.json:
        Path(a.json).write_text(json.dumps(results, indent=2) + "\n")


if __name__ == "__main__":
    main()
