"""Organised labour export and job matching: a jobless migrant of a monitored household
is more likely to find work away again, for each placement the line can pay."""

from __future__ import annotations

import numpy as np

from abm.instruments.base import BudgetLine, Instrument
from abm.params import ASSUMPTION, InstrumentConfig, P


class EmploymentHelpConfig(InstrumentConfig):
    """Organised labour export and job matching for migrants."""

    rel_remigrate: float = P(2.0, unit="multiplier", doc="Chance a jobless migrant of a "
                             "monitored household finds work away again, relative to none",
                             ge=1, le=20, source=ASSUMPTION)
    cost_per_placement: float = P(300.0, unit="yuan", doc="Cost of one placement", ge=0,
                                  le=100_000, source=ASSUMPTION)
    placements_per_household: float = P(0.02, unit="placements/household/year", doc="Placements "
                                        "the county budgets for, per household", ge=0, le=1,
                                        source=ASSUMPTION)


class EmploymentHelp(Instrument):
    name = "employment_help"
    order = 12
    label = "employment help / 就业帮扶"
    Config = EmploymentHelpConfig
    lines = (BudgetLine("employment_help", "consolidation_fund", "service"),)

    def allocate(self, hh, ctx) -> dict[str, float]:
        level = ctx.levels[self.name]
        p = self.p
        return {"employment_help": p.placements_per_household * hh.n * p.cost_per_placement
                * level}

    def job_placements(self, hh, ctx, p_again: np.ndarray, u: np.ndarray,
                       again_plain: np.ndarray) -> np.ndarray:
        lv = ctx.levels[self.name]
        rel = 1.0 + (self.p.rel_remigrate - 1.0) * lv
        if (isinstance(p_again, np.ndarray) and p_again.dtype == np.float64
                and isinstance(u, np.ndarray) and u.dtype in (np.float32, np.float64)
                and p_again.shape == u.shape == again_plain.shape == hh.monitored.shape
                and again_plain.dtype == np.bool_ and isinstance(rel, float)):
            from abm import kernels  # (not at import: the config needs no numba)

            # the lines below in one pass, the same booleans
            extra = kernels.placements_wanted(hh.n_jobless, hh.monitored, bool(lv > 0), u,
                                              p_again, rel, again_plain)
        else:
            helped = (hh.n_jobless > 0) & hh.monitored & (lv > 0)
            again_helped = u < np.minimum(1.0, p_again * rel)
            extra = helped & again_helped & ~again_plain
        if extra.any():
            who = np.flatnonzero(extra)
            bought = ctx.budget.pay_units("employment_help", who.size,
                                          self.p.cost_per_placement)
            extra[who[~bought]] = False
        return extra
