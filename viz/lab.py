"""The comparison the page answers: headline numbers, the end-of-run summary, the
downloads, and "Run with N seeds" through the batch engine.

Everything here reads a :class:`viz.state.Lab` (the preset as is and the same
county with the user's changes, on common random numbers) and returns plain
values, text in the page's language, or file bytes. Nothing draws widgets.
"""

from __future__ import annotations

import io
import math
import threading
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml

from abm import i18n
from abm.config import config_to_dict
from viz.charts import HEADLINE, causes, month_labels, payer_totals, scenario_name
from viz.state import Lab, Session, Settings, county_name

# Outcomes the seeds run keeps (final month of every run).
SEED_METRICS = ("poverty_rate_registered", "cum_returned_to_poverty", "n_monitored",
                "poverty_rate")
MIN_SEEDS_FOR_INTERVAL = 5


def latest(s: Session, col: str) -> float:
    values = s.history.get(col)
    return float(values[-1]) if values else 0.0


@dataclass(frozen=True)
class HeadlineRow:
    column: str
    label: str
    meaning: str
    better: str
    base: str
    changed: str | None
    diff: str | None
    pct: str | None
    verdict: str  # "better", "worse", "same" or "" (no comparison or no direction)


def headline(lab: Lab, lang: str) -> list[HeadlineRow]:
    """Running totals and current values with units, and the difference when changed."""
    rows = []
    for col in HEADLINE:
        m = i18n.metric(col, lang)
        a = latest(lab.base, col)
        b = latest(lab.changed, col) if lab.changed is not None else None
        diff = pct = None
        verdict = ""
        if b is not None:
            d = b - a
            diff = i18n.format_metric(m, d, lang, signed=True)
            pct = f"{100 * d / a:+.0f}%" if a and not m.percent else None
            if d == 0:
                verdict = "same"
            elif m.better in ("up", "down"):
                verdict = "better" if (d > 0) == (m.better == "up") else "worse"
        rows.append(HeadlineRow(col, m.label, m.meaning, m.better, i18n.format_metric(m, a, lang),
                                None if b is None else i18n.format_metric(m, b, lang),
                                diff, pct, verdict))
    return rows


def summary_sentence(lab: Lab, lang: str) -> str:
    """The end-of-run answer in one sentence a county official can quote."""
    base, changed = lab.base, lab.changed
    ret = i18n.metric("cum_returned_to_poverty", lang)
    pov = i18n.metric("poverty_rate_registered", lang)
    a_r, a_p = latest(base, ret.column), latest(base, pov.column)
    values: dict[str, Any] = {
        "months": base.month, "county": county_name(base, lang),
        "returns_base": i18n.format_metric(ret, a_r, lang),
        "poverty_base": i18n.format_metric(pov, a_p, lang),
        "cause": _top_cause(base, lang),
    }
    if changed is None:
        return i18n.t("summary.single", lang, **values)
    b_r, b_p = latest(changed, ret.column), latest(changed, pov.column)
    values.update(
        returns_changed=i18n.format_metric(ret, b_r, lang),
        poverty_changed=i18n.format_metric(pov, b_p, lang),
        returns_diff=i18n.format_metric(ret, b_r - a_r, lang, signed=True),
        returns_pct=f"{100 * (b_r - a_r) / a_r:+.0f}%" if a_r else "-",
        changes=changes_text(changed.settings, lang),
        cause_changed=_top_cause(changed, lang),
    )
    return i18n.t("summary.compare", lang, **values) + " " + i18n.t("summary.one_seed", lang)


def _top_cause(s: Session, lang: str) -> str:
    totals = {c: sum(s.history.get(f"new_returned_{c}", [])) for c in causes_of(s)}
    if not totals or max(totals.values()) == 0:
        return i18n.t("summary.no_cause", lang)
    c = max(totals, key=lambda k: totals[k])
    return i18n.t("summary.cause", lang, cause=i18n.cause(c, lang), n=int(totals[c]))


def causes_of(s: Session) -> list[str]:
    return causes(Lab(s, None))


def changes_text(settings: Settings, lang: str) -> str:
    """``Transition end year = 2022; ...`` in the page's language."""
    parts = []
    for key, value in settings.overrides:
        parts.append(f"{i18n.param_full_label(key, lang)} = {value}")
    return "; ".join(parts) if parts else i18n.t("settings.nothing", lang)


# ------------------------------------------------------------------ downloads
def comparison_frame(lab: Lab) -> pd.DataFrame:
    """One row per scenario and month: every series the model recorded, plus the
    running totals the page adds (``cum_exited_poverty``, ``spent_total``)."""
    frames = []
    dates = month_labels(lab)
    for which, s in (("preset", lab.base), ("changes", lab.changed)):
        if s is None:
            continue
        df = pd.DataFrame(s.history)
        df.insert(0, "date", dates[:len(df)])
        df.insert(0, "scenario", which)
        frames.append(df)
    return pd.concat(frames, ignore_index=True)


def comparison_csv(lab: Lab) -> bytes:
    return comparison_frame(lab).to_csv(index=False).encode("utf-8")


def comparison_png(lab: Lab, lang: str) -> bytes:
    """Four panels: registered poverty, returns (running total), returns by cause,
    money by payer; both scenarios, labels in ``lang`` (CJK font for Chinese)."""
    from abm.plots import new_figure, save_png

    fig, axes = new_figure(2, 2, (12, 7.5))
    runs = [("base", lab.base)] + ([("changed", lab.changed)] if lab.changed else [])
    style = {"base": "-", "changed": "--"}
    x = np.arange(1, lab.base.month + 1)
    for col, ax in (("poverty_rate_registered", axes[0, 0]),
                    ("cum_returned_to_poverty", axes[0, 1])):
        m = i18n.metric(col, lang)
        for which, s in runs:
            y = np.asarray(s.history.get(col, []), dtype=float) * (100 if m.percent else 1)
            ax.plot(x[:len(y)], y, style[which], label=scenario_name(which, lang))
        ax.set_title(m.label)
        ax.set_ylabel(m.unit)
        ax.set_xlabel(i18n.t("chart.month", lang))
        ax.legend(fontsize=8)
    names = causes(lab)
    width = 0.8 / len(runs)
    for k, (which, s) in enumerate(runs):
        vals = [sum(s.history.get(f"new_returned_{c}", [])) for c in names]
        axes[1, 0].barh(np.arange(len(names)) + k * width, vals, height=width,
                        label=scenario_name(which, lang))
        totals = payer_totals(s)
        axes[1, 1].barh(np.arange(len(totals)) + k * width,
                        [v / 1e4 for v in totals.values()], height=width,
                        label=scenario_name(which, lang))
    axes[1, 0].set_yticks(np.arange(len(names)) + width * (len(runs) - 1) / 2,
                          [i18n.cause(c, lang) for c in names])
    axes[1, 0].set_title(i18n.t("chart.returns_by_cause", lang))
    axes[1, 0].set_xlabel(i18n.metric("cum_returned_to_poverty", lang).unit)
    payers = list(payer_totals(lab.base))
    axes[1, 1].set_yticks(np.arange(len(payers)) + width * (len(runs) - 1) / 2,
                          [i18n.payer(p, lang) for p in payers])
    axes[1, 1].set_title(i18n.t("chart.budget", lang))
    axes[1, 1].set_xlabel(i18n.t("unit.wan_yuan", lang))
    for ax in axes[1]:
        ax.invert_yaxis()
        ax.legend(fontsize=8)
    fig.suptitle(i18n.t("download.figure_title", lang, county=county_name(lab.base, lang),
                        months=lab.base.month, seed=lab.base.config.run.seed))
    return save_png(fig)


def config_yaml(s: Session) -> str:
    return yaml.safe_dump(config_to_dict(s.config), sort_keys=False, allow_unicode=True)


def configs_zip(lab: Lab, lang: str) -> bytes:
    """The resolved config of each scenario, an experiment for ``abm batch`` with both
    scenarios, and a README saying how to reproduce what the page showed."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("preset.yaml", config_yaml(lab.base))
        if lab.changed is not None:
            z.writestr("changes.yaml", config_yaml(lab.changed))
        z.writestr("experiment.yaml", experiment_yaml(lab.base.settings, 10, lab.months,
                                                      base="preset.yaml"))
        z.writestr("README.txt", i18n.t("download.readme", lang,
                                        months=lab.months, seed=lab.base.config.run.seed))
    return buf.getvalue()


# ------------------------------------------------------------------ N seeds
def experiment_yaml(settings: Settings, seeds: int, months: int, base: str) -> str:
    """Both scenarios as one experiment: replicate k of each shares its seed."""
    exp = {
        "name": "page-comparison",
        "description": "The page's comparison: the preset as is and with the changes",
        "base": base,
        "seed": int(settings.seed),
        "replicates": int(seeds),
        "months": int(months),
        "households": int(settings.households),
        "scenarios": {"preset": {}, "changes": dict(settings.overrides)},
        "outputs": {"final": True, "series": False, "metrics": list(SEED_METRICS)},
    }
    return yaml.safe_dump(exp, sort_keys=False, allow_unicode=True)


class Cancelled(Exception):
    """The seeds run was stopped (the tab closed or Cancel was pressed)."""


class PageProgress:
    """The batch engine's progress hook: reports to the page and stops when asked."""

    def __init__(self, report: Callable[[int, int], None], stop: threading.Event):
        self.report = report
        self.stop = stop
        self.total = 0

    def start(self, total: int, todo: int) -> None:
        self.total = total
        self.report(total - todo, total)
        if self.stop.is_set():
            raise Cancelled()

    def update(self, done: int, failed: int) -> None:
        self.report(done + failed, self.total)
        if self.stop.is_set():
            raise Cancelled()

    def close(self) -> None:
        pass


@dataclass(frozen=True)
class SeedEffect:
    column: str
    n: int
    base_mean: float
    changed_mean: float
    diff: float
    low: float
    high: float


def run_seeds(settings: Settings, seeds: int, months: int, folder: Path,
              report: Callable[[int, int], None], stop: threading.Event,
              workers: int = 1) -> list[SeedEffect]:
    """Run both scenarios for ``seeds`` seeds with ``abm.experiments`` (a local Dask
    cluster) into ``folder``; the effect of the changes with 95% intervals."""
    from abm.experiments.design import load_plan
    from abm.experiments.engine import run_batch

    folder.mkdir(parents=True, exist_ok=True)
    base = folder / "preset.yaml"
    base.write_text(yaml.safe_dump(config_to_dict(Settings(
        settings.preset, settings.seed, settings.households).config()), sort_keys=False,
        allow_unicode=True), encoding="utf-8")
    exp = folder / "experiment.yaml"
    exp.write_text(experiment_yaml(settings, seeds, months, base.name), encoding="utf-8")
    plan = load_plan(exp)
    run_batch(plan, folder / "out", workers=workers, progress=PageProgress(report, stop))
    results = pd.read_parquet(folder / "out" / "results.parquet")
    return seed_effects(results)


def seed_effects(results: pd.DataFrame) -> list[SeedEffect]:
    """Paired differences (changes - preset) per replicate, with a 95% t-interval."""
    from abm.experiments.report import mean_ci

    ok = results[results["status"] == "ok"]
    wide = {s: f.set_index("replicate") for s, f in ok.groupby("scenario")}
    out = []
    if "preset" not in wide:
        return out
    base = wide["preset"]
    other = wide.get("changes", base)
    both = base.index.intersection(other.index)
    for col in SEED_METRICS:
        a = base.loc[both, col].to_numpy(float)
        b = other.loc[both, col].to_numpy(float)
        mean, _, low, high = mean_ci(b - a)
        out.append(SeedEffect(col, len(both), float(a.mean()), float(b.mean()), mean, low, high))
    return out


def seed_sentence(effects: list[SeedEffect], lang: str) -> list[str]:
    """One quotable sentence per outcome, with its interval and any warnings."""
    lines = []
    for e in effects:
        m = i18n.metric(e.column, lang)
        interval = ("-" if math.isnan(e.low) else
                    f"[{i18n.format_metric(m, e.low, lang, signed=True)}, "
                    f"{i18n.format_metric(m, e.high, lang, signed=True)}]")
        text = i18n.t("seeds.effect", lang, label=m.label, n=e.n,
                      base=i18n.format_metric(m, e.base_mean, lang),
                      changed=i18n.format_metric(m, e.changed_mean, lang),
                      diff=i18n.format_metric(m, e.diff, lang, signed=True), interval=interval)
        if not math.isnan(e.low) and e.low <= 0 <= e.high:
            text += " " + i18n.t("seeds.includes_zero", lang)
        lines.append(text)
    if effects and effects[0].n < MIN_SEEDS_FOR_INTERVAL:
        lines.append(i18n.t("seeds.too_few", lang, n=effects[0].n,
                            minimum=MIN_SEEDS_FOR_INTERVAL))
    return lines
