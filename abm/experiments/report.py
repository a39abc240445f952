"""``abm report DIR``: tables and figures of a finished (or partly finished) experiment.

Writes into ``DIR/report/``:

- ``summary.csv`` / ``summary.md``: each outcome by scenario (and grid point), mean,
  standard deviation and a 95% confidence interval over replicates (Student t);
- ``outcomes_by_scenario.png``: the same as points with interval bars;
- ``series_bands.png``: monthly means with 95% bands over runs (if series were kept);
- ``sensitivity.csv`` / ``sensitivity.png``: Sobol (S1, ST) or Morris (mu*, sigma)
  indices with their confidence intervals, from SALib, per scenario and outcome.

Outcomes are in the units of their timeseries column (rates are shares, incomes
yuan per person per year, counts households).
"""

from __future__ import annotations

import math
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from abm.config import ConfigError
from abm.experiments.design import ID_COLUMNS, salib_problem
from abm.experiments.spec import Experiment
from abm.experiments.store import RESULTS, SERIES, ExperimentDir

__all__ = ["write_report", "summary_table", "sensitivity_table", "mean_ci"]

CONF_LEVEL = 0.95
MAX_PANELS = 6
STATUS_COLUMNS = ["status", "error", "month"]


def mean_ci(values: np.ndarray, level: float = CONF_LEVEL) -> tuple[float, float, float, float]:
    """(mean, sd, low, high): a Student-t interval for the mean; NaN width with one value."""
    from scipy import stats

    x = np.asarray(values, dtype=float)
    x = x[~np.isnan(x)]
    if len(x) == 0:
        return (math.nan,) * 4
    mean = float(x.mean())
    if len(x) < 2:
        return mean, math.nan, math.nan, math.nan
    sd = float(x.std(ddof=1))
    half = float(stats.t.ppf(0.5 + level / 2, len(x) - 1)) * sd / math.sqrt(len(x))
    return mean, sd, mean - half, mean + half


def outcome_columns(results: pd.DataFrame, exp: Experiment) -> list[str]:
    """The outcome columns present in results.parquet, in file order."""
    if exp.outputs.metrics:
        return [m for m in exp.outputs.metrics if m in results.columns]
    skip = set(ID_COLUMNS) | set(STATUS_COLUMNS) | set(exp.varied_keys())
    return [c for c in results.columns
            if c not in skip and pd.api.types.is_numeric_dtype(results[c])]


def _group_keys(exp: Experiment) -> list[str]:
    """Scenario, plus the grid factors: design samples are pooled within a scenario."""
    return ["scenario", *exp.factors]


def summary_table(results: pd.DataFrame, exp: Experiment, metrics: list[str]) -> pd.DataFrame:
    """Long table: group keys, metric, n, mean, sd, ci_low, ci_high."""
    ok = results[results["status"] == "ok"]
    keys = _group_keys(exp)
    rows = []
    for group, frame in ok.groupby(keys, sort=False):
        ident = dict(zip(keys, group if isinstance(group, tuple) else (group,), strict=True))
        for metric in metrics:
            mean, sd, low, high = mean_ci(frame[metric].to_numpy())
            rows.append({**ident, "metric": metric, "n": int(frame[metric].notna().sum()),
                         "mean": mean, "sd": sd, "ci_low": low, "ci_high": high})
    return pd.DataFrame(rows, columns=[*keys, "metric", "n", "mean", "sd", "ci_low",
                                       "ci_high"])


def _fmt(x: float) -> str:
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "-"
    return f"{x:.4g}" if abs(x) < 1000 else f"{x:,.0f}"


def summary_markdown(table: pd.DataFrame, exp: Experiment) -> str:
    """Rows = scenario (and grid point), columns = outcomes as ``mean [low, high]``."""
    keys = _group_keys(exp)
    metrics = list(dict.fromkeys(table["metric"]))
    lines = ["| " + " | ".join([*keys, "n", *metrics]) + " |",
             "|" + "---|" * (len(keys) + 1 + len(metrics))]
    for group, frame in table.groupby(keys, sort=False):
        ident = group if isinstance(group, tuple) else (group,)
        cells = [str(v) for v in ident] + [str(int(frame["n"].max()))]
        for metric in metrics:
            r = frame[frame["metric"] == metric].iloc[0]
            cells.append(f"{_fmt(r['mean'])} [{_fmt(r['ci_low'])}, {_fmt(r['ci_high'])}]")
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def markdown_table(frame: pd.DataFrame) -> str:
    """A plain Markdown table (numbers to 4 significant digits)."""
    lines = ["| " + " | ".join(map(str, frame.columns)) + " |",
             "|" + "---|" * len(frame.columns)]
    for _, row in frame.iterrows():
        lines.append("| " + " | ".join(_fmt(v) if isinstance(v, float) else str(v)
                                       for v in row) + " |")
    return "\n".join(lines) + "\n"


# --------------------------------------------------------------- sensitivity
def sensitivity_table(results: pd.DataFrame, exp: Experiment, metrics: list[str],
                      seed: int) -> tuple[pd.DataFrame, list[str]]:
    """SALib indices per scenario, metric and parameter; and notes on what was skipped.

    The outcome of a design point is its mean over replicates.
    """
    design = exp.design
    if design is None or design.method not in ("sobol", "morris"):
        return pd.DataFrame(), []
    problem = salib_problem(design)
    n_points = int(results["point"].max()) + 1
    rows: list[dict[str, Any]] = []
    notes: list[str] = []
    for scenario, frame in results.groupby("scenario", sort=False):
        ok = frame[frame["status"] == "ok"]
        for metric in metrics:
            y = ok.groupby("point")[metric].mean().reindex(range(n_points)).to_numpy()
            if np.isnan(y).any():
                notes.append(f"{scenario} / {metric}: skipped, "
                             f"{int(np.isnan(y).sum())} design points have no result")
                continue
            if np.ptp(y) == 0:
                notes.append(f"{scenario} / {metric}: skipped, the outcome does not vary")
                continue
            x = _design_matrix(results, exp, n_points)
            for row in _analyze(design.method, problem, x, y, design, seed):
                rows.append({"scenario": scenario, "metric": metric, **row})
    return pd.DataFrame(rows), notes


def _design_matrix(results: pd.DataFrame, exp: Experiment, n_points: int) -> np.ndarray:
    keys = exp.varied_keys()
    first = results.drop_duplicates("point").set_index("point").reindex(range(n_points))
    return first[keys].to_numpy(dtype=float)


def _analyze(method: str, problem: dict[str, Any], x: np.ndarray, y: np.ndarray,
             design: Any, seed: int) -> list[dict[str, Any]]:
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        if method == "sobol":
            from SALib.analyze import sobol

            si = sobol.analyze(problem, y, calc_second_order=design.calc_second_order,
                               conf_level=CONF_LEVEL, seed=seed)
            return [{"parameter": name, "method": "sobol",
                     "S1": float(si["S1"][i]), "S1_conf": float(si["S1_conf"][i]),
                     "ST": float(si["ST"][i]), "ST_conf": float(si["ST_conf"][i])}
                    for i, name in enumerate(problem["names"])]
        from SALib.analyze import morris

        si = morris.analyze(problem, x, y, conf_level=CONF_LEVEL,
                            num_levels=design.num_levels, seed=seed)
        return [{"parameter": name, "method": "morris",
                 "mu_star": float(si["mu_star"][i]),
                 "mu_star_conf": float(si["mu_star_conf"][i]),
                 "mu": float(si["mu"][i]), "sigma": float(si["sigma"][i])}
                for i, name in enumerate(problem["names"])]


# -------------------------------------------------------------------- plots
def _grid(n: int) -> tuple[Any, Any]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    cols = min(3, n)
    rows = math.ceil(n / cols)
    fig, axes = plt.subplots(rows, cols, figsize=(4.2 * cols, 3.2 * rows), squeeze=False)
    for ax in axes.flat[n:]:
        ax.set_visible(False)
    return fig, axes.flat


def _save(fig: Any, path: Path) -> Path:
    import matplotlib.pyplot as plt

    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def plot_outcomes(table: pd.DataFrame, exp: Experiment, path: Path) -> Path:
    """Mean and 95% interval of each outcome by scenario (and grid point)."""
    keys = _group_keys(exp)
    metrics = list(dict.fromkeys(table["metric"]))[:MAX_PANELS]
    fig, axes = _grid(len(metrics))
    for ax, metric in zip(axes, metrics, strict=False):
        t = table[table["metric"] == metric].reset_index(drop=True)
        labels = [" / ".join(str(r[k]) for k in keys) for _, r in t.iterrows()]
        err = np.vstack([t["mean"] - t["ci_low"], t["ci_high"] - t["mean"]])
        ax.errorbar(range(len(t)), t["mean"], yerr=np.nan_to_num(err), fmt="o", capsize=4)
        ax.set_xticks(range(len(t)), labels, rotation=30, ha="right", fontsize=8)
        ax.set_title(metric, fontsize=10)
    fig.suptitle(f"Outcomes by scenario (mean, {CONF_LEVEL:.0%} CI over replicates)",
                 fontsize=11)
    return _save(fig, path)


def plot_series(series: pd.DataFrame, metrics: list[str], path: Path) -> Path:
    """Monthly mean of each outcome per scenario with a 95% band over runs."""
    metrics = [m for m in metrics if m in series.columns][:MAX_PANELS]
    fig, axes = _grid(len(metrics))
    for ax, metric in zip(axes, metrics, strict=False):
        for scenario, frame in series.groupby("scenario", sort=False):
            stats = frame.groupby("month")[metric].apply(lambda s: mean_ci(s.to_numpy()))
            months = stats.index.to_numpy()
            mean = np.array([s[0] for s in stats])
            low = np.array([s[2] for s in stats])
            high = np.array([s[3] for s in stats])
            line = ax.plot(months, mean, label=str(scenario))[0]
            ax.fill_between(months, low, high, alpha=0.25, color=line.get_color())
        ax.set_title(metric, fontsize=10)
        ax.set_xlabel("month")
    axes[0].legend(fontsize=8)
    return _save(fig, path)


def plot_sensitivity(sens: pd.DataFrame, path: Path) -> Path:
    """Total Sobol indices (ST) or Morris mu* per parameter, with interval bars."""
    method = sens["method"].iloc[0]
    value, conf = ("ST", "ST_conf") if method == "sobol" else ("mu_star", "mu_star_conf")
    panels = list(sens.groupby(["scenario", "metric"], sort=False))[:MAX_PANELS * 2]
    fig, axes = _grid(len(panels))
    for ax, ((scenario, metric), frame) in zip(axes, panels, strict=False):
        ax.barh(frame["parameter"], frame[value], xerr=frame[conf].fillna(0), capsize=3)
        ax.set_title(f"{scenario}: {metric}", fontsize=9)
        ax.set_xlabel(f"{value} ({CONF_LEVEL:.0%} CI)")
        ax.tick_params(axis="y", labelsize=7)
    return _save(fig, path)


# ------------------------------------------------------------------- entry
def write_report(root: Path) -> list[Path]:
    """Write every table and figure the experiment in ``root`` supports; return the paths."""
    store = ExperimentDir(root)
    record = store.frozen()
    if record is None or not (root / RESULTS).exists():
        raise ConfigError(str(root), "", "not a finished experiment folder (no "
                          "experiment.json or results.parquet); run abm batch first")
    exp = Experiment.model_validate(record["experiment"])
    results = pd.read_parquet(root / RESULTS)
    metrics = outcome_columns(results, exp)
    out = root / "report"
    out.mkdir(exist_ok=True)
    written: list[Path] = []
    md = [f"# {record['name']}: report\n", f"{exp.description}\n" if exp.description else "",
          f"Runs: {int((results['status'] == 'ok').sum())} ok of {len(results)}.\n"]
    if metrics:
        table = summary_table(results, exp, metrics)
        table.to_csv(out / "summary.csv", index=False)
        written.append(out / "summary.csv")
        md += ["## Outcomes by scenario\n",
               f"Mean [{CONF_LEVEL:.0%} confidence interval] over replicates.\n",
               summary_markdown(table, exp)]
        if len(table):
            written.append(plot_outcomes(table, exp, out / "outcomes_by_scenario.png"))
    if (root / SERIES).exists() and metrics:
        series = pd.read_parquet(root / SERIES)
        written.append(plot_series(series, metrics, out / "series_bands.png"))
    seed = exp.design.seed if exp.design and exp.design.seed is not None else exp.seed
    sens, notes = sensitivity_table(results, exp, metrics, seed % 2**32)
    if len(sens):
        sens.to_csv(out / "sensitivity.csv", index=False)
        written += [out / "sensitivity.csv", plot_sensitivity(sens, out / "sensitivity.png")]
        md += ["\n## Sensitivity indices\n",
               f"{exp.design.method if exp.design else ''}; intervals at {CONF_LEVEL:.0%}.\n",
               markdown_table(sens)]
    md += [f"- {n}\n" for n in notes]
    (out / "summary.md").write_text("\n".join(md) + "\n", encoding="utf-8")
    written.append(out / "summary.md")
    return written
