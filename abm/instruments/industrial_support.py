"""Industrial-support funds to enterprises and cooperatives, with benefit linkage: the
county's enterprises (``abm.agents.industry``) receive the funds each January and link
registered and monitored households, who receive a share of profits as dividends."""

from __future__ import annotations

import numpy as np

from abm.instruments.base import BudgetLine, Income, Instrument
from abm.params import ASSUMPTION, InstrumentConfig, P


class IndustrialSupportConfig(InstrumentConfig):
    """Industrial-support funds to enterprises and cooperatives with benefit linkage."""

    fund_per_household: float = P(150.0, unit="yuan/household/year", doc="Support funds to "
                                  "enterprises, per household of the county", ge=0,
                                  le=100_000, source="central subsidy 156.1 bn (2021), over "
                                  "half to industry (Xinhua 2022-04-06), order of magnitude")
    dividend_share: float = P(0.3, unit="share of profit", doc="Share of a supported "
                              "enterprise's profit paid to linked member households", ge=0,
                              le=1, source=ASSUMPTION)
    members_per_enterprise: int = P(40, unit="households", doc="Registered or monitored "
                                    "households linked to each supported enterprise", ge=0,
                                    le=100_000, source=ASSUMPTION)


class IndustrialSupport(Instrument):
    name = "industrial_support"
    order = 9
    label = "industrial support / 产业帮扶"
    Config = IndustrialSupportConfig
    lines = (BudgetLine("industrial_support", "consolidation_fund", "firm"),
             BudgetLine("dividends", "enterprises", bounded=False))
    pays_at = 3

    def allocate(self, hh, ctx) -> dict[str, float]:
        level = ctx.levels[self.name]
        return {"industrial_support": self.p.fund_per_household * hh.n * level}

    def eligible(self, hh) -> np.ndarray:
        """Households an enterprise may link: registered or monitored."""
        return hh.registered | hh.monitored

    def income(self, hh, ctx, inc: Income) -> None:
        """Dividends the linked enterprises owe from last month."""
        due = hh.dividend_due_m
        paid = ctx.budget.pay("dividends", due, fresh=True)
        if paid is due:  # paid in full: added, and the column cleared, in one pass
            inc.add("property", paid, clear=True)
        else:
            due[:] = 0.0
            inc.add("property", paid)
