"""The driver on an in-process Dask cluster with a stand-in model: failures and resume."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
import yaml

import abm.experiments.worker as worker
from abm.experiments.design import load_plan
from abm.experiments.engine import PlainProgress, run_batch

REPO = Path(__file__).resolve().parents[1]
BROKEN = 999.0  # pension_month value at which the stand-in model raises


def fake_execute_run(config: dict[str, Any], outputs: dict[str, Any]) -> dict[str, Any]:
    """Instant stand-in for a simulation: a value from the seed, or an error."""
    if config["policy"]["pension_month"] == BROKEN:
        raise ValueError("the county fell into the sea")
    seed = config["run"]["seed"]
    table = pd.DataFrame({"month": [0, 1], "poverty_rate": [0.1, (seed % 1000) / 1000]})
    return {"table": table, "headline": {"seed": seed}}


@pytest.fixture(scope="module")
def client() -> Iterator[Any]:
    from distributed import Client

    with Client(processes=False, n_workers=1, threads_per_worker=2,
                dashboard_address="127.0.0.1:0") as c:
        yield c


def write(tmp_path: Path, pension: float) -> Path:
    path = tmp_path / "exp.yaml"
    path.write_text(yaml.safe_dump({
        "base": str(REPO / "configs" / "baseline.yaml"), "replicates": 3,
        "scenarios": {"ok": {}, "bad": {"policy.pension_month": pension}},
        "outputs": {"metrics": ["poverty_rate"]}}, sort_keys=False), encoding="utf-8")
    return path


def test_failed_runs_are_recorded_and_retried(tmp_path: Path, client: Any,
                                              monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setattr(worker, "execute_run", fake_execute_run)
    out = tmp_path / "out"
    plan = load_plan(write(tmp_path, BROKEN))
    quiet = PlainProgress(interval=1e9, stream=open("/dev/null", "w"))  # noqa: SIM115
    outcome = run_batch(plan, out, client=client, progress=quiet)
    assert (outcome.done, outcome.failed) == (3, 3)
    res = pd.read_parquet(out / "results.parquet")
    assert list(res["status"]) == ["ok"] * 3 + ["error"] * 3
    assert res.loc[res["status"] == "error", "poverty_rate"].isna().all()
    err = json.loads((out / "runs" / "bad__p000000__r001.error.json").read_text())
    assert err["error"] == "ValueError" and "fell into the sea" in err["message"]
    assert "fake_execute_run" in err["traceback"]
    ok_files = {p.name: p.stat().st_mtime_ns for p in (out / "runs").glob("ok__*.parquet")}

    # The same experiment again: only the failed runs are tried, and fail again.
    outcome = run_batch(plan, out, client=client, progress=quiet)
    assert (outcome.skipped, outcome.done, outcome.failed) == (3, 0, 3)
    assert {p.name: p.stat().st_mtime_ns
            for p in (out / "runs").glob("ok__*.parquet")} == ok_files

    # Values and the identity-derived seed are kept per run, with the config as metadata.
    meta = pd.read_parquet(out / "runs" / "ok__p000000__r002.parquet")
    assert meta["seed"].iloc[0] == plan.runs[2].seed
    assert res.loc[2, "poverty_rate"] == (plan.runs[2].seed % 1000) / 1000


def additive_model(config: dict[str, Any], outputs: dict[str, Any]) -> dict[str, Any]:
    """Stand-in model: poverty_rate driven by p_acute, barely by p_local_work."""
    y = (10 * config["health"]["p_acute"] / 0.02 + 0.1 * config["economy"]["p_local_work"]
         + (config["run"]["seed"] % 7) * 1e-4)
    return {"table": pd.DataFrame({"month": [0], "poverty_rate": [y]}), "headline": {}}


@pytest.mark.parametrize("method, n", [("sobol", 16), ("morris", 8)])
def test_report_sensitivity_ranks_parameters(tmp_path: Path, client: Any,
                                             monkeypatch: pytest.MonkeyPatch,
                                             method: str, n: int):
    from abm.experiments.report import write_report

    monkeypatch.setattr(worker, "execute_run", additive_model)
    path = tmp_path / "exp.yaml"
    path.write_text(yaml.safe_dump({
        "base": str(REPO / "configs" / "baseline.yaml"), "replicates": 2,
        "design": {"method": method, "n": n, "seed": 3, "parameters": {
            "health.p_acute": [0.001, 0.02], "economy.p_local_work": [0.3, 0.7]}},
        "outputs": {"metrics": ["poverty_rate"]}}, sort_keys=False), encoding="utf-8")
    out = tmp_path / "out"
    quiet = PlainProgress(interval=1e9, stream=open("/dev/null", "w"))  # noqa: SIM115
    outcome = run_batch(load_plan(path), out, client=client, progress=quiet)
    assert outcome.failed == 0
    written = {p.name for p in write_report(out)}
    assert {"sensitivity.csv", "sensitivity.png", "summary.md", "summary.csv"} <= written
    sens = pd.read_csv(out / "report" / "sensitivity.csv").set_index("parameter")
    value = "ST" if method == "sobol" else "mu_star"
    assert sens.loc["health.p_acute", value] > 10 * sens.loc["economy.p_local_work", value]
    assert sens[f"{value}_conf"].notna().all()
    if method == "sobol":
        assert sens.loc["health.p_acute", "ST"] == pytest.approx(1, abs=0.1)


def _worker_settings() -> dict[str, Any]:
    import os

    import dask

    return {"profile": dask.config.get("distributed.worker.profile.enabled"),
            "tick": dask.config.get("distributed.admin.tick.interval"),
            "memory": dask.config.get("distributed.worker.memory.monitor-interval"),
            "trim": os.environ.get("MALLOC_TRIM_THRESHOLD_")}


def test_local_cluster_workers_keep_housekeeping_rare():
    """``abm batch``'s own cluster: each worker process samples no profile, checks its
    event loop and memory once a second, and leaves glibc's mmap threshold alone."""
    from abm.experiments.engine import QUIET_WORKERS, open_client

    client, cluster = open_client(1, None)
    try:
        seen = list(client.run(_worker_settings).values())
    finally:
        client.close()
        cluster.close()
    assert seen == [{"profile": False, "tick": QUIET_WORKERS["distributed.admin.tick.interval"],
                     "memory": QUIET_WORKERS["distributed.worker.memory.monitor-interval"],
                     "trim": None}]
