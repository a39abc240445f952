"""Experiment files, design generation and run seeds (no Dask, no simulation)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import yaml

from abm.cli import main
from abm.config import ConfigError
from abm.experiments.design import (
    expand_range,
    grid_points,
    load_plan,
    run_seed,
    sample_design,
)
from abm.experiments.spec import DesignSpec, RangeSpec
from abm.experiments.store import ExperimentDir

REPO = Path(__file__).resolve().parents[1]
BASE = str(REPO / "configs" / "baseline.yaml")


def write_experiment(folder: Path, filename: str = "exp.yaml", **fields: object) -> Path:
    data = {"base": BASE, "months": 12, "households": 200, **fields}
    path = folder / filename
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path


# --------------------------------------------------------------------- grids
def test_ranges_include_stop_and_drop_binary_noise():
    assert expand_range(RangeSpec(start=0.1, stop=0.5, step=0.1)) == [0.1, 0.2, 0.3, 0.4, 0.5]
    assert expand_range(RangeSpec(start=0, stop=1, num=3)) == [0.0, 0.5, 1.0]


def test_grid_is_full_factorial_first_factor_slowest():
    points = grid_points({"a.x": [1, 2], "b.y": RangeSpec(start=0, stop=1, num=3)})
    assert len(points) == 6
    assert points[0] == {"a.x": 1, "b.y": 0.0}
    assert points[1] == {"a.x": 1, "b.y": 0.5}
    assert points[3] == {"a.x": 2, "b.y": 0.0}


# ------------------------------------------------------------------ samplers
BOUNDS = {"health.p_acute": (0.001, 0.02), "economy.p_local_work": (0.3, 0.7),
          "policy.pension_month": (100.0, 300.0)}


def _in_bounds(x: np.ndarray) -> bool:
    lo = np.array([b[0] for b in BOUNDS.values()])
    hi = np.array([b[1] for b in BOUNDS.values()])
    return bool(((x >= lo) & (x <= hi)).all())


def test_lhs_hits_every_stratum_once_and_is_reproducible():
    d = DesignSpec(method="lhs", n=10, parameters=BOUNDS)
    x = sample_design(d, seed=5)
    assert x.shape == (10, 3) and _in_bounds(x)
    for j, (lo, hi) in enumerate(BOUNDS.values()):
        strata = np.floor((x[:, j] - lo) / (hi - lo) * 10).astype(int)
        assert sorted(strata) == list(range(10))
    np.testing.assert_array_equal(x, sample_design(d, seed=5))
    assert not np.array_equal(x, sample_design(d, seed=6))


@pytest.mark.parametrize("second, rows", [(False, 8 * (3 + 2)), (True, 8 * (2 * 3 + 2))])
def test_sobol_has_saltelli_rows(second: bool, rows: int):
    d = DesignSpec(method="sobol", n=8, parameters=BOUNDS, calc_second_order=second)
    x = sample_design(d, seed=3)
    assert x.shape == (rows, 3) and _in_bounds(x)
    np.testing.assert_array_equal(x, sample_design(d, seed=3))


def test_morris_trajectories_move_one_parameter_at_a_time_on_the_grid():
    d = DesignSpec(method="morris", n=5, parameters=BOUNDS, num_levels=4)
    x = sample_design(d, seed=11)
    assert x.shape == (5 * (3 + 1), 3) and _in_bounds(x)
    for t in range(5):
        steps = np.diff(x[t * 4:(t + 1) * 4], axis=0)
        assert ((steps != 0).sum(axis=1) == 1).all()
    lo, hi = BOUNDS["health.p_acute"]
    levels = np.unique(np.round((x[:, 0] - lo) / (hi - lo) * 3, 9))
    assert set(levels) <= {0.0, 1.0, 2.0, 3.0}


def test_design_plan_rounds_integer_parameters(tmp_path: Path):
    path = write_experiment(tmp_path, design={
        "method": "lhs", "n": 6,
        "parameters": {"policy.withdrawal_months": [0, 48], "health.p_acute": [0.002, 0.02]}})
    plan = load_plan(path)
    assert len(plan.points) == 6
    assert all(isinstance(p["policy.withdrawal_months"], int) for p in plan.points)
    assert {r.config["policy"]["withdrawal_months"] for r in plan.runs} == \
        {p["policy.withdrawal_months"] for p in plan.points}


# --------------------------------------------------------------------- seeds
def test_seeds_come_from_identity_not_position(tmp_path: Path):
    scen = {"a": {}, "b": {"policy.pension_month": 200}}
    one = load_plan(write_experiment(tmp_path, "one.yaml", seed=9, replicates=3,
                                     scenarios=scen, factors={"health.p_acute": [0.005, 0.01]}))
    flipped = dict(reversed(list(scen.items())))
    flipped["c"] = {"policy.pension_month": 250}
    two = load_plan(write_experiment(tmp_path, "two.yaml", seed=9, replicates=4,
                                     scenarios=flipped,
                                     factors={"health.p_acute": [0.005, 0.01]}))
    seeds_one = {r.run_id: r.seed for r in one.runs}
    seeds_two = {r.run_id: r.seed for r in two.runs}
    assert all(seeds_two[k] == v for k, v in seeds_one.items())  # order/additions: no change
    by_rep: dict[int, set[int]] = {}
    for r in two.runs:
        by_rep.setdefault(r.replicate, set()).add(r.seed)
        assert r.config["run"]["seed"] == r.seed
    assert all(len(s) == 1 for s in by_rep.values())  # common random numbers
    assert len({next(iter(s)) for s in by_rep.values()}) == 4
    assert by_rep[1] != {by_rep[0].pop() + 1}  # never root + i
    assert all(0 <= r.seed <= 2**63 - 1 for r in two.runs)


def test_seed_from_run_gives_each_run_its_own_seed(tmp_path: Path):
    plan = load_plan(write_experiment(tmp_path, seed=9, replicates=2, seed_from="run",
                                      scenarios={"a": {}, "b": {}}))
    assert len({r.seed for r in plan.runs}) == 4
    assert run_seed(9, 1, "a", {}) == run_seed(9, 1, "a", {})
    assert run_seed(9, 1) != run_seed(10, 1)


# --------------------------------------------------------------- validation
@pytest.mark.parametrize("fields, key, words", [
    ({"replicats": 2}, "replicats", "unknown key"),
    ({"factors": {"economy.p_locl_work": [0.1]}}, "factors.economy.p_locl_work",
     "did you mean economy.p_local_work"),
    ({"scenarios": {"hi": {"health.p_acute": 2.0}}}, "scenarios.hi.health.p_acute",
     "less than or equal to 1"),
    ({"factors": {"health.p_acute": [0.01, -1]}}, "factors.health.p_acute (point 1: -1)",
     "greater than or equal to 0"),
    ({"design": {"method": "lhs", "n": 4, "parameters": {"health.p_acute": [0.5, 1.5]}}},
     "design.parameters.health.p_acute", "less than or equal to 1"),
    ({"design": {"method": "sobol", "n": 6, "parameters": {"health.p_acute": [0, 1]}}},
     "design.n", "power of 2"),
    ({"set": {"run.seed": 3}}, "set.run.seed", "cannot be set"),
    ({"design": {"method": "lhs", "n": 2, "parameters": {"county.name": [0, 1]}}},
     "design.parameters.county.name", "must be a number"),
    ({"factors": {"health.p_acute": [0.1]}, "scenarios": {"x": {"health.p_acute": 0.2}}},
     "scenarios.x.health.p_acute", "also varied"),
    ({"scenarios": {"bad name": {}}}, "scenarios", "'bad name' is not a valid name"),
    ({"factors": {"health.p_acute": {"start": 0, "stop": 1}}}, "factors.health.p_acute",
     "exactly one of step or num"),
    ({"base": "nope.yaml"}, "", "file not found"),
    ({"outputs": {"windows": {"w": [2, 5]}}}, "outputs.windows", "set series: true"),
    ({"outputs": {"series": True, "windows": {"w": [5, 2]}}}, "outputs.windows.w",
     "0 <= first <= last"),
    ({"outputs": {"series": True, "windows": {"bad name": [1, 2]}}}, "outputs.windows",
     "letters, digits and _"),
    ({"outputs": {"series": True, "windows": {"w": [3, 12]}}}, "outputs.windows.w",
     "month 12 is past the run's last month (11"),
])
def test_bad_experiments_name_file_and_key(tmp_path: Path, fields, key, words):
    path = write_experiment(tmp_path, **fields)
    with pytest.raises(ConfigError) as info:
        load_plan(path)
    err = info.value
    assert err.key == key, str(err)
    assert words in err.message
    expected_source = str(tmp_path / "nope.yaml") if key == "" else str(path)
    assert err.source == expected_source


def test_cli_bad_experiment_exits_2_and_writes_nothing(tmp_path: Path, capsys):
    path = write_experiment(tmp_path, scenarios={"hi": {"health.p_acute": 2.0}})
    out = tmp_path / "out"
    assert main(["batch", str(path), "--workers", "1", "--out", str(out)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1
    assert str(path) in err[0] and "scenarios.hi.health.p_acute" in err[0]
    assert not out.exists()
    assert main(["batch", str(tmp_path / "missing.yaml"), "--out", str(out)]) == 2
    assert main(["batch", str(path), "--workers", "0", "--out", str(out)]) == 2
    assert not out.exists()


def test_changed_experiment_is_refused_in_the_same_folder(tmp_path: Path, capsys):
    path = write_experiment(tmp_path, replicates=2)
    plan = load_plan(path)
    store = ExperimentDir(tmp_path / "out")
    store.check(plan)
    store.freeze(plan, path.read_text())
    store.check(load_plan(path))  # unchanged: fine
    path = write_experiment(tmp_path, replicates=3)
    with pytest.raises(ConfigError, match="changed: replicates"):
        store.check(load_plan(path))
    before = sorted(p.name for p in (tmp_path / "out").rglob("*"))
    assert main(["batch", str(path), "--out", str(tmp_path / "out")]) == 2
    assert "differs from the experiment frozen" in capsys.readouterr().err
    assert sorted(p.name for p in (tmp_path / "out").rglob("*")) == before


def test_a_freeze_cut_short_is_not_mistaken_for_another_experiment(tmp_path: Path):
    plan = load_plan(write_experiment(tmp_path))
    out = tmp_path / "out"
    (out / "runs").mkdir(parents=True)
    (out / "experiment.yaml").write_text("half")  # killed before experiment.json
    ExperimentDir(out).check(plan)
    (out / "notes.txt").write_text("someone else's")
    with pytest.raises(ConfigError, match="holds no experiment"):
        ExperimentDir(out).check(plan)


def test_cli_exits_1_when_runs_failed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    import abm.experiments.batch_cli as batch_cli

    monkeypatch.setattr(batch_cli, "run_batch_command", lambda *a, **k: 1)
    assert main(["batch", str(write_experiment(tmp_path))]) == 1
    monkeypatch.setattr(batch_cli, "run_batch_command", lambda *a, **k: 0)
    assert main(["batch", str(write_experiment(tmp_path))]) == 0


def test_the_examples_in_docs_experiments_md_are_valid(tmp_path: Path):
    text = (REPO / "docs" / "experiments.md").read_text(encoding="utf-8")
    blocks = [b.split("```", 1)[0] for b in text.split("```yaml\n")[1:]]
    full = yaml.safe_load(blocks[0])
    full["base"] = BASE
    plan = load_plan(write_experiment(tmp_path, "full.yaml", **full))
    assert len(plan.runs) == 2 * 3 * 5 * 10
    sampled = {k: v for k, v in full.items() if k != "factors"} | yaml.safe_load(blocks[1])
    plan = load_plan(write_experiment(tmp_path, "sampled.yaml", **sampled))
    assert len(plan.points) == 64 * (2 + 2)


def test_a_scenario_with_nothing_after_it_is_the_base_config(tmp_path: Path):
    path = tmp_path / "exp.yaml"
    path.write_text(f"base: {BASE}\nscenarios:\n  baseline:\n  other:\n"
                    "    policy.pension_month: 200\n", encoding="utf-8")
    plan = load_plan(path)
    assert [r.scenario for r in plan.runs] == ["baseline", "other"]
    assert plan.runs[0].config["policy"]["pension_month"] == 170.0


def test_windows_leave_the_fingerprint_of_experiments_without_them(tmp_path: Path):
    """Folders frozen before ``outputs.windows`` existed must still resume: an experiment
    without windows has the fingerprint it had; one with windows has another."""
    import hashlib
    import json

    from abm.experiments.design import _fingerprint
    from abm.experiments.spec import Experiment

    exp = Experiment.model_validate({"base": BASE, "months": 12, "households": 200})
    spec = exp.model_dump(mode="json", exclude={"base"})
    del spec["outputs"]["windows"]
    blob = json.dumps({"experiment": spec, "base": {}}, sort_keys=True, separators=(",", ":"))
    assert _fingerprint(exp, {}) == hashlib.sha256(blob.encode("utf-8")).hexdigest()
    windowed = Experiment.model_validate(
        {"base": BASE, "months": 12, "households": 200,
         "outputs": {"series": True, "windows": {"w": [1, 2]}}})
    series_only = Experiment.model_validate(
        {"base": BASE, "months": 12, "households": 200, "outputs": {"series": True}})
    assert _fingerprint(windowed, {}) != _fingerprint(series_only, {})


def test_report_compares_each_metric_over_a_window_of_months(tmp_path: Path):
    """``outputs.windows``: the report adds METRIC@WINDOW, each run's mean over the
    window's kept months, compared between scenarios like the final values."""
    import pandas as pd

    path = write_experiment(
        tmp_path, replicates=2, months=10, households=300,
        scenarios={"as_is": {}, "no_support": {"policy.support.per_capita": 0}},
        outputs={"series": True, "every": 2, "metrics": ["poverty_rate", "income_pc"],
                 "windows": {"early": [2, 5]}})
    out = tmp_path / "out"
    assert main(["batch", str(path), "--workers", "1", "--out", str(out)]) == 0
    assert main(["report", str(out)]) == 0
    series = pd.read_parquet(out / "series.parquet")
    kept = series[series["month"].between(2, 5)]
    assert sorted(kept["month"].unique()) == [2, 4]
    mean = kept.groupby(["scenario", "replicate"])["income_pc"].mean().unstack(0)
    diffs = pd.read_csv(out / "report" / "differences.csv")
    row = diffs[diffs["metric"] == "income_pc@early"].iloc[0]
    assert row["reference_mean"] == pytest.approx(mean["as_is"].mean())
    assert row["difference"] == pytest.approx((mean["no_support"] - mean["as_is"]).mean())
    assert row["difference"] != pytest.approx(
        diffs[diffs["metric"] == "income_pc"].iloc[0]["difference"])
    md = (out / "report" / "summary.md").read_text(encoding="utf-8")
    assert "[early: mean of months 2-5]" in md
