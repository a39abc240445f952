"""Farmland protection and grain subsidies, per mu of contracted land (paid to all)."""

from __future__ import annotations

import numpy as np

from abm.instruments.base import BudgetLine, Income, Instrument


class FarmSubsidy(Instrument):
    name = "farm_subsidy"
    order = 2
    label = "farmland and grain subsidies / 耕地地力保护补贴"
    lines = (BudgetLine("farm_subsidy", "central_agriculture", bounded=False,
                        targeted=False),)
    pays_at = 5

    def income(self, hh, ctx, inc: Income) -> None:
        per_mu = self.indexed(self.policy.farm_subsidy_per_mu,
                              self.policy.farm_subsidy_growth_year, ctx)
        if hh.land.dtype == np.float64:
            from abm import kernels  # (not at import: the config needs no numba)

            full = kernels.per_month(hh.land, float(per_mu))  # land * per_mu / 12, one pass
        else:
            full = hh.land * per_mu / 12.0
        paid = ctx.budget.pay("farm_subsidy", full, fresh=True)
        inc.add("public", paid, help=False)
