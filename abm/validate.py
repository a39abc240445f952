"""``abm validate``: the model against the public figures it is calibrated on.

Runs a config for several seeds (and, for the epidemic rows, the same county with an
epidemic in the first quarter of 2022, as the 2020 one was), computes each target of the
calibration table from the outputs, and writes ``validation.md`` and ``validation.csv``:
one row per target with the model's figure and its 95% interval over seeds, the data, the
tolerance and whether the figure is within it, the source, and whether the parameters
were fitted to that row (the others are left to judge the model).

The figures themselves are written here, not read from anywhere outside the repository:
``TARGETS`` is the committed copy of the calibration table.
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

import numpy as np
import pandas as pd

EPIDEMIC = ["shocks.epidemic.start_year=2022", "shocks.epidemic.start_month_of_year=1",
            "shocks.epidemic.dur_months=3"]


@dataclass(frozen=True)
class Target:
    key: str
    label: str
    data: float | tuple[float, float]  # a figure, or a range (low, high)
    tolerance: float  # relative (share of the figure) or absolute, see ``kind``
    kind: str  # "rel", "abs" or "range"
    why: str  # why this tolerance
    source: str
    fitted: bool  # the parameters were set to match this row
    scenario: str  # "baseline" or "epidemic"
    measure: Callable[[pd.DataFrame, pd.DataFrame], float]
    unit: str = ""

    def within(self, value: float) -> bool:
        if self.kind == "range":
            lo, hi = self.data
            return lo <= value <= hi
        if self.kind == "rel":
            return abs(value - self.data) <= self.tolerance * abs(self.data)
        return abs(value - self.data) <= self.tolerance

    def data_text(self) -> str:
        if self.kind == "range":
            return f"{_fmt(self.data[0], self.unit)} to {_fmt(self.data[1], self.unit)}"
        return _fmt(self.data, self.unit)

    def tolerance_text(self) -> str:
        if self.kind == "range":
            return "within the range"
        if self.kind == "rel":
            return f"±{self.tolerance:.0%}"
        if self.unit in ("share", "points"):
            return f"±{100 * self.tolerance:.1f} pts"
        return f"±{_fmt(self.tolerance, self.unit)}"


def _fmt(x: float, unit: str) -> str:
    if unit == "share":
        return f"{100 * x:.1f}%"
    if unit == "points":
        return f"{100 * x:+.1f} pts"
    return f"{x:,.0f}"


def _year(ts: pd.DataFrame, year: int, col: str) -> float:
    sel = ts["year"] == year
    if not sel.any():
        raise ValueError(f"the run does not reach {year}")
    return float(ts.loc[sel, col].mean())


def _yoy(ts: pd.DataFrame, col: str, months: range) -> float:
    """Change of ``col`` summed over calendar ``months`` of 2022 against 2021."""
    a = ts.loc[ts["year"] == 2021, col].to_numpy()[list(months)]
    b = ts.loc[ts["year"] == 2022, col].to_numpy()[list(months)]
    return float(b.sum() / a.sum() - 1.0)


def _returns_registered_per_year(ts: pd.DataFrame, ev: pd.DataFrame) -> float:
    """Returns to poverty of registered households a year during the transition, per
    registered household, counted as the field counts them: once a year, households poor
    in December that were not poor the December before (a dip within the year that is
    over by December is not a return in an annual census).

    Poverty status in each December is rebuilt from the events (every household starts
    the spin-up not poor)."""
    years = sorted(ts.loc[ts["year"] <= 2025, "year"].unique())
    first = int(ts["year"].min())
    pov = ev[ev["registered"] & ev["event"].isin(
        ["returned_to_poverty", "fell_into_poverty", "exited_poverty"])]
    pov = pov.sort_values("month", kind="stable")
    n_reg = max(float(ts["n_registered"].iloc[0]), 1.0)
    returns = 0
    for y in years:
        end_prev = 12 * (y - first) - 1  # December of the year before
        end = end_prev + 12
        before = pov[pov["month"] <= end_prev].groupby("household")["event"].last()
        now = pov[pov["month"] <= end].groupby("household")["event"].last()
        poor_prev = set(before.index[before != "exited_poverty"])
        poor_now = set(now.index[now != "exited_poverty"])
        returns += len(poor_now - poor_prev)
    return returns / len(years) / n_reg


def _income_returns_registered_per_year(ts: pd.DataFrame, ev: pd.DataFrame) -> float:
    """As :func:`_returns_registered_per_year`, on income alone (before medical bills:
    medical spending not deducted, as income statistics count it): the
    year-end censuses' count of registered households (``Tally.census``) over 2021-2025,
    a year, per registered household."""
    sel = ts["year"] <= 2025
    years = ts.loc[sel, "year"].nunique()
    n_reg = max(float(ts["n_registered"].iloc[0]), 1.0)
    last = float(ts.loc[sel, "cum_returned_census_income_registered"].iloc[-1])
    return last / years / n_reg


NBS = "National Bureau of Statistics"
TARGETS: tuple[Target, ...] = (
    Target("income_pc_2021", "rural income per person in delisted counties, 2021",
           14_051.0, 0.05, "rel", "a county is not the average of all delisted counties",
           f"{NBS} 2022", True, "baseline", lambda ts, ev: _year(ts, 2021, "income_pc"),
           "yuan"),
    Target("income_pc_2022", "rural income per person in delisted counties, 2022",
           15_111.0, 0.05, "rel", "as above", "SCIO 2023", False, "baseline",
           lambda ts, ev: _year(ts, 2022, "income_pc"), "yuan"),
    Target("income_pc_registered_2021", "income per person of the lifted-out, 2021",
           12_550.0, 0.05, "rel", "as above", "SCIO 2021; Xinhua 2022", True, "baseline",
           lambda ts, ev: _year(ts, 2021, "income_pc_registered"), "yuan"),
    Target("income_pc_registered_2022", "income per person of the lifted-out, 2022",
           14_342.0, 0.05, "rel", "as above", "Xinhua 2023", False, "baseline",
           lambda ts, ev: _year(ts, 2022, "income_pc_registered"), "yuan"),
    Target("share_wages", "wages' share of income (poor areas, 2019)", 0.353, 0.03, "abs",
           "three points: the shares are of 2019 and of all poor areas", f"{NBS} 2020-02-03",
           True, "baseline", lambda ts, ev: _year(ts, 2021, "share_wages"), "share"),
    Target("share_business", "net business share of income (poor areas, 2019)", 0.360,
           0.03, "abs", "as above", f"{NBS} 2020-02-03", True, "baseline",
           lambda ts, ev: _year(ts, 2021, "share_business"), "share"),
    Target("share_property", "property share of income (poor areas, 2019)", 0.014, 0.01,
           "abs", "one point: a small share", f"{NBS} 2020-02-03", True, "baseline",
           lambda ts, ev: _year(ts, 2021, "share_property"), "share"),
    Target("share_transfers", "net transfers' share of income (poor areas, 2019)", 0.273,
           0.03, "abs", "three points, as the other shares", f"{NBS} 2020-02-03", True,
           "baseline", lambda ts, ev: _year(ts, 2021, "share_transfers"), "share"),
    Target("share_workers_away", "lifted-out workers working outside their county, 2020",
           0.54, 0.05, "abs", "five points: the figure counts the lifted-out in wage work "
           "(务工), as the model's share does: migrants against migrants and local wage "
           "workers of registered households", "poverty office data, Guangming Daily "
           "2020-10-11", False, "baseline",
           lambda ts, ev: _year(ts, 2021, "share_wage_workers_away_registered"), "share"),
    Target("health_share", "health care in rural consumption", (0.067, 0.10), 0.0, "range",
           "the reported range", "NBS / provincial yearbooks (Fujian rural 6.7-7.8%, "
           "2016-2020)", True, "baseline",
           lambda ts, ev: float(ts["medical_oop_m"].sum() / (
               ts["consumption_m"] + ts["medical_oop_m"] + ts["schooling_m"]).sum()),
           "share"),
    Target("monitored_of_registered", "monitored households per registered household",
           (0.05, 0.15), 0.0, "range", "the reported range (5% nationally, 11.6% and 14.0% "
           "in two counties)", "State Council poverty office 2020-12-02; Zhecheng 2024; "
           "Baoshan 2021", True, "baseline",
           lambda ts, ev: float((ts["n_monitored"] / ts["n_registered"].clip(lower=1))
                                .mean()), "share"),
    Target("relapse_rate", "returns to poverty a year per registered household under "
           "full support (2021-2025)", (0.0, 0.003), 0.0, "range",
           "up to three times the national rate before 2020 (under 100,000 of about 99 M "
           "lifted out, 2019: about 0.1%)", "poverty office, China Daily 2019-09-27", False,
           "baseline", _returns_registered_per_year, "share"),
    Target("relapse_rate_income", "the same on income alone (before medical bills)",
           (0.0, 0.003), 0.0, "range", "as above; the registration system's yearly check "
           "read income and the basic guarantees (medical care among them), so its count "
           "lies between this row's and the row above's", "poverty office, China Daily "
           "2019-09-27", False, "baseline",
           _income_returns_registered_per_year, "share"),
    Target("epidemic_q1_income", "income per person in an epidemic's first quarter, "
           "against the same quarter a year before", 0.009, 0.03, "abs",
           "three points: rural Q1 2020 against Q1 2019, nominal", f"{NBS} 2020-04-17",
           True, "epidemic", lambda ts, ev: _yoy(ts, "income_pc", range(0, 3)), "points"),
    Target("epidemic_q1_business", "net business income in that quarter, year on year",
           -0.073, 0.05, "abs", "five points: all residents, not only rural",
           f"{NBS} 2020-04-17", True, "epidemic",
           lambda ts, ev: _yoy(ts, "income_pc_business", range(0, 3)), "points"),
    Target("epidemic_q1_q3_income", "income per person over the first three quarters of "
           "the epidemic year, year on year", 0.058, 0.03, "abs", "three points: rural, "
           "nominal, Q1-Q3 2020", f"{NBS} 2020-10-19", True, "epidemic",
           lambda ts, ev: _yoy(ts, "income_pc", range(0, 9)), "points"),
)


def _interval(values: np.ndarray) -> tuple[float, float, float]:
    from scipy import stats

    mean = float(values.mean())
    if values.size < 2:
        return mean, mean, mean
    half = float(stats.t.ppf(0.975, values.size - 1) * values.std(ddof=1)
                 / np.sqrt(values.size))
    return mean, mean - half, mean + half


def _events_with_registration(res) -> pd.DataFrame:
    ev = res.events.copy()
    ev["registered"] = res.model.households.registered[ev["household"].to_numpy()]
    return ev


def validate(config: str | None, seeds: int, households: int | None, months: int | None,
             progress: Callable[[str], None] | None = None, sets: list[str] | None = None,
             targets: tuple[Target, ...] = TARGETS) -> pd.DataFrame:
    """One row per target: model mean and 95% interval over ``seeds``, data, tolerance,
    within_tolerance, source, fitted. ``sets`` are extra ``key=value`` overrides (the
    calibration's trial values); only the scenarios ``targets`` need are run."""
    from abm.config import ConfigError, load_config
    from abm.runner import simulate

    extra = list(sets or [])
    values: dict[str, list[float]] = {t.key: [] for t in targets}
    needed = {t.scenario for t in targets}
    for scenario, sets in (("baseline", extra), ("epidemic", extra + EPIDEMIC)):
        if scenario not in needed:
            continue
        for seed in range(1, seeds + 1):
            cfg = load_config(config, sets, seed=seed, households=households, months=months)
            if scenario == "epidemic" and cfg.run.months > 24:  # 2021-2022 is enough
                cfg = load_config(config, sets, seed=seed, households=households, months=24)
            if cfg.run.start_year != 2021 or cfg.run.months < 24:
                raise ConfigError(config or "<defaults>", "run", "validation needs a run "
                                  "from January 2021 of at least 24 months")
            if progress:
                progress(f"{scenario} seed {seed}/{seeds}")
            res = simulate(cfg, keep_model=True)
            ev = _events_with_registration(res)
            for t in targets:
                if t.scenario == scenario:
                    values[t.key].append(t.measure(res.timeseries, ev))
    rows = []
    for t in targets:
        mean, lo, hi = _interval(np.array(values[t.key]))
        rows.append({
            "target": t.key, "label": t.label, "model": mean, "ci_low": lo, "ci_high": hi,
            "data": t.data_text(), "tolerance": t.tolerance_text(),
            "within_tolerance": t.within(mean), "fitted": t.fitted, "source": t.source,
            "tolerance_why": t.why, "unit": t.unit,
        })
    return pd.DataFrame(rows)


def to_markdown(table: pd.DataFrame, header: str) -> str:
    lines = [header, "",
             "| target | model [95% interval] | data | tolerance | within | fitted | source |",
             "|---|---|---|---|---|---|---|"]
    for r in table.itertuples():
        model = f"{_fmt(r.model, r.unit)} [{_fmt(r.ci_low, r.unit)}, {_fmt(r.ci_high, r.unit)}]"
        lines.append(f"| {r.label} | {model} | {r.data} | {r.tolerance} | "
                     f"{'yes' if r.within_tolerance else '**no**'} | "
                     f"{'fitted' if r.fitted else 'left to judge'} | {r.source} |")
    n_in = int(table["within_tolerance"].sum())
    lines += ["", f"{n_in} of {len(table)} targets within tolerance. Tolerances and why:", ""]
    lines += [f"- {r.label}: {r.tolerance} ({r.tolerance_why})" for r in table.itertuples()]
    return "\n".join(lines) + "\n"


def write_validation(table: pd.DataFrame, out_dir: Path, header: str) -> None:
    """Write validation.md and validation.csv into ``out_dir`` (both or neither)."""
    out_dir.mkdir(parents=True, exist_ok=True)
    tmp = out_dir / f".validation.tmp-{os.getpid()}"
    tmp.mkdir(exist_ok=True)
    try:
        buf = io.StringIO()
        cols = ["target", "label", "model", "ci_low", "ci_high", "data", "tolerance",
                "within_tolerance", "fitted", "source"]
        table[cols].to_csv(buf, index=False, quoting=csv.QUOTE_MINIMAL, float_format="%.6g")
        (tmp / "validation.csv").write_text(buf.getvalue(), encoding="utf-8")
        (tmp / "validation.md").write_text(to_markdown(table, header), encoding="utf-8")
        for name in ("validation.csv", "validation.md"):
            os.replace(tmp / name, out_dir / name)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def run_validate_command(config: str | None, seeds: int, households: int | None,
                         months: int | None, out: str | None) -> Path:
    from abm.runner import check_writable

    out_dir = Path(out) if out else Path("runs") / "validation"
    check_writable(out_dir)
    table = validate(config, seeds, households, months,
                     progress=lambda msg: print(f"  {msg}", file=sys.stderr, flush=True))
    from abm.config import load_config

    cfg = load_config(config, households=households, months=months)
    command = " ".join(["abm validate", *([config] if config else [])])
    header = (f"# Validation: {cfg.county.name}\n\n"
              f"`{command}` with {seeds} seeds x "
              f"{cfg.run.households:,} households x {cfg.run.months} months (the epidemic "
              f"rows: the same county with an epidemic from January to March 2022). "
              f"Intervals are 95% t-intervals over seeds; a target is within tolerance "
              f"when the mean is.")
    write_validation(table, out_dir, header)
    return out_dir
