"""The experiment folder checks itself: one driver at a time, run files that carry
their identity and a checksum, damaged or foreign files moved aside and recomputed.

Batches run on an in-process Dask cluster with an instant stand-in model; the lock
tests use real processes (a second driver, a driver killed with SIGKILL).
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import yaml

import abm.experiments.worker as worker
from abm.cli import main
from abm.config import ConfigError
from abm.experiments.design import load_plan
from abm.experiments.engine import PlainProgress, run_batch
from abm.experiments.store import LOCK_NAME, RUN_META_KEY, ExperimentDir, table_digest

REPO = Path(__file__).resolve().parents[1]
BASE = str(REPO / "configs" / "baseline.yaml")


def fake_execute_run(config: dict[str, Any], outputs: dict[str, Any]) -> dict[str, Any]:
    """Instant stand-in for a simulation: values that depend on the seed and a parameter."""
    seed = config["run"]["seed"]
    p = config["health"]["p_acute"]
    table = pd.DataFrame({"month": [0, 1], "poverty_rate": [0.1, (seed % 1000) / 1000 + p]})
    return {"table": table, "headline": {"seed": seed}}


@pytest.fixture(scope="module")
def client() -> Iterator[Any]:
    from distributed import Client

    with Client(processes=False, n_workers=1, threads_per_worker=2,
                dashboard_address="127.0.0.1:0") as c:
        yield c


@pytest.fixture()
def fake_model(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(worker, "execute_run", fake_execute_run)


def write_experiment(folder: Path, name: str = "exp.yaml", seed: int = 5, **extra: Any) -> Path:
    path = folder / name
    data = {"base": BASE, "seed": seed, "replicates": 3, "months": 12, "households": 200,
            "factors": {"health.p_acute": [0.005, 0.01]},
            "outputs": {"metrics": ["poverty_rate"], "series": True}, **extra}
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path


def quiet() -> PlainProgress:
    return PlainProgress(interval=1e9, stream=open(os.devnull, "w"))  # noqa: SIM115


def files(out: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted((out / "runs").glob("*.parquet"))}


# ---------------------------------------------------------------- identity
def test_each_run_file_carries_its_identity_and_a_checksum(tmp_path: Path, client: Any,
                                                           fake_model: None):
    plan = load_plan(write_experiment(tmp_path))
    out = tmp_path / "out"
    run_batch(plan, out, client=client, progress=quiet())
    spec = plan.runs[4]
    table = pq.read_table(out / "runs" / f"{spec.run_id}.parquet")
    meta = json.loads(table.schema.metadata[RUN_META_KEY])
    assert meta["run_id"] == spec.run_id and meta["seed"] == spec.seed
    assert meta["params"] == spec.params and meta["experiment"] == plan.fingerprint
    assert meta["checksum"] == table_digest(table)
    # The checksum follows the rows: one changed value gives another digest.
    values = table.column("poverty_rate").to_pylist()
    changed = table.set_column(table.schema.get_field_index("poverty_rate"), "poverty_rate",
                               pa.array([values[0], values[1] + 1e-12]))
    assert table_digest(changed) != meta["checksum"]
    assert not (out / LOCK_NAME).exists()  # released: no holder left behind


# ------------------------------------------------------------ damaged files
def damage(out: Path, plan: Any) -> dict[str, str]:
    """The issue's cases, one per run file: what was done to which run."""
    runs = out / "runs"
    ids = [r.run_id for r in plan.runs]
    path = {i: runs / f"{i}.parquet" for i in ids}
    data = path[ids[0]].read_bytes()
    path[ids[0]].write_bytes(data[: len(data) // 2])                      # truncated
    path[ids[1]].write_bytes(os.urandom(len(path[ids[1]].read_bytes())))  # random bytes
    path[ids[2]].write_bytes(b"")                                         # emptied
    a, b = path[ids[3]], path[ids[4]]                                     # swapped
    tmp = runs / "swap"
    os.replace(a, tmp)
    os.replace(b, a)
    os.replace(tmp, b)
    return {ids[0]: "unreadable Parquet", ids[1]: "unreadable Parquet", ids[2]: "empty",
            ids[3]: "(renamed or swapped)", ids[4]: "(renamed or swapped)"}


def test_damaged_empty_and_swapped_run_files_are_moved_aside_and_recomputed(
        tmp_path: Path, client: Any, fake_model: None, capsys: pytest.CaptureFixture[str]):
    plan = load_plan(write_experiment(tmp_path))
    out = tmp_path / "out"
    run_batch(plan, out, client=client, progress=quiet())
    reference = pd.read_parquet(out / "results.parquet")
    series = pd.read_parquet(out / "series.parquet")
    good = files(out)
    hurt = damage(out, plan)
    capsys.readouterr()

    outcome = run_batch(plan, out, client=client, progress=quiet())
    assert (outcome.skipped, outcome.done, outcome.failed) == (len(plan.runs) - 5, 5, 0)
    err = capsys.readouterr().err
    lines = {line.split(".parquet:")[0].rsplit("/", 1)[-1]: line for line in err.splitlines()
             if "rejected runs/" in line}
    assert set(lines) == set(hurt)
    for run_id, why in hurt.items():
        assert why in lines[run_id]
        assert (out / "runs" / "rejected" / f"{run_id}.parquet").exists()
    assert files(out) == good  # recomputed, byte for byte
    pd.testing.assert_frame_equal(pd.read_parquet(out / "results.parquet"), reference,
                                  check_exact=True)
    pd.testing.assert_frame_equal(pd.read_parquet(out / "series.parquet"), series,
                                  check_exact=True)


def test_a_run_file_from_another_experiment_or_edited_is_rejected(
        tmp_path: Path, client: Any, fake_model: None, capsys: pytest.CaptureFixture[str]):
    plan_a = load_plan(write_experiment(tmp_path, "a.yaml", seed=5))
    plan_b = load_plan(write_experiment(tmp_path, "b.yaml", seed=6))
    run_batch(plan_a, tmp_path / "a", client=client, progress=quiet())
    run_batch(plan_b, tmp_path / "b", client=client, progress=quiet())
    reference = pd.read_parquet(tmp_path / "a" / "results.parquet")
    one, two = plan_a.runs[0].run_id, plan_a.runs[1].run_id
    # Same run id, another experiment: copied over from the other folder.
    shutil.copy(tmp_path / "b" / "runs" / f"{one}.parquet", tmp_path / "a" / "runs")
    # Same file, one value edited, metadata kept.
    path = tmp_path / "a" / "runs" / f"{two}.parquet"
    table = pq.read_table(path)
    col = table.schema.get_field_index("poverty_rate")
    edited = table.set_column(col, "poverty_rate", pa.array([0.5, 0.5]))
    pq.write_table(edited, path)
    # A stray Parquet file that is no run of this experiment.
    pd.DataFrame({"x": [1]}).to_parquet(tmp_path / "a" / "runs" / "notes.parquet")
    capsys.readouterr()

    outcome = run_batch(plan_a, tmp_path / "a", client=client, progress=quiet())
    assert outcome.done == 2
    err = capsys.readouterr().err
    assert "belongs to another experiment" in err
    assert "do not match its checksum" in err
    assert "rejected runs/notes.parquet: not a run of this experiment" in err
    pd.testing.assert_frame_equal(pd.read_parquet(tmp_path / "a" / "results.parquet"),
                                  reference, check_exact=True)


def test_a_file_damaged_after_the_batch_is_not_combined(tmp_path: Path, client: Any,
                                                        fake_model: None):
    plan = load_plan(write_experiment(tmp_path))
    out = tmp_path / "out"
    run_batch(plan, out, client=client, progress=quiet())
    bad = plan.runs[2].run_id
    (out / "runs" / f"{bad}.parquet").write_bytes(b"PAR1 not really")
    res = ExperimentDir(out).combine(plan)
    assert res.set_index("run_id").loc[bad, "status"] == "missing"
    assert (res["status"] == "ok").sum() == len(plan.runs) - 1


def test_a_damaged_experiment_record_is_bad_input(tmp_path: Path, client: Any,
                                                  fake_model: None, capsys):
    path = write_experiment(tmp_path)
    out = tmp_path / "out"
    run_batch(load_plan(path), out, client=client, progress=quiet())
    (out / "experiment.json").write_bytes(os.urandom(300))
    assert main(["batch", str(path), "--out", str(out)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "experiment.json: unreadable" in err[0]


# --------------------------------------------------------------------- locks
HOLDER = textwrap.dedent("""
    import os, signal, sys, time
    from abm.experiments.store import ExperimentDir
    with ExperimentDir(sys.argv[1]).lock():
        print("locked", flush=True)
        if sys.argv[2] == "die":
            os.kill(os.getpid(), signal.SIGKILL)
        time.sleep(600)
""")

SLOW_DRIVER = textwrap.dedent("""
    import os, sys, time
    import pandas as pd
    import abm.experiments.worker as worker
    from distributed import Client
    from abm.experiments.design import load_plan
    from abm.experiments.engine import PlainProgress, run_batch

    def slow(config, outputs):
        # Replicate 0 finishes at once; the others wait until the test opens the gate.
        if config["run"]["seed"] != FIRST:
            while not os.path.exists(sys.argv[3]):
                time.sleep(0.05)
        seed = config["run"]["seed"]
        table = pd.DataFrame({"month": [0, 1], "poverty_rate": [0.1, (seed % 1000) / 1000]})
        return {"table": table, "headline": {}}

    worker.execute_run = slow
    FIRST = load_plan(sys.argv[1]).runs[0].seed
    # Enough threads for every run at once: the gated ones cannot hold up the others.
    with Client(processes=False, n_workers=1, threads_per_worker=8,
                dashboard_address="127.0.0.1:0") as client:
        run_batch(load_plan(sys.argv[1]), sys.argv[2], client=client,
                  progress=PlainProgress(interval=1e9))
""")


def start(script: str, *args: str) -> subprocess.Popen:
    proc = subprocess.Popen([sys.executable, "-c", script, *args], cwd=REPO, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    return proc


def wait_until(predicate: Any, proc: subprocess.Popen, what: str, limit: float = 120) -> None:
    deadline = time.monotonic() + limit
    while not predicate():
        assert proc.poll() is None, f"exited before {what}: {proc.communicate()}"
        assert time.monotonic() < deadline, f"no {what} within {limit} s"
        time.sleep(0.05)


def test_a_second_driver_exits_2_naming_the_first(tmp_path: Path, capsys):
    """Drivers A and B on one folder: B is refused while A runs; A's results are A's."""
    exp_a = write_experiment(tmp_path, "a.yaml", seed=5)
    exp_b = write_experiment(tmp_path, "b.yaml", seed=6)
    out = tmp_path / "out"
    gate = tmp_path / "gate"
    a = start(SLOW_DRIVER, str(exp_a), str(out), str(gate))
    try:
        # Replicate 0 of both grid points is written; the other runs wait at the gate.
        wait_until(lambda: len(list((out / "runs").glob("*.parquet"))) >= 2
                   if (out / "runs").is_dir() else False, a, "the ungated runs")
        before = sorted(p.name for p in out.rglob("*") if ".tmp-" not in p.name)
        # The same experiment: passes the freeze check, stopped by the lock.
        assert main(["batch", str(exp_a), "--workers", "1", "--out", str(out)]) == 2
        err = capsys.readouterr().err.strip().splitlines()
        assert len(err) == 1 and "in use by another abm batch" in err[0]
        assert f"pid {a.pid} on " in err[0]
        # Another experiment: refused too (it is not the one frozen there).
        assert main(["batch", str(exp_b), "--workers", "1", "--out", str(out)]) == 2
        assert "differs from the experiment frozen" in capsys.readouterr().err
        after = sorted(p.name for p in out.rglob("*") if ".tmp-" not in p.name)
        assert after == before  # B wrote and removed nothing
        gate.touch()  # let A finish
        _, a_err = a.communicate(timeout=120)
        assert a.returncode == 0, a_err
    finally:
        if a.poll() is None:
            a.kill()
            a.wait(timeout=30)
    plan_a = load_plan(exp_a)
    res = pd.read_parquet(out / "results.parquet")
    assert (res["status"] == "ok").all() and list(res["seed"]) == [r.seed for r in plan_a.runs]
    assert ExperimentDir(out).verified_done(plan_a) == {r.run_id for r in plan_a.runs}


def test_two_drivers_racing_into_a_new_folder(tmp_path: Path, capsys):
    """While one driver holds a new folder, another (other experiment) writes nothing."""
    exp_b = write_experiment(tmp_path, "b.yaml", seed=6)
    out = tmp_path / "new"
    with ExperimentDir(out).lock():  # driver A, just started: nothing frozen yet
        assert main(["batch", str(exp_b), "--workers", "1", "--out", str(out)]) == 2
        err = capsys.readouterr().err.strip().splitlines()
        assert len(err) == 1 and f"pid {os.getpid()} on " in err[0]
        assert sorted(p.name for p in out.iterdir()) == [LOCK_NAME]
    assert not out.exists()  # A stopped before freezing: no trace left


def test_a_killed_drivers_lock_is_taken_over(tmp_path: Path, client: Any, fake_model: None,
                                            capsys):
    out = tmp_path / "out"
    holder = start(HOLDER, str(out), "die")
    holder.communicate(timeout=60)
    assert holder.returncode == -signal.SIGKILL
    assert f'"pid": {holder.pid}' in (out / LOCK_NAME).read_text()
    plan = load_plan(write_experiment(tmp_path))
    outcome = run_batch(plan, out, client=client, progress=quiet())
    assert outcome.done == len(plan.runs)
    err = capsys.readouterr().err
    assert f"taking over the lock left by a driver that is gone (pid {holder.pid}" in err
    assert "no longer running" in err


def test_a_live_holder_keeps_the_lock(tmp_path: Path):
    out = tmp_path / "out"
    holder = start(HOLDER, str(out), "hold")
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "locked"
        with pytest.raises(ConfigError, match=f"in use by another abm batch \\(pid {holder.pid}"):
            with ExperimentDir(out).lock():
                pass
    finally:
        holder.kill()
        holder.wait(timeout=30)
    with ExperimentDir(out).lock():  # the kernel dropped the dead holder's lock
        pass
