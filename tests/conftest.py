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
    base = dict(month=month, january=(month % 12 == 0), price=1.0, wage_index=1.0,
                reimbursement=np.full(n, 0.5), support_per_capita=0.0,
                support_drop_per_capita=0.0, poverty_line=4000.0, dibao_line=5500.0)
    base.update(kw)
    return MonthContext(**base)
