"""Helpers for directional tests: paired runs (common random numbers) over seeds."""

from __future__ import annotations

import numpy as np

from abm.config import load_config
from abm.model import CountyModel


def run(sets: list[str], seed: int, households: int, months: int) -> CountyModel:
    m = CountyModel(load_config(None, sets, households=households, months=months, seed=seed))
    for _ in range(months):
        m.step()
    return m


def paired(measure, base: list[str], alt: list[str], seeds, households=3000, months=48):
    """Per-seed (base, alt) values of ``measure(model)``."""
    out = []
    for s in seeds:
        out.append((measure(run(base, s, households, months)),
                    measure(run(alt, s, households, months))))
    return np.array(out, dtype=float)


def t_stat(diff: np.ndarray) -> float:
    """Paired t statistic of the mean difference (inf when every difference is equal)."""
    sd = diff.std(ddof=1)
    return float(diff.mean() / (sd / np.sqrt(diff.size))) if sd > 0 else float(
        np.sign(diff.mean()) * np.inf)


def returns_by(cause: str):
    def f(m: CountyModel) -> float:
        ev = m.events()
        sel = ev["event"].isin(["returned_to_poverty"]) & (ev["cause"] == cause)
        return float(sel.sum())
    return f


def mean_delay_to_monitoring(m: CountyModel) -> float:
    return float(np.mean(m.implementation.delay_to_monitor))


def returns_total(m: CountyModel) -> float:
    ev = m.events()
    return float((ev["event"] == "returned_to_poverty").sum())


def market_loss(m: CountyModel) -> float:
    return float(m.timeseries()["smith_env_loss_market_m"].sum())


def share_of_returns(cause: str):
    """Share of returns to poverty whose measured primary cause is ``cause``."""
    def f(m: CountyModel) -> float:
        ev = m.events()
        ret = ev[ev["event"] == "returned_to_poverty"]
        return float((ret["cause"] == cause).mean()) if len(ret) else 0.0
    return f
