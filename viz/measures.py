"""Village measures for the map and the village inspector.

Each measure is computed from household columns with ``np.bincount`` over
``county.hh_village`` (never one mark per household). A measure whose columns the
model does not have yet is skipped, so new ones appear when the model grows them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from abm import i18n
from viz.state import Session


@dataclass(frozen=True)
class Measure:
    key: str
    label: str
    fmt: str  # "pct" share shown as %, "num" plain number, "int" count
    needs: tuple[str, ...]  # household columns (or "model:attr") that must exist
    compute: Callable[[Session], np.ndarray]


def _hh(s: Session, col: str) -> np.ndarray:
    return np.asarray(getattr(s.model.households, col))


def _sizes(s: Session) -> np.ndarray:
    return np.maximum(s.model.county.village_sizes(), 1).astype(float)


def _village_sum(s: Session, values: np.ndarray) -> np.ndarray:
    return np.bincount(s.model.county.hh_village, weights=values.astype(float),
                       minlength=s.model.county.n_villages)


def _village_mean(s: Session, col: str) -> np.ndarray:
    return _village_sum(s, _hh(s, col)) / _sizes(s)


def _caseload(s: Session) -> np.ndarray:
    # Monitored households per cadre of the village's work team.
    monitored = _village_sum(s, _hh(s, "monitored"))
    cadres = np.array([t.n_cadres for t in s.model.village_teams], dtype=float)
    return np.divide(monitored, cadres, out=np.zeros_like(monitored), where=cadres > 0)


MEASURES: tuple[Measure, ...] = (
    Measure("poverty_rate", "Poverty rate", "pct", ("poor",),
            lambda s: _village_mean(s, "poor")),
    Measure("monitored_share", "Monitored share", "pct", ("monitored",),
            lambda s: _village_mean(s, "monitored")),
    Measure("returns", "Returns to poverty (run so far)", "int", (),
            lambda s: s.village_returns.copy()),
    Measure("returns_month", "Returns to poverty (last month)", "int", (),
            lambda s: s.last_village_returns.copy()),
    Measure("mean_income", "Mean income per person (yuan/yr)", "num", ("income_pc_year",),
            lambda s: _village_mean(s, "income_pc_year")),
    Measure("cadre_caseload", "Cadre caseload (monitored per cadre)", "num",
            ("monitored", "model:village_teams"), _caseload),
    Measure("paperwork_share", "Cadre time on paperwork", "pct", ("model:village_teams",),
            lambda s: np.array([t.paperwork_share for t in s.model.village_teams])),
    Measure("mean_motivation", "Mean motivation", "num", ("motivation",),
            lambda s: _village_mean(s, "motivation")),
    Measure("mean_skills", "Mean skills", "num", ("skills",),
            lambda s: _village_mean(s, "skills")),
    Measure("chronic_share", "Households with chronic illness", "pct", ("chronic",),
            lambda s: _village_mean(s, "chronic")),
    Measure("households", "Households", "int", (), lambda s: _sizes(s)),
)


def _has(s: Session, need: str) -> bool:
    if need.startswith("county:"):
        return hasattr(s.model.county, need.removeprefix("county:"))
    if need.startswith("model:"):
        return hasattr(s.model, need.removeprefix("model:"))
    return hasattr(s.model.households, need)


def available(s: Session) -> list[Measure]:
    """The measures this model can provide."""
    return [m for m in MEASURES if all(_has(s, n) for n in m.needs)]


def by_key(key: str) -> Measure:
    for m in MEASURES:
        if m.key == key:
            return m
    raise KeyError(f"unknown village measure {key!r}; known: {[m.key for m in MEASURES]}")


def village_table(s: Session) -> dict[str, np.ndarray]:
    """All available measures for every village, keyed by measure key."""
    return {m.key: m.compute(s) for m in available(s)}


def measure_label(m: Measure, lang: str) -> str:
    """The measure's name in ``lang`` (catalog key ``measure.<key>``)."""
    return i18n.t(f"measure.{m.key}", lang)


def format_value(m: Measure, value: float) -> str:
    if m.fmt == "pct":
        return f"{100 * value:.1f}%"
    if m.fmt == "int":
        return f"{value:,.0f}"
    return f"{value:,.0f}" if abs(value) >= 100 else f"{value:.3f}"
