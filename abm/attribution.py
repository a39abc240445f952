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

import numpy as np
import pandas as pd
from scipy import stats

FACTORS = ("policy", "org", "target", "env")
LABELS = {
    "policy": "idealized policy",
    "org": "implementing organisation",
    "target": "target group",
    "env": "environment",
}

# What "ideal" means for each factor, as config overrides (dotted key -> value).
IDEAL: dict[str, dict[str, object]] = {
    # Perfect targeting and adequate benefits: townships apply the rule exactly, nothing
    # is withdrawn after the transition, medical costs are capped, posts are plentiful.
    "policy": {
        "policy.monitoring.verification_noise": 0.0,
        "policy.monitoring.township_criteria_spread": 0.0,
        "policy.monitoring.pressure_exit": 0.0,
        "policy.support.kept_after_transition": 1.0,
        "policy.medical.kept_after_transition": 1.0,
        "policy.medical_cap.enabled": True,
        "policy.medical_cap.cap_yuan": 3000.0,
        "policy.medical_cap.eligible": "all",
        "policy.medical_cap.budget_per_household": 10_000.0,
        "policy.public_posts.quota_per_1000": 60.0,
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
