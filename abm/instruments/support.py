"""Direct transfers to registered (lifted-out) households during the transition; a
cut is booked in the loss ledger as a year of the transfer lost."""

from __future__ import annotations

from abm.instruments.base import BudgetLine, Income, Instrument
from abm.params import ASSUMPTION, InstrumentConfig, P


class SupportConfig(InstrumentConfig):
    """Direct transfers to registered households during the transition."""

    per_capita: float = P(1_200.0, unit="yuan/person/year", doc="Transfers to registered "
                          "(lifted-out) households", ge=0, le=100_000, source=ASSUMPTION)
    kept_after_transition: float = P(0.0, unit="share", doc="Share kept after the "
                                     "transition", ge=0, le=1, source=ASSUMPTION)
    growth_year: float = P(0.0, unit="per year", doc="Yearly rise of the transfer (a fixed "
                           "nominal standard unless a county indexes it)", ge=0, le=0.5,
                           source=ASSUMPTION)


class Support(Instrument):
    name = "support"
    order = 8
    label = "transition support / 过渡期帮扶资金"
    Config = SupportConfig
    lines = (BudgetLine("support", "consolidation_fund"),)
    ideal = {"kept_after_transition": 1.0}
    pays_at = 6

    def allocate(self, hh, ctx) -> dict[str, float]:
        level = ctx.levels[self.name]
        persons = float(hh.size[hh.registered].sum())
        return {"support": self.indexed(self.p.per_capita, self.p.growth_year, ctx)
                * persons * level}

    def income(self, hh, ctx, inc: Income) -> None:
        per_capita = self.indexed(self.p.per_capita, self.p.growth_year, ctx)
        from abm import kernels  # (not at import: the config needs no numba)

        # hh.registered * hh.size * per_capita / 12.0 in one pass
        full = kernels.counted_per_month(hh.registered, hh.registered, hh.size,
                                         float(per_capita))
        paid = ctx.budget.pay("support", self.at_level(full, ctx), fresh=True)
        self.withhold(hh, ctx, full)  # a cut is a loss every month it lasts
        inc.add("public", paid)
