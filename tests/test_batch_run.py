"""Batches of configs/experiments/smoke.yaml end to end on Dask.

Worker counts, kill -9 and resume, a real cluster with a dead worker, the report.
Every batch runs ``python -m abm.cli batch`` in a subprocess, as a user would. The
module takes about two minutes on an idle two-core machine (mostly process start-up).
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest
import yaml

REPO = Path(__file__).resolve().parents[1]
SMOKE = REPO / "configs" / "experiments" / "smoke.yaml"
SPEC = yaml.safe_load(SMOKE.read_text(encoding="utf-8"))
N_RUNS = len(SPEC["scenarios"]) * SPEC["replicates"]


def batch_cmd(exp: Path, out: Path, *args: str) -> list[str]:
    return [sys.executable, "-m", "abm.cli", "batch", str(exp), "--out", str(out), *args]


def run_batch(exp: Path, out: Path, *args: str, seed: str = "0") -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONHASHSEED": seed}
    proc = subprocess.run(batch_cmd(exp, out, *args), capture_output=True, text=True,
                          timeout=240, env=env, cwd=REPO)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return proc


def results(out: Path) -> pd.DataFrame:
    return pd.read_parquet(out / "results.parquet")


def run_files(out: Path) -> dict[str, tuple[int, int]]:
    """Finished run files: name -> (inode, mtime in ns)."""
    return {p.name: (p.stat().st_ino, p.stat().st_mtime_ns)
            for p in (out / "runs").glob("*.parquet")}


def wait_for_runs(out: Path, proc: subprocess.Popen, n: int, timeout: float = 120) -> int:
    """Poll until at least ``n`` runs are on disk; returns how many there are."""
    t0 = time.monotonic()
    while time.monotonic() - t0 < timeout:
        done = len(run_files(out)) if (out / "runs").is_dir() else 0
        if done >= n:
            return done
        assert proc.poll() is None, proc.communicate()
        time.sleep(0.05)
    raise AssertionError(f"fewer than {n} runs after {timeout} s")


@pytest.fixture(scope="module")
def experiment(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """configs/experiments/smoke.yaml, copied next to the test's output folders."""
    path = tmp_path_factory.mktemp("exp") / "smoke.yaml"
    path.write_text(yaml.safe_dump({**SPEC, "base": str(SMOKE.parent / SPEC["base"])},
                                   sort_keys=False), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def reference(experiment: Path) -> Path:
    """The uninterrupted batch on one local worker."""
    out = experiment.parent / "w1"
    proc = run_batch(experiment, out, "--workers", "1", seed="1")
    assert f"{N_RUNS} done, 0 failed" in proc.stdout
    return out


def test_one_batch_writes_the_documented_layout(reference: Path):
    res = results(reference)
    assert len(res) == N_RUNS and (res["status"] == "ok").all()
    assert list(res.columns[:5]) == ["run_id", "scenario", "point", "replicate", "seed"]
    assert set(SPEC["outputs"]["metrics"]) <= set(res.columns)
    for name in ("experiment.yaml", "experiment.json", "design.parquet", "series.parquet"):
        assert (reference / name).exists(), name
    # Common random numbers: replicate k has one seed in every scenario.
    assert (res.groupby("replicate")["seed"].nunique() == 1).all()
    series = pd.read_parquet(reference / "series.parquet")
    months, every = SPEC["months"], SPEC["outputs"]["every"]
    assert sorted(series["month"].unique()) == sorted({*range(0, months, every), months - 1})
    assert not list((reference / "runs").glob(".*"))  # no temporary files left


def test_report_writes_tables_and_plots(reference: Path):
    from abm.cli import main

    assert main(["report", str(reference)]) == 0
    report = reference / "report"
    for name in ("summary.csv", "summary.md", "outcomes_by_scenario.png", "series_bands.png"):
        assert (report / name).stat().st_size > 0, name
    table = pd.read_csv(report / "summary.csv")
    assert set(table["scenario"]) == set(SPEC["scenarios"])
    assert (table["n"] == SPEC["replicates"]).all()
    assert (table["ci_low"] <= table["mean"]).all() and (table["mean"] <= table["ci_high"]).all()


def test_two_workers_give_identical_results(experiment: Path, reference: Path):
    out = experiment.parent / "w2"
    run_batch(experiment, out, "--workers", "2", seed="2")
    pd.testing.assert_frame_equal(results(out), results(reference), check_exact=True)
    pd.testing.assert_frame_equal(pd.read_parquet(out / "series.parquet"),
                                  pd.read_parquet(reference / "series.parquet"),
                                  check_exact=True)


def test_kill_9_then_same_command_resumes_without_recomputing(experiment: Path,
                                                              reference: Path):
    out = experiment.parent / "killed"
    proc = subprocess.Popen(batch_cmd(experiment, out, "--workers", "1"), cwd=REPO,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            start_new_session=True)
    try:
        wait_for_runs(out, proc, 3)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
    finally:
        # The driver's session holds its local cluster's workers: end them too.
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        proc.wait(timeout=30)
    before = run_files(out)
    assert 3 <= len(before) < N_RUNS, "the kill landed after the batch finished"
    assert not (out / "results.parquet").exists()
    again = run_batch(experiment, out, "--workers", "1")
    assert f"{len(before)} already on disk" in again.stdout
    after = run_files(out)
    assert {k: after[k] for k in before} == before  # same inode and mtime: not recomputed
    pd.testing.assert_frame_equal(results(out), results(reference), check_exact=True)
    assert not list((out / "runs").glob(".*"))


# -------------------------------------------------------------- a real cluster
def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture()
def dask_cluster(tmp_path: Path) -> Iterator[tuple[str, list[subprocess.Popen]]]:
    """A ``dask scheduler`` and two ``dask worker`` processes on 127.0.0.1.

    Workers run without a nanny so that killing one pid kills that worker. Every
    process started here is killed by its pid at the end.
    """
    dask = str(Path(sys.executable).parent / "dask")
    port = free_port()
    address = f"tcp://127.0.0.1:{port}"
    procs: list[subprocess.Popen] = []
    logs = tmp_path / "dask-logs"
    logs.mkdir()

    def start(name: str, *args: str) -> subprocess.Popen:
        log = (logs / f"{name}.log").open("w")
        proc = subprocess.Popen([dask, *args], stdout=log, stderr=subprocess.STDOUT,
                                cwd=tmp_path)
        procs.append(proc)
        return proc

    try:
        start("scheduler", "scheduler", "--host", "127.0.0.1", "--port", str(port),
              "--no-dashboard")
        workers = [start(f"worker{i}", "worker", address, "--nthreads", "1", "--no-nanny",
                         "--host", "127.0.0.1", "--no-dashboard", "--name", f"w{i}")
                   for i in range(2)]
        from distributed import Client

        with Client(address, timeout="60s") as client:
            client.wait_for_workers(2, timeout=60)
        yield address, workers
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.kill()
            proc.wait(timeout=30)


def wait_for_task_on(address: str, name: str, timeout: float = 60) -> str:
    """Wait until worker ``name`` is running a batch run; return that task's key."""
    from distributed import Client

    with Client(address, timeout="20s") as client:
        t0 = time.monotonic()
        while time.monotonic() - t0 < timeout:
            addr = next(a for a, w in client.scheduler_info()["workers"].items()
                        if w["name"] == name)
            keys = [k for k in client.processing(workers=[addr])[addr]
                    if str(k).startswith("abm-run-")]
            if keys:
                return str(keys[0])
            time.sleep(0.05)
    raise AssertionError(f"worker {name} ran nothing for {timeout} s")


def test_real_cluster_survives_a_dead_worker(experiment: Path, reference: Path,
                                             dask_cluster):
    address, workers = dask_cluster
    out = experiment.parent / "cluster"
    proc = subprocess.Popen(batch_cmd(experiment, out, "--scheduler", address), cwd=REPO,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        wait_for_runs(out, proc, 2)
        in_flight = wait_for_task_on(address, "w0")
        workers[0].kill()
        workers[0].wait(timeout=30)
        stdout, stderr = proc.communicate(timeout=240)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=30)
    assert proc.returncode == 0, stdout + stderr
    assert f"{N_RUNS} done, 0 failed" in stdout
    run = in_flight.split("-", 3)[-1]  # abm-run-<fingerprint>-<run_id>
    assert (out / "runs" / f"{run}.parquet").exists()  # the dead worker's run was redone
    pd.testing.assert_frame_equal(results(out), results(reference), check_exact=True)
