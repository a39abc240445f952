"""Basic rural pension for members aged 60+ (an entitlement paid to all)."""

from __future__ import annotations

from abm.instruments.base import BudgetLine, Income, Instrument


class Pension(Instrument):
    name = "pension"
    order = 1
    label = "basic rural pension / 城乡居民基本养老保险"
    lines = (BudgetLine("pension", "pension_fund", bounded=False, targeted=False),)
    pays_at = 4

    def income(self, hh, ctx, inc: Income) -> None:
        per = self.indexed(self.policy.pension_month, self.policy.pension_growth_year, ctx)
        paid = ctx.budget.pay("pension", hh.n_elderly * per, fresh=True)
        inc.add("public", paid, help=False)
