"""`abm calibrate` at its smallest scale: the search keeps the better value, writes both
files, and refuses a figure that is not a row of the calibration table."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from abm.calibrate import load_spec, miss
from abm.config import ConfigError
from abm.validate import TARGETS

ROOT = Path(__file__).resolve().parent.parent
BY_KEY = {t.key: t for t in TARGETS}


def test_miss_is_zero_inside_the_tolerance_and_counts_tolerances_outside():
    rel = BY_KEY["income_pc_2021"]  # 14,051 +-5%
    assert miss(rel, rel.data) == 0.0
    assert miss(rel, rel.data * 1.049) == 0.0
    assert miss(rel, rel.data * 1.10) == pytest.approx(1.0)
    rng = BY_KEY["monitored_of_registered"]  # 5% to 15%
    assert miss(rng, 0.10) == 0.0
    assert miss(rng, 0.25) == pytest.approx(1.0)
    assert miss(rng, 0.0) == pytest.approx(0.5)


def _spec(tmp_path, text):
    p = tmp_path / "cal.yaml"
    p.write_text(text, encoding="utf-8")
    return p


def test_a_figure_kept_aside_cannot_be_fitted(tmp_path):
    p = _spec(tmp_path, "parameters:\n  health.p_acute: [0.005]\n"
                        "targets: [illness_share_of_returns]\n")
    with pytest.raises(ConfigError, match="not a row of the calibration table"):
        load_spec(p)
    p = _spec(tmp_path, "parameters:\n  health.p_acute: [2.0]\ntargets: [health_share]\n")
    with pytest.raises(ConfigError):  # outside the parameter's range
        load_spec(p)
    p = _spec(tmp_path, "parameters:\n  health.p_acute: [0.005]\ntargets: [health_share]\n"
                        "grid: 3\n")
    with pytest.raises(ConfigError, match="unknown key"):
        load_spec(p)


def test_calibrate_keeps_the_value_that_fits_and_writes_both_files(tmp_path):
    # Without routine care health is a small share of consumption; the baseline's 700
    # yuan brings it into the 7-10% reported, and 3,000 far above: the search keeps 700.
    p = _spec(tmp_path, "config: configs/baseline.yaml\nseeds: 1\nhouseholds: 400\n"
                        "months: 24\nrounds: 1\nparameters:\n"
                        "  health.cost_outpatient_person_year: [0, 700, 3000]\n"
                        "targets: [health_share]\n")
    out = tmp_path / "out"
    r = subprocess.run([sys.executable, "-m", "abm.cli", "calibrate", str(p), "--out",
                        str(out)], cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stderr[-2000:]
    trials = pd.read_csv(out / "calibration.csv")
    assert len(trials) == 3  # the start (700) is not run twice
    share = trials.set_index("health.cost_outpatient_person_year")["health_share"]
    assert share[0] < share[700] < share[3000]
    loss = trials.set_index("health.cost_outpatient_person_year")["loss"]
    assert loss[700] < loss[0] and loss[700] < loss[3000]
    md = (out / "calibration.md").read_text(encoding="utf-8")
    assert "| `health.cost_outpatient_person_year` | 0, 700, 3000 | **700" in md


def test_bad_spec_exits_2_with_one_line(tmp_path):
    p = _spec(tmp_path, "parameters: {}\ntargets: [health_share]\n")
    r = subprocess.run([sys.executable, "-m", "abm.cli", "calibrate", str(p), "--out",
                        str(tmp_path / "o")], cwd=ROOT, capture_output=True, text=True,
                       timeout=300)
    assert r.returncode == 2
    assert "parameters" in r.stderr and len(r.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "o").exists()
