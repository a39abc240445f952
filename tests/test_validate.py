"""`abm validate` at its smallest scale: every target measured, files written, bad input."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pandas as pd

from abm.validate import TARGETS

ROOT = Path(__file__).resolve().parent.parent


def abm(*args, cwd=ROOT):
    return subprocess.run([sys.executable, "-m", "abm.cli", *args], cwd=cwd,
                          capture_output=True, text=True, timeout=600)


def test_validate_writes_one_row_per_target(tmp_path):
    out = tmp_path / "val"
    r = abm("validate", "configs/baseline.yaml", "--seeds", "2", "--households", "600",
            "--months", "24", "--out", str(out))
    assert r.returncode == 0, r.stderr[-2000:]
    table = pd.read_csv(out / "validation.csv")
    assert list(table["target"]) == [t.key for t in TARGETS]
    assert table["model"].notna().all()
    assert (table["ci_low"] <= table["model"]).all() and (table["model"] <= table["ci_high"]).all()
    assert set(table["within_tolerance"]) <= {True, False}
    assert table.loc[table["target"] == "share_wages", "fitted"].item()
    assert not table.loc[table["target"] == "income_pc_registered_2022", "fitted"].item()
    md = (out / "validation.md").read_text(encoding="utf-8")
    assert "2 seeds x 600 households x 24 months" in md
    assert md.count("\n| ") == len(TARGETS) + 1  # header row + one per target


def test_validate_refuses_a_run_too_short_to_measure(tmp_path):
    r = abm("validate", "--seeds", "1", "--households", "300", "--months", "12",
            "--out", str(tmp_path / "v"))
    assert r.returncode == 2
    assert "at least 24 months" in r.stderr and "Traceback" not in r.stderr
    assert not (tmp_path / "v" / "validation.csv").exists()


def test_target_tolerances():
    by_key = {t.key: t for t in TARGETS}
    assert by_key["income_pc_2021"].within(14_051 * 1.04)
    assert not by_key["income_pc_2021"].within(14_051 * 1.06)
    assert by_key["monitored_of_registered"].within(0.10)
    assert not by_key["monitored_of_registered"].within(0.80)
    assert by_key["share_wages"].within(0.353 + 0.029) and not by_key["share_wages"].within(0.39)
