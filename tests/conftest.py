"""Shared fixtures: small configs and hand-built populations."""

from __future__ import annotations

import numpy as np
import pytest

from abm.agents.household import Households, MonthContext
from abm.config import Config, load_config


@pytest.fixture
def small_cfg() -> Config:
    return load_config(None, households=1500, months=24)


def make_households(n: int = 4, **cols) -> Households:
    """A hand-built population: n households in one village, columns set explicitly."""
    hh = Households(n, np.zeros(n, np.int32), np.zeros(n, np.int32))
    defaults = dict(size=3, n_labour=2, n_children=1, n_elderly=0, age_head=45.0, land=6.0,
                    education=8.0, skills=0.5, motivation=0.6, trust=0.6)
    defaults.update(cols)
    for name, v in defaults.items():
        getattr(hh, name)[:] = v
    return hh


def make_ctx(n: int, month: int = 1, **kw) -> MonthContext:
    from abm.budget import Budget
    from abm.policy import INSTRUMENTS

    levels = {k: 1.0 for k in INSTRUMENTS}
    levels["medical_cap"] = 0.0
    levels.update(kw.pop("levels", {}))
    budget = kw.pop("budget", None)
    if budget is None:
        budget = Budget()
        budget.new_year({k: float("inf") for k in budget.lines})
    base = dict(month=month, january=(month % 12 == 0), wage_index=1.0,
                farm_price=np.ones(n), poverty_line=4000.0, dibao_line=5500.0,
                levels=levels, level_drops={}, budget=budget)
    base.update(kw)
    if np.isscalar(base["farm_price"]):
        base["farm_price"] = np.full(n, float(base["farm_price"]))
    return MonthContext(**base)
