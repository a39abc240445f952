"""Schooling subsidy per school child of registered and monitored households."""

from __future__ import annotations

from abm.instruments.base import BudgetLine, Income, Instrument
from abm.params import ASSUMPTION, InstrumentConfig, P


class SchoolingSubsidyConfig(InstrumentConfig):
    per_child: float = P(1_000.0, unit="yuan/child/year", doc="Subsidy per school child of "
                         "registered and monitored households", ge=0, le=100_000, source=ASSUMPTION)


class SchoolingSubsidy(Instrument):
    name = "schooling_subsidy"
    order = 13
    label = "schooling subsidy / 教育资助"
    Config = SchoolingSubsidyConfig
    lines = (BudgetLine("schooling_subsidy", "education_bureau"),)
    pays_at = 7

    def eligible(self, hh):
        return hh.registered | hh.monitored

    def allocate(self, hh, ctx) -> dict[str, float]:
        level = ctx.levels[self.name]
        children = float(hh.n_children[self.eligible(hh)].sum())
        return {"schooling_subsidy": self.p.per_child * children * level}

    def income(self, hh, ctx, inc: Income) -> None:
        if type(self).eligible is SchoolingSubsidy.eligible:
            from abm import kernels  # (not at import: the config needs no numba)

            # (registered | monitored) * n_children * per_child / 12.0 in one pass
            full = kernels.counted_per_month(hh.registered, hh.monitored, hh.n_children,
                                             float(self.p.per_child))
        else:
            full = self.eligible(hh) * hh.n_children * self.p.per_child / 12.0
        paid = ctx.budget.pay("schooling_subsidy", self.at_level(full, ctx),
                                fresh=True)
        self.withhold(hh, ctx, full)
        inc.add("public", paid)

    def keeps_in_school(self, hh, ctx, idx):
        """The subsidy's children, while it is paid (its level above zero)."""
        if ctx.levels[self.name] <= 0:
            return None
        return hh.registered[idx] | hh.monitored[idx]
