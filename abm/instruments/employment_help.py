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
        helped = (hh.n_jobless > 0) & hh.monitored & (lv > 0)
        rel = 1.0 + (self.p.rel_remigrate - 1.0) * lv
        again_helped = u < np.minimum(1.0, p_again * rel)
        extra = helped & again_helped & ~again_plain
        if extra.any():
            who = np.flatnonzero(extra)
            bought = ctx.budget.pay_units("employment_help", who.size,
                                          self.p.cost_per_placement)
            extra[who[~bought]] = False
        return extra
