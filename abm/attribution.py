"""Counterfactual attribution of the implementation gap to Smith's four factors.

Each factor can be switched to an "ideal" version (a set of config overrides, below).
All 16 combinations run on common random numbers (replicate k of every combination
shares its seed) over several seeds; for each seed the Shapley value of each factor is
its average marginal reduction of the outcome over the orders in which factors could be
made ideal. Shapley values add up, seed by seed, to the whole gap between the county as
configured and the all-ideal county. Intervals are t-intervals over seeds.
"""

from __future__ import annotations

from itertools import combinations
from math import factorial
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import stats

from abm.instruments import registry

FACTORS = ("policy", "org", "target", "env")
LABELS = {
    "policy": "idealized policy",
    "org": "implementing organisation",
    "target": "target group",
    "env": "environment",
}

# What "ideal" means for each factor, as config overrides (dotted key -> value).
IDEAL: dict[str, dict[str, object]] = {
    # Perfect targeting and adequate benefits: townships apply the rule exactly, and each
    # instrument at its ideal (declared by the instrument: nothing withdrawn after the
    # transition, medical costs capped for all, posts plentiful; abm/instruments/).
    "policy": {
        "policy.monitoring.verification_noise": 0.0,
        "policy.monitoring.township_criteria_spread": 0.0,
        "policy.monitoring.pressure_exit": 0.0,
        **registry.ideal_policy(),
    },
    # Unlimited, paperwork-free cadres who recognise every risk they see.
    "org": {
        "implementers.cadres_per_village": 12,
        "implementers.forms_hours_per_case": 0.0,
        "implementers.forms_hours_base": 0.0,
        "implementers.detection_skill": 1.0,
        "implementers.help_per_visit": 10.0,
        "policy.monitoring.screen_p_detect": 1.0,
        "policy.monitoring.screen_lag_months": 0,
    },
    # Full take-up and motivation.
    "target": {
        "policy.monitoring.p_self_apply": 1.0,
        "policy.monitoring.stigma": 0.0,
        "population.motivation_mean": 0.95,
        "behaviour.motivation_shock": 0.0,
        "behaviour.motivation_dependence": 0.0,
    },
    # No market, labour-market, disaster or epidemic shocks.
    "env": {
        "economy.price_sigma": 0.0,
        "economy.p_job_loss": 0.0,
        "shocks.p_disaster_village_year": 0.0,
        "shocks.epidemic.dur_months": 0,
        "shocks.price_shocks": [],
    },
}

OUTCOMES = ("cum_returned_to_poverty", "poverty_rate", "n_monitored")


def combo_name(ideal: frozenset[str] | set[str]) -> str:
    """Stable scenario name of a combination, e.g. ``ideal_org_env`` or ``as_is``."""
    parts = [f for f in FACTORS if f in ideal]
    return "ideal_" + "_".join(parts) if parts else "as_is"


def all_combos() -> list[frozenset[str]]:
    return [frozenset(c) for k in range(len(FACTORS) + 1) for c in combinations(FACTORS, k)]


def combo_overrides(ideal: frozenset[str]) -> dict[str, object]:
    out: dict[str, object] = {}
    for f in FACTORS:
        if f in ideal:
            out.update(IDEAL[f])
    return out


def shapley(values: dict[frozenset[str], float]) -> dict[str, float]:
    """Shapley value of each factor for the game v(S) = outcome(as is) - outcome(S ideal):
    each factor's average reduction of the outcome when it is made ideal."""
    n = len(FACTORS)
    base = values[frozenset()]
    v = {s: base - x for s, x in values.items()}
    phi = {}
    for f in FACTORS:
        others = [g for g in FACTORS if g != f]
        total = 0.0
        for k in range(n):
            w = factorial(k) * factorial(n - k - 1) / factorial(n)
            for s in combinations(others, k):
                s = frozenset(s)
                total += w * (v[s | {f}] - v[s])
        phi[f] = total
    return phi


def attribute(results: pd.DataFrame, outcome: str, level: float = 0.95) -> pd.DataFrame:
    """Shapley shares with intervals over replicates.

    ``results`` has one row per run with columns ``scenario`` (a :func:`combo_name`),
    ``replicate`` and the outcome. Returns one row per factor: mean, interval, share of
    the gap, and the per-seed values' count.
    """
    names = {combo_name(c): c for c in all_combos()}
    rows = []
    for rep, grp in results.groupby("replicate", sort=True):
        vals = {names[s]: float(x) for s, x in zip(grp["scenario"], grp[outcome],
                                                     strict=True) if s in names}
        if len(vals) != len(names):
            continue  # an incomplete replicate (a failed run) is left out
        phi = shapley(vals)
        phi["gap"] = vals[frozenset()] - vals[frozenset(FACTORS)]
        phi["replicate"] = rep
        rows.append(phi)
    if not rows:
        raise ValueError(f"no complete replicate of all 16 combinations for {outcome!r}")
    per_seed = pd.DataFrame(rows)
    out = []
    for f in (*FACTORS, "gap"):
        x = per_seed[f].to_numpy(float)
        mean = float(x.mean())
        if x.size > 1 and x.std(ddof=1) > 0:
            half = float(stats.t.ppf(0.5 + level / 2, x.size - 1) * x.std(ddof=1)
                         / np.sqrt(x.size))
        else:
            half = 0.0
        gap = float(per_seed["gap"].mean())
        out.append({
            "outcome": outcome,
            "factor": f,
            "label": LABELS.get(f, "whole gap"),
            "mean": mean,
            "ci_low": mean - half,
            "ci_high": mean + half,
            "share_of_gap": mean / gap if gap else 0.0,
            "n_seeds": int(x.size),
        })
    return pd.DataFrame(out)


# --------------------------------------------------------------- the command
def experiment_text(config_path: Path, out_dir: Path, seeds: int, households: int | None,
                    months: int | None, root_seed: int) -> str:
    """The generated experiment: 16 scenarios (one per combination) x ``seeds``."""
    import os

    import yaml

    base = os.path.relpath(config_path.resolve(), out_dir.resolve())
    exp = {
        "name": "attribution",
        "description": "Shapley attribution of the implementation gap to Smith's factors "
                       f"(generated by abm attribute from {config_path.name})",
        "base": base,
        "seed": root_seed,
        "replicates": seeds,
        "scenarios": {combo_name(c): combo_overrides(c) for c in all_combos()},
        "outputs": {"final": True, "series": False, "metrics": list(OUTCOMES)},
    }
    if households is not None:
        exp["households"] = households
    if months is not None:
        exp["months"] = months
    return yaml.safe_dump(exp, sort_keys=False)


def plot_attribution(table: pd.DataFrame, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    outcomes = list(dict.fromkeys(table["outcome"]))
    fig, axes = plt.subplots(1, len(outcomes), figsize=(4.2 * len(outcomes), 3.6), dpi=90)
    axes = np.atleast_1d(axes)
    for ax, outcome in zip(axes, outcomes, strict=True):
        t = table[(table["outcome"] == outcome) & (table["factor"] != "gap")]
        y = np.arange(len(t))
        err = np.vstack([t["mean"] - t["ci_low"], t["ci_high"] - t["mean"]])
        ax.barh(y, t["mean"], xerr=err, color=["#4c72b0", "#dd8452", "#55a868", "#c44e52"])
        ax.set_yticks(y, t["label"])
        ax.axvline(0, color="k", lw=0.8)
        gap = float(table[(table["outcome"] == outcome) & (table["factor"] == "gap")]["mean"]
                    .iloc[0])
        ax.set_title(f"{outcome}\n(gap {gap:.3g})", fontsize=9)
        ax.invert_yaxis()
    fig.suptitle("Share of the implementation gap by Smith factor (95% CI over seeds)",
                 fontsize=10)
    fig.tight_layout()
    fig.savefig(path, metadata={"Software": None})
    plt.close(fig)


def run_attribution(config: str, *, seeds: int, households: int | None, months: int | None,
                    workers: int | None, scheduler: str | None, out: str | None,
                    root_seed: int = 1) -> Path:
    """Validate, run the 16 x seeds runs through the batch engine (resumable), then
    write attribution.csv, attribution.md and attribution.png into the folder."""
    from abm.config import ConfigError, load_config
    from abm.experiments.design import load_plan
    from abm.experiments.engine import run_batch
    from abm.experiments.report import markdown_table
    from abm.experiments.store import EXPERIMENT_COPY, ExperimentDir

    config_path = Path(config)
    load_config(config_path, households=households, months=months)  # bad input: exit 2
    for c in all_combos():  # every combination must validate too
        sets = [f"{k}={v!r}" if isinstance(v, str) else f"{k}={v}"
                for k, v in combo_overrides(c).items() if not isinstance(v, list)]
        load_config(config_path, sets, households=households, months=months)
    out_dir = Path(out) if out else Path("experiments_out") / f"attribution-{config_path.stem}"
    text = experiment_text(config_path, out_dir, seeds, households, months, root_seed)
    # The generated experiment is the folder's own experiment.yaml (what a batch freezes).
    exp_file = out_dir / EXPERIMENT_COPY
    store = ExperimentDir(out_dir)
    if exp_file.exists() and exp_file.read_text(encoding="utf-8") != text:
        if store.frozen() is not None:
            raise ConfigError("--out", str(out_dir), "holds an attribution with other "
                              "settings (config, seeds, households or months); use another "
                              "--out or delete that folder")
    if out_dir.exists() and not out_dir.is_dir():
        raise ConfigError("--out", str(out_dir), "exists and is not a folder")
    if out_dir.is_dir() and store.frozen() is None and any(
            p.name != EXPERIMENT_COPY for p in out_dir.iterdir()):
        raise ConfigError("--out", str(out_dir), "folder is not empty and holds no "
                          "attribution; choose another --out")
    out_dir.mkdir(parents=True, exist_ok=True)
    if not exp_file.exists() or exp_file.read_text(encoding="utf-8") != text:
        exp_file.write_text(text, encoding="utf-8")
    plan = load_plan(exp_file)
    store.check(plan)
    print(f"attribution of {config_path}: {len(plan.runs)} runs (16 combinations x {seeds} "
          "seeds)", flush=True)
    outcome = run_batch(plan, out_dir, workers=workers, scheduler=scheduler)
    results = pd.read_parquet(out_dir / "results.parquet")
    results = results[results["status"] == "ok"]
    table = pd.concat([attribute(results, o) for o in OUTCOMES], ignore_index=True)
    table.to_csv(out_dir / "attribution.csv", index=False)
    shown = table.copy()
    for col in ("mean", "ci_low", "ci_high", "share_of_gap"):
        shown[col] = shown[col].map(lambda x: f"{x:.4g}")
    (out_dir / "attribution.md").write_text(
        "# Attribution of the implementation gap\n\n"
        f"Config `{config_path}`, {seeds} seeds; gap = outcome as configured minus "
        "outcome with all four factors ideal; each factor's Shapley value is its share "
        "of that gap (95% t-interval over seeds).\n\n"
        + markdown_table(shown[["outcome", "label", "mean", "ci_low", "ci_high",
                                "share_of_gap", "n_seeds"]]) + "\n", encoding="utf-8")
    plot_attribution(table, out_dir / "attribution.png")
    print(f"  {outcome.done} runs done, {outcome.skipped} already on disk, "
          f"{outcome.failed} failed\n  wrote {out_dir}/attribution.md", flush=True)
    return out_dir
