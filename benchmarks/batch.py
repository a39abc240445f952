"""Batch throughput (runs per minute) with 1 and 2 local Dask workers.

    uv run python benchmarks/batch.py [--runs 16] [--households 20000] [--months 120]
                                      [--workers 1 2] [--repeat 1] [--control]

For each worker count it starts a LocalCluster (127.0.0.1, one thread per worker),
warms the workers up (imports the model) and times a fresh batch through the same
driver ``abm batch`` uses: steady-state runs/minute, then the speed-up over 1 worker.
Cluster start-up and warm-up are printed separately; they are paid once per batch.
The machine's load average is printed too: other work on the cores skews the ratio;
``--control`` times the same runs on a plain process pool, the ceiling at that moment.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[1]


def _warm_up() -> bool:
    import abm.runner  # noqa: F401  (the slow import a worker pays once)

    return True


def write_experiment(folder: Path, runs: int, households: int, months: int) -> Path:
    """An experiment of ``runs`` runs: 2 scenarios x runs/2 replicates."""
    exp = {
        "name": "bench",
        "base": str(REPO / "configs" / "baseline.yaml"),
        "seed": 1,
        "replicates": max(1, runs // 2),
        "months": months,
        "households": households,
        "scenarios": {"baseline": {}, "cheap_care": {"policy.medical.reimbursement_general": 0.8}},
        "outputs": {"final": True, "series": False},
    }
    path = folder / "bench.yaml"
    path.write_text(yaml.safe_dump(exp, sort_keys=False), encoding="utf-8")
    return path


def measure(plan: object, workers: int, folder: Path) -> dict[str, float]:
    """Seconds to start and warm a cluster, seconds for the batch, runs per minute."""
    from abm.experiments.engine import PlainProgress, open_client, run_batch

    t0 = time.perf_counter()
    client, cluster = open_client(workers, None)
    client.run(_warm_up)
    startup = time.perf_counter() - t0
    try:
        t1 = time.perf_counter()
        outcome = run_batch(plan, folder / f"w{workers}", client=client,  # type: ignore[arg-type]
                            progress=PlainProgress(interval=1e9))
        seconds = time.perf_counter() - t1
    finally:
        client.close()
        cluster.close()
    assert outcome.failed == 0 and outcome.done == outcome.total
    return {"startup_s": startup, "batch_s": seconds,
            "runs_per_min": outcome.done / seconds * 60}


def _simulate(config: dict) -> float:
    """One run outside Dask (the control); returns its seconds."""
    from abm.config import config_from_dict
    from abm.runner import simulate

    t0 = time.perf_counter()
    simulate(config_from_dict(config))
    return time.perf_counter() - t0


def measure_control(plan: object, workers: int) -> dict[str, float]:
    """The same runs on a plain process pool: the ceiling the machine allows right now."""
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    configs = [r.config for r in plan.runs]  # type: ignore[attr-defined]
    with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn")) as pool:
        list(pool.map(_warm_up_n, range(workers)))
        t0 = time.perf_counter()
        list(pool.map(_simulate, configs))
        seconds = time.perf_counter() - t0
    return {"batch_s": seconds, "runs_per_min": len(configs) / seconds * 60}


def _warm_up_n(_: int) -> bool:
    time.sleep(0.5)  # so that each pool process gets one warm-up call
    return _warm_up()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=16)
    parser.add_argument("--households", type=int, default=20_000)
    parser.add_argument("--months", type=int, default=120)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--repeat", type=int, default=1,
                        help="best of this many batches per worker count (noisy machines)")
    parser.add_argument("--control", action="store_true",
                        help="also time the same runs on a plain process pool (no Dask)")
    args = parser.parse_args()

    from abm.experiments.design import load_plan

    with tempfile.TemporaryDirectory(prefix="abm-bench-") as tmp:
        folder = Path(tmp)
        plan = load_plan(write_experiment(folder, args.runs, args.households, args.months))
        print(f"{len(plan.runs)} runs of {args.households:,} households x {args.months} "
              "months")
        base = None
        for n in args.workers:
            trials = [measure(plan, n, folder / f"try{k}") for k in range(args.repeat)]
            m = max(trials, key=lambda t: t["runs_per_min"])
            base = base or m["runs_per_min"]
            load = os.getloadavg()[0]
            print(f"  {n} worker(s): {m['runs_per_min']:6.1f} runs/min "
                  f"(batch {m['batch_s']:.1f} s, cluster start + warm-up {m['startup_s']:.1f} s)"
                  f", speed-up x{m['runs_per_min'] / base:.2f}; load average {load:.1f} on "
                  f"{os.cpu_count()} cores", flush=True)
        if args.control:
            base = None
            for n in args.workers:
                m = measure_control(plan, n)
                base = base or m["runs_per_min"]
                print(f"  control, {n} plain process(es): {m['runs_per_min']:6.1f} runs/min "
                      f"(batch {m['batch_s']:.1f} s), speed-up x{m['runs_per_min'] / base:.2f}"
                      f"; load average {os.getloadavg()[0]:.1f}", flush=True)


if __name__ == "__main__":
    main()
