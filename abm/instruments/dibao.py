"""The minimum living guarantee (dibao): enrolled households are topped up to its line.

Who is enrolled: the 2020 roster (no one able to work, income below the line) and,
later, monitored households that cannot work, when the village team brings the
assistance bundle."""

from __future__ import annotations

import numpy as np

from abm.instruments.base import BudgetLine, Income, Instrument
from abm.params import InstrumentConfig, P


class DibaoConfig(InstrumentConfig):
    """The minimum living guarantee."""

    line_2021: float = P(5_500.0, unit="yuan/person/year", doc="Minimum living guarantee "
                         "line in 2021; enrolled households are topped up to it", ge=0,
                         le=100_000)
    line_growth: float = P(0.05, unit="per year", doc="Yearly rise of the line", ge=0, le=0.3)


class Dibao(Instrument):
    name = "dibao"
    order = 7
    label = "minimum living guarantee / 低保"
    Config = DibaoConfig
    lines = (BudgetLine("dibao", "civil_affairs", bounded=False),)

    def roster_2020(self, hh) -> None:
        """The 2020 roster: no one able to work and income below the line."""
        hh.dibao |= (hh.income_pc_year < self.p.line_2021) & ((hh.n_labour == 0)
                                                              | hh.disability)

    def top_up(self, hh, ctx, inc: Income) -> None:
        line = ctx.dibao_line / 12.0 * hh.size
        gap = np.where(hh.dibao, np.maximum(line - inc.total(), 0.0), 0.0)
        inc.add("public", ctx.budget.pay("dibao", gap * ctx.levels[self.name]))
        self.withhold(hh, ctx, gap)

    def deliver(self, hh, idx: np.ndarray, able: np.ndarray, s) -> None:
        if s.ctx.levels[self.name] > 0:
            guarantee = idx[~able & (hh.income_pc_year[idx] < s.ctx.dibao_line)]
            hh.dibao[guarantee] = True
