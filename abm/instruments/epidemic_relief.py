"""Epidemic relief from the county's emergency fund: while an epidemic disrupts work,
monitored households and poor households with idled migrants receive a monthly sum (it
reaches them next month); the line runs out when the wave lasts long."""

from __future__ import annotations

import numpy as np

from abm.instruments.base import BudgetLine, Instrument
from abm.params import ASSUMPTION, InstrumentConfig, P


class EpidemicReliefConfig(InstrumentConfig):
    per_household_month: float = P(500.0, unit="yuan/month", doc="Relief to a monitored or "
                                   "idled household during an epidemic", ge=0, le=100_000,
                                   source=ASSUMPTION)
    budget_share_households: float = P(0.05, unit="share of households", doc="Households "
                                       "the county budgets relief for", ge=0, le=1,
                                       source=ASSUMPTION)
    budget_months: float = P(6.0, unit="months", doc="Months of relief the county budgets "
                             "for each year", ge=0, le=12, source=ASSUMPTION)


class EpidemicRelief(Instrument):
    name = "epidemic_relief"
    order = 15
    label = "epidemic relief / 疫情救助"
    Config = EpidemicReliefConfig
    lines = (BudgetLine("epidemic_relief", "county_emergency_fund", "credit"),)

    def __init__(self, cfg, streams=None):
        super().__init__(cfg, streams)
        self.n_relieved = 0

    def start_of_run(self) -> None:
        self.n_relieved = 0

    def allocate(self, hh, ctx) -> dict[str, float]:
        level = ctx.levels[self.name]
        p = self.p
        return {"epidemic_relief": p.per_household_month * p.budget_share_households * hh.n
                * p.budget_months * level}

    def eligible(self, hh) -> np.ndarray:
        return hh.monitored | (hh.n_migrants > 0) & hh.poor

    def monthly(self, s) -> None:
        ctx = s.ctx
        if not (ctx.epidemic_idle > 0 or ctx.epidemic_local > 0):
            return
        lv = ctx.levels[self.name]
        if lv <= 0:
            return
        hh = s.households
        idx = np.flatnonzero(self.eligible(hh))
        if idx.size:
            paid = s.budget.pay("epidemic_relief",
                                np.full(idx.size, self.p.per_household_month * lv))
            ok = paid > 0
            hh.credit(paid[ok], idx[ok])
            self.n_relieved += int(ok.sum())
