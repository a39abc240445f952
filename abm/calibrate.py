"""``abm calibrate``: fit a few free parameters to rows of the calibration table, as a
committed experiment anyone can rerun.

A calibration spec (``configs/calibration.yaml``) names the config, the parameters to fit
with the values to try, the rows of the calibration table (``abm.validate.TARGETS``) they
are fitted to, seeds, size and rounds. The search is by coordinates: each round, each
parameter in turn takes every value of its grid with the others at their best so far,
and keeps the value with the smallest miss. A row's miss is how far the model's mean is
outside the row's tolerance, in units of that tolerance (0 inside it); the loss is the
sum of squared misses. Every trial is written to ``calibration.csv`` and the fit to
``calibration.md`` (both or neither).

Only the rows of the calibration table may be fitted: the spec is checked against it, so
a figure kept aside to judge the model cannot be used here by mistake.
"""

from __future__ import annotations

import csv
import io
import os
import shutil
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from abm.validate import TARGETS, Target, validate


@dataclass(frozen=True)
class Spec:
    config: str | None
    parameters: dict[str, list[Any]]
    targets: tuple[Target, ...]
    seeds: int
    households: int
    months: int
    rounds: int


def _fail(path: str, key: str, why: str):
    from abm.config import ConfigError

    raise ConfigError(path, key, why)


def load_spec(path: str | Path) -> Spec:
    """Read and check a calibration spec; bad input raises ``ConfigError`` (exit 2)."""
    from abm.config import load_config, read_yaml_mapping

    p = str(path)
    data = read_yaml_mapping(Path(path))
    allowed = {"config", "parameters", "targets", "seeds", "households", "months", "rounds"}
    for k in data:
        if k not in allowed:
            _fail(p, str(k), f"unknown key; allowed: {', '.join(sorted(allowed))}")
    config = data.get("config")
    if config is not None and not isinstance(config, str):
        _fail(p, "config", "must be a path to a YAML config")
    params = data.get("parameters")
    if not isinstance(params, dict) or not params:
        _fail(p, "parameters", "must map parameter keys (e.g. health.p_acute) to lists of "
              "values to try")
    for k, v in params.items():
        if not isinstance(v, list) or not v:
            _fail(p, f"parameters.{k}", "must be a non-empty list of values to try")
        for value in v:  # every value must be a valid setting of the key
            load_config(config, [f"{k}={value}"], households=100, months=24)
    by_key = {t.key: t for t in TARGETS}
    names = data.get("targets")
    if not isinstance(names, list) or not names:
        _fail(p, "targets", f"must list rows of the calibration table: {', '.join(by_key)}")
    for n in names:
        if n not in by_key:
            _fail(p, "targets", f"{n!r} is not a row of the calibration table; allowed: "
                  f"{', '.join(by_key)}")
    ints = {}
    for k, default, low in (("seeds", 2, 1), ("households", 10_000, 100), ("months", 60, 24),
                            ("rounds", 2, 1)):
        v = data.get(k, default)
        if not isinstance(v, int) or isinstance(v, bool) or v < low:
            _fail(p, k, f"must be a whole number >= {low}")
        ints[k] = v
    return Spec(config, {str(k): list(v) for k, v in params.items()},
                tuple(by_key[n] for n in names), **ints)


def miss(t: Target, value: float) -> float:
    """How far ``value`` is outside the row's tolerance, in tolerances (0 inside)."""
    if t.kind == "range":
        lo, hi = t.data
        width = max(hi - lo, 1e-12)
        return max(lo - value, value - hi, 0.0) / width
    tol = t.tolerance * abs(t.data) if t.kind == "rel" else t.tolerance
    return max(abs(value - t.data) - tol, 0.0) / max(tol, 1e-12)


def _same(v: Any) -> Any:
    """600 and 600.0 are one trial."""
    return float(v) if isinstance(v, int | float) and not isinstance(v, bool) else v


def evaluate(spec: Spec, values: dict[str, Any]) -> tuple[float, dict[str, float]]:
    sets = [f"{k}={v}" for k, v in values.items()]
    table = validate(spec.config, spec.seeds, spec.households, spec.months, sets=sets,
                     targets=spec.targets)
    model = dict(zip(table["target"], table["model"], strict=True))
    loss = sum(miss(t, model[t.key]) ** 2 for t in spec.targets)
    return loss, model


def calibrate(spec: Spec, progress: Callable[[str], None] | None = None
              ) -> tuple[dict[str, Any], pd.DataFrame]:
    """Coordinate search; returns the best values and one row per trial."""
    from abm.config import load_config

    cfg = load_config(spec.config)
    best: dict[str, Any] = {}
    for key in spec.parameters:  # start from the config's own values
        obj: Any = cfg
        for part in key.split("."):
            obj = getattr(obj, part)
        best[key] = obj
    trials: list[dict[str, Any]] = []
    seen: dict[tuple, float] = {}

    def trial(values: dict[str, Any], rnd: int) -> float:
        sig = tuple(_same(values[k]) for k in spec.parameters)
        if sig in seen:
            return seen[sig]
        if progress:
            progress(f"round {rnd}: " + ", ".join(f"{k}={v}" for k, v in values.items()))
        loss, model = evaluate(spec, values)
        seen[sig] = loss
        trials.append({"round": rnd, **values, "loss": loss, **model})
        return loss

    best_loss = trial(best, 0)
    for rnd in range(1, spec.rounds + 1):
        for key, grid in spec.parameters.items():
            for v in grid:
                loss = trial({**best, key: v}, rnd)
                if loss < best_loss:
                    best_loss, best = loss, {**best, key: v}
    return best, pd.DataFrame(trials)


def to_markdown(spec: Spec, best: dict[str, Any], trials: pd.DataFrame, command: str) -> str:
    final = trials.loc[trials["loss"].idxmin()]
    lines = ["# Calibration", "",
             f"`{command}`: {spec.seeds} seeds x {spec.households:,} households x "
             f"{spec.months} months per trial, {spec.rounds} rounds of a coordinate search, "
             f"{len(trials)} trials. A row's miss is how far the model is outside its "
             "tolerance, in tolerances; the loss is the sum of squared misses.", "",
             "## Fitted parameters", "", "| parameter | tried | fitted |", "|---|---|---|"]
    for k, grid in spec.parameters.items():
        lines.append(f"| `{k}` | {', '.join(str(v) for v in grid)} | **{best[k]}** |")
    lines += ["", "## Rows fitted, at the fitted values", "",
              "| row | model | data | tolerance | miss |", "|---|---|---|---|---|"]
    from abm.validate import _fmt

    for t in spec.targets:
        v = float(final[t.key])
        lines.append(f"| {t.label} | {_fmt(v, t.unit)} | {t.data_text()} | "
                     f"{t.tolerance_text()} | {miss(t, v):.2f} |")
    lines += ["", f"Loss at the fitted values: {final['loss']:.3f}.", "",
              "Every trial is in calibration.csv. Rows not listed here were not fitted by "
              "this experiment (see docs/validation.md for which rows were fitted when the "
              "model was built)."]
    return "\n".join(lines) + "\n"


def run_calibrate_command(spec_path: str, out: str | None) -> Path:
    from abm.runner import check_writable

    spec = load_spec(spec_path)
    out_dir = Path(out) if out else Path("runs") / "calibration"
    check_writable(out_dir)
    best, trials = calibrate(spec, progress=lambda m: print(f"  {m}", file=sys.stderr,
                                                            flush=True))
    out_dir.mkdir(parents=True, exist_ok=True)
    tmp = out_dir / f".calibration.tmp-{os.getpid()}"
    tmp.mkdir(exist_ok=True)
    try:
        buf = io.StringIO()
        trials.to_csv(buf, index=False, quoting=csv.QUOTE_MINIMAL, float_format="%.6g")
        (tmp / "calibration.csv").write_text(buf.getvalue(), encoding="utf-8")
        (tmp / "calibration.md").write_text(
            to_markdown(spec, best, trials, f"abm calibrate {spec_path}"), encoding="utf-8")
        for name in ("calibration.csv", "calibration.md"):
            os.replace(tmp / name, out_dir / name)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return out_dir
