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

from abm.households.state import RETURN_CAUSES
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
    # The policy as designed, generous enough: each instrument at its ideal (declared by
    # the instrument: nothing withdrawn after the transition, medical costs capped for
    # all, posts plentiful; abm/instruments/). The rule itself (its lines) is the
    # policy's; how townships apply it is the organisation's (below).
    "policy": {
        **registry.ideal_policy(),
    },
    # Unlimited, paperwork-free cadres (no forms, and an assessment that counts no traces
    # beyond them) who never tire and recognise every risk they see and its cause,
    # from their first day in the village; townships that apply the county's rule
    # exactly (same threshold everywhere, no measurement error, no pressure to show
    # exits, from the county or from teams' paperwork), that decide a dibao
    # application the month it is made, and clinics whose doctors serve every
    # family-doctor contract they sign: township verification and decisions, and the
    # clinics' service, are implementation, not policy (Smith's boundaries).
    "org": {
        "implementers.registered_per_cadre": 5.5,
        "implementers.forms_hours_per_case": 0.0,
        "implementers.forms_hours_base": 0.0,
        "assessment.weight_traces": 0.0,
        "implementers.detection_skill": 1.0,
        "implementers.diagnosis_skill": 1.0,
        "implementers.new_team_knowledge": 1.0,
        "implementers.team_skill_spread": 0.0,
        "implementers.fatigue_per_paperwork": 0.0,
        "implementers.exit_rush": 0.0,
        "implementers.help_per_visit": 10.0,
        "implementers.fund_delay_months": 0,
        "implementers.contract_service_share": 1.0,
        "policy.monitoring.screen_p_detect": 1.0,
        "policy.monitoring.screen_lag_months": 0,
        "policy.monitoring.verification_noise": 0.0,
        "policy.monitoring.township_criteria_spread": 0.0,
        "policy.monitoring.pressure_exit": 0.0,
        "policy.dibao.decision_months": 0,
    },
    # The households' own deficits removed: full drive (no shocks to it, no dependence
    # on transfers), no stigma, health literacy, no distress. Their chance to apply for
    # the dibao or report a risk rises with that drive and without stigma (p_self_apply
    # x trust x (base + motivation) x (1 - stigma)); its base, how soon a household that
    # qualifies learns of the channel and uses it, is not a trait the model measures in
    # the households and stays as configured, as other constants of behaviour do.
    # (Until 2026-12-03 this ideal set that base to 1: every qualifying household
    # applied the month it qualified, which made the target group a perfect detection
    # channel doing the monitoring's work, so the organisation's value vanished whenever
    # the target group was ideal; docs/attribution.md.)
    "target": {
        "policy.monitoring.stigma": 0.0,
        "population.motivation_mean": 0.95,
        "behaviour.motivation_shock": 0.0,
        "behaviour.motivation_dependence": 0.0,
        "behaviour.psych_onset": 0.0,
        "population.p_health_literate": 1.0,
    },
    # No market, labour-market, disaster or epidemic shocks; clinics within everyone's
    # reach and a social sector whose money and reach do not bind (with these, no
    # referral waits for a social worker, no registered, monitored or dibao household
    # below the referral line waits for the stations' outreach, and charity spends
    # about a tenth of its pool, Y County, P County and Lankao included: measured
    # 2026-12-02 and, for the social workers since outreach, 2026-12-04: 10 per 10,000
    # left 120 of Y County's 3,000 households waiting, 50 still let referrals wait in
    # its first months).
    "env": {
        "social.clinic_reach": 100.0,
        "social.charity_per_household": 100.0,
        "social.social_workers_per_10k": 60.0,
        "economy.price_sigma": 0.0,
        "economy.p_job_loss": 0.0,
        "shocks.p_disaster_village_year": 0.0,
        "shocks.epidemic.dur_months": 0,
        "shocks.price_shocks": [],
        "shocks.p_sector_slump_year": 0.0,
    },
}

# The outcomes attributed: returns to poverty as the field counts them (the year-end
# census, on income after medical bills as the model's poverty is, and on income alone
# as income statistics count it), every month's fall back below the line, and the
# poverty rate. Not the size
# of the monitoring roll: a larger roll is not a worse county (it may be a more
# watchful one), so its "gap" has no meaning.
OUTCOMES = ("cum_returned_census", "cum_returned_census_income", "cum_returned_to_poverty",
            "poverty_rate")

# Each factor's own measures (``abm.smith``), averaged over each run's months and
# reported as configured and with that factor alone made ideal: what making it ideal
# changed in what agents did, beside what it changed in the outcome.
INDICATORS: dict[str, tuple[str, ...]] = {
    "policy": ("smith_policy_coverage", "smith_policy_exclusion_error",
               "smith_policy_adequacy", "smith_policy_care_unaffordable"),
    "org": ("smith_policy_threshold_spread", "smith_org_months_to_monitoring",
            "smith_org_months_to_help",
            "smith_org_paperwork_share", "smith_org_help_fitted",
            "smith_org_visits_per_100_households", "smith_org_team_fatigue",
            "smith_org_months_to_exit", "smith_org_contracts_served"),
    "target": ("smith_target_motivation", "smith_target_psych_distress",
               "smith_target_health_literacy",
               "smith_target_self_report_share",
               "smith_target_training_takeup", "smith_target_transfer_reliance"),
    "env": ("smith_env_loss_market_m", "smith_env_loss_epidemic_m",
            "smith_env_loss_disaster_m", "smith_env_enterprises_alive",
            "smith_env_clinic_access"),
}


def gap_is_split(table: pd.DataFrame, outcome: str) -> bool:
    """Whether an outcome's gap is split into shares: only a gap these seeds tell from
    none (its interval above zero). Shares of a gap that may be none would split noise,
    and can pass 100% or turn negative; the report and the figure then give values only."""
    gap = table[(table["outcome"] == outcome) & (table["factor"] == "gap")]
    return bool(gap["ci_low"].iloc[0] > 0)


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


def per_seed(results: pd.DataFrame, outcome: str) -> pd.DataFrame:
    """Each complete replicate's Shapley values and gap: one row per replicate, with
    columns ``replicate``, one per factor and ``gap``; also ``as_is`` (the outcome as
    configured) and ``alone_<factor>`` (as configured minus that factor alone ideal;
    ``alone_gap`` is the gap).

    ``results`` has one row per run with columns ``scenario`` (a :func:`combo_name`),
    ``replicate`` and the outcome. A replicate missing any of the 16 combinations (a
    failed run) is left out."""
    names = {combo_name(c): c for c in all_combos()}
    rows = []
    for rep, grp in results.groupby("replicate", sort=True):
        vals = {names[s]: float(x) for s, x in zip(grp["scenario"], grp[outcome],
                                                     strict=True) if s in names}
        if len(vals) != len(names):
            continue  # an incomplete replicate (a failed run) is left out
        phi = shapley(vals)
        phi["gap"] = vals[frozenset()] - vals[frozenset(FACTORS)]
        phi["as_is"] = vals[frozenset()]
        for f in FACTORS:  # what making this factor alone ideal removes
            phi[f"alone_{f}"] = vals[frozenset()] - vals[frozenset({f})]
        phi["alone_gap"] = phi["gap"]
        phi["replicate"] = rep
        rows.append(phi)
    if not rows:
        raise ValueError(f"no complete replicate of all 16 combinations for {outcome!r}")
    return pd.DataFrame(rows)


def attribute(results: pd.DataFrame, outcome: str, level: float = 0.95) -> pd.DataFrame:
    """Shapley shares with intervals over replicates.

    ``results`` has one row per run with columns ``scenario`` (a :func:`combo_name`),
    ``replicate`` and the outcome. Returns one row per factor: mean, interval, share of
    the gap, and the per-seed values' count; and, beside the Shapley value, what making
    that factor *alone* ideal removes (``alone`` with its interval, and ``alone_share``,
    its share of the outcome as configured; for the gap row, all four ideal). The
    Shapley values split the gap; the values alone do not add up (factors overlap:
    the same return may be removed by either of two).
    """
    seeds = per_seed(results, outcome)
    as_is = float(seeds["as_is"].mean())
    out = []
    for f in (*FACTORS, "gap"):
        mean, half = _mean_half(seeds[f].to_numpy(float), level)
        alone, alone_half = _mean_half(seeds[f"alone_{f}"].to_numpy(float), level)
        gap = float(seeds["gap"].mean())
        out.append({
            "outcome": outcome,
            "factor": f,
            "label": LABELS.get(f, "whole gap"),
            "mean": mean,
            "ci_low": mean - half,
            "ci_high": mean + half,
            "share_of_gap": mean / gap if gap else 0.0,
            "alone": alone,
            "alone_low": alone - alone_half,
            "alone_high": alone + alone_half,
            "alone_share": alone / as_is if as_is else 0.0,
            "n_seeds": int(seeds[f].size),
        })
    return pd.DataFrame(out)


def _mean_half(x: np.ndarray, level: float) -> tuple[float, float]:
    """Mean and the half-width of its t-interval (0 with one value or no spread)."""
    mean = float(x.mean())
    if x.size > 1 and x.std(ddof=1) > 0:
        return mean, float(stats.t.ppf(0.5 + level / 2, x.size - 1) * x.std(ddof=1)
                           / np.sqrt(x.size))
    return mean, 0.0


# ------------------------------------------------------ against another county
def _welch_half(a: np.ndarray, b: np.ndarray, level: float) -> float:
    """Half-width of the Welch interval for a difference of two independent estimates
    whose variances are ``var(a) / len(a)`` and ``var(b) / len(b)`` (NaN with fewer
    than two values on either side)."""
    if a.size < 2 or b.size < 2:
        return float("nan")
    va, vb = a.var(ddof=1) / a.size, b.var(ddof=1) / b.size
    se2 = va + vb
    if se2 <= 0:
        return 0.0
    df = se2 ** 2 / (va ** 2 / (a.size - 1) + vb ** 2 / (b.size - 1))
    return float(stats.t.ppf(0.5 + level / 2, df) * np.sqrt(se2))


def _share_terms(seeds: pd.DataFrame, f: str, of: str = "gap") -> tuple[float, np.ndarray]:
    """A factor's share of the gap, mean(value) / mean(gap), and each seed's term of its
    linearisation (value - share x gap) / mean(gap): the share's variance is about
    var(terms) / seeds (the delta method for a ratio of means). ``f`` and ``of`` name
    the columns (e.g. ``alone_org`` of ``as_is``)."""
    x, g = seeds[f].to_numpy(float), seeds[of].to_numpy(float)
    gap = g.mean()
    if gap == 0:
        return 0.0, np.zeros_like(x)
    share = x.mean() / gap
    return float(share), (x - share * g) / gap


def compare(here: pd.DataFrame, there: pd.DataFrame, outcome: str,
            level: float = 0.95) -> pd.DataFrame:
    """Each factor's share of the gap and its value here minus there, with intervals.

    ``here`` and ``there`` are two attributions' runs (as for :func:`attribute`), e.g. a
    study's preset and the baseline. Their seeds are taken as independent (Welch
    intervals; when the two share seeds this is conservative). A share's interval uses
    the delta method for a ratio of means. One row per factor, then the gap (no share).
    """
    a, b = per_seed(here, outcome), per_seed(there, outcome)
    rows = []
    for f in (*FACTORS, "gap"):
        xa, xb = a[f].to_numpy(float), b[f].to_numpy(float)
        diff = float(xa.mean() - xb.mean())
        half = _welch_half(xa, xb, level)
        row = {"outcome": outcome, "factor": f, "value": float(xa.mean()),
               "value_there": float(xb.mean()), "value_diff": diff,
               "value_diff_low": diff - half, "value_diff_high": diff + half}
        if f == "gap":
            row.update(share=np.nan, share_there=np.nan, share_diff=np.nan,
                       share_diff_low=np.nan, share_diff_high=np.nan)
        else:
            sa, za = _share_terms(a, f)
            sb, zb = _share_terms(b, f)
            half = _welch_half(za, zb, level)
            row.update(share=sa, share_there=sb, share_diff=sa - sb,
                       share_diff_low=sa - sb - half, share_diff_high=sa - sb + half)
        # what this factor alone (the gap row: all four) removes, as a share of the
        # outcome as configured, here minus there
        sa, za = _share_terms(a, f"alone_{f}", "as_is")
        sb, zb = _share_terms(b, f"alone_{f}", "as_is")
        half = _welch_half(za, zb, level)
        row.update(alone_share=sa, alone_share_there=sb, alone_share_diff=sa - sb,
                   alone_share_diff_low=sa - sb - half, alone_share_diff_high=sa - sb + half)
        row.update(n_seeds=len(a), n_seeds_there=len(b))
        rows.append(row)
    return pd.DataFrame(rows)


def _complete(results: pd.DataFrame, outcome: str) -> bool:
    """Whether ``results`` has the outcome and at least one complete replicate of it."""
    if outcome not in results.columns:
        return False
    try:
        per_seed(results, outcome)
    except ValueError:
        return False
    return True


def load_against(folder: Path) -> tuple[pd.DataFrame, dict]:
    """A finished attribution folder to compare with: its successful runs and its
    settings (``experiment.yaml``). Bad input raises ConfigError naming ``--against``."""
    import yaml

    from abm.config import ConfigError
    from abm.experiments.store import EXPERIMENT_COPY

    def bad(what: str) -> ConfigError:
        return ConfigError("--against", str(folder), what + "; give a folder written by "
                           "abm attribute (its --out)")
    if not folder.is_dir():
        raise bad("is not a folder")
    exp_file, res_file = folder / EXPERIMENT_COPY, folder / "results.parquet"
    if not exp_file.is_file() or not res_file.is_file():
        raise bad("holds no finished attribution (no experiment.yaml or results.parquet)")
    try:
        exp = yaml.safe_load(exp_file.read_text(encoding="utf-8"))
        results = pd.read_parquet(res_file)
    except Exception as exc:  # noqa: BLE001 - any unreadable file is the same bad input
        raise bad(f"cannot be read ({type(exc).__name__})") from None
    if not isinstance(exp, dict) or exp.get("name") != "attribution":
        raise bad("holds an experiment that is not an attribution")
    results = results[results["status"] == "ok"]
    if not any(_complete(results, o) for o in OUTCOMES):
        raise bad("holds no complete replicate of the 16 combinations")
    return results, exp


def against_markdown(cmp: pd.DataFrame, other: str, lang: str,
                     scale_note: str | None = None, missing: tuple[str, ...] = ()) -> str:
    """The report's section comparing this attribution with another (``cmp`` from
    :func:`compare` for each outcome): a sentence per outcome naming the factors whose
    share is clearly larger or smaller here, then the table."""
    from abm import i18n
    from abm.experiments.report import markdown_table, metric_label

    lines = ["\n" + i18n.t("attribution.against_heading", lang, other=other) + "\n"]
    if scale_note:
        lines.append(scale_note + "\n")
    sep = ", " if lang == "en" else "、"
    rows = []
    for outcome in dict.fromkeys(cmp["outcome"]):
        t = cmp[cmp["outcome"] == outcome]
        f_rows = t[t["factor"] != "gap"]
        clauses = []
        for key, keep in (("against_larger", lambda r: r.share_diff_low > 0),
                          ("against_smaller", lambda r: r.share_diff_high < 0),
                          ("against_unclear", lambda r: not (r.share_diff_low > 0
                                                              or r.share_diff_high < 0))):
            which = [_smith_term(r.factor, lang) for r in f_rows.itertuples() if keep(r)]
            if which:
                clauses.append(i18n.t(f"attribution.{key}", lang, which=sep.join(which)))
        lines.append("- " + i18n.t("attribution.against_sentence", lang,
                                   label=metric_label(outcome, lang),
                                   clauses=("; " if lang == "en" else "；").join(clauses)))
        m = i18n.metric(outcome, lang) if i18n.has_metric(outcome) else None
        pct = m is not None and m.percent
        unit = (" pp" if lang == "en" else " 个百分点") if pct else ""

        def num(x: float, signed: bool = False, pct=pct) -> str:
            v = 100 * x if pct else x
            return f"{v:+.3g}" if signed else f"{v:.3g}"
        for r in t.itertuples():
            gap = r.factor == "gap"
            rows.append({
                i18n.t("attribution.col_outcome", lang): metric_label(outcome, lang),
                i18n.t("attribution.col_factor", lang): (
                    i18n.t("attribution.gap", lang) if gap else _smith_term(r.factor, lang)),
                i18n.t("attribution.col_share_here", lang): (
                    "" if gap else f"{100 * r.share:.1f}%"),
                i18n.t("attribution.col_share_there", lang): (
                    "" if gap else f"{100 * r.share_there:.1f}%"),
                i18n.t("attribution.col_share_diff", lang): (
                    "" if gap else f"{100 * r.share_diff:+.1f} [{100 * r.share_diff_low:+.1f}, "
                                   f"{100 * r.share_diff_high:+.1f}]"),
                i18n.t("attribution.col_value_here", lang): num(r.value) + unit,
                i18n.t("attribution.col_value_there", lang): num(r.value_there) + unit,
                i18n.t("attribution.col_value_diff", lang): (
                    f"{num(r.value_diff, True)} [{num(r.value_diff_low, True)}, "
                    f"{num(r.value_diff_high, True)}]{unit}"),
                i18n.t("attribution.col_alone_diff", lang): (
                    f"{100 * r.alone_share_diff:+.1f} [{100 * r.alone_share_diff_low:+.1f}, "
                    f"{100 * r.alone_share_diff_high:+.1f}]"),
            })
    for outcome in missing:
        lines.append("- " + i18n.t("attribution.against_missing", lang,
                                   label=metric_label(outcome, lang), other=other))
    lines.append("\n" + markdown_table(pd.DataFrame(rows)))
    return "\n".join(lines)


def plot_against(cmp: pd.DataFrame, other: str, path: Path, lang: str = "en") -> None:
    """Each factor's share of the gap here minus there, in percentage points with its
    95% interval, one panel per outcome."""
    from abm import i18n
    from abm.experiments.report import metric_label
    from abm.plots import new_figure, save_png

    outcomes = list(dict.fromkeys(cmp["outcome"]))
    fig, axes = new_figure(1, len(outcomes), (5.2 * len(outcomes), 3.4))
    for ax, outcome in zip(axes[0], outcomes, strict=True):
        t = cmp[(cmp["outcome"] == outcome) & (cmp["factor"] != "gap")]
        y = np.arange(len(t))
        d = 100 * t["share_diff"].to_numpy(float)
        err = 100 * np.vstack([t["share_diff"] - t["share_diff_low"],
                               t["share_diff_high"] - t["share_diff"]])
        ax.barh(y, d, xerr=np.nan_to_num(err), color=["#4c72b0", "#dd8452", "#55a868",
                                                      "#c44e52"][:len(t)])
        ax.set_yticks(y, [_smith_term(f, lang) for f in t["factor"]])
        ax.axvline(0, color="k", lw=0.8)
        ax.set_title(metric_label(outcome, lang), fontsize=9)
        ax.set_xlabel(i18n.t("attribution.against_axis", lang), fontsize=8)
        ax.invert_yaxis()
    fig.suptitle(i18n.t("attribution.against_figure_title", lang, other=other), fontsize=10)
    save_png(fig, path)


# --------------------------------------------------------------- the command
def experiment_text(config_path: Path, out_dir: Path, seeds: int, households: int | None,
                    months: int | None, root_seed: int, sets: list[str] | None = None) -> str:
    """The generated experiment: 16 scenarios (one per combination) x ``seeds``, with the
    ``--set`` overrides (``dotted.key=VALUE``) in every run; a factor made ideal
    overrides them where both name a key."""
    import os

    import yaml

    from abm.config import parse_sets

    base = os.path.relpath(config_path.resolve(), out_dir.resolve())
    exp = {
        "name": "attribution",
        "description": "Shapley attribution of the implementation gap to Smith's factors "
                       f"(generated by abm attribute from {config_path.name})",
        "base": base,
        "seed": root_seed,
        "replicates": seeds,
        **({"set": parse_sets(sets)} if sets else {}),
        "scenarios": {combo_name(c): combo_overrides(c) for c in all_combos()},
        "outputs": {"final": True, "series": True, "every": 1,
                    "metrics": [*OUTCOMES, *(i for f in FACTORS for i in INDICATORS[f]),
                                *CAUSE_SERIES]},
    }
    if households is not None:
        exp["households"] = households
    if months is not None:
        exp["months"] = months
    return yaml.safe_dump(exp, sort_keys=False)


def _smith_term(factor: str, lang: str) -> str:
    from abm import i18n

    return i18n.term(f"smith_{factor}", lang)


def plot_attribution(table: pd.DataFrame, path: Path, lang: str = "en") -> None:
    """Each factor's Shapley value in the outcome's own units (what the bars show), its
    share of the gap written at the bar, and the gap in each panel's title."""
    from abm import i18n
    from abm.experiments.report import _axis_scale, metric_label
    from abm.plots import new_figure, save_png

    outcomes = list(dict.fromkeys(table["outcome"]))
    fig, axes = new_figure(1, len(outcomes), (4.6 * len(outcomes), 3.8))
    for ax, outcome in zip(axes[0], outcomes, strict=True):
        scale, unit = _axis_scale(outcome, lang)
        t = table[(table["outcome"] == outcome) & (table["factor"] != "gap")]
        y = np.arange(len(t))
        err = np.vstack([t["mean"] - t["ci_low"], t["ci_high"] - t["mean"]]) * scale
        ax.barh(y, t["mean"] * scale, xerr=err,
                color=["#4c72b0", "#dd8452", "#55a868", "#c44e52"])
        ax.set_yticks(y, [_smith_term(f, lang) for f in t["factor"]])
        if gap_is_split(table, outcome):
            for yi, (mean, share) in enumerate(zip(t["mean"], t["share_of_gap"],
                                                   strict=True)):
                ax.annotate(f"{100 * share:.0f}%", (mean * scale, yi), xytext=(4, 6),
                            textcoords="offset points", fontsize=8)
        ax.axvline(0, color="k", lw=0.8)
        gap = float(table[(table["outcome"] == outcome) & (table["factor"] == "gap")]["mean"]
                    .iloc[0]) * scale
        ax.set_title(i18n.t("attribution.panel", lang, label=metric_label(outcome, lang),
                            gap=f"{gap:.3g}", unit=unit), fontsize=9)
        ax.set_xlabel(i18n.t("attribution.axis", lang, unit=unit))
        ax.invert_yaxis()
    fig.suptitle(i18n.t("attribution.figure_title", lang), fontsize=10)
    save_png(fig, path)


def plot_causes(causes: pd.DataFrame, path: Path, lang: str = "en") -> None:
    """Which returns each factor removes: each factor's Shapley value for every month's
    returns, stacked by the cause measured at the return (a cause whose returns a factor
    raises is drawn left of zero), each cause in its colour of the run's figure
    (``abm.plots.CAUSE_COLOURS``)."""
    from abm import i18n
    from abm.plots import CAUSE_COLOURS, new_figure, save_png

    fig, axes = new_figure(1, 1, (9.5, 3.6))
    ax = axes[0][0]
    y = np.arange(len(FACTORS))
    right = np.zeros(len(FACTORS))
    left = np.zeros(len(FACTORS))
    for k, r in enumerate(causes.itertuples()):
        v = np.array([getattr(r, f) for f in FACTORS], dtype=float)
        start = np.where(v >= 0, right, left)
        ax.barh(y, v, left=start, color=CAUSE_COLOURS.get(r.cause, f"C{k % 10}"),
                label=i18n.cause(r.cause, lang))  # each cause as in main_series.png
        right += np.maximum(v, 0.0)
        left += np.minimum(v, 0.0)
    ax.set_yticks(y, [_smith_term(f, lang) for f in FACTORS])
    ax.axvline(0, color="k", lw=0.8)
    ax.set_xlabel(i18n.t("attribution.causes_axis", lang))
    ax.invert_yaxis()
    ax.legend(fontsize=7, loc="center left", bbox_to_anchor=(1.01, 0.5), frameon=False)
    fig.suptitle(i18n.t("attribution.causes_figure_title", lang), fontsize=10)
    save_png(fig, path)


def levels(results: pd.DataFrame, outcome: str) -> dict[str, tuple[float, float, float]]:
    """Mean and 95% interval over seeds, as configured and with all four factors ideal."""
    from abm.experiments.report import mean_ci

    out = {}
    for name, combo in (("as_is", frozenset()), ("ideal", frozenset(FACTORS))):
        x = results.loc[results["scenario"] == combo_name(combo), outcome].to_numpy(float)
        mean, _, low, high = mean_ci(x)
        out[name] = (mean, low, high)
    return out


def indicators(series: pd.DataFrame) -> pd.DataFrame:
    """Each factor's own measures (``INDICATORS``), each run's mean over its months, as
    configured and with that factor alone ideal: mean and interval over seeds."""
    from abm.experiments.report import mean_ci

    per_run = series.groupby(["scenario", "replicate"], sort=True).mean(numeric_only=True)
    rows = []
    for f in FACTORS:
        for ind in INDICATORS[f]:
            row = {"factor": f, "indicator": ind}
            for name, combo in (("as_is", frozenset()), ("ideal", frozenset({f}))):
                sc = combo_name(combo)
                x = (per_run.loc[sc, ind].to_numpy(float)
                     if sc in per_run.index.get_level_values(0) else np.zeros(0))
                mean, _, low, high = mean_ci(x) if x.size else (np.nan,) * 4
                row.update({name: mean, f"{name}_low": low, f"{name}_high": high})
            rows.append(row)
    return pd.DataFrame(rows)


# Every month's returns to poverty (``cum_returned_to_poverty``) split by the cause
# measured at the return (``Households.causes_of``): the series each run keeps for
# :func:`by_cause`.
CAUSE_SERIES = tuple(f"new_returned_{c}" for c in RETURN_CAUSES)


def by_cause(series: pd.DataFrame) -> pd.DataFrame:
    """Which returns each factor removes: each factor's Shapley value for every month's
    returns to poverty of each measured cause, with the returns as configured and with
    all four factors ideal (each run's total over its months; 95% interval over seeds).

    The Shapley value is linear in the outcome, so a factor's values over the causes add
    up to its value for all of every month's returns. Causes with no return in any world
    are left out."""
    from abm.experiments.report import mean_ci

    per_run = (series.groupby(["scenario", "replicate"], sort=True)[list(CAUSE_SERIES)]
               .sum().reset_index())
    rows = []
    for cause, col in zip(RETURN_CAUSES, CAUSE_SERIES, strict=True):
        if not per_run[col].any():
            continue
        t = attribute(per_run, col).set_index("factor")
        row: dict[str, object] = {"cause": cause}
        for name, combo in (("as_is", frozenset()), ("ideal", frozenset(FACTORS))):
            x = per_run.loc[per_run["scenario"] == combo_name(combo), col].to_numpy(float)
            mean, _, low, high = mean_ci(x)
            row.update({name: mean, f"{name}_low": low, f"{name}_high": high})
        for f in FACTORS:
            row.update({f: t.loc[f, "mean"], f"{f}_low": t.loc[f, "ci_low"],
                        f"{f}_high": t.loc[f, "ci_high"]})
        rows.append(row)
    columns = ["cause", *(f"{x}{end}" for x in ("as_is", "ideal", *FACTORS)
                          for end in ("", "_low", "_high"))]
    return pd.DataFrame(rows, columns=columns).sort_values(
        "as_is", ascending=False, kind="stable", ignore_index=True)


def _causes_table(causes: pd.DataFrame, lang: str) -> str:
    """:func:`by_cause` as a markdown table: each cause's returns as configured, each
    factor's value and the returns with all four ideal, with their intervals."""
    from abm import i18n
    from abm.experiments.report import markdown_table

    def cell(r, name: str) -> str:
        return f"{r[name]:.3g} [{r[name + '_low']:.3g}, {r[name + '_high']:.3g}]"
    return markdown_table(pd.DataFrame([
        {i18n.t("attribution.col_cause", lang): i18n.cause(r["cause"], lang),
         i18n.t("attribution.col_as_is", lang): cell(r, "as_is"),
         **{_smith_term(f, lang): cell(r, f) for f in FACTORS},
         i18n.t("attribution.col_all_ideal", lang): cell(r, "ideal")}
        for _, r in causes.iterrows()]))


def attribution_markdown(table: pd.DataFrame, results: pd.DataFrame, config_path: Path,
                         seeds: int, households: int | None, months: int | None,
                         lang: str, ind: pd.DataFrame | None = None,
                         sets: list[str] | None = None,
                         causes: pd.DataFrame | None = None,
                         against: str | None = None) -> str:
    """The report: scale, one quotable paragraph per outcome, warnings, what ideal means,
    each factor's own measures, which returns (by cause) each factor removes and, when
    given, ``against`` (:func:`against_markdown`: the comparison with another county)."""
    from abm import i18n
    from abm.config import load_config
    from abm.experiments.report import MIN_SEEDS, markdown_table, metric_label

    cfg = load_config(config_path, sets, households=households, months=months)
    scale = i18n.t("attribution.scale", lang, config=config_path, county=cfg.county.name,
                   households=f"{cfg.run.households:,}", months=cfg.run.months, seeds=seeds)
    if sets:
        scale += " " + i18n.t("attribution.sets", lang,
                              sets=", ".join(f"`{x}`" for x in sets))
    lines = [i18n.t("attribution.title", lang) + "\n", scale + "\n",
             i18n.t("attribution.method", lang) + "\n",
             i18n.t("attribution.answer", lang) + "\n"]
    warnings: list[str] = []
    for outcome in dict.fromkeys(table["outcome"]):
        m = i18n.metric(outcome, lang) if i18n.has_metric(outcome) else None

        def iv(x: float, lo: float, hi: float, signed: bool = False, m=m) -> str:
            if m is None:
                return f"{x:.4g} [{lo:.4g}, {hi:.4g}]"
            return i18n.format_interval(m, x, lo, hi, lang, signed)
        lv = levels(results, outcome)
        t = table[table["outcome"] == outcome].set_index("factor")
        gap = t.loc["gap"]
        no_gap = not gap_is_split(table, outcome)
        parts = [i18n.t("attribution.part_value" if no_gap else "attribution.part", lang,
                        factor=_smith_term(f, lang),
                        share=f"{100 * t.loc[f, 'share_of_gap']:.0f}%",
                        value=iv(t.loc[f, "mean"], t.loc[f, "ci_low"], t.loc[f, "ci_high"]))
                 for f in FACTORS]
        sep = "; " if lang == "en" else "；"
        lines.append("- " + i18n.t(
            "attribution.sentence_no_gap" if no_gap else "attribution.sentence", lang,
            label=metric_label(outcome, lang), months=cfg.run.months,
            as_is=iv(*lv["as_is"]), ideal=iv(*lv["ideal"]),
            gap=iv(gap["mean"], gap["ci_low"], gap["ci_high"], True), parts=sep.join(parts)))
        for f in FACTORS:
            if t.loc[f, "ci_low"] <= 0 <= t.loc[f, "ci_high"] and t.loc[f, "ci_low"] < (
                    t.loc[f, "ci_high"]):
                warnings.append(f"{metric_label(outcome, lang)}: {_smith_term(f, lang)}")
    if warnings:
        lines.append("\n" + i18n.t("attribution.warn_zero", lang, which="; ".join(warnings)))
    lines.append("\n" + i18n.t("attribution.alone_heading", lang) + "\n")
    lines.append(markdown_table(_alone_table(table, lang)))
    if seeds < MIN_SEEDS:
        lines.append("\n" + i18n.t("report.warn_seeds", lang, n=seeds, minimum=MIN_SEEDS))
    lines.append("\n" + i18n.t("attribution.ideal_heading", lang) + "\n")
    for f in FACTORS:
        sets = []
        for key, value in IDEAL[f].items():
            sets.append(f"{i18n.param_full_label(key, lang)} (`{key}`) = {value}")
        lines.append(f"- **{_smith_term(f, lang)}** ({i18n.t(f'attribution.ideal.{f}', lang)}):"
                     f" {'; '.join(sets)}")
    if ind is not None and not ind.empty:
        lines.append("\n" + i18n.t("attribution.indicators_heading", lang) + "\n")
        rows = []
        for r in ind.itertuples():
            def cell(name: str, r=r) -> str:
                return (f"{getattr(r, name):.4g} [{getattr(r, name + '_low'):.4g}, "
                        f"{getattr(r, name + '_high'):.4g}]")
            label = (i18n.metric(r.indicator, lang).label if i18n.has_metric(r.indicator)
                     else r.indicator)
            rows.append({"factor": _smith_term(r.factor, lang), "indicator": label,
                         "as_is": cell("as_is"), "ideal": cell("ideal")})
        t = pd.DataFrame(rows).rename(columns={
            "factor": i18n.t("attribution.col_factor", lang),
            "indicator": i18n.t("attribution.col_indicator", lang),
            "as_is": i18n.t("attribution.col_as_is", lang),
            "ideal": i18n.t("attribution.col_ideal", lang)})
        lines.append(markdown_table(t))
    if causes is not None:
        lines.append("\n" + i18n.t("attribution.causes_heading", lang) + "\n")
        lines.append(_causes_table(causes, lang) if not causes.empty
                     else i18n.t("attribution.causes_none", lang))
    if against is not None:
        lines.append(against)
    shown = table.copy()
    shown["label"] = [(_smith_term(f, lang) if f in FACTORS else i18n.t("attribution.gap",
                                                                          lang))
                      for f in shown["factor"]]
    shown["outcome"] = [metric_label(o, lang) for o in shown["outcome"]]
    for col in ("mean", "ci_low", "ci_high"):
        shown[col] = shown[col].map(lambda x: f"{x:.4g}")
    shown["share_of_gap"] = shown["share_of_gap"].map(lambda x: f"{100 * x:.0f}%")
    lines += ["\n" + i18n.t("attribution.table_heading", lang) + "\n",
              markdown_table(shown[["outcome", "label", "mean", "ci_low", "ci_high",
                                    "share_of_gap", "n_seeds"]])]
    return "\n".join(lines) + "\n"


def _alone_table(table: pd.DataFrame, lang: str) -> pd.DataFrame:
    """The report's table of what each factor alone (and all four) removes."""
    from abm import i18n
    from abm.experiments.report import metric_label

    rows = []
    for r in table.itertuples():
        m = i18n.metric(r.outcome, lang) if i18n.has_metric(r.outcome) else None
        value = (f"{r.alone:.4g} [{r.alone_low:.4g}, {r.alone_high:.4g}]" if m is None
                 else i18n.format_interval(m, r.alone, r.alone_low, r.alone_high, lang))
        rows.append({
            i18n.t("attribution.col_outcome", lang): metric_label(r.outcome, lang),
            i18n.t("attribution.col_factor", lang): (
                i18n.t("attribution.all_four", lang) if r.factor == "gap"
                else _smith_term(r.factor, lang)),
            i18n.t("attribution.col_alone", lang): value,
            i18n.t("attribution.col_alone_share", lang): f"{100 * r.alone_share:.0f}%",
        })
    return pd.DataFrame(rows)


def _write_against(results: pd.DataFrame, other: tuple[pd.DataFrame, dict], folder: Path,
                   out_dir: Path, households: int | None, months: int | None,
                   lang: str) -> str:
    """attribution_against.csv and .png; returns the report's section."""
    from abm import i18n

    theirs, exp = other
    usable = [o for o in OUTCOMES if _complete(theirs, o)]
    cmp = pd.concat([compare(results, theirs, o) for o in usable], ignore_index=True)
    cmp.to_csv(out_dir / "attribution_against.csv", index=False)
    label = f"`{folder}` ({Path(str(exp.get('base', ''))).name})"
    note = None
    if (exp.get("households"), exp.get("months")) != (households, months):
        def scale(h: int | None, m: int | None) -> str:
            return (f"--households {h if h is not None else '(config)'} "
                    f"--months {m if m is not None else '(config)'}")
        note = i18n.t("attribution.against_scale", lang, here=scale(households, months),
                      there=scale(exp.get("households"), exp.get("months")))
    plot_against(cmp, folder.name, out_dir / "attribution_against.png", lang)
    return against_markdown(cmp, label, lang, note,
                            tuple(o for o in OUTCOMES if o not in usable))


def run_attribution(config: str, *, seeds: int, households: int | None, months: int | None,
                    workers: int | None, scheduler: str | None, out: str | None,
                    root_seed: int = 1, sets: list[str] | None = None,
                    against: str | None = None) -> Path:
    """Validate, run the 16 x seeds runs through the batch engine (resumable), then
    write attribution.csv, attribution.md and attribution.png into the folder. ``sets``
    (``dotted.key=VALUE``) change the county in all 16 worlds, e.g. to see how much
    the split rests on one assumption. ``against`` (a finished attribution folder, e.g.
    the baseline's) adds each factor's share and value here minus there, with
    intervals: attribution_against.csv and .png and a section of attribution.md."""
    from abm.config import ConfigError, load_config
    from abm.experiments.design import load_plan
    from abm.experiments.engine import run_batch
    from abm.experiments.store import EXPERIMENT_COPY, LOCK_NAME, ExperimentDir

    config_path = Path(config)
    sets = list(sets or [])
    load_config(config_path, sets, households=households, months=months)  # bad input: exit 2
    for c in all_combos():  # every combination must validate too
        ideal = [f"{k}={v!r}" if isinstance(v, str) else f"{k}={v}"
                 for k, v in combo_overrides(c).items() if not isinstance(v, list)]
        load_config(config_path, sets + ideal, households=households, months=months)
    other = load_against(Path(against)) if against is not None else None
    out_dir = Path(out) if out else Path("experiments_out") / f"attribution-{config_path.stem}"
    text = experiment_text(config_path, out_dir, seeds, households, months, root_seed, sets)
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
    # A driver killed while starting leaves its lock file: that is not someone's data.
    if out_dir.is_dir() and store.frozen() is None and any(
            p.name not in (EXPERIMENT_COPY, LOCK_NAME) for p in out_dir.iterdir()):
        raise ConfigError("--out", str(out_dir), "folder is not empty and holds no "
                          "attribution; choose another --out")
    out_dir.mkdir(parents=True, exist_ok=True)
    if not exp_file.exists() or exp_file.read_text(encoding="utf-8") != text:
        exp_file.write_text(text, encoding="utf-8")
    plan = load_plan(exp_file)
    store.check(plan)
    from abm import i18n

    lang = i18n.current_lang()
    print(i18n.t("attribution.start", lang, config=config_path, runs=len(plan.runs),
                 seeds=seeds), flush=True)
    outcome = run_batch(plan, out_dir, workers=workers, scheduler=scheduler)
    results = pd.read_parquet(out_dir / "results.parquet")
    results = results[results["status"] == "ok"]
    table = pd.concat([attribute(results, o) for o in OUTCOMES], ignore_index=True)
    table.to_csv(out_dir / "attribution.csv", index=False)
    series = pd.read_parquet(out_dir / "series.parquet")
    series = series[series["run_id"].isin(results["run_id"])]
    ind = indicators(series)
    ind.to_csv(out_dir / "indicators.csv", index=False)
    causes = by_cause(series)
    causes.to_csv(out_dir / "attribution_causes.csv", index=False)
    against_md = None
    if other is not None:
        against_md = _write_against(results, other, Path(against), out_dir,
                                    households, months, lang)
    else:  # a comparison left by an earlier command with --against is not this answer
        for name in ("attribution_against.csv", "attribution_against.png"):
            (out_dir / name).unlink(missing_ok=True)
    (out_dir / "attribution.md").write_text(
        attribution_markdown(table, results, config_path, seeds, households, months, lang,
                             ind, sets, causes, against_md), encoding="utf-8")
    plot_attribution(table, out_dir / "attribution.png", lang)
    if not causes.empty:
        plot_causes(causes, out_dir / "attribution_causes.png", lang)
    print(i18n.t("attribution.done", lang, done=outcome.done, skipped=outcome.skipped,
                 failed=outcome.failed, path=out_dir / "attribution.md"), flush=True)
    return out_dir
