"""Consumption assistance: paired-assistance enterprises (``abm.agents.social``) buy
the farm products of registered and monitored households at a premium."""

from __future__ import annotations

import numpy as np

from abm.instruments.base import BudgetLine, Income, Instrument
from abm.params import ASSUMPTION, InstrumentConfig, P


class ConsumptionAssistanceConfig(InstrumentConfig):
    """Paired-assistance enterprises buying farm products of poor households."""

    budget_per_household: float = P(40.0, unit="yuan/household/year", doc="Purchases by "
                                    "paired enterprises, per household of the county", ge=0,
                                    le=100_000, source=ASSUMPTION)
    premium: float = P(0.2, unit="share", doc="Extra farm income of a household whose "
                       "products are bought", ge=0, le=5, source=ASSUMPTION)


class ConsumptionAssistance(Instrument):
    name = "consumption_assistance"
    order = 14
    label = "consumption assistance / 消费帮扶"
    Config = ConsumptionAssistanceConfig
    lines = (BudgetLine("consumption_assistance", "paired_enterprises", social_sector=True),)
    pays_at = 1

    def allocate(self, hh, ctx) -> dict[str, float]:
        level = ctx.levels[self.name]
        return {"consumption_assistance": self.p.budget_per_household * hh.n * level}

    def eligible(self, hh) -> np.ndarray:
        return (hh.registered | hh.monitored) & (hh.land > 0)

    def income(self, hh, ctx, inc: Income) -> None:
        from abm import kernels  # (not at import: the config needs no numba)

        full = kernels.where_product(hh.ca_buyer, inc.farm, float(self.p.premium))
        inc.add("farm", ctx.budget.pay("consumption_assistance", self.at_level(full, ctx),
                                        fresh=True))
        self.withhold(hh, ctx, full)
