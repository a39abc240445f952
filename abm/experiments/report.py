"""``abm report DIR``: tables and figures of a finished (or partly finished) experiment.

Writes into ``DIR/report/``:

- ``summary.md``: the answer first, one sentence per outcome and scenario a county
  official can quote (the reference scenario vs each other one, with 95% intervals
  and the relative change), with warnings when an interval of a difference includes
  zero or fewer than 5 seeds were run; then the tables;
- ``summary.csv``: each outcome by scenario (and grid point), mean,
  standard deviation and a 95% confidence interval over replicates (Student t);
- ``differences.csv``: each scenario minus the reference scenario (the first one),
  paired by replicate (common random numbers), with a 95% interval;
- ``outcomes_by_scenario.png``: the same as points with interval bars;
- ``series_bands.png``: monthly means with 95% bands over runs (if series were kept);
- ``sensitivity.csv`` / ``sensitivity.png``: Sobol (S1, ST) or Morris (mu*, sigma)
  indices with their confidence intervals, from SALib, per scenario and outcome.

Outcomes are in the units of their timeseries column (rates are shares, incomes
yuan per person per year, counts households); the Markdown and the figures use
human labels and percentages in the report's language (``abm --lang zh|en report``,
texts from ``abm/locales``).
"""

from __future__ import annotations

import math
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from abm import i18n
from abm.config import ConfigError
from abm.experiments.design import ID_COLUMNS, salib_problem
from abm.experiments.spec import Experiment
from abm.experiments.store import RESULTS, SERIES, ExperimentDir

__all__ = ["write_report", "summary_table", "sensitivity_table", "mean_ci"]

CONF_LEVEL = 0.95
MIN_SEEDS = 5  # fewer replicates than this: the report warns that intervals are unstable
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


def add_windows(results: pd.DataFrame, series: pd.DataFrame | None, exp: Experiment,
                metrics: list[str], source: str = "series.parquet"
                ) -> tuple[pd.DataFrame, list[str]]:
    """``results`` with a column ``METRIC@WINDOW`` for each metric and each of
    ``outputs.windows``: the run's mean of the metric over the window's months (those the
    series kept), and the list of those columns. ConfigError when a window holds none of
    the kept months."""
    windows = exp.outputs.windows or {}
    if not windows or series is None or not metrics:
        return results, []
    out = results.copy()
    added = []
    for name, (first, last) in windows.items():
        rows = series[(series["month"] >= first) & (series["month"] <= last)]
        if rows.empty:
            raise ConfigError(source, f"outputs.windows.{name}", f"no kept month in "
                              f"months {first} to {last}; widen the window or keep more "
                              f"months (outputs.every)")
        means = rows.groupby("run_id")[[m for m in metrics if m in rows.columns]].mean()
        for metric in means.columns:
            col = f"{metric}@{name}"
            out[col] = out["run_id"].map(means[metric]).astype(float)
            added.append(col)
    return out, added


def _windows(exp: Any) -> dict[str, tuple[int, int]] | None:
    """The experiment's ``outputs.windows`` (None for an object without outputs)."""
    return getattr(getattr(exp, "outputs", None), "windows", None)


def _base(metric: str) -> str:
    """The timeseries column of an outcome (``poverty_rate@epidemic``: ``poverty_rate``)."""
    return metric.split("@", 1)[0]


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


def summary_markdown(table: pd.DataFrame, exp: Experiment, lang: str = "en") -> str:
    """Rows = scenario (and grid point), columns = outcomes as ``mean [low, high]``."""
    keys = _group_keys(exp)
    metrics = list(dict.fromkeys(table["metric"]))
    heads = [metric_label(m, lang, _windows(exp)) for m in metrics]
    lines = ["| " + " | ".join([*keys, "n", *heads]) + " |",
             "|" + "---|" * (len(keys) + 1 + len(metrics))]
    for group, frame in table.groupby(keys, sort=False):
        ident = group if isinstance(group, tuple) else (group,)
        cells = [str(v) for v in ident] + [str(int(frame["n"].max()))]
        for metric in metrics:
            r = frame[frame["metric"] == metric].iloc[0]
            if i18n.has_metric(_base(metric)):
                cells.append(i18n.format_interval(i18n.metric(_base(metric), lang),
                                                  r["mean"], r["ci_low"], r["ci_high"], lang))
            else:
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


# ------------------------------------------------------------ the answer
def metric_label(metric: str, lang: str,
                 windows: dict[str, tuple[int, int]] | None = None) -> str:
    """Human label of an outcome column (the column name when the catalog lacks it); a
    window's column (``METRIC@WINDOW``) says the window and its months."""
    base = _base(metric)
    label = i18n.metric(base, lang).label if i18n.has_metric(base) else base
    if base == metric:
        return label
    name = metric.split("@", 1)[1]
    first, last = (windows or {}).get(name, ("?", "?"))
    return i18n.t("report.window_label", lang, label=label, window=name, first=first,
                  last=last)


def format_value(metric: str, x: float, lang: str, signed: bool = False) -> str:
    """A value with its unit: shares as percentages, counts and money with units."""
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "-"
    if i18n.has_metric(_base(metric)):
        return i18n.format_metric(i18n.metric(_base(metric), lang), x, lang, signed=signed)
    return (f"{x:+.4g}" if signed else f"{x:.4g}") if abs(x) < 1000 else f"{x:,.0f}"


def differences_table(results: pd.DataFrame, exp: Experiment, metrics: list[str]
                      ) -> pd.DataFrame:
    """Each scenario minus the reference (first) scenario, paired by (point, replicate):
    the replicates of all scenarios share their seeds (common random numbers)."""
    ok = results[results["status"] == "ok"]
    scenarios = list(exp.scenarios)
    if len(scenarios) < 2 or exp.factors:
        return pd.DataFrame()
    ref_name = scenarios[0]
    ref = ok[ok["scenario"] == ref_name].set_index(["point", "replicate"])
    rows = []
    for name in scenarios[1:]:
        other = ok[ok["scenario"] == name].set_index(["point", "replicate"])
        both = ref.index.intersection(other.index)
        for metric in metrics:
            a = ref.loc[both, metric].to_numpy(float)
            b = other.loc[both, metric].to_numpy(float)
            mean, sd, low, high = mean_ci(b - a)
            ra, _, ra_low, ra_high = mean_ci(a)
            rb, _, rb_low, rb_high = mean_ci(b)
            rows.append({"reference": ref_name, "scenario": name, "metric": metric,
                         "n": len(both), "reference_mean": ra, "reference_low": ra_low,
                         "reference_high": ra_high, "mean": rb, "low": rb_low,
                         "high": rb_high, "difference": mean, "diff_low": low,
                         "diff_high": high, "relative": mean / ra if ra else math.nan})
    return pd.DataFrame(rows)


def answer_lines(diffs: pd.DataFrame, months: int | None, lang: str,
                 windows: dict[str, tuple[int, int]] | None = None) -> list[str]:
    """One quotable sentence per outcome and scenario, then the warnings (``windows``:
    the experiment's ``outputs.windows``, for the labels of their outcomes)."""
    lines = []
    warn_zero = []
    for _, r in diffs.iterrows():
        m = r["metric"]

        def ci(x: float, lo: float, hi: float, signed: bool = False, m: str = m) -> str:
            if i18n.has_metric(_base(m)):
                return i18n.format_interval(i18n.metric(_base(m), lang), x, lo, hi, lang,
                                            signed)
            return f"{_fmt(x)} [{_fmt(lo)}, {_fmt(hi)}]"
        rel = "" if math.isnan(r["relative"]) else (
            f": {100 * r['relative']:+.0f}%" if lang == "en" else
            f"，即 {100 * r['relative']:+.0f}%")
        lines.append("- " + i18n.t(
            "report.sentence" if _base(m) == m else "report.sentence_window", lang,
            label=metric_label(m, lang, windows),
            months=months or "-",
            reference=ci(r["reference_mean"], r["reference_low"], r["reference_high"]),
            ref_name=r["reference"], value=ci(r["mean"], r["low"], r["high"]),
            name=r["scenario"], relative=rel,
            diff=ci(r["difference"], r["diff_low"], r["diff_high"], signed=True),
            n=int(r["n"])))
        if not math.isnan(r["diff_low"]) and r["diff_low"] <= 0 <= r["diff_high"]:
            warn_zero.append(f"{metric_label(m, lang, windows)} ({r['scenario']})")
    if warn_zero:
        lines.append("\n" + i18n.t("report.warn_zero", lang, which="; ".join(warn_zero)))
    if len(diffs) and int(diffs["n"].min()) < MIN_SEEDS:
        lines.append("\n" + i18n.t("report.warn_seeds", lang, n=int(diffs["n"].min()),
                                    minimum=MIN_SEEDS))
    return lines


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
    from abm.plots import use_cjk_font

    use_cjk_font()  # Chinese labels without boxes
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
    fig.savefig(path, dpi=110, metadata={"Software": None})
    plt.close(fig)
    return path


def _axis_scale(metric: str, lang: str) -> tuple[float, str]:
    """(multiplier, axis unit): shares drawn as percentages."""
    if i18n.has_metric(_base(metric)):
        m = i18n.metric(_base(metric), lang)
        return (100.0, "%") if m.percent else (1.0, m.unit)
    return 1.0, ""


def plot_outcomes(table: pd.DataFrame, exp: Experiment, path: Path, lang: str = "en"
                  ) -> Path:
    """Mean and 95% interval of each outcome by scenario (and grid point)."""
    keys = _group_keys(exp)
    metrics = list(dict.fromkeys(table["metric"]))[:MAX_PANELS]
    fig, axes = _grid(len(metrics))
    for ax, metric in zip(axes, metrics, strict=False):
        t = table[table["metric"] == metric].reset_index(drop=True)
        scale, unit = _axis_scale(metric, lang)
        labels = [" / ".join(str(r[k]) for k in keys) for _, r in t.iterrows()]
        err = np.vstack([t["mean"] - t["ci_low"], t["ci_high"] - t["mean"]]) * scale
        ax.errorbar(range(len(t)), t["mean"] * scale, yerr=np.nan_to_num(err), fmt="o",
                    capsize=4)
        ax.set_xticks(range(len(t)), labels, rotation=30, ha="right", fontsize=8)
        ax.set_title(metric_label(metric, lang, _windows(exp)), fontsize=10)
        ax.set_ylabel(unit)
    fig.suptitle(i18n.t("report.outcomes_title", lang, level=f"{CONF_LEVEL:.0%}"), fontsize=11)
    return _save(fig, path)


def plot_series(series: pd.DataFrame, metrics: list[str], path: Path, lang: str = "en"
                ) -> Path:
    """Monthly mean of each outcome per scenario with a 95% band over runs."""
    metrics = [m for m in metrics if m in series.columns][:MAX_PANELS]
    fig, axes = _grid(len(metrics))
    for ax, metric in zip(axes, metrics, strict=False):
        scale, unit = _axis_scale(metric, lang)
        for scenario, frame in series.groupby("scenario", sort=False):
            stats = frame.groupby("month")[metric].apply(lambda s: mean_ci(s.to_numpy()))
            months = stats.index.to_numpy()
            mean = np.array([s[0] for s in stats]) * scale
            low = np.array([s[2] for s in stats]) * scale
            high = np.array([s[3] for s in stats]) * scale
            line = ax.plot(months, mean, label=str(scenario))[0]
            ax.fill_between(months, low, high, alpha=0.25, color=line.get_color())
        ax.set_title(metric_label(metric, lang), fontsize=10)
        ax.set_xlabel(i18n.t("chart.month", lang))
        ax.set_ylabel(unit)
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
def write_report(root: Path, lang: str | None = None) -> list[Path]:
    """Write every table and figure the experiment in ``root`` supports; return the paths.

    ``lang``: ``en`` or ``zh`` (default: ``abm --lang``, ``$ABM_LANG`` or the locale)."""
    lang = lang or i18n.current_lang()
    store = ExperimentDir(root)
    record = store.frozen()
    if record is None or not (root / RESULTS).exists():
        raise ConfigError(str(root), "", "not a finished experiment folder (no "
                          "experiment.json or results.parquet); run abm batch first")
    exp = Experiment.model_validate(record["experiment"])
    results = pd.read_parquet(root / RESULTS)
    metrics = outcome_columns(results, exp)
    series = pd.read_parquet(root / SERIES) if (root / SERIES).exists() else None
    results, windowed = add_windows(results, series, exp, metrics, str(root / SERIES))
    out = root / "report"
    out.mkdir(exist_ok=True)
    written: list[Path] = []
    ok = int((results["status"] == "ok").sum())
    md = [i18n.t("report.title", lang, name=record["name"]) + "\n",
          f"{exp.description}\n" if exp.description else "",
          i18n.t("report.scale", lang, ok=ok, runs=len(results),
                 scenarios=len(exp.scenarios), replicates=exp.replicates,
                 households=exp.households if exp.households else "-",
                 months=exp.months if exp.months else "-") + "\n"]
    series_metrics = metrics
    metrics = metrics + windowed
    if metrics:
        table = summary_table(results, exp, metrics)
        table.to_csv(out / "summary.csv", index=False)
        written.append(out / "summary.csv")
        diffs = differences_table(results, exp, metrics)
        if len(diffs):
            diffs.to_csv(out / "differences.csv", index=False)
            written.append(out / "differences.csv")
            md += [i18n.t("report.answer", lang) + "\n",
                   "\n".join(answer_lines(diffs, exp.months, lang,
                                          exp.outputs.windows)) + "\n"]
        md += [i18n.t("report.outcomes", lang) + "\n",
               i18n.t("report.outcomes_note", lang, level=f"{CONF_LEVEL:.0%}") + "\n",
               summary_markdown(table, exp, lang)]
        if len(table):
            written.append(plot_outcomes(table, exp, out / "outcomes_by_scenario.png", lang))
    if series is not None and series_metrics:
        written.append(plot_series(series, series_metrics, out / "series_bands.png", lang))
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
