"""One run from config to files: the path shared by the CLI, batches and the app."""

from __future__ import annotations

import glob
import json
import os
import platform
import shutil
import sys
import tempfile
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


def build_model(cfg: Config, prefetch_draws: bool = False) -> CountyModel:
    """The one factory every front end uses to make a model (``prefetch_draws``: see
    ``CountyModel``)."""
    return CountyModel(cfg, prefetch_draws=prefetch_draws)


def simulate(cfg: Config, progress: Callable[[int, int], None] | None = None,
             keep_model: bool = False, prefetch_draws: bool = False,
             on_timeseries: Callable[[pd.DataFrame], None] | None = None) -> RunResult:
    """Build the county and run ``cfg.run.months`` months. ``on_timeseries`` is given
    the timeseries as soon as it is made, before the events and the summary (``abm
    run`` starts writing it, and asks for the PNG, meanwhile)."""
    model = build_model(cfg, prefetch_draws)
    months = cfg.run.months
    for k in range(months):
        model.step()
        if progress is not None:
            progress(k + 1, months)
    ts = model.timeseries()
    if on_timeseries is not None:
        on_timeseries(ts)
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
            "returned_census": int(last["cum_returned_census"]),
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


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def check_out_dir(out_dir: Path, overwrite: bool = False) -> None:
    """Refuse an output folder before any work (ConfigError, exit 2).

    Refused: a path that is not a folder; a folder holding anything but the files of
    a run (never mixed or deleted); a finished run unless ``overwrite``; a place that
    cannot be written (checked by creating and removing a hidden folder there).
    """
    from abm.config import ConfigError

    out_dir = Path(out_dir)
    where = str(out_dir)
    if out_dir.exists() or out_dir.is_symlink():
        if not out_dir.is_dir():
            raise ConfigError("--out", where, "exists and is not a folder")
        try:
            names = sorted(p.name for p in out_dir.iterdir())
        except OSError as exc:
            raise ConfigError("--out", where, f"cannot be read ({exc.strerror})") from None
        others = [n for n in names if n not in OUTPUT_FILES]
        if others:
            listed = ", ".join(others[:3]) + (", ..." if len(others) > 3 else "")
            raise ConfigError("--out", where, f"holds files that are not from abm run "
                              f"({listed}); choose an empty or new folder")
        if names and not overwrite:
            raise ConfigError("--out", where, "holds a finished run; pass --overwrite to "
                              "replace it, or choose another folder")
    check_writable(out_dir.resolve().parent if out_dir.exists() else out_dir, where)


def check_writable(folder: Path, label: str | None = None) -> None:
    """Refuse (ConfigError, exit 2) a folder that cannot be created or written, by
    creating and removing a hidden folder in it or in its nearest existing parent."""
    from abm.config import ConfigError

    folder = Path(folder)
    label = label or str(folder)
    probe_in = folder if folder.is_dir() else folder.absolute().parent
    while not probe_in.exists() and probe_in != probe_in.parent:
        probe_in = probe_in.parent
    if not probe_in.is_dir():
        raise ConfigError("--out", label, f"{probe_in} is not a folder")
    try:
        os.rmdir(tempfile.mkdtemp(prefix=".abm-probe-", dir=probe_in))
    except OSError as exc:
        raise ConfigError("--out", label, f"cannot write there "
                          f"({exc.strerror or exc})") from None


def clean_stale_tmp(out_dir: Path) -> None:
    """Remove hidden ``.<name>.tmp-PID`` / ``.old-PID`` folders of writers that are gone."""
    out_dir = Path(out_dir)
    parent = out_dir.resolve().parent
    if not parent.is_dir():
        return
    for kind in ("tmp", "old"):
        for p in parent.glob(f".{glob.escape(out_dir.name)}.{kind}-*"):
            pid = p.name.rsplit("-", 1)[-1]
            if pid.isdigit() and int(pid) != os.getpid() and not _pid_alive(int(pid)):
                shutil.rmtree(p, ignore_errors=True)


@dataclass
class StartedOutputs:
    """The files of a run begun before its events and summary exist (``start_outputs``):
    the temporary folder holding the timeseries, and whether the PNG was asked for."""

    out_dir: Path
    tmp: Path
    timeseries: pd.DataFrame
    asked: bool

    def discard(self) -> None:
        """The run failed before its files were finished: remove what was written."""
        shutil.rmtree(self.tmp, ignore_errors=True)


def start_outputs(cfg: Config, timeseries: pd.DataFrame, out_dir: Path,
                  plot_helper=None) -> StartedOutputs:
    """The first part of ``write_outputs``, as soon as the timeseries exists: the
    temporary folder, the timeseries in it, and the PNG asked of ``plot_helper`` (drawn
    while the events and the summary are made). Pass the result to ``write_outputs``
    as ``started`` (or ``discard`` it)."""
    out_dir = Path(out_dir)
    parent = out_dir.resolve().parent
    parent.mkdir(parents=True, exist_ok=True)
    clean_stale_tmp(out_dir)
    tmp = parent / f".{out_dir.name}.tmp-{os.getpid()}"
    if tmp.exists():
        shutil.rmtree(tmp)
    tmp.mkdir()
    try:
        timeseries.to_parquet(tmp / "timeseries.parquet", index=False)
        asked = plot_helper is not None and plot_helper.request(
            tmp / "timeseries.parquet", tmp / "main_series.png", _title(cfg), _lang())
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return StartedOutputs(out_dir, tmp, timeseries, asked)


def _title(cfg: Config) -> str:
    return f"{cfg.county.name}, seed {cfg.run.seed}"


def write_outputs(result: RunResult, out_dir: Path, overwrite: bool = False,
                  plot_helper=None, started: StartedOutputs | None = None) -> Path:
    """Write all files to a temporary folder, then move it into place as ``out_dir``.

    ``plot_helper`` (an ``abm.plots.PlotHelper`` started before the run) draws the PNG
    in its own process; without one, or if it fails, the PNG is drawn here.
    ``started``: ``start_outputs`` for this result's timeseries and ``out_dir``, done
    already (the timeseries is written and the PNG asked for).

    A crash while writing leaves ``out_dir`` as it was (and a hidden ``.tmp-PID``
    folder that the next write to the same place removes). With ``overwrite`` a
    folder holding a previous run is replaced as a whole.
    """
    out_dir = Path(out_dir)
    if started is not None and (started.out_dir != out_dir
                                or started.timeseries is not result.timeseries):
        started.discard()  # begun for other files: start again
        started = None
    if started is None:
        started = start_outputs(result.config, result.timeseries, out_dir, plot_helper)
    parent = out_dir.resolve().parent
    tmp = started.tmp
    try:
        title = _title(result.config)
        png = tmp / "main_series.png"
        asked = started.asked
        result.events.to_parquet(tmp / "events.parquet", index=False)
        (tmp / "config.yaml").write_text(
            yaml.safe_dump(config_to_dict(result.config), sort_keys=False), encoding="utf-8")
        (tmp / "summary.json").write_text(
            json.dumps(result.summary, indent=2, sort_keys=False) + "\n", encoding="utf-8")
        if not (asked and plot_helper is not None and plot_helper.done()):
            from abm.plots import plot_main_series

            png.unlink(missing_ok=True)  # whatever a failed helper left
            plot_main_series(result.timeseries, png, title=title)
        check_out_dir(out_dir, overwrite)  # again: the folder may have changed meanwhile
        if out_dir.is_dir() and any(out_dir.iterdir()):
            old = parent / f".{out_dir.name}.old-{os.getpid()}"
            os.replace(out_dir, old)
            os.replace(tmp, out_dir)
            shutil.rmtree(old, ignore_errors=True)
        else:
            os.replace(tmp, out_dir)  # also replaces an empty folder
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return out_dir


def _lang() -> str:
    from abm import i18n

    return i18n.current_lang()


def default_out_dir(config_path: str | None, seed: int) -> Path:
    stem = Path(config_path).stem if config_path else "default"
    return Path("runs") / f"{stem}-seed{seed}"


def stderr_is_terminal() -> bool:
    return sys.stderr.isatty()
