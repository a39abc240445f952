"""One run from config to files: the path shared by the CLI, batches and the app."""

from __future__ import annotations

import json
import os
import platform
import shutil
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml

from abm import __version__
from abm.config import Config, config_to_dict
from abm.households.state import RETURN_CAUSES
from abm.model import CountyModel

OUTPUT_FILES = ("timeseries.parquet", "events.parquet", "config.yaml", "summary.json",
                "main_series.png")

# Calibration targets (per person per year; shares of income). Used for the summary's
# side-by-side comparison; the sources are in docs/model.md and the config schema.
CALIBRATION = {
    "income_pc_2021_delisted_counties": 14_051.0,
    "income_pc_2021_lifted_out": 12_550.0,
    "share_wages_2019": 0.353,
    "share_business_2019": 0.360,
    "share_property_2019": 0.014,
    "share_transfers_2019": 0.273,
}


@dataclass
class RunResult:
    config: Config
    timeseries: pd.DataFrame
    events: pd.DataFrame
    summary: dict[str, Any] = field(default_factory=dict)
    model: CountyModel | None = None


def build_model(cfg: Config) -> CountyModel:
    """The one factory every front end uses to make a model."""
    return CountyModel(cfg)


def simulate(cfg: Config, progress: Callable[[int, int], None] | None = None,
             keep_model: bool = False) -> RunResult:
    """Build the county and run ``cfg.run.months`` months."""
    model = build_model(cfg)
    months = cfg.run.months
    for k in range(months):
        model.step()
        if progress is not None:
            progress(k + 1, months)
    ts = model.timeseries()
    ev = model.events()
    result = RunResult(cfg, ts, ev, summarise(cfg, ts, ev), model if keep_model else None)
    return result


def _r(x: float, nd: int = 4) -> float:
    return float(round(float(x), nd))


def summarise(cfg: Config, ts: pd.DataFrame, ev: pd.DataFrame) -> dict[str, Any]:
    """Headline results; deterministic (no wall-clock, no host names)."""
    first_year = ts[ts["year"] == ts["year"].iloc[0]]
    last = ts.iloc[-1]
    ret = ev[ev["event"] == "returned_to_poverty"]
    by_cause = ret["cause"].value_counts()
    summary: dict[str, Any] = {
        "county": cfg.county.name,
        "seed": cfg.run.seed,
        "months": cfg.run.months,
        "households": cfg.run.households,
        "start_year": cfg.run.start_year,
        "versions": {
            "abm": __version__,
            "mesa": _version("mesa"),
            "numpy": np.__version__,
            "python": platform.python_version(),
        },
        "headline": {
            "poverty_rate_start": _r(ts["poverty_rate"].iloc[0]),
            "poverty_rate_end": _r(last["poverty_rate"]),
            "poverty_rate_registered_end": _r(last["poverty_rate_registered"]),
            "returned_to_poverty": int(len(ret)),
            "fell_into_poverty": int((ev["event"] == "fell_into_poverty").sum()),
            "exited_poverty": int((ev["event"] == "exited_poverty").sum()),
            "returned_by_cause": {c: int(by_cause.get(c, 0)) for c in RETURN_CAUSES},
            "income_pc_first_year": _r(first_year["income_pc"].mean(), 1),
            "income_pc_end": _r(last["income_pc"], 1),
            "mean_motivation_end": _r(last["mean_motivation"]),
        },
        "calibration": {
            "model": {
                "income_pc_first_year": _r(first_year["income_pc"].mean(), 1),
                "income_pc_registered_first_year": _r(
                    first_year["income_pc_registered"].mean(), 1),
                "share_wages": _r(first_year["share_wages"].mean()),
                "share_business": _r(first_year["share_business"].mean()),
                "share_property": _r(first_year["share_property"].mean()),
                "share_transfers": _r(first_year["share_transfers"].mean()),
            },
            "targets": CALIBRATION,
        },
    }
    return summary


def _version(pkg: str) -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(pkg)
    except PackageNotFoundError:
        return "unknown"


def write_outputs(result: RunResult, out_dir: Path) -> Path:
    """Write all files to a temporary folder, then move them into ``out_dir``.

    A crash while writing leaves ``out_dir`` as it was.
    """
    out_dir = Path(out_dir)
    parent = out_dir.resolve().parent
    parent.mkdir(parents=True, exist_ok=True)
    tmp = parent / f".{out_dir.name}.tmp-{os.getpid()}"
    if tmp.exists():
        shutil.rmtree(tmp)
    tmp.mkdir()
    try:
        result.timeseries.to_parquet(tmp / "timeseries.parquet", index=False)
        result.events.to_parquet(tmp / "events.parquet", index=False)
        (tmp / "config.yaml").write_text(
            yaml.safe_dump(config_to_dict(result.config), sort_keys=False), encoding="utf-8")
        (tmp / "summary.json").write_text(
            json.dumps(result.summary, indent=2, sort_keys=False) + "\n", encoding="utf-8")
        from abm.plots import plot_main_series

        plot_main_series(result.timeseries, tmp / "main_series.png",
                         title=f"{result.config.county.name}, seed {result.config.run.seed}")
        if out_dir.exists():
            for name in OUTPUT_FILES:
                os.replace(tmp / name, out_dir / name)
            tmp.rmdir()
        else:
            os.replace(tmp, out_dir)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return out_dir


def default_out_dir(config_path: str | None, seed: int) -> Path:
    stem = Path(config_path).stem if config_path else "default"
    return Path("runs") / f"{stem}-seed{seed}"


def stderr_is_terminal() -> bool:
    return sys.stderr.isatty()
